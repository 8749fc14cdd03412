//! The weighted lexicon: the project's own terms per intent, and the terms
//! that mark a question as outside fortune telling.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::intents::Intent;

/// Terms with weights, per intent, plus off-topic terms. Matching is by
/// substring on the normalised question rather than on jieba words, because
/// a term such as 财运 may be segmented inside a longer word (偏财运).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lexicon {
    /// Term → weight for each intent. Weights around 1.0 mean "this term
    /// alone names the intent"; 0.3–0.6 mean "a hint".
    #[serde(deserialize_with = "crate::intents::lenient_map")]
    pub intents: BTreeMap<Intent, BTreeMap<String, f32>>,
    /// Terms of subjects outside fortune telling (weather, code, cooking…).
    pub off_topic: BTreeMap<String, f32>,
}

/// One lexicon term found in a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub term: String,
    pub weight: f32,
}

/// Everything the lexicon found in one question.
#[derive(Debug, Clone, Default)]
pub struct LexiconHits {
    /// Hits per intent, indexed by [`Intent::index`], heaviest first.
    pub intents: [Vec<Hit>; 10],
    /// Off-topic hits, heaviest first.
    pub off_topic: Vec<Hit>,
}

impl LexiconHits {
    /// Sum of the weights of an intent's hits.
    pub fn weight(&self, intent: Intent) -> f32 {
        self.intents[intent.index()].iter().map(|h| h.weight).sum()
    }

    /// Sum of the weights of all fortune hits. A term listed under two
    /// intents counts once (its larger weight).
    pub fn fortune_weight(&self) -> f32 {
        let mut seen: BTreeMap<&str, f32> = BTreeMap::new();
        for h in self.intents.iter().flatten() {
            let e = seen.entry(h.term.as_str()).or_insert(0.0);
            *e = e.max(h.weight);
        }
        seen.values().sum()
    }

    /// The lexicon's evidence as real-valued classifier features: a
    /// saturating score per intent with hits, and for fortune and off-topic
    /// terms overall (see [`crate::logistic`]).
    pub fn score_features(&self) -> Vec<(String, f32)> {
        let sat = |w: f32| 1.0 - (-w).exp();
        let mut out: Vec<(String, f32)> = Intent::ALL
            .iter()
            .filter(|i| !self.intents[i.index()].is_empty())
            .map(|i| (format!("lex:{i}"), sat(self.weight(*i))))
            .collect();
        let (f, o) = (self.fortune_weight(), self.off_topic_weight());
        if f > 0.0 {
            out.push(("lex:fortune".to_owned(), sat(f)));
        }
        if o > 0.0 {
            out.push(("lex:off_topic".to_owned(), sat(o)));
        }
        out
    }

    /// Names of every feature [`LexiconHits::score_features`] can produce.
    pub fn score_feature_names() -> Vec<String> {
        Intent::ALL
            .iter()
            .map(|i| format!("lex:{i}"))
            .chain(["lex:fortune".to_owned(), "lex:off_topic".to_owned()])
            .collect()
    }

    /// Sum of the weights of off-topic hits.
    pub fn off_topic_weight(&self) -> f32 {
        self.off_topic.iter().map(|h| h.weight).sum()
    }
}

fn find(terms: &BTreeMap<String, f32>, text: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = terms
        .iter()
        .filter(|(t, _)| !t.is_empty() && text.contains(t.as_str()))
        .map(|(t, w)| Hit {
            term: t.clone(),
            weight: *w,
        })
        .collect();
    hits.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.term.cmp(&b.term)));
    hits
}

impl Lexicon {
    /// Finds every term of the lexicon in a normalised question.
    pub fn hits(&self, normalized: &str) -> LexiconHits {
        let mut out = LexiconHits::default();
        for (intent, terms) in &self.intents {
            out.intents[intent.index()] = find(terms, normalized);
        }
        out.off_topic = find(&self.off_topic, normalized);
        out
    }

    /// Whether `term` is listed under `intent`.
    pub fn contains(&self, intent: Intent, term: &str) -> bool {
        self.intents
            .get(&intent)
            .is_some_and(|t| t.contains_key(term))
    }

    /// Number of terms listed under `intent`.
    pub fn term_count(&self, intent: Intent) -> usize {
        self.intents.get(&intent).map_or(0, BTreeMap::len)
    }

    /// The built-in lexicon.
    pub fn builtin() -> Lexicon {
        let mut intents = BTreeMap::new();
        for intent in Intent::ALL {
            let terms = builtin_terms(intent)
                .iter()
                .map(|(t, w)| ((*t).to_owned(), *w))
                .collect();
            intents.insert(intent, terms);
        }
        let off_topic = OFF_TOPIC
            .iter()
            .map(|(t, w)| ((*t).to_owned(), *w))
            .collect();
        Lexicon { intents, off_topic }
    }
}

fn builtin_terms(intent: Intent) -> &'static [(&'static str, f32)] {
    match intent {
        Intent::Career => CAREER,
        Intent::Wealth => WEALTH,
        Intent::Marriage => MARRIAGE,
        Intent::Health => HEALTH,
        Intent::Personality => PERSONALITY,
        Intent::Wangshui => WANGSHUI,
        Intent::Yongji => YONGJI,
        Intent::Shishen => SHISHEN,
        Intent::Nayin => NAYIN,
        Intent::General => GENERAL,
    }
}

const CAREER: &[(&str, f32)] = &[
    ("事业", 1.2),
    ("工作", 1.0),
    ("职业", 1.0),
    ("跳槽", 1.2),
    ("升职", 1.2),
    ("晋升", 1.2),
    ("升迁", 1.2),
    ("官运", 1.2),
    ("职场", 1.2),
    ("创业", 0.8),
    ("辞职", 1.2),
    ("转行", 1.2),
    ("面试", 1.2),
    ("考公", 1.2),
    ("公务员", 1.2),
    ("体制内", 1.2),
    ("领导", 0.6),
    ("同事", 0.9),
    ("老板", 0.5),
    ("行业", 0.8),
    ("前途", 0.9),
    ("考研", 1.2),
    ("学业", 1.2),
    ("考试", 1.0),
    ("读书", 0.6),
    ("上班", 1.0),
    ("从政", 1.2),
    ("管理层", 1.0),
    ("自由职业", 1.2),
    ("开公司", 0.6),
    ("找工作", 1.2),
    ("发展", 0.4),
    ("单位", 0.7),
    ("开业", 0.6),
    ("读研", 0.9),
    ("合同", 0.5),
    ("大学", 0.6),
];

const WEALTH: &[(&str, f32)] = &[
    ("财运", 1.3),
    ("发财", 1.2),
    ("赚钱", 1.2),
    ("投资", 1.0),
    ("股票", 1.0),
    ("破财", 1.2),
    ("偏财", 0.6),
    ("正财", 0.6),
    ("存钱", 1.2),
    ("存到钱", 1.2),
    ("买房", 0.9),
    ("彩票", 1.2),
    ("中奖", 1.0),
    ("生意", 0.9),
    ("亏本", 1.2),
    ("理财", 1.2),
    ("收入", 1.0),
    ("财库", 1.2),
    ("钱财", 1.2),
    ("借钱", 1.2),
    ("债", 0.9),
    ("回本", 1.2),
    ("基金", 1.0),
    ("富", 0.6),
    ("守不住财", 1.2),
    ("旺财", 1.2),
    ("财富", 1.2),
    ("意外之财", 1.2),
    ("房地产", 0.9),
    ("单子", 0.7),
    ("手头", 0.8),
    ("财产", 1.2),
    ("穷", 0.6),
    ("加薪", 0.6),
    ("钱", 0.6),
];

const MARRIAGE: &[(&str, f32)] = &[
    ("婚姻", 1.3),
    ("结婚", 1.3),
    ("桃花", 1.2),
    ("感情", 1.1),
    ("恋爱", 1.2),
    ("男朋友", 1.1),
    ("女朋友", 1.1),
    ("老公", 1.0),
    ("老婆", 1.0),
    ("正缘", 1.3),
    ("姻缘", 1.3),
    ("出轨", 1.2),
    ("离婚", 1.3),
    ("另一半", 1.2),
    ("合婚", 1.3),
    ("复合", 1.1),
    ("前任", 1.1),
    ("早婚", 1.2),
    ("晚婚", 1.2),
    ("夫妻", 1.1),
    ("真爱", 1.1),
    ("配偶", 1.1),
    ("二婚", 1.3),
    ("脱单", 1.3),
    ("单身", 1.1),
    ("属相", 0.7),
    ("相亲", 1.2),
    ("婚后", 1.1),
    ("子女", 0.9),
    ("婚配", 1.2),
    ("嫁", 0.9),
    ("娶", 0.9),
    ("分手", 1.1),
    ("对象", 0.8),
    ("婚", 0.6),
    ("生子", 0.7),
    ("爱情", 1.1),
    ("放手", 0.5),
];

const HEALTH: &[(&str, f32)] = &[
    ("健康", 1.3),
    ("身体", 1.1),
    ("疾病", 1.3),
    ("生病", 1.2),
    ("失眠", 1.2),
    ("肠胃", 1.2),
    ("血光", 1.2),
    ("意外", 0.6),
    ("手术", 1.2),
    ("寿命", 1.3),
    ("心脏", 1.2),
    ("体质", 1.2),
    ("危险", 0.8),
    ("肝", 0.8),
    ("怀孕", 1.2),
    ("运动", 0.5),
    ("病", 0.8),
    ("抑郁", 1.2),
    ("精神压力", 0.8),
    ("腰椎", 1.2),
    ("骨头", 0.9),
    ("调理", 1.0),
    ("出行", 0.6),
    ("安全", 0.6),
    ("眼睛", 1.0),
    ("视力", 1.0),
    ("毛病", 0.9),
    ("平安", 0.8),
    ("受伤", 1.2),
    ("养生", 1.2),
];

const PERSONALITY: &[(&str, f32)] = &[
    ("性格", 1.3),
    ("脾气", 1.2),
    ("个性", 1.2),
    ("内向", 1.2),
    ("外向", 1.2),
    ("为人", 1.1),
    ("处世", 0.9),
    ("固执", 1.2),
    ("优柔寡断", 1.2),
    ("强势", 0.8),
    ("心软", 1.2),
    ("天赋", 1.1),
    ("才华", 1.1),
    ("情商", 1.2),
    ("想太多", 1.1),
    ("弱点", 0.9),
    ("优缺点", 1.2),
    ("耐心", 1.0),
    ("安全感", 1.0),
    ("思维", 1.0),
    ("乐观", 1.0),
    ("悲观", 1.0),
    ("兴趣爱好", 1.0),
    ("冲动", 1.0),
    ("正直", 1.0),
    ("人际关系", 0.9),
    ("面子", 0.9),
    ("领导力", 0.9),
    ("什么样的人", 0.6),
    ("孤僻", 1.2),
    ("软弱", 1.0),
    ("性情", 1.2),
    ("品性", 1.2),
];

const WANGSHUI: &[(&str, f32)] = &[
    ("旺衰", 1.5),
    ("身强", 1.4),
    ("身弱", 1.4),
    ("身旺", 1.4),
    ("日元", 1.0),
    ("从弱", 1.4),
    ("从强", 1.4),
    ("中和", 1.1),
    ("得令", 1.3),
    ("有根", 1.1),
    ("强弱", 1.1),
    ("太旺", 1.1),
    ("偏旺", 1.1),
    ("偏弱", 1.1),
    ("得地", 1.1),
    ("得势", 1.1),
    ("帮身", 1.1),
    ("克泄耗", 1.3),
    ("日主力量", 1.3),
    ("旺不旺", 1.1),
    ("很弱", 0.8),
    ("旺还是衰", 1.3),
    ("月令", 0.7),
    ("日主弱", 1.1),
    ("根气", 1.1),
    ("弱", 0.3),
    ("旺", 0.3),
];

const YONGJI: &[(&str, f32)] = &[
    ("喜用", 1.5),
    ("用神", 1.5),
    ("忌神", 1.5),
    ("喜神", 1.3),
    ("喜忌", 1.4),
    ("喜什么", 1.0),
    ("忌什么", 1.0),
    ("补什么五行", 1.3),
    ("补五行", 1.3),
    ("调候", 1.3),
    ("通关", 1.1),
    ("闲神", 1.3),
    ("幸运颜色", 1.1),
    ("颜色", 0.7),
    ("方位", 0.5),
    ("饰品", 0.9),
    ("补运", 1.0),
    ("改运", 1.0),
    ("缺水", 1.0),
    ("缺木", 1.0),
    ("缺火", 1.0),
    ("缺金", 1.0),
    ("缺土", 1.0),
    ("喜金", 1.1),
    ("喜水", 1.1),
    ("喜木", 1.1),
    ("喜火", 1.1),
    ("喜土", 1.1),
    ("忌火", 1.1),
    ("忌水", 1.1),
    ("忌金", 1.1),
    ("忌木", 1.1),
    ("忌土", 1.1),
    ("有利", 0.4),
    ("五行", 0.4),
];

const SHISHEN: &[(&str, f32)] = &[
    ("十神", 1.5),
    ("七杀", 1.4),
    ("正官", 1.4),
    ("偏官", 1.4),
    ("伤官", 1.4),
    ("食神", 1.4),
    ("偏印", 1.4),
    ("正印", 1.4),
    ("枭神", 1.4),
    ("比肩", 1.4),
    ("劫财", 1.4),
    ("比劫", 1.4),
    ("官杀", 1.4),
    ("食伤", 1.3),
    ("财星", 1.2),
    ("印星", 1.2),
    ("官星", 1.2),
    ("正财", 0.7),
    ("偏财", 0.7),
    ("透出", 0.7),
    ("透了", 0.7),
    ("见官", 0.8),
    ("配印", 0.8),
    ("制杀", 0.8),
    ("坏印", 0.8),
    ("夺食", 0.8),
    ("生财", 0.5),
    ("用印", 0.6),
    ("有制", 0.6),
    ("月干", 0.8),
];

const NAYIN: &[(&str, f32)] = &[
    ("纳音", 1.5),
    ("海中金", 1.5),
    ("炉中火", 1.5),
    ("大林木", 1.5),
    ("路旁土", 1.5),
    ("剑锋金", 1.5),
    ("山头火", 1.5),
    ("涧下水", 1.5),
    ("城头土", 1.5),
    ("白蜡金", 1.5),
    ("杨柳木", 1.5),
    ("泉中水", 1.5),
    ("屋上土", 1.5),
    ("霹雳火", 1.5),
    ("松柏木", 1.5),
    ("长流水", 1.5),
    ("沙中金", 1.5),
    ("山下火", 1.5),
    ("平地木", 1.5),
    ("壁上土", 1.5),
    ("金箔金", 1.5),
    ("覆灯火", 1.5),
    ("天河水", 1.5),
    ("大驿土", 1.5),
    ("钗钏金", 1.5),
    ("桑柘木", 1.5),
    ("大溪水", 1.5),
    ("沙中土", 1.5),
    ("天上火", 1.5),
    ("石榴木", 1.5),
    ("大海水", 1.5),
    ("六十甲子", 0.8),
    ("什么命", 0.6),
    ("金命", 0.6),
    ("木命", 0.6),
    ("水命", 0.6),
    ("火命", 0.6),
    ("土命", 0.6),
];

const GENERAL: &[(&str, f32)] = &[
    ("八字", 0.4),
    ("命盘", 0.7),
    ("运势", 0.5),
    ("运气", 0.6),
    ("命格", 0.5),
    ("算命", 1.0),
    ("整体", 0.9),
    ("流年", 0.4),
    ("大运", 0.5),
    ("太岁", 1.0),
    ("本命年", 1.0),
    ("四柱", 0.6),
    ("格局", 0.6),
    ("神煞", 1.0),
    ("转运", 0.9),
    ("好运", 0.8),
    ("日柱", 0.5),
    ("生辰", 0.8),
    ("贵人", 0.6),
    ("命好", 0.9),
    ("运程", 1.0),
    ("一生", 0.6),
    ("这辈子", 0.6),
    ("命", 0.3),
    ("顺", 0.4),
    ("运", 0.3),
];

const OFF_TOPIC: &[(&str, f32)] = &[
    ("天气", 1.5),
    ("下雨", 1.5),
    ("气温", 1.5),
    ("降温", 1.3),
    ("台风", 1.3),
    ("python", 1.5),
    ("rust", 1.3),
    ("java", 1.5),
    ("sql", 1.5),
    ("linux", 1.5),
    ("docker", 1.5),
    ("git", 1.3),
    ("代码", 1.3),
    ("编程", 1.5),
    ("程序", 1.0),
    ("排序", 1.0),
    ("电脑", 1.0),
    ("手机", 0.8),
    ("截图", 1.1),
    ("做法", 1.1),
    ("食谱", 1.5),
    ("菜谱", 1.5),
    ("怎么做", 0.4),
    ("好吃", 1.1),
    ("餐厅", 1.3),
    ("放多少盐", 1.5),
    ("鸡蛋", 1.1),
    ("米饭", 1.1),
    ("烹饪", 1.5),
    ("比分", 1.5),
    ("比赛", 1.3),
    ("世界杯", 1.5),
    ("nba", 1.5),
    ("篮球", 1.3),
    ("足球", 1.3),
    ("乒乓球", 1.3),
    ("羽毛球", 1.3),
    ("冠军", 1.0),
    ("方程", 1.5),
    ("等于几", 1.5),
    ("等于多少", 1.5),
    ("乘以", 1.3),
    ("公式", 1.3),
    ("面积", 1.0),
    ("圆周率", 1.5),
    ("定理", 1.3),
    ("翻译", 1.3),
    ("英文", 1.0),
    ("英语", 1.0),
    ("笑话", 1.5),
    ("写一首", 1.3),
    ("电影", 1.3),
    ("新歌", 1.3),
    ("高铁", 1.3),
    ("机票", 1.3),
    ("汇率", 1.5),
    ("油价", 1.5),
    ("指数", 0.8),
    ("收盘", 1.3),
    ("猫咪", 1.3),
    ("狗狗", 1.3),
    ("宠物", 1.3),
    ("植物", 1.0),
    ("沸点", 1.5),
    ("月球", 1.3),
    ("秦始皇", 1.3),
    ("简历", 1.3),
    ("微信", 1.3),
    ("转账", 1.0),
    ("减肥", 1.3),
    ("感冒", 1.3),
    ("吃什么药", 1.5),
    ("爬山", 1.3),
    ("旅游攻略", 1.3),
    ("菜", 0.6),
    ("做饭", 1.5),
];
