//! Sentence embeddings as an optional signal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::intents::Intent;
use crate::text::fnv1a;

/// Turns a sentence into a vector. Implementations return L2-normalised
/// vectors, so cosine similarity is a dot product.
pub trait Embedder: Send + Sync {
    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError>;
    /// Embeds many texts; row `i` is `texts[i]`'s vector. A classifier
    /// embeds all its prototype sentences at once when it is built; a model
    /// that streams its weights once per batch instead of once per text
    /// overrides this (the default embeds one text after another).
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        texts.iter().map(|text| self.embed(text)).collect()
    }
    /// A short name for health checks and reasoning ("multilingual-e5-small").
    fn name(&self) -> &str;
}

/// Why an embedder could not embed a text.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("embedding model failed: {0}; check that the model files are complete and readable")]
    Model(String),
    #[error("text cannot be embedded: {0}")]
    Input(String),
}

/// Example sentences per intent (and for off-topic questions) that the
/// embedding signal compares a question with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Prototypes {
    #[serde(deserialize_with = "crate::intents::lenient_map")]
    pub intents: BTreeMap<Intent, Vec<String>>,
    pub off_topic: Vec<String>,
}

impl Prototypes {
    /// How many prototypes per intent a version keeps: each one costs an
    /// embedding at classifier construction.
    pub const MAX_PER_INTENT: usize = 12;

    /// The built-in prototypes: short, typical questions per intent.
    pub fn builtin() -> Prototypes {
        let table: [(Intent, &[&str]); 10] = [
            (
                Intent::Career,
                &[
                    "我的事业运怎么样",
                    "适合换工作吗",
                    "什么时候能升职",
                    "我适合做什么职业",
                    "考试能考上吗",
                    "工作会顺利吗",
                ],
            ),
            (
                Intent::Wealth,
                &[
                    "我的财运怎么样",
                    "什么时候能发财",
                    "适合投资理财吗",
                    "会不会破财",
                    "做生意能赚钱吗",
                    "正财偏财运如何",
                ],
            ),
            (
                Intent::Marriage,
                &[
                    "我什么时候结婚",
                    "我的桃花运如何",
                    "我的婚姻幸福吗",
                    "正缘什么时候出现",
                    "感情能不能走到最后",
                    "另一半是什么样的人",
                ],
            ),
            (
                Intent::Health,
                &[
                    "我的身体健康吗",
                    "容易得什么病",
                    "要注意哪些疾病",
                    "会不会有意外血光",
                    "寿命长不长",
                    "身体什么时候好转",
                ],
            ),
            (
                Intent::Personality,
                &[
                    "我是什么性格",
                    "我的脾气怎么样",
                    "我有什么天赋",
                    "我是内向还是外向",
                    "我的为人处世如何",
                    "性格有什么缺点",
                ],
            ),
            (
                Intent::Wangshui,
                &[
                    "我是身强还是身弱",
                    "日主旺衰怎么看",
                    "日元旺不旺",
                    "是不是从弱格",
                    "八字强弱如何",
                    "日主得令吗",
                ],
            ),
            (
                Intent::Yongji,
                &[
                    "我的喜用神是什么",
                    "我的忌神是什么",
                    "五行喜什么忌什么",
                    "应该补什么五行",
                    "用神怎么取",
                    "幸运颜色是什么",
                ],
            ),
            (
                Intent::Shishen,
                &[
                    "我的十神怎么看",
                    "七杀代表什么",
                    "伤官见官是什么意思",
                    "正官正印怎么看",
                    "食神多好不好",
                    "劫财比肩多怎么样",
                ],
            ),
            (
                Intent::Nayin,
                &[
                    "我的纳音是什么",
                    "我是什么命",
                    "海中金命怎么样",
                    "纳音五行怎么算",
                    "年柱纳音代表什么",
                    "大林木命好吗",
                ],
            ),
            (
                Intent::General,
                &[
                    "帮我看看八字",
                    "我的命好不好",
                    "今年整体运势如何",
                    "帮我算算命",
                    "我的命盘怎么样",
                    "一生运势如何",
                ],
            ),
        ];
        let intents = table
            .into_iter()
            .map(|(i, s)| (i, s.iter().map(|x| (*x).to_owned()).collect()))
            .collect();
        let off_topic = [
            "今天天气怎么样",
            "怎么写代码",
            "这道菜怎么做",
            "比赛比分是多少",
            "这道数学题怎么解",
            "帮我翻译这句话",
            "推荐一部电影",
            "怎么去火车站",
        ]
        .iter()
        .map(|x| (*x).to_owned())
        .collect();
        Prototypes { intents, off_topic }
    }
}

/// Cosine similarity of two L2-normalised vectors (their dot product).
/// Vectors of different lengths compare over the shared prefix.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A lexical stand-in for a sentence encoder: a hashed bag of character
/// bigrams (and characters), L2-normalised. It captures shared wording, not
/// meaning. It exists so the embedding plumbing can run without model files
/// (tests, development machines); production uses a real model.
#[derive(Debug, Clone)]
pub struct CharBigramEmbedder {
    dim: usize,
}

impl CharBigramEmbedder {
    pub fn new(dim: usize) -> CharBigramEmbedder {
        CharBigramEmbedder { dim: dim.max(8) }
    }
}

impl Default for CharBigramEmbedder {
    fn default() -> Self {
        CharBigramEmbedder::new(512)
    }
}

impl Embedder for CharBigramEmbedder {
    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let chars: Vec<char> = crate::text::normalize(text)
            .chars()
            .filter(|c| crate::text::is_content_char(*c))
            .collect();
        let mut v = vec![0.0f32; self.dim];
        let mut buf = [0u8; 8];
        for (i, c) in chars.iter().enumerate() {
            let s = c.encode_utf8(&mut buf);
            v[(fnv1a(s.as_bytes()) % self.dim as u64) as usize] += 0.5;
            if let Some(n) = chars.get(i + 1) {
                let pair: String = [*c, *n].iter().collect();
                v[(fnv1a(pair.as_bytes()) % self.dim as u64) as usize] += 1.0;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(v)
    }

    fn name(&self) -> &str {
        "char-bigram-hash"
    }
}
