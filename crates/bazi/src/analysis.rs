//! Judgements on a chart: day-master strength (旺衰), favourable and
//! unfavourable elements (喜用神 / 忌神), element balance, ten-god energy,
//! and the day pillar's facts. Each analyzer is a pure function of the
//! chart, with its method and weights written down beside it.
//! [`StrengthLevel`] is shared with the rule engine (`bazi-rules`): its
//! variants, their order and their names (`从弱` … `从强`) are fixed.
//!
//! ```
//! use bazi::analysis::{self, StrengthLevel};
//! let input = bazi::BirthInput::parse("1990-01-15", "12:00", "male")?;
//! let chart = bazi::chart(&input)?;
//! let s = analysis::wangshuai(&chart);
//! assert_eq!(s.level, StrengthLevel::ZhongHe); // score 9.4
//! let all = analysis::run_all(&chart);
//! assert_eq!(all.rizhu_gender.ganzhi.to_string(), "庚辰");
//! # Ok::<(), bazi::InputError>(())
//! ```
//!
//! # Hidden-stem shares
//!
//! Wherever a branch counts, its weight is shared over its hidden stems
//! ([`HIDDEN_STEM_SHARES`], main / middle / residual): one stem 1.0; two
//! stems 0.7 + 0.3 (午 丁己, 亥 壬甲); three stems 0.6 + 0.3 + 0.1.
//!
//! # Strength (`wangshuai`)
//!
//! A score of −100 ..= 100: every point is *for* the day master when the
//! character is its own element or its resource (比劫, 印) and *against* it
//! otherwise (食伤, 财, 官杀). `score = support − opposition` =
//! Σ `contributions[].points`.
//!
//! | factor | source | points |
//! |--------|--------|--------|
//! | 得令 | month branch element → 旺 相 休 囚 死 ([`SeasonState`]) | +30, +21, −9, −18, −30 |
//! | 得地 | every hidden stem of the year, month, day, hour branch | ± 8, 12, 12, 8 × share |
//! | 得势 | the year, month, hour stem | ± 8, 12, 10 |
//!
//! 得令 uses the month branch's own element (辰戌丑未 are 土), 当令者旺, 令生者相,
//! 生令者休, 克令者囚, 令克者死. The month branch also counts under 得地, so the
//! month carries 42 of the 100 points. 合化, clashes and 墓库 change nothing.
//!
//! ## Levels
//!
//! | score | level |
//! |-------|-------|
//! | ≥ 75 | 从强 (opposition ≤ ~12 points: at most one small stem or branch against, and the month for it) |
//! | 10 < score < 75 | 身强 |
//! | −10 ..= 10 | 中和 |
//! | −75 < score < −10 | 身弱 |
//! | ≤ −75 | 从弱 (support ≤ ~12 points) |
//!
//! # Favourable elements (`xishen_jishen`)
//!
//! Every element is exactly one of favourable (用神 first, then 喜神),
//! unfavourable (忌神) or neutral (闲神), each with its reasons. By level
//! (see [`xishen_jishen_from`] for the table): 身强 favours 食伤 财 官杀 and
//! avoids 比劫 印; 身弱 the reverse; 从强 follows the strength (比劫 印 good,
//! 财 官杀 bad); 从弱 follows the heaviest of 食伤 / 财 / 官杀; 中和 favours
//! the two lightest elements and avoids the heaviest. Then 调候: a chart born
//! in 亥子丑 needs 火, one born in 巳午未 needs 水, unless that element
//! already has 20 % of the balance or a 从 level rules against it. The 用神
//! is the followed element for 从 levels, else an applied 调候 element, else
//! the lightest favourable element. Favourable and unfavourable are never
//! empty.
//!
//! # Element balance (`wuxing_balance`)
//!
//! Four stems at 1 each plus four branches at 1 each (shared over hidden
//! stems) = 8; percent = weight / 8 × 100 (exact multiples of 1.25, summing
//! to 100). Missing: 0; weak: below 10 %; excessive: 35 % or more.
//!
//! # Ten-god energy (`ten_gods_energy`)
//!
//! Year, month, hour stems at 1 each (the day stem is the reference) plus
//! four branches at 1 each (shared) = 7; groups 比劫 印 食伤 财 官杀 are the
//! sums of their two members.
//!
//! # Day pillar (`rizhu_gender`)
//!
//! The day pillar, its 纳音, 自坐 (day stem on day branch), the day branch's
//! hidden stems with their ten gods, every branch relation of the chart that
//! involves the day branch (the spouse palace), the gender and the spouse
//! star (财 for a man, 官杀 for a woman).
//!
//! # JSON shapes
//!
//! ([`AnalysisResult`] is untagged: each analysis serialises as its own value;
//! [`Analyses`] as `{"wangshuai": …, "xishen_jishen": …, "wuxing_balance": …,
//! "ten_gods_energy": …, "rizhu_gender": …}`.) For 1990-01-15 12:00 male:
//!
//! ```json
//! // wangshuai
//! {"day_master": "庚", "day_master_element": "金", "score": 9.4, "level": "中和",
//!  "support": 50.2, "opposition": 40.8,
//!  "month": {"branch": "丑", "element": "土", "season": "冬", "state": "相"},
//!  "factors": {"得令": 21.0, "得地": 2.4, "得势": -14.0},
//!  "contributions": [
//!    {"factor": "得令", "position": "month", "part": "branch", "character": "丑", "element": "土",
//!     "relation": "印", "weight": 30.0, "share": 0.7, "points": 21.0},
//!    {"factor": "得地", "position": "year", "part": "hidden_stem", "character": "丙", "element": "火",
//!     "relation": "官杀", "ten_god": "七杀", "weight": 8.0, "share": 0.6, "points": -4.8},
//!    …,
//!    {"factor": "得势", "position": "hour", "part": "stem", "character": "壬", "element": "水",
//!     "relation": "食伤", "ten_god": "食神", "weight": 10.0, "share": 1.0, "points": -10.0}]}
//! // xishen_jishen
//! {"level": "中和", "score": 9.4, "yongshen": "木",
//!  "favourable": [{"element": "木", "group": "财", "role": "用神", "percent": 3.75,
//!                  "reasons": [{"basis": "平衡", "text": "中和，财（木）偏少（3.75%），补之求平衡"}]},
//!                 {"element": "金", "group": "比劫", "role": "喜神", "percent": 17.5, "reasons": […]}],
//!  "unfavourable": [{"element": "土", "group": "印", "role": "忌神", "percent": 32.5, "reasons": […]}],
//!  "neutral": [{"element": "水", …}, {"element": "火", …}],
//!  "tiaohou": {"month_branch": "丑", "season": "冬", "needed": "火", "applied": false,
//!              "note": "生于丑月（冬），火已有28.75%，调候已足"}}
//! // wuxing_balance
//! {"total": 8.0,
//!  "elements": [{"element": "木", "weight": 0.3, "stems": 0.0, "hidden": 0.3, "percent": 3.75, "state": "weak"}, …],
//!  "missing": [], "weak": ["木"], "excessive": [], "strongest": "土", "weakest": "木"}
//! // ten_gods_energy
//! {"total": 7.0,
//!  "ten_gods": [{"ten_god": "比肩", "group": "比劫", "weight": 0.3, "stems": 0.0, "hidden": 0.3, "percent": 4.29}, …],
//!  "groups": [{"group": "比劫", "element": "金", "members": ["比肩", "劫财"], "weight": 0.4, "percent": 5.71}, …],
//!  "dominant": "印"}
//! // rizhu_gender
//! {"ganzhi": "庚辰", "stem": "庚", "stem_element": "金", "branch": "辰", "branch_element": "土",
//!  "nayin": "白蜡金", "self_sitting": "养", "stem_branch_relation": "generated_by",
//!  "hidden_stems": [{"stem": "戊", "element": "土", "ten_god": "偏印", "share": 0.6}, …],
//!  "spouse_palace_relations": [{"kind": "六破", "branches": ["丑", "辰"], "pillars": ["month", "day"]}],
//!  "gender": "male",
//!  "spouse_star": {"group": "财", "element": "木", "primary": "正财", "weight": 0.3,
//!                  "in_stems": [], "in_spouse_palace": true}}
//! ```

use serde::{Serialize, Serializer};

use crate::chart::Chart;
use crate::ganzhi::{serialize_as_str, Branch, Element, ElementRelation, Nayin, Pillar, Stem};
use crate::input::Gender;
use crate::life_stages::LifeStage;
use crate::pillars::PillarPosition;
use crate::relations::BranchRelation;
use crate::ten_gods::TenGod;

/// Day-master strength, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum StrengthLevel {
    /// 从弱: so weak that it follows the stronger elements.
    #[serde(rename = "从弱")]
    CongRuo,
    /// 身弱
    #[serde(rename = "身弱")]
    ShenRuo,
    /// 中和: balanced.
    #[serde(rename = "中和")]
    ZhongHe,
    /// 身强
    #[serde(rename = "身强")]
    ShenQiang,
    /// 从强: so strong that it is followed.
    #[serde(rename = "从强")]
    CongQiang,
}

impl StrengthLevel {
    /// Every level, weakest first.
    pub const ALL: [StrengthLevel; 5] = [
        StrengthLevel::CongRuo,
        StrengthLevel::ShenRuo,
        StrengthLevel::ZhongHe,
        StrengthLevel::ShenQiang,
        StrengthLevel::CongQiang,
    ];

    /// The Chinese name (`身强`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StrengthLevel::CongRuo => "从弱",
            StrengthLevel::ShenRuo => "身弱",
            StrengthLevel::ZhongHe => "中和",
            StrengthLevel::ShenQiang => "身强",
            StrengthLevel::CongQiang => "从强",
        }
    }

    /// Parses the Chinese name.
    pub fn parse(name: &str) -> Option<StrengthLevel> {
        StrengthLevel::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

impl std::fmt::Display for StrengthLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl StrengthLevel {
    /// The level of a [`Strength::score`], by the thresholds in the
    /// module documentation: `score ≥ 75` 从强, `score > 10`
    /// 身强, `−10 ≤ score ≤ 10` 中和, `score > −75` 身弱, otherwise 从弱.
    pub fn from_score(score: f64) -> StrengthLevel {
        if score >= CONG_QIANG_MIN {
            StrengthLevel::CongQiang
        } else if score > ZHONG_HE_MAX {
            StrengthLevel::ShenQiang
        } else if score >= ZHONG_HE_MIN {
            StrengthLevel::ZhongHe
        } else if score > CONG_RUO_MAX {
            StrengthLevel::ShenRuo
        } else {
            StrengthLevel::CongRuo
        }
    }

    /// 从强 or 从弱: the chart follows one side instead of being balanced.
    pub const fn is_following(self) -> bool {
        matches!(self, StrengthLevel::CongQiang | StrengthLevel::CongRuo)
    }
}

// ---------------------------------------------------------------------------
// Weights and thresholds
// ---------------------------------------------------------------------------

/// Share of each hidden stem in its branch, in tenths, indexed by the number
/// of hidden stems minus one (main / middle / residual order): one stem 10;
/// two stems 7 + 3; three stems 6 + 3 + 1. Every branch thus totals 1.
pub const HIDDEN_STEM_SHARES: [&[u8]; 3] = [&[10], &[7, 3], &[6, 3, 1]];

/// 得令 (month command): points at stake for the month branch's season.
pub const MONTH_COMMAND_WEIGHT: u8 = 30;

/// 得令 share (tenths of [`MONTH_COMMAND_WEIGHT`]) per season state, in
/// [`SeasonState::ALL`] order (旺 相 休 囚 死): 10, 7, 3, 6, 10. 旺 and 相
/// count for the day master (+30, +21), 休 囚 死 against it (−9, −18, −30).
pub const SEASON_SHARES: [u8; 5] = [10, 7, 3, 6, 10];

/// 得势: points of each stem by pillar (year, month, day, hour); the day stem
/// is the day master itself and counts 0. Month 12 and hour 10 stand next to
/// the day master, the year 8.
pub const STEM_WEIGHTS: [u8; 4] = [8, 12, 0, 10];

/// 得地: points of each branch by pillar (year, month, day, hour), shared out
/// over its hidden stems by [`HIDDEN_STEM_SHARES`]. The day branch (坐下) and
/// the month branch weigh 12, the year and hour branches 8.
pub const BRANCH_WEIGHTS: [u8; 4] = [8, 12, 12, 8];

/// Lowest score that is 从强.
pub const CONG_QIANG_MIN: f64 = 75.0;
/// Highest score that is 中和 (above it: 身强).
pub const ZHONG_HE_MAX: f64 = 10.0;
/// Lowest score that is 中和 (below it: 身弱).
pub const ZHONG_HE_MIN: f64 = -10.0;
/// Highest score that is 从弱.
pub const CONG_RUO_MAX: f64 = -75.0;

/// An element is *excessive* in [`Balance`] from this percentage up.
pub const EXCESSIVE_PERCENT: f64 = 35.0;
/// A present element is *weak* in [`Balance`] below this percentage.
pub const WEAK_PERCENT: f64 = 10.0;
/// 调候 applies only while the needed element's [`Balance`] share is below
/// this percentage (an even share of five); from here up the chart is
/// already warmed (cooled) enough.
pub const TIAOHOU_ENOUGH_PERCENT: f64 = 20.0;

/// Total weight in [`Balance`]: four stems at 1 and four branches at 1.
const BALANCE_TOTAL_TENTHS: u32 = 80;
/// Total weight in [`TenGodEnergy`]: three stems (day stem excluded) and four branches.
const ENERGY_TOTAL_TENTHS: u32 = 70;

fn tenths(t: i32) -> f64 {
    f64::from(t) / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Hidden stems of `branch` with their share in tenths.
fn hidden_tenths(branch: Branch) -> impl Iterator<Item = (Stem, u8)> {
    let hidden = branch.hidden_stems();
    hidden
        .iter()
        .copied()
        .zip(HIDDEN_STEM_SHARES[hidden.len() - 1].iter().copied())
}

/// Hidden stems of `branch` with their share (summing to 1), in main /
/// middle / residual order, e.g. 丑 → 己 0.6, 癸 0.3, 辛 0.1.
pub fn hidden_stem_shares(branch: Branch) -> impl Iterator<Item = (Stem, f64)> {
    hidden_tenths(branch).map(|(s, t)| (s, tenths(t.into())))
}

// ---------------------------------------------------------------------------
// Shared vocabulary
// ---------------------------------------------------------------------------

/// The five ten-god groups, i.e. the five elements seen from the day master:
/// 比劫 (same), 印 (generates it), 食伤 (it generates), 财 (it controls),
/// 官杀 (controls it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TenGodGroup {
    /// 比劫: 比肩 + 劫财, the day master's own element.
    BiJie,
    /// 印: 偏印 + 正印, the element that generates the day master.
    Yin,
    /// 食伤: 食神 + 伤官, the element the day master generates.
    ShiShang,
    /// 财: 偏财 + 正财, the element the day master controls.
    Cai,
    /// 官杀: 七杀 + 正官, the element that controls the day master.
    GuanSha,
}

impl TenGodGroup {
    /// All groups: 比劫, 印, 食伤, 财, 官杀.
    pub const ALL: [TenGodGroup; 5] = [
        TenGodGroup::BiJie,
        TenGodGroup::Yin,
        TenGodGroup::ShiShang,
        TenGodGroup::Cai,
        TenGodGroup::GuanSha,
    ];

    /// Chinese name, e.g. `"官杀"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TenGodGroup::BiJie => "比劫",
            TenGodGroup::Yin => "印",
            TenGodGroup::ShiShang => "食伤",
            TenGodGroup::Cai => "财",
            TenGodGroup::GuanSha => "官杀",
        }
    }

    /// Position in [`TenGodGroup::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Steps from the day master's element along the generating cycle
    /// (比劫 0, 食伤 1, 财 2, 官杀 3, 印 4); also the ten gods' pair index.
    const fn cycle_offset(self) -> usize {
        match self {
            TenGodGroup::BiJie => 0,
            TenGodGroup::ShiShang => 1,
            TenGodGroup::Cai => 2,
            TenGodGroup::GuanSha => 3,
            TenGodGroup::Yin => 4,
        }
    }

    const fn from_cycle_offset(k: usize) -> TenGodGroup {
        match k % 5 {
            0 => TenGodGroup::BiJie,
            1 => TenGodGroup::ShiShang,
            2 => TenGodGroup::Cai,
            3 => TenGodGroup::GuanSha,
            _ => TenGodGroup::Yin,
        }
    }

    /// The group of element `e` for a day master of element `day_master`.
    pub const fn of_element(day_master: Element, e: Element) -> TenGodGroup {
        Self::from_cycle_offset(e.index() + 5 - day_master.index())
    }

    /// The group a ten god belongs to.
    pub const fn of_ten_god(god: TenGod) -> TenGodGroup {
        Self::from_cycle_offset(god.index() / 2)
    }

    /// The element of this group for a day master of element `day_master`.
    pub const fn element(self, day_master: Element) -> Element {
        Element::from_index(day_master.index() + self.cycle_offset())
    }

    /// The two ten gods of the group, same polarity first (e.g. 七杀, 正官).
    pub const fn members(self) -> [TenGod; 2] {
        let k = self.cycle_offset() * 2;
        [TenGod::ALL[k], TenGod::ALL[k + 1]]
    }

    /// 比劫 and 印 support the day master; the other three drain, consume or
    /// control it.
    pub const fn supports(self) -> bool {
        matches!(self, TenGodGroup::BiJie | TenGodGroup::Yin)
    }

    /// The group whose element generates this one's.
    const fn generated_by(self) -> TenGodGroup {
        Self::from_cycle_offset(self.cycle_offset() + 4)
    }

    /// The group whose element this one's generates.
    const fn generates(self) -> TenGodGroup {
        Self::from_cycle_offset(self.cycle_offset() + 1)
    }

    /// The group whose element controls this one's.
    const fn controlled_by(self) -> TenGodGroup {
        Self::from_cycle_offset(self.cycle_offset() + 3)
    }
}

/// 旺相休囚死 of the day master's element in the month of birth:
/// 当令者旺, 令生者相, 生令者休, 克令者囚, 令克者死.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeasonState {
    /// 旺: the month branch has the day master's element.
    Wang,
    /// 相: the month branch's element generates the day master.
    Xiang,
    /// 休: the day master generates the month branch's element.
    Xiu,
    /// 囚: the day master controls the month branch's element.
    Qiu,
    /// 死: the month branch's element controls the day master.
    Si,
}

impl SeasonState {
    /// 旺, 相, 休, 囚, 死.
    pub const ALL: [SeasonState; 5] = [
        SeasonState::Wang,
        SeasonState::Xiang,
        SeasonState::Xiu,
        SeasonState::Qiu,
        SeasonState::Si,
    ];

    /// State of a day master of element `day_master` in a month branch of element `month`.
    pub const fn of(day_master: Element, month: Element) -> SeasonState {
        match day_master.relation_to(month) {
            ElementRelation::Same => SeasonState::Wang,
            ElementRelation::GeneratedBy => SeasonState::Xiang,
            ElementRelation::Generate => SeasonState::Xiu,
            ElementRelation::Control => SeasonState::Qiu,
            ElementRelation::ControlledBy => SeasonState::Si,
        }
    }

    /// Chinese name, e.g. `"相"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SeasonState::Wang => "旺",
            SeasonState::Xiang => "相",
            SeasonState::Xiu => "休",
            SeasonState::Qiu => "囚",
            SeasonState::Si => "死",
        }
    }

    /// Whether this state counts for the day master (旺, 相).
    pub const fn supports(self) -> bool {
        matches!(self, SeasonState::Wang | SeasonState::Xiang)
    }
}

/// The season of a month branch: 寅卯辰 春, 巳午未 夏, 申酉戌 秋, 亥子丑 冬.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Season {
    /// 春 (寅卯辰)
    Spring,
    /// 夏 (巳午未)
    Summer,
    /// 秋 (申酉戌)
    Autumn,
    /// 冬 (亥子丑)
    Winter,
}

impl Season {
    /// The season of the month whose branch is `month`.
    pub const fn of(month: Branch) -> Season {
        match (month.index() + 10) % 12 / 3 {
            0 => Season::Spring,
            1 => Season::Summer,
            2 => Season::Autumn,
            _ => Season::Winter,
        }
    }

    /// Chinese name, e.g. `"冬"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Season::Spring => "春",
            Season::Summer => "夏",
            Season::Autumn => "秋",
            Season::Winter => "冬",
        }
    }

    /// The element 调候 asks for: 火 in winter (cold), 水 in summer (hot), none otherwise.
    pub const fn tiaohou_element(self) -> Option<Element> {
        match self {
            Season::Winter => Some(Element::Fire),
            Season::Summer => Some(Element::Water),
            Season::Spring | Season::Autumn => None,
        }
    }
}

serialize_as_str!(TenGodGroup, SeasonState, Season);

// ---------------------------------------------------------------------------
// 1. 旺衰
// ---------------------------------------------------------------------------

/// Which of the three strength factors a contribution belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Factor {
    /// 得令: the month branch's season.
    DeLing,
    /// 得地: hidden stems of the four branches.
    DeDi,
    /// 得势: the year, month and hour stems.
    DeShi,
}

impl Factor {
    /// `"得令"`, `"得地"` or `"得势"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Factor::DeLing => "得令",
            Factor::DeDi => "得地",
            Factor::DeShi => "得势",
        }
    }
}

/// Which character of a pillar a contribution comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The heavenly stem (`"stem"`).
    Stem,
    /// The branch as a whole (`"branch"`; the month command).
    Branch,
    /// One hidden stem of the branch (`"hidden_stem"`).
    HiddenStem,
}

impl Part {
    /// `"stem"`, `"branch"` or `"hidden_stem"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Stem => "stem",
            Part::Branch => "branch",
            Part::HiddenStem => "hidden_stem",
        }
    }
}

serialize_as_str!(Factor, Part);

/// One line of the strength computation: `points = ±weight × share`, `+`
/// when `relation` is 比劫 or 印, `−` otherwise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contribution {
    /// 得令, 得地 or 得势.
    pub factor: Factor,
    /// The pillar.
    pub position: PillarPosition,
    /// Stem, branch (month command) or hidden stem.
    pub part: Part,
    /// The character, e.g. `"丑"` or `"癸"`.
    pub character: &'static str,
    /// Its element.
    pub element: Element,
    /// Its group relative to the day master.
    pub relation: TenGodGroup,
    /// Its ten god (stems and hidden stems only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ten_god: Option<TenGod>,
    /// Points of the position ([`MONTH_COMMAND_WEIGHT`], [`STEM_WEIGHTS`], [`BRANCH_WEIGHTS`]).
    pub weight: f64,
    /// Hidden-stem share ([`HIDDEN_STEM_SHARES`]), season share
    /// ([`SEASON_SHARES`]) for the month command, 1 for a stem.
    pub share: f64,
    /// Signed points: positive supports the day master.
    pub points: f64,
}

impl Contribution {
    /// Whether this contribution counts for the day master.
    pub fn supports(&self) -> bool {
        self.relation.supports()
    }
}

/// The month command: month branch, its element and the day master's state in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MonthCommand {
    /// The month branch.
    pub branch: Branch,
    /// Its element.
    pub element: Element,
    /// Its season.
    pub season: Season,
    /// 旺相休囚死 of the day master.
    pub state: SeasonState,
}

/// Score per factor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FactorScores {
    /// 得令 (−30 ..= +30).
    #[serde(rename = "得令")]
    pub de_ling: f64,
    /// 得地 (−40 ..= +40).
    #[serde(rename = "得地")]
    pub de_di: f64,
    /// 得势 (−30 ..= +30).
    #[serde(rename = "得势")]
    pub de_shi: f64,
}

/// Day-master strength (旺衰). See the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Strength {
    /// The day stem.
    pub day_master: Stem,
    /// Its element.
    pub day_master_element: Element,
    /// Σ `contributions[].points`, in −100 ..= 100.
    pub score: f64,
    /// Level by [`StrengthLevel::from_score`].
    pub level: StrengthLevel,
    /// Σ of the positive points.
    pub support: f64,
    /// Σ of the negative points, as a positive number (`score = support − opposition`).
    pub opposition: f64,
    /// The month command.
    pub month: MonthCommand,
    /// `score` split by factor.
    pub factors: FactorScores,
    /// Every line of the computation: 得令, then 得地 (year, month, day, hour
    /// branch, hidden stems in main / middle / residual order), then 得势
    /// (year, month, hour stem).
    pub contributions: Vec<Contribution>,
}

/// Day-master strength (旺衰): 得令 + 得地 + 得势, −100 ..= 100.
///
/// * 得令: the month branch's element gives the day master a season state
///   ([`SeasonState`]); points = ±30 × share ([`SEASON_SHARES`]): 旺 +30,
///   相 +21, 休 −9, 囚 −18, 死 −30.
/// * 得地: every hidden stem of every branch: ± branch weight
///   ([`BRANCH_WEIGHTS`]: 8 12 12 8) × share ([`HIDDEN_STEM_SHARES`]).
/// * 得势: the year, month and hour stems: ± [`STEM_WEIGHTS`] (8, 12, 10).
///
/// `+` when the character is the day master's element or its resource (比劫,
/// 印), `−` otherwise. Combinations (合化), clashes and 墓库 do not change
/// any weight. The month branch counts twice, as season (30) and as a root
/// (12), so the month carries 42 of the 100 points.
pub fn wangshuai(chart: &Chart) -> Strength {
    let pillars = chart.pillars();
    let dm = chart.day_master();
    let dme = dm.element();
    let mut contributions = Vec::with_capacity(16);
    let mut totals = [0i32; 3];
    let (mut support, mut opposition) = (0i32, 0i32);
    let mut push = |factor: Factor,
                    position: PillarPosition,
                    part: Part,
                    character: &'static str,
                    element: Element,
                    ten_god: Option<TenGod>,
                    weight: u8,
                    share_tenths: u8| {
        let relation = TenGodGroup::of_element(dme, element);
        let magnitude = i32::from(weight) * i32::from(share_tenths);
        let points = if relation.supports() {
            support += magnitude;
            magnitude
        } else {
            opposition += magnitude;
            -magnitude
        };
        totals[factor as usize] += points;
        contributions.push(Contribution {
            factor,
            position,
            part,
            character,
            element,
            relation,
            ten_god,
            weight: f64::from(weight),
            share: tenths(share_tenths.into()),
            points: tenths(points),
        });
    };

    let month_branch = pillars.month.branch;
    let state = SeasonState::of(dme, month_branch.element());
    push(
        Factor::DeLing,
        PillarPosition::Month,
        Part::Branch,
        month_branch.as_str(),
        month_branch.element(),
        None,
        MONTH_COMMAND_WEIGHT,
        SEASON_SHARES[state as usize],
    );
    for (pos, p) in pillars.iter() {
        for (stem, share) in hidden_tenths(p.branch) {
            push(
                Factor::DeDi,
                pos,
                Part::HiddenStem,
                stem.as_str(),
                stem.element(),
                Some(TenGod::of(dm, stem)),
                BRANCH_WEIGHTS[pos.index()],
                share,
            );
        }
    }
    for (pos, p) in pillars.iter() {
        if pos != PillarPosition::Day {
            push(
                Factor::DeShi,
                pos,
                Part::Stem,
                p.stem.as_str(),
                p.stem.element(),
                Some(TenGod::of(dm, p.stem)),
                STEM_WEIGHTS[pos.index()],
                10,
            );
        }
    }

    let score = tenths(support - opposition);
    Strength {
        day_master: dm,
        day_master_element: dme,
        score,
        level: StrengthLevel::from_score(score),
        support: tenths(support),
        opposition: tenths(opposition),
        month: MonthCommand {
            branch: month_branch,
            element: month_branch.element(),
            season: Season::of(month_branch),
            state,
        },
        factors: FactorScores {
            de_ling: tenths(totals[Factor::DeLing as usize]),
            de_di: tenths(totals[Factor::DeDi as usize]),
            de_shi: tenths(totals[Factor::DeShi as usize]),
        },
        contributions,
    }
}

// ---------------------------------------------------------------------------
// 3. 五行平衡 (before 喜忌, which uses it)
// ---------------------------------------------------------------------------

/// Where an element stands in [`Balance`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementState {
    /// Weight 0.
    Missing,
    /// Present, below [`WEAK_PERCENT`].
    Weak,
    /// Between the two thresholds.
    Normal,
    /// At or above [`EXCESSIVE_PERCENT`].
    Excessive,
}

impl ElementState {
    /// `"missing"`, `"weak"`, `"normal"` or `"excessive"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ElementState::Missing => "missing",
            ElementState::Weak => "weak",
            ElementState::Normal => "normal",
            ElementState::Excessive => "excessive",
        }
    }

    fn of_tenths(t: u32) -> ElementState {
        let percent = balance_percent(t);
        if t == 0 {
            ElementState::Missing
        } else if percent < WEAK_PERCENT {
            ElementState::Weak
        } else if percent >= EXCESSIVE_PERCENT {
            ElementState::Excessive
        } else {
            ElementState::Normal
        }
    }
}

serialize_as_str!(ElementState);

/// One element's weight in [`Balance`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ElementWeight {
    /// The element.
    pub element: Element,
    /// `stems + hidden`, out of 8.
    pub weight: f64,
    /// From the four stems (1 each).
    pub stems: f64,
    /// From the hidden stems (by share).
    pub hidden: f64,
    /// `weight / 8 × 100`; exact (multiples of 1.25).
    pub percent: f64,
    /// Missing, weak, normal or excessive.
    pub state: ElementState,
}

/// Element balance (五行). See the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Balance {
    /// Total weight: 8 (four stems, four branches).
    pub total: f64,
    /// The five elements in generating order 木 火 土 金 水.
    pub elements: [ElementWeight; 5],
    /// Elements of weight 0.
    pub missing: Vec<Element>,
    /// Present elements below [`WEAK_PERCENT`].
    pub weak: Vec<Element>,
    /// Elements at or above [`EXCESSIVE_PERCENT`].
    pub excessive: Vec<Element>,
    /// The heaviest element (first in generating order on a tie).
    pub strongest: Element,
    /// The lightest element (first in generating order on a tie).
    pub weakest: Element,
}

impl Balance {
    /// The entry for `e`.
    pub fn get(&self, e: Element) -> &ElementWeight {
        &self.elements[e.index()]
    }
}

fn balance_percent(t: u32) -> f64 {
    f64::from(t) * 100.0 / f64::from(BALANCE_TOTAL_TENTHS)
}

/// Element weights in tenths: (from stems, from hidden stems).
fn element_tenths(chart: &Chart) -> ([u32; 5], [u32; 5]) {
    let mut stems = [0u32; 5];
    let mut hidden = [0u32; 5];
    for (_, p) in chart.pillars().iter() {
        stems[p.stem.element().index()] += 10;
        for (s, share) in hidden_tenths(p.branch) {
            hidden[s.element().index()] += u32::from(share);
        }
    }
    (stems, hidden)
}

fn element_totals(chart: &Chart) -> [u32; 5] {
    let (s, h) = element_tenths(chart);
    std::array::from_fn(|i| s[i] + h[i])
}

/// Element balance: each of the four stems counts 1 for its element, each
/// branch 1 shared over its hidden stems ([`HIDDEN_STEM_SHARES`]); total 8.
/// Percentages are `weight / 8 × 100`, multiples of 1.25 that sum to exactly
/// 100. `missing`: weight 0; `weak`: present but below [`WEAK_PERCENT`] (10 %,
/// half of an even share); `excessive`: at least [`EXCESSIVE_PERCENT`] (35 %,
/// 1.75 × an even share).
pub fn wuxing_balance(chart: &Chart) -> Balance {
    let (stems, hidden) = element_tenths(chart);
    let elements: [ElementWeight; 5] = std::array::from_fn(|i| {
        let t = stems[i] + hidden[i];
        ElementWeight {
            element: Element::from_index(i),
            weight: tenths(t as i32),
            stems: tenths(stems[i] as i32),
            hidden: tenths(hidden[i] as i32),
            percent: balance_percent(t),
            state: ElementState::of_tenths(t),
        }
    });
    let with = |state| {
        elements
            .iter()
            .filter(|e| e.state == state)
            .map(|e| e.element)
            .collect::<Vec<_>>()
    };
    let totals = element_totals(chart);
    let strongest = Element::ALL
        .into_iter()
        .rev()
        .max_by_key(|e| totals[e.index()])
        .unwrap_or(Element::Wood);
    let weakest = Element::ALL
        .into_iter()
        .min_by_key(|e| totals[e.index()])
        .unwrap_or(Element::Wood);
    Balance {
        total: tenths(BALANCE_TOTAL_TENTHS as i32),
        missing: with(ElementState::Missing),
        weak: with(ElementState::Weak),
        excessive: with(ElementState::Excessive),
        elements,
        strongest,
        weakest,
    }
}

// ---------------------------------------------------------------------------
// 4. 十神能量
// ---------------------------------------------------------------------------

/// One ten god's weight in [`TenGodEnergy`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TenGodWeight {
    /// The ten god.
    pub ten_god: TenGod,
    /// Its group.
    pub group: TenGodGroup,
    /// `stems + hidden`, out of 7.
    pub weight: f64,
    /// From the year, month and hour stems (1 each).
    pub stems: f64,
    /// From the hidden stems (by share).
    pub hidden: f64,
    /// `weight / 7 × 100`, rounded to 0.01.
    pub percent: f64,
}

/// One group's weight in [`TenGodEnergy`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GroupWeight {
    /// The group.
    pub group: TenGodGroup,
    /// Its element for this day master.
    pub element: Element,
    /// Its two ten gods.
    pub members: [TenGod; 2],
    /// Sum of the members' weights.
    pub weight: f64,
    /// `weight / 7 × 100`, rounded to 0.01.
    pub percent: f64,
}

/// Ten-god energy (十神能量). See the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenGodEnergy {
    /// Total weight: 7 (three stems, four branches).
    pub total: f64,
    /// The ten gods in 比肩 … 正印 order, zeros included.
    pub ten_gods: [TenGodWeight; 10],
    /// The groups in 比劫, 印, 食伤, 财, 官杀 order.
    pub groups: [GroupWeight; 5],
    /// The heaviest group (first in that order on a tie).
    pub dominant: TenGodGroup,
}

impl TenGodEnergy {
    /// The entry for `group`.
    pub fn group(&self, group: TenGodGroup) -> &GroupWeight {
        &self.groups[group.index()]
    }

    /// The entry for `god`.
    pub fn ten_god(&self, god: TenGod) -> &TenGodWeight {
        &self.ten_gods[god.index()]
    }
}

/// Ten-god weights in tenths: (from stems, from hidden stems).
fn ten_god_tenths(chart: &Chart) -> ([u32; 10], [u32; 10]) {
    let dm = chart.day_master();
    let mut stems = [0u32; 10];
    let mut hidden = [0u32; 10];
    for (pos, p) in chart.pillars().iter() {
        if pos != PillarPosition::Day {
            stems[TenGod::of(dm, p.stem).index()] += 10;
        }
        for (s, share) in hidden_tenths(p.branch) {
            hidden[TenGod::of(dm, s).index()] += u32::from(share);
        }
    }
    (stems, hidden)
}

fn group_totals(chart: &Chart) -> [u32; 5] {
    let (s, h) = ten_god_tenths(chart);
    std::array::from_fn(|g| {
        TenGodGroup::ALL[g]
            .members()
            .iter()
            .map(|m| s[m.index()] + h[m.index()])
            .sum()
    })
}

fn energy_percent(t: u32) -> f64 {
    round2(f64::from(t) * 100.0 / f64::from(ENERGY_TOTAL_TENTHS))
}

/// Ten-god energy: the year, month and hour stems count 1 for their ten god
/// (the day stem is the reference and is excluded), each branch 1 shared
/// over its hidden stems ([`HIDDEN_STEM_SHARES`]); total 7. Groups are the
/// sums of their two members; percentages are of 7, rounded to 0.01 each
/// (so they sum to 100 within rounding).
pub fn ten_gods_energy(chart: &Chart) -> TenGodEnergy {
    let dme = chart.day_master().element();
    let (stems, hidden) = ten_god_tenths(chart);
    let ten_gods: [TenGodWeight; 10] = std::array::from_fn(|i| {
        let god = TenGod::ALL[i];
        let t = stems[i] + hidden[i];
        TenGodWeight {
            ten_god: god,
            group: TenGodGroup::of_ten_god(god),
            weight: tenths(t as i32),
            stems: tenths(stems[i] as i32),
            hidden: tenths(hidden[i] as i32),
            percent: energy_percent(t),
        }
    });
    let totals = group_totals(chart);
    let groups: [GroupWeight; 5] = std::array::from_fn(|g| {
        let group = TenGodGroup::ALL[g];
        GroupWeight {
            group,
            element: group.element(dme),
            members: group.members(),
            weight: tenths(totals[g] as i32),
            percent: energy_percent(totals[g]),
        }
    });
    let dominant = TenGodGroup::ALL
        .into_iter()
        .rev()
        .max_by_key(|g| totals[g.index()])
        .unwrap_or(TenGodGroup::BiJie);
    TenGodEnergy {
        total: tenths(ENERGY_TOTAL_TENTHS as i32),
        ten_gods,
        groups,
        dominant,
    }
}

// ---------------------------------------------------------------------------
// 2. 喜忌
// ---------------------------------------------------------------------------

/// What a judgement on an element rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Basis {
    /// 旺衰: 身强 / 身弱 (扶抑).
    Strength,
    /// 从格: 从强 / 从弱, following the dominant side.
    Following,
    /// 平衡: 中和, keeping the elements even.
    Balance,
    /// 调候: warming a winter chart, cooling a summer one.
    Season,
}

impl Basis {
    /// `"旺衰"`, `"从格"`, `"平衡"` or `"调候"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Basis::Strength => "旺衰",
            Basis::Following => "从格",
            Basis::Balance => "平衡",
            Basis::Season => "调候",
        }
    }
}

/// Role of an element: 用神 (the first favourable), 喜神 (other favourable),
/// 忌神 (unfavourable), 闲神 (neutral).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// 用神
    Yong,
    /// 喜神
    Xi,
    /// 忌神
    Ji,
    /// 闲神
    Xian,
}

impl Role {
    /// `"用神"`, `"喜神"`, `"忌神"` or `"闲神"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Yong => "用神",
            Role::Xi => "喜神",
            Role::Ji => "忌神",
            Role::Xian => "闲神",
        }
    }
}

serialize_as_str!(Basis, Role);

/// One reason for a judgement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// What it rests on.
    pub basis: Basis,
    /// The reason in words, e.g. `"身弱，印（土）生身"`.
    pub text: String,
}

/// The judgement on one element.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElementJudgement {
    /// The element.
    pub element: Element,
    /// Its group relative to the day master.
    pub group: TenGodGroup,
    /// 用神, 喜神, 忌神 or 闲神.
    pub role: Role,
    /// Its [`Balance`] percentage.
    pub percent: f64,
    /// Why (at least one).
    pub reasons: Vec<Reason>,
}

/// The 调候 check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tiaohou {
    /// The month branch.
    pub month_branch: Branch,
    /// Its season.
    pub season: Season,
    /// 火 in winter, 水 in summer, `null` in spring and autumn.
    pub needed: Option<Element>,
    /// Whether `needed` was made favourable.
    pub applied: bool,
    /// Why (or why not).
    pub note: String,
}

/// Favourable and unfavourable elements (喜用神 / 忌神). See the
/// module documentation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Favourable {
    /// The strength level the judgement starts from.
    pub level: StrengthLevel,
    /// The strength score.
    pub score: f64,
    /// 用神: `favourable[0].element`.
    pub yongshen: Element,
    /// 从弱 only: the group followed (the heaviest of 食伤, 财, 官杀).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<TenGodGroup>,
    /// 用神 then 喜神: the followed group first (从强 比劫, 从弱 D), then an
    /// applied 调候 element, then the lightest first.
    pub favourable: Vec<ElementJudgement>,
    /// 忌神, heaviest first.
    pub unfavourable: Vec<ElementJudgement>,
    /// 闲神, lightest first.
    pub neutral: Vec<ElementJudgement>,
    /// The season check.
    pub tiaohou: Tiaohou,
}

impl Favourable {
    /// The favourable elements, 用神 first.
    pub fn favourable_elements(&self) -> impl Iterator<Item = Element> + '_ {
        self.favourable.iter().map(|j| j.element)
    }

    /// The unfavourable elements, heaviest first.
    pub fn unfavourable_elements(&self) -> impl Iterator<Item = Element> + '_ {
        self.unfavourable.iter().map(|j| j.element)
    }
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Side {
    Favourable,
    Unfavourable,
    #[default]
    Neutral,
}

/// Fixed verdicts (group, side, reason) for 身强, 身弱 and 从强; see the
/// table on [`xishen_jishen_from`].
type Rules = [(TenGodGroup, Side, &'static str); 5];

const SHEN_QIANG_RULES: Rules = {
    use Side::*;
    use TenGodGroup::*;
    [
        (ShiShang, Favourable, "泄秀"),
        (Cai, Favourable, "耗身"),
        (GuanSha, Favourable, "制身"),
        (BiJie, Unfavourable, "再助身"),
        (Yin, Unfavourable, "再生身"),
    ]
};

const SHEN_RUO_RULES: Rules = {
    use Side::*;
    use TenGodGroup::*;
    [
        (Yin, Favourable, "生身"),
        (BiJie, Favourable, "帮身"),
        (ShiShang, Unfavourable, "泄身"),
        (Cai, Unfavourable, "耗身"),
        (GuanSha, Unfavourable, "克身"),
    ]
};

const CONG_QIANG_RULES: Rules = {
    use Side::*;
    use TenGodGroup::*;
    [
        (BiJie, Favourable, "顺其旺势"),
        (Yin, Favourable, "顺其旺势"),
        (Cai, Unfavourable, "逆其旺势"),
        (GuanSha, Unfavourable, "逆其旺势"),
        (ShiShang, Neutral, "泄秀，可有可无"),
    ]
};

/// Side and reasons per group, indexed by [`TenGodGroup::index`].
#[derive(Default)]
struct Verdicts {
    side: [Side; 5],
    reasons: [Vec<Reason>; 5],
}

impl Verdicts {
    fn set(&mut self, g: TenGodGroup, side: Side, basis: Basis, text: String) {
        self.side[g.index()] = side;
        self.reasons[g.index()].push(Reason { basis, text });
    }
}

/// Favourable and unfavourable elements; computes the strength first. Use
/// [`xishen_jishen_from`] when the [`Strength`] is already at hand.
pub fn xishen_jishen(chart: &Chart) -> Favourable {
    xishen_jishen_from(chart, &wangshuai(chart))
}

/// Favourable and unfavourable elements from a known strength (which must be
/// `wangshuai(chart)`). The rules, by group (比劫 印 食伤 财 官杀):
///
/// | level | favourable | unfavourable | neutral |
/// |-------|------------|--------------|---------|
/// | 身强 | 食伤 财 官杀 | 比劫 印 | — |
/// | 身弱 | 印 比劫 | 食伤 财 官杀 | — |
/// | 从强 | 比劫 印 | 财 官杀 | 食伤 |
/// | 从弱 | D, the groups generating D and generated by D (never 比劫 印) | 比劫 印, the group controlling D | the rest |
/// | 中和 | the two lightest elements | the heaviest (other than an applied 调候 element) | the rest |
///
/// D is the heaviest of 食伤, 财, 官杀 in [`ten_gods_energy`]. Then 调候:
/// born in 亥子丑 (winter) the chart needs 火, in 巳午未 (summer) 水; unless
/// that element already has an even share (≥ [`TIAOHOU_ENOUGH_PERCENT`], 20 %
/// of [`Balance`]) or a 从 level rules it unfavourable, it becomes
/// favourable, over a 旺衰 / 平衡 verdict (调候为急).
///
/// Order of `favourable` (its first element is the 用神): for 从弱 the
/// followed group D and for 从强 比劫 first (顺势为先); then an applied 调候
/// element; then the rest lightest first (the most lacking).
pub fn xishen_jishen_from(chart: &Chart, strength: &Strength) -> Favourable {
    use TenGodGroup::{BiJie, Cai, GuanSha, ShiShang, Yin};

    let dme = chart.day_master().element();
    let balance = element_totals(chart);
    let weight_of = |g: TenGodGroup| balance[g.element(dme).index()];
    let name = |g: TenGodGroup| format!("{}（{}）", g.as_str(), g.element(dme).as_str());
    let level = strength.level;

    let mut v = Verdicts::default();

    let month_branch = chart.pillars().month.branch;
    let season = Season::of(month_branch);
    let needed = season.tiaohou_element();
    let needed_group = needed.map(|e| TenGodGroup::of_element(dme, e));
    let abundant =
        needed.is_some_and(|e| balance_percent(balance[e.index()]) >= TIAOHOU_ENOUGH_PERCENT);

    // Every reason reads "<level>，<group>（<element>）<what>".
    let say = |g: TenGodGroup, what: &str| format!("{}，{}{what}", level.as_str(), name(g));
    let mut follows = None;
    match level {
        StrengthLevel::ShenQiang | StrengthLevel::ShenRuo | StrengthLevel::CongQiang => {
            let (basis, rules) = match level {
                StrengthLevel::ShenQiang => (Basis::Strength, &SHEN_QIANG_RULES),
                StrengthLevel::ShenRuo => (Basis::Strength, &SHEN_RUO_RULES),
                _ => (Basis::Following, &CONG_QIANG_RULES),
            };
            for (g, side, what) in rules {
                v.set(*g, *side, basis, say(*g, what));
            }
        }
        StrengthLevel::CongRuo => {
            let b = Basis::Following;
            let groups = group_totals(chart);
            let d = [ShiShang, Cai, GuanSha]
                .into_iter()
                .rev()
                .max_by_key(|g| groups[g.index()])
                .unwrap_or(Cai);
            follows = Some(d);
            v.set(d, Side::Favourable, b, say(d, "为从神，顺其势"));
            let (gen, out, ctrl) = (d.generated_by(), d.generates(), d.controlled_by());
            if !gen.supports() {
                v.set(
                    gen,
                    Side::Favourable,
                    b,
                    say(gen, &format!("生{}", d.as_str())),
                );
            }
            if !out.supports() {
                v.set(
                    out,
                    Side::Favourable,
                    b,
                    say(out, &format!("承{}之势", d.as_str())),
                );
            }
            v.set(BiJie, Side::Unfavourable, b, say(BiJie, "帮身逆势"));
            v.set(Yin, Side::Unfavourable, b, say(Yin, "生身逆势"));
            if !ctrl.supports() && v.side[ctrl.index()] == Side::Neutral {
                let what = format!("克{}逆势", d.as_str());
                v.set(ctrl, Side::Unfavourable, b, say(ctrl, &what));
            }
            for g in TenGodGroup::ALL {
                if v.reasons[g.index()].is_empty() {
                    v.set(g, Side::Neutral, b, say(g, "与从势无涉"));
                }
            }
        }
        StrengthLevel::ZhongHe => {
            let b = Basis::Balance;
            let mut order = TenGodGroup::ALL;
            order.sort_by_key(|g| (weight_of(*g), g.element(dme).index()));
            let applied_group = needed_group.filter(|_| !abundant);
            let heaviest = order
                .into_iter()
                .rev()
                .find(|g| Some(*g) != applied_group)
                .unwrap_or(order[4]);
            for (i, g) in order.into_iter().enumerate() {
                let pct = balance_percent(weight_of(g));
                let (side, what) = if i < 2 {
                    (Side::Favourable, format!("偏少（{pct}%），补之求平衡"))
                } else if g == heaviest {
                    (Side::Unfavourable, format!("最重（{pct}%），忌再增"))
                } else {
                    (Side::Neutral, format!("适中（{pct}%）"))
                };
                v.set(g, side, b, say(g, &what));
            }
        }
    }

    // 调候: "born in the 子 month (winter), …".
    let born = format!("生于{}月（{}）", month_branch.as_str(), season.as_str());
    let mut applied = false;
    let note = match (needed, needed_group) {
        (Some(e), Some(g)) => {
            let pct = balance_percent(balance[e.index()]);
            let feel = if season == Season::Winter {
                "寒"
            } else {
                "燥热"
            };
            if abundant {
                format!("{born}，{e}已有{pct}%，调候已足")
            } else if level.is_following() && v.side[g.index()] == Side::Unfavourable {
                format!("{born}，本需{e}调候，但{level}以顺势为先")
            } else {
                applied = true;
                let text = if v.side[g.index()] == Side::Favourable {
                    format!("{born}，局{feel}，需{e}调候")
                } else {
                    // Overrides a 旺衰 / 平衡 verdict: drop its reason.
                    v.reasons[g.index()].clear();
                    format!("{born}，局{feel}，需{e}调候；调候为急，不以{level}论")
                };
                v.set(g, Side::Favourable, Basis::Season, text.clone());
                text
            }
        }
        _ => format!("{born}，无需调候"),
    };

    let mut by_weight = TenGodGroup::ALL;
    by_weight.sort_by_key(|g| (weight_of(*g), g.element(dme).index()));
    // 从: the followed group leads (顺势为先); then an applied 调候 element
    // (调候为急); then the lightest first.
    let lead = match level {
        StrengthLevel::CongQiang => Some(BiJie),
        StrengthLevel::CongRuo => follows,
        _ => None,
    };
    let rank = |g: &TenGodGroup| {
        if Some(*g) == lead {
            0
        } else if applied && Some(*g) == needed_group {
            1
        } else {
            2
        }
    };
    let mut fav: Vec<TenGodGroup> = by_weight
        .into_iter()
        .filter(|g| v.side[g.index()] == Side::Favourable)
        .collect();
    fav.sort_by_key(rank); // stable: lightest first within a rank
    let unfav = by_weight
        .into_iter()
        .rev()
        .filter(|g| v.side[g.index()] == Side::Unfavourable);
    let neutral = by_weight
        .into_iter()
        .filter(|g| v.side[g.index()] == Side::Neutral);

    let mut judge = |g: TenGodGroup, role: Role| ElementJudgement {
        element: g.element(dme),
        group: g,
        role,
        percent: balance_percent(weight_of(g)),
        reasons: std::mem::take(&mut v.reasons[g.index()]),
    };
    let favourable: Vec<ElementJudgement> = fav
        .iter()
        .enumerate()
        .map(|(i, g)| judge(*g, if i == 0 { Role::Yong } else { Role::Xi }))
        .collect();
    let unfavourable = unfav.map(|g| judge(g, Role::Ji)).collect();
    let neutral = neutral.map(|g| judge(g, Role::Xian)).collect();

    Favourable {
        level,
        score: strength.score,
        yongshen: favourable.first().map(|j| j.element).unwrap_or(dme),
        follows,
        favourable,
        unfavourable,
        neutral,
        tiaohou: Tiaohou {
            month_branch,
            season,
            needed,
            applied,
            note,
        },
    }
}

// ---------------------------------------------------------------------------
// 5. 日柱
// ---------------------------------------------------------------------------

/// A hidden stem of the day branch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HiddenStemFact {
    /// The stem.
    pub stem: Stem,
    /// Its element.
    pub element: Element,
    /// Its ten god relative to the day master.
    pub ten_god: TenGod,
    /// Its share ([`HIDDEN_STEM_SHARES`]).
    pub share: f64,
}

/// The spouse star: 财 for a man (正财 the wife), 官杀 for a woman (正官 the husband).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpouseStar {
    /// 财 or 官杀.
    pub group: TenGodGroup,
    /// Its element.
    pub element: Element,
    /// 正财 (male) or 正官 (female).
    pub primary: TenGod,
    /// The group's weight in [`TenGodEnergy`] (out of 7).
    pub weight: f64,
    /// Pillars whose stem (day excluded) is in the group.
    pub in_stems: Vec<PillarPosition>,
    /// Whether the day branch hides a stem of the group.
    pub in_spouse_palace: bool,
}

/// Day-pillar facts (日柱). See the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RizhuFacts {
    /// The day pillar, e.g. `"庚辰"`.
    #[serde(serialize_with = "serialize_display")]
    pub ganzhi: Pillar,
    /// The day stem.
    pub stem: Stem,
    /// Its element.
    pub stem_element: Element,
    /// The day branch (the spouse palace, 夫妻宫).
    pub branch: Branch,
    /// Its element.
    pub branch_element: Element,
    /// 纳音 of the day pillar.
    pub nayin: Nayin,
    /// 自坐: the day stem's life stage on the day branch.
    pub self_sitting: LifeStage,
    /// The day stem against the day branch's main qi, from the stem's side
    /// (`same`, `generate`, `control`, `generated_by`, `controlled_by`).
    pub stem_branch_relation: ElementRelation,
    /// Hidden stems of the day branch with their ten gods.
    pub hidden_stems: Vec<HiddenStemFact>,
    /// Branch relations that involve the day branch (合, 冲, 刑, 害, 破, …),
    /// as in the chart's `relationships.branch_relations`.
    pub spouse_palace_relations: Vec<BranchRelation>,
    /// The gender.
    pub gender: Gender,
    /// The spouse star for this gender.
    pub spouse_star: SpouseStar,
}

fn serialize_display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The day pillar's facts: pillar, 纳音, 自坐, hidden stems with ten gods,
/// the spouse palace's relations with the other branches (reusing
/// [`crate::relations`]), the gender and the spouse star.
pub fn rizhu(chart: &Chart) -> RizhuFacts {
    let day = chart.pillars().day;
    let dm = day.stem;
    let gender = chart.basic_info.gender;
    let group = match gender {
        Gender::Male => TenGodGroup::Cai,
        Gender::Female => TenGodGroup::GuanSha,
    };
    let hidden_stems: Vec<HiddenStemFact> = hidden_tenths(day.branch)
        .map(|(stem, share)| HiddenStemFact {
            stem,
            element: stem.element(),
            ten_god: TenGod::of(dm, stem),
            share: tenths(share.into()),
        })
        .collect();
    let (stems, hidden) = ten_god_tenths(chart);
    let weight: u32 = group
        .members()
        .iter()
        .map(|m| stems[m.index()] + hidden[m.index()])
        .sum();
    RizhuFacts {
        ganzhi: day,
        stem: dm,
        stem_element: dm.element(),
        branch: day.branch,
        branch_element: day.branch.element(),
        nayin: day.nayin(),
        self_sitting: LifeStage::of(dm, day.branch),
        stem_branch_relation: chart.relationships.day_pillar.relation,
        spouse_star: SpouseStar {
            group,
            element: group.element(dm.element()),
            primary: group.members()[1],
            weight: tenths(weight as i32),
            in_stems: chart
                .pillars()
                .iter()
                .filter(|(pos, p)| {
                    *pos != PillarPosition::Day
                        && TenGodGroup::of_element(dm.element(), p.stem.element()) == group
                })
                .map(|(pos, _)| pos)
                .collect(),
            in_spouse_palace: hidden_stems
                .iter()
                .any(|h| TenGodGroup::of_ten_god(h.ten_god) == group),
        },
        hidden_stems,
        spouse_palace_relations: chart
            .relationships
            .branch_relations
            .iter()
            .filter(|r| r.pillars.contains(&PillarPosition::Day))
            .cloned()
            .collect(),
        gender,
    }
}

// ---------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------

/// The five analyses, by their API names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnalysisType {
    /// `wangshuai`: [`wangshuai`] → [`Strength`].
    Wangshuai,
    /// `xishen_jishen`: [`xishen_jishen`] → [`Favourable`].
    XishenJishen,
    /// `wuxing_balance`: [`wuxing_balance`] → [`Balance`].
    WuxingBalance,
    /// `ten_gods_energy`: [`ten_gods_energy`] → [`TenGodEnergy`].
    TenGodsEnergy,
    /// `rizhu_gender`: [`rizhu`] → [`RizhuFacts`].
    RizhuGender,
}

impl AnalysisType {
    /// Every analysis, in this order.
    pub const ALL: [AnalysisType; 5] = [
        AnalysisType::Wangshuai,
        AnalysisType::XishenJishen,
        AnalysisType::WuxingBalance,
        AnalysisType::TenGodsEnergy,
        AnalysisType::RizhuGender,
    ];

    /// The API name: `wangshuai`, `xishen_jishen`, `wuxing_balance`,
    /// `ten_gods_energy` or `rizhu_gender`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AnalysisType::Wangshuai => "wangshuai",
            AnalysisType::XishenJishen => "xishen_jishen",
            AnalysisType::WuxingBalance => "wuxing_balance",
            AnalysisType::TenGodsEnergy => "ten_gods_energy",
            AnalysisType::RizhuGender => "rizhu_gender",
        }
    }

    /// Parses an API name (surrounding whitespace and ASCII case ignored).
    pub fn parse(name: &str) -> Option<AnalysisType> {
        let name = name.trim();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }
}

serialize_as_str!(AnalysisType);

/// The result of one analysis; serialises as the inner value (untagged).
// A result is built once and serialised; moving ~0.5 KB costs less than
// boxing the larger variants.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AnalysisResult {
    /// [`wangshuai`]
    Wangshuai(Strength),
    /// [`xishen_jishen`]
    XishenJishen(Favourable),
    /// [`wuxing_balance`]
    WuxingBalance(Balance),
    /// [`ten_gods_energy`]
    TenGodsEnergy(TenGodEnergy),
    /// [`rizhu`]
    RizhuGender(RizhuFacts),
}

impl AnalysisResult {
    /// Which analysis this is.
    pub const fn kind(&self) -> AnalysisType {
        match self {
            AnalysisResult::Wangshuai(_) => AnalysisType::Wangshuai,
            AnalysisResult::XishenJishen(_) => AnalysisType::XishenJishen,
            AnalysisResult::WuxingBalance(_) => AnalysisType::WuxingBalance,
            AnalysisResult::TenGodsEnergy(_) => AnalysisType::TenGodsEnergy,
            AnalysisResult::RizhuGender(_) => AnalysisType::RizhuGender,
        }
    }
}

/// Runs one analysis.
pub fn run(chart: &Chart, kind: AnalysisType) -> AnalysisResult {
    match kind {
        AnalysisType::Wangshuai => AnalysisResult::Wangshuai(wangshuai(chart)),
        AnalysisType::XishenJishen => AnalysisResult::XishenJishen(xishen_jishen(chart)),
        AnalysisType::WuxingBalance => AnalysisResult::WuxingBalance(wuxing_balance(chart)),
        AnalysisType::TenGodsEnergy => AnalysisResult::TenGodsEnergy(ten_gods_energy(chart)),
        AnalysisType::RizhuGender => AnalysisResult::RizhuGender(rizhu(chart)),
    }
}

/// All five analyses; serialises as an object keyed by the API names
/// (`{"wangshuai": …, "xishen_jishen": …, …}`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analyses {
    /// [`wangshuai`]
    pub wangshuai: Strength,
    /// [`xishen_jishen`]
    pub xishen_jishen: Favourable,
    /// [`wuxing_balance`]
    pub wuxing_balance: Balance,
    /// [`ten_gods_energy`]
    pub ten_gods_energy: TenGodEnergy,
    /// [`rizhu`]
    pub rizhu_gender: RizhuFacts,
}

/// Runs all five analyses (the strength once, shared with 喜忌).
pub fn run_all(chart: &Chart) -> Analyses {
    let strength = wangshuai(chart);
    Analyses {
        xishen_jishen: xishen_jishen_from(chart, &strength),
        wangshuai: strength,
        wuxing_balance: wuxing_balance(chart),
        ten_gods_energy: ten_gods_energy(chart),
        rizhu_gender: rizhu(chart),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_tables_add_up() {
        for shares in HIDDEN_STEM_SHARES {
            assert_eq!(shares.iter().map(|s| u32::from(*s)).sum::<u32>(), 10);
        }
        for b in Branch::ALL {
            let total: f64 = hidden_stem_shares(b).map(|(_, s)| s).sum();
            assert!((total - 1.0).abs() < 1e-12, "{b}");
            assert_eq!(hidden_stem_shares(b).count(), b.hidden_stems().len());
        }
        let stems: u32 = STEM_WEIGHTS.iter().map(|w| u32::from(*w)).sum();
        let branches: u32 = BRANCH_WEIGHTS.iter().map(|w| u32::from(*w)).sum();
        assert_eq!(u32::from(MONTH_COMMAND_WEIGHT) + stems + branches, 100);
        assert_eq!(STEM_WEIGHTS[PillarPosition::Day.index()], 0);
        assert_eq!(SEASON_SHARES[SeasonState::Wang as usize], 10);
        assert_eq!(SEASON_SHARES[SeasonState::Si as usize], 10);
    }

    #[test]
    fn groups_agree_with_ten_gods() {
        for d in Stem::ALL {
            for o in Stem::ALL {
                let god = TenGod::of(d, o);
                let group = TenGodGroup::of_element(d.element(), o.element());
                assert_eq!(TenGodGroup::of_ten_god(god), group, "{d} → {o}");
                assert!(group.members().contains(&god));
                assert_eq!(group.element(d.element()), o.element());
            }
        }
        use TenGodGroup::*;
        assert_eq!(Cai.generated_by(), ShiShang);
        assert_eq!(Cai.generates(), GuanSha);
        assert_eq!(Cai.controlled_by(), BiJie);
        assert_eq!(GuanSha.controlled_by(), ShiShang);
        assert_eq!(ShiShang.controlled_by(), Yin);
        assert_eq!(GuanSha.members(), [TenGod::QiSha, TenGod::ZhengGuan]);
        assert_eq!(
            TenGodGroup::ALL.map(|g| g.supports()),
            [true, true, false, false, false]
        );
    }

    #[test]
    fn seasons_and_states() {
        use Element::*;
        assert_eq!(SeasonState::of(Metal, Earth), SeasonState::Xiang);
        assert_eq!(SeasonState::of(Metal, Metal), SeasonState::Wang);
        assert_eq!(SeasonState::of(Metal, Water), SeasonState::Xiu);
        assert_eq!(SeasonState::of(Metal, Wood), SeasonState::Qiu);
        assert_eq!(SeasonState::of(Metal, Fire), SeasonState::Si);
        for dm in Element::ALL {
            for m in Element::ALL {
                assert_eq!(
                    SeasonState::of(dm, m).supports(),
                    TenGodGroup::of_element(dm, m).supports()
                );
            }
        }
        let seasons: String = Branch::ALL
            .map(|b| Season::of(b).as_str())
            .into_iter()
            .collect();
        assert_eq!(seasons, "冬冬春春春夏夏夏秋秋秋冬");
        assert_eq!(Season::Winter.tiaohou_element(), Some(Fire));
        assert_eq!(Season::Summer.tiaohou_element(), Some(Water));
    }

    #[test]
    fn level_thresholds() {
        use StrengthLevel::*;
        let cases = [
            (100.0, CongQiang),
            (75.0, CongQiang),
            (74.9, ShenQiang),
            (10.1, ShenQiang),
            (10.0, ZhongHe),
            (0.0, ZhongHe),
            (-10.0, ZhongHe),
            (-10.1, ShenRuo),
            (-74.9, ShenRuo),
            (-75.0, CongRuo),
            (-100.0, CongRuo),
        ];
        for (score, level) in cases {
            assert_eq!(StrengthLevel::from_score(score), level, "{score}");
        }
        for l in StrengthLevel::ALL {
            assert_eq!(StrengthLevel::parse(l.as_str()), Some(l));
        }
    }

    #[test]
    fn analysis_type_names() {
        let names = AnalysisType::ALL.map(|t| t.as_str());
        assert_eq!(
            names,
            [
                "wangshuai",
                "xishen_jishen",
                "wuxing_balance",
                "ten_gods_energy",
                "rizhu_gender"
            ]
        );
        for t in AnalysisType::ALL {
            assert_eq!(AnalysisType::parse(t.as_str()), Some(t));
        }
        assert_eq!(
            AnalysisType::parse(" Wangshuai "),
            Some(AnalysisType::Wangshuai)
        );
        assert_eq!(AnalysisType::parse("rizhu"), None);
        assert_eq!(AnalysisType::parse(""), None);
    }
}
