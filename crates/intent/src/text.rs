//! Text normalisation, word segmentation (jieba) and the sparse features the
//! trained classifier reads.

use std::sync::LazyLock;

use jieba_rs::Jieba;

/// Domain words added to jieba's dictionary so that terms such as 喜用神 or
/// 海中金 come out as one word instead of being split into common words
/// (喜 / 用 / 神). Without them the word features and the lexicon proposals
/// of [`crate::improve`] would see fragments. The thirty 纳音 names come
/// from the chart library ([`bazi::ganzhi::Nayin::names`]).
pub const DOMAIN_WORDS: &[&str] = &[
    "八字",
    "四柱",
    "命盘",
    "命格",
    "格局",
    "命理",
    "算命",
    "生辰八字",
    "十神",
    "喜用神",
    "喜用",
    "用神",
    "忌神",
    "喜神",
    "闲神",
    "调候",
    "通关",
    "纳音",
    "旺衰",
    "身强",
    "身弱",
    "身旺",
    "日主",
    "日元",
    "从弱",
    "从强",
    "从弱格",
    "从强格",
    "得令",
    "月令",
    "正官",
    "七杀",
    "偏官",
    "正财",
    "偏财",
    "正印",
    "偏印",
    "枭神",
    "食神",
    "伤官",
    "比肩",
    "劫财",
    "比劫",
    "官杀",
    "食伤",
    "财星",
    "印星",
    "官星",
    "伤官见官",
    "食神制杀",
    "伤官配印",
    "官杀混杂",
    "枭神夺食",
    "财星坏印",
    "身弱杀强",
    "大运",
    "流年",
    "桃花",
    "烂桃花",
    "桃花运",
    "正缘",
    "夫妻宫",
    "配偶宫",
    "事业宫",
    "事业运",
    "财运",
    "官运",
    "财库",
    "太岁",
    "犯太岁",
    "本命年",
    "合婚",
    "五行",
    "天干",
    "地支",
    "神煞",
    "日柱",
    "年柱",
    "月柱",
    "时柱",
    "脱单",
    "二婚",
    "血光之灾",
    "跳槽",
    "升职",
    "加薪",
    "破财",
    "回本",
    "考公",
];

/// One segmenter for the process: building jieba's dictionary takes
/// milliseconds, far more than a classification.
static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for w in DOMAIN_WORDS.iter().chain(bazi::ganzhi::Nayin::names()) {
        jieba.add_word(w, None, None);
    }
    jieba
});

/// Lower-cases ASCII, maps full-width ASCII to half-width and trims, so that
/// "ＰＹＴＨＯＮ" and "python" look the same to the lexicon.
pub fn normalize(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
            c.to_ascii_lowercase()
        })
        .collect()
}

/// Whether `c` carries meaning for the features (CJK ideographs, letters,
/// digits); punctuation and spaces only separate.
pub fn is_content_char(c: char) -> bool {
    c.is_alphanumeric() || c == '〇'
}

/// jieba words of a normalised text, without punctuation or spaces.
pub fn words(text: &str) -> Vec<&str> {
    JIEBA
        .cut(text, true)
        .into_iter()
        .map(|t| t.word)
        .filter(|w| w.chars().any(is_content_char))
        .collect()
}

/// Warms the segmenter so the first classification is not the slow one.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// Words that say nothing about an intent: function words, question words
/// and time words (time is resolved separately). Lexicon proposals skip them.
pub const STOP_WORDS: &[&str] = &[
    "什么",
    "怎么",
    "怎么样",
    "如何",
    "有没有",
    "会不会",
    "能不能",
    "是不是",
    "可以",
    "应该",
    "要不要",
    "适合",
    "适不适合",
    "我们",
    "你们",
    "他们",
    "自己",
    "这个",
    "那个",
    "一个",
    "一下",
    "还是",
    "或者",
    "因为",
    "所以",
    "但是",
    "已经",
    "现在",
    "最近",
    "今年",
    "明年",
    "后年",
    "去年",
    "前年",
    "今天",
    "明天",
    "后天",
    "这个月",
    "下个月",
    "上个月",
    "未来",
    "以后",
    "时候",
    "什么时候",
    "哪里",
    "哪个",
    "为什么",
    "怎么办",
    "好不好",
    "吗",
    "呢",
    "吧",
    "的",
    "了",
    "我",
    "你",
    "他",
    "她",
    "是",
    "在",
    "和",
    "与",
    "有",
    "会",
    "能",
    "要",
    "想",
    "看看",
    "帮我",
    "请问",
    "一直",
    "总是",
    "可能",
    "还有",
    "需要",
    "注意",
    "方面",
    "问题",
    "情况",
    "影响",
    "关系",
    "帮忙",
    "多少",
    "几个",
    "下半年",
    "上半年",
];

/// Whether a word may become a lexicon term: two characters or more, not a
/// stop word, not a number.
pub fn is_candidate_term(word: &str) -> bool {
    word.chars().count() >= 2
        && !STOP_WORDS.contains(&word)
        && !word.chars().all(|c| c.is_ascii_digit())
        && word.chars().all(is_content_char)
}

/// Sparse binary features of a question: jieba words (`w:`), characters
/// (`c:`) and character bigrams within runs of content characters (`b:`).
/// Words carry meaning, characters and bigrams make the classifier robust to
/// segmentation mistakes and unseen compounds. Sorted and deduplicated.
pub fn features(normalized: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(64);
    for w in words(normalized) {
        out.push(format!("w:{w}"));
    }
    for run in normalized.split(|c: char| !is_content_char(c)) {
        let chars: Vec<char> = run.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            out.push(format!("c:{c}"));
            if let Some(next) = chars.get(i + 1) {
                out.push(format!("b:{c}{next}"));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The readable text of a feature name (`w:事业` → `事业`).
pub fn feature_text(feature: &str) -> &str {
    feature.split_once(':').map_or(feature, |(_, t)| t)
}

/// FNV-1a, a fixed 64-bit hash: what must not change between runs,
/// platforms or Rust releases (the held-out split, the hashed embedder's
/// buckets) cannot use std's randomly seeded hasher.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
