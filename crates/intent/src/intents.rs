//! The intents a question can carry, and the rule types each one reads.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// What a fortune-telling question asks about. A question may carry several
/// (multi-label): "今年事业和财运怎么样" is both [`Intent::Career`] and
/// [`Intent::Wealth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// 事业、工作、学业、官运.
    Career,
    /// 财运、投资、收入.
    Wealth,
    /// 婚姻、感情、桃花、子女缘.
    Marriage,
    /// 健康、疾病、意外.
    Health,
    /// 性格、为人、天赋.
    Personality,
    /// 日主旺衰（身强身弱）. The name follows the service's wire contract.
    Wangshui,
    /// 喜用神与忌神.
    Yongji,
    /// 十神.
    Shishen,
    /// 纳音.
    Nayin,
    /// 整体命盘或运势, without a narrower subject.
    General,
}

impl Intent {
    /// Every intent, in a fixed order (the order of scores and reports).
    pub const ALL: [Intent; 10] = [
        Intent::Career,
        Intent::Wealth,
        Intent::Marriage,
        Intent::Health,
        Intent::Personality,
        Intent::Wangshui,
        Intent::Yongji,
        Intent::Shishen,
        Intent::Nayin,
        Intent::General,
    ];

    /// The snake-case English name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Career => "career",
            Intent::Wealth => "wealth",
            Intent::Marriage => "marriage",
            Intent::Health => "health",
            Intent::Personality => "personality",
            Intent::Wangshui => "wangshui",
            Intent::Yongji => "yongji",
            Intent::Shishen => "shishen",
            Intent::Nayin => "nayin",
            Intent::General => "general",
        }
    }

    /// The Chinese name, for reasoning text and messages.
    pub fn label_zh(self) -> &'static str {
        match self {
            Intent::Career => "事业",
            Intent::Wealth => "财运",
            Intent::Marriage => "婚姻感情",
            Intent::Health => "健康",
            Intent::Personality => "性格",
            Intent::Wangshui => "旺衰",
            Intent::Yongji => "喜用忌神",
            Intent::Shishen => "十神",
            Intent::Nayin => "纳音",
            Intent::General => "综合运势",
        }
    }

    /// Position in [`Intent::ALL`], for per-intent arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The rule types of the project's rule corpus (`bazi-rules`) that
    /// answer this intent. The corpus has no topic types such as "career";
    /// its types are chart facts, so each intent maps to the facts a reading
    /// of that topic is built from: 官杀/财星 are ten gods, the spouse star
    /// and palace live in `rizhu_gender`, 桃花 is a `deity`, and so on.
    pub fn rule_types(self) -> &'static [&'static str] {
        match self {
            Intent::Career => &["ten_god", "wangshuai", "xishen"],
            Intent::Wealth => &["ten_god", "xishen", "element"],
            Intent::Marriage => &["rizhu_gender", "relation", "deity"],
            Intent::Health => &["element", "season_day_master", "wangshuai"],
            Intent::Personality => &["day_master", "rizhu_gender", "month_stage"],
            Intent::Wangshui => &["wangshuai", "season_day_master", "month_stage"],
            Intent::Yongji => &["xishen", "wangshuai", "element"],
            Intent::Shishen => &["ten_god"],
            Intent::Nayin => &["nayin"],
            Intent::General => &["rizhu_gender", "day_master", "wangshuai", "xishen"],
        }
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`Intent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown intent {0:?}; expected one of career, wealth, marriage, health, personality, wangshui, yongji, shishen, nayin, general")]
pub struct UnknownIntent(pub String);

impl FromStr for Intent {
    type Err = UnknownIntent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Intent::ALL
            .into_iter()
            .find(|i| i.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownIntent(s.to_owned()))
    }
}

/// Rule types for a set of intents, deduplicated, in first-seen order.
pub fn rule_types_for(intents: &[Intent]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in intents.iter().flat_map(|i| i.rule_types()) {
        if !out.iter().any(|o| o == t) {
            out.push((*t).to_owned());
        }
    }
    out
}

/// Comma-separated names, as stored in the database and the labeled set.
pub fn join(intents: &[Intent]) -> String {
    intents
        .iter()
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The name of "no intent: not about fortune telling" where intent names are
/// written (the labeled set, feedback corrections on the wire and in
/// storage, report patterns). It is no [`Intent`]: an off-topic question
/// has none.
pub const OFF_TOPIC: &str = "off_topic";

/// A set of intents as reports show it: comma-separated names, or
/// [`OFF_TOPIC`] for the empty set (an answer or a truth without intents).
pub fn label(intents: &[Intent]) -> String {
    if intents.is_empty() {
        OFF_TOPIC.to_owned()
    } else {
        join(intents)
    }
}

/// The intents sorted and without repeats: the form sets are compared in.
pub fn sorted_set(intents: &[Intent]) -> Vec<Intent> {
    let mut v = intents.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Parses a comma-separated list, skipping names this version does not know
/// (a newer library may have written them); sorted and deduplicated.
pub fn parse_list_lenient(s: &str) -> Vec<Intent> {
    let v: Vec<Intent> = s
        .split(',')
        .filter_map(|p| p.parse::<Intent>().ok())
        .collect();
    sorted_set(&v)
}

/// Deserialises a map keyed by intent names (a stored version's lexicon,
/// classifier heads and prototypes), skipping names this release does not
/// know. A newer release may add an intent; its versions must still load in
/// an older release that runs beside it during a swap, answering with the
/// intents it knows instead of failing every call.
pub(crate) fn lenient_map<'de, D, V>(deserializer: D) -> Result<BTreeMap<Intent, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    let named = BTreeMap::<String, V>::deserialize(deserializer)?;
    Ok(named
        .into_iter()
        .filter_map(|(name, value)| name.parse::<Intent>().ok().map(|intent| (intent, value)))
        .collect())
}
