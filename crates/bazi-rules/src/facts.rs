//! The facts a rule is evaluated against: a chart plus the caller's analysis
//! (day-master strength, favourable and unfavourable elements).
//!
//! [`Facts`] reads everything the condition language can ask about once, when
//! it is built, into small integers and bit masks, so that evaluating a
//! compiled condition is a handful of bit operations.

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::{Branch, Element, ElementRelation};
use bazi::pillars::PillarPosition;
use bazi::ten_gods::{MainStar, TenGod};
use bazi::{Chart, Gender};

use crate::atlas::{facts_of, RelFact};

/// Season of the month branch (月令): 寅卯辰 春 (spring), 巳午未 夏 (summer),
/// 申酉戌 秋 (autumn), 亥子丑 冬 (winter).
///
/// This is the three-branch grouping of the seasonal 三会 sets; the earth
/// months 辰未戌丑 belong to the season they close (no separate 土 season).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Season {
    /// 春: 寅 卯 辰 months.
    Spring,
    /// 夏: 巳 午 未 months.
    Summer,
    /// 秋: 申 酉 戌 months.
    Autumn,
    /// 冬: 亥 子 丑 months.
    Winter,
}

impl Season {
    /// All seasons, spring first.
    pub const ALL: [Season; 4] = [
        Season::Spring,
        Season::Summer,
        Season::Autumn,
        Season::Winter,
    ];

    /// The season of a month branch.
    pub const fn of_month_branch(branch: Branch) -> Season {
        match branch {
            Branch::Yin | Branch::Mao | Branch::Chen => Season::Spring,
            Branch::Si | Branch::Wu | Branch::Wei => Season::Summer,
            Branch::Shen | Branch::You | Branch::Xu => Season::Autumn,
            Branch::Hai | Branch::Zi | Branch::Chou => Season::Winter,
        }
    }

    /// The name used in conditions: `春`, `夏`, `秋`, `冬`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Season::Spring => "春",
            Season::Summer => "夏",
            Season::Autumn => "秋",
            Season::Winter => "冬",
        }
    }

    /// The element in command (当令) in the season: 木, 火, 金, 水.
    pub const fn element(self) -> Element {
        match self {
            Season::Spring => Element::Wood,
            Season::Summer => Element::Fire,
            Season::Autumn => Element::Metal,
            Season::Winter => Element::Water,
        }
    }

    /// Position in [`Season::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Season {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Code of "no value" in a per-position index array (e.g. the ten god of the
/// day stem, which is the day master itself). Never a bit of a compiled set.
pub(crate) const NONE: u8 = 63;

/// Main-star codes: ten gods 0..=9, then 元男 and 元女.
pub(crate) const MAIN_STAR_MALE: u8 = 10;
/// 元女.
pub(crate) const MAIN_STAR_FEMALE: u8 = 11;

/// Index of an element relation: same, generate, control, generated_by, controlled_by.
pub(crate) const fn element_relation_index(r: ElementRelation) -> u8 {
    match r {
        ElementRelation::Same => 0,
        ElementRelation::Generate => 1,
        ElementRelation::Control => 2,
        ElementRelation::GeneratedBy => 3,
        ElementRelation::ControlledBy => 4,
    }
}

/// Element of a 纳音 name (its last character: 海中金 → 金).
pub(crate) fn nayin_element(name: &str) -> Option<Element> {
    let last = name.chars().last()?;
    Element::ALL
        .into_iter()
        .find(|e| e.as_str().starts_with(last))
}

/// Everything the evaluator reads, as indices and masks. Per-position arrays
/// are indexed by [`PillarPosition::index`].
#[derive(Clone, Debug)]
pub(crate) struct Derived {
    pub stem: [u8; 4],
    pub branch: [u8; 4],
    pub pillar: [u8; 4],
    pub stem_element: [u8; 4],
    pub branch_element: [u8; 4],
    /// Ten god of the stem; [`NONE`] for the day stem.
    pub stem_god: [u8; 4],
    pub main_star: [u8; 4],
    pub nayin: [u8; 4],
    pub nayin_element: [u8; 4],
    pub star_fortune: [u8; 4],
    pub self_sitting: [u8; 4],
    /// Bit per hidden stem of the branch.
    pub hidden_stems: [u32; 4],
    /// Bit per ten god of the branch's hidden stems.
    pub hidden_gods: [u32; 4],
    /// Bit per deity on the pillar.
    pub deities: [u32; 4],
    /// Bit per branch of the pillar's 空亡.
    pub kongwang: [u32; 4],
    /// Bit per position whose branch is in the day pillar's 空亡.
    pub kongwang_hit: u8,
    pub god_count_stems: [u8; 10],
    pub god_count_hidden: [u8; 10],
    pub element_count: [u8; 5],
    pub season: u8,
    pub gender: u8,
    pub late_zi: bool,
    pub birth_year: i32,
    pub day_pillar_relation: u8,
    pub relations: Vec<RelFact>,
    /// Strength level index, [`NONE`] if not given.
    pub strength: u8,
    /// Bit per favourable element.
    pub favourable: u8,
    /// Bit per unfavourable element.
    pub unfavourable: u8,
}

impl Derived {
    fn of(chart: &Chart) -> Derived {
        let mut d = Derived {
            stem: [0; 4],
            branch: [0; 4],
            pillar: [0; 4],
            stem_element: [0; 4],
            branch_element: [0; 4],
            stem_god: [NONE; 4],
            main_star: [NONE; 4],
            nayin: [0; 4],
            nayin_element: [0; 4],
            star_fortune: [0; 4],
            self_sitting: [0; 4],
            hidden_stems: [0; 4],
            hidden_gods: [0; 4],
            deities: [0; 4],
            kongwang: [0; 4],
            kongwang_hit: 0,
            god_count_stems: [0; 10],
            god_count_hidden: [0; 10],
            element_count: [0; 5],
            season: Season::of_month_branch(chart.bazi_pillars.month.branch).index() as u8,
            gender: match chart.basic_info.gender {
                Gender::Male => 0,
                Gender::Female => 1,
            },
            late_zi: chart.basic_info.late_zi_adjusted,
            birth_year: chart.basic_info.solar_date.year,
            day_pillar_relation: element_relation_index(chart.relationships.day_pillar.relation),
            relations: facts_of(&chart.relationships),
            strength: NONE,
            favourable: 0,
            unfavourable: 0,
        };
        let day_kongwang = chart.bazi_pillars.day.kongwang().branches();
        for (pos, p) in chart.bazi_pillars.iter() {
            let i = pos.index();
            let detail = chart.details.get(pos);
            d.stem[i] = p.stem.index() as u8;
            d.branch[i] = p.branch.index() as u8;
            d.pillar[i] = p.cycle_index() as u8;
            d.stem_element[i] = p.stem.element().index() as u8;
            d.branch_element[i] = p.branch.element().index() as u8;
            d.main_star[i] = match detail.main_star {
                MainStar::TenGod(g) => g.index() as u8,
                MainStar::DayMaster(Gender::Male) => MAIN_STAR_MALE,
                MainStar::DayMaster(Gender::Female) => MAIN_STAR_FEMALE,
            };
            if pos != PillarPosition::Day {
                d.stem_god[i] = d.main_star[i];
            }
            d.nayin[i] = detail.nayin.index() as u8;
            d.nayin_element[i] =
                nayin_element(detail.nayin.as_str()).map_or(NONE, |e| e.index() as u8);
            d.star_fortune[i] = detail.star_fortune as u8;
            d.self_sitting[i] = detail.self_sitting as u8;
            d.hidden_stems[i] = detail
                .hidden_stems
                .iter()
                .fold(0, |m, s| m | 1 << s.index());
            d.hidden_gods[i] = detail
                .hidden_stars
                .iter()
                .fold(0, |m, g| m | 1 << g.index());
            d.deities[i] = detail.deities.iter().fold(0, |m, x| m | 1 << (*x as u32));
            d.kongwang[i] = detail
                .kongwang
                .branches()
                .iter()
                .fold(0, |m, b| m | 1 << b.index());
            if day_kongwang.contains(&p.branch) {
                d.kongwang_hit |= 1 << i;
            }
        }
        for g in TenGod::ALL {
            d.god_count_stems[g.index()] = chart.ten_gods_stats.main.get(g).count;
            d.god_count_hidden[g.index()] = chart.ten_gods_stats.sub.get(g).count;
        }
        for e in Element::ALL {
            d.element_count[e.index()] = chart.element_counts.get(e);
        }
        d
    }
}

fn element_mask(elements: &[Element]) -> u8 {
    elements.iter().fold(0, |m, e| m | 1 << e.index())
}

/// A chart with the analysis facts rules may ask about.
///
/// Build it with [`Facts::new`] (chart only) and add the analysis with the
/// `with_*` methods, or all at once with [`Facts::with_analysis`]. Conditions
/// on an analysis fact that was not given are false (e.g. `{"strength": "身强"}`
/// without a strength level).
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    chart: &'a Chart,
    strength: Option<StrengthLevel>,
    favourable: Vec<Element>,
    unfavourable: Vec<Element>,
    pub(crate) derived: Derived,
}

impl<'a> Facts<'a> {
    /// Facts of a chart alone: no strength level, no favourable or
    /// unfavourable elements.
    pub fn new(chart: &'a Chart) -> Facts<'a> {
        Facts {
            chart,
            strength: None,
            favourable: Vec::new(),
            unfavourable: Vec::new(),
            derived: Derived::of(chart),
        }
    }

    /// Facts of a chart with the caller's analysis of it.
    pub fn with_analysis(
        chart: &'a Chart,
        strength: Option<StrengthLevel>,
        favourable: &[Element],
        unfavourable: &[Element],
    ) -> Facts<'a> {
        let mut f = Facts::new(chart);
        f.set_strength(strength);
        f = f
            .with_favourable(favourable)
            .with_unfavourable(unfavourable);
        f
    }

    fn set_strength(&mut self, strength: Option<StrengthLevel>) {
        self.strength = strength;
        self.derived.strength = strength.map_or(NONE, |s| s as u8);
    }

    /// The same facts with the day master's strength level.
    pub fn with_strength(mut self, strength: StrengthLevel) -> Facts<'a> {
        self.set_strength(Some(strength));
        self
    }

    /// The same facts with these favourable elements (喜用神).
    pub fn with_favourable(mut self, elements: &[Element]) -> Facts<'a> {
        self.favourable = elements.to_vec();
        self.derived.favourable = element_mask(elements);
        self
    }

    /// The same facts with these unfavourable elements (忌神).
    pub fn with_unfavourable(mut self, elements: &[Element]) -> Facts<'a> {
        self.unfavourable = elements.to_vec();
        self.derived.unfavourable = element_mask(elements);
        self
    }

    /// The chart.
    pub fn chart(&self) -> &'a Chart {
        self.chart
    }

    /// The day master's strength level, if given.
    pub fn strength(&self) -> Option<StrengthLevel> {
        self.strength
    }

    /// The favourable elements, as given.
    pub fn favourable(&self) -> &[Element] {
        &self.favourable
    }

    /// The unfavourable elements, as given.
    pub fn unfavourable(&self) -> &[Element] {
        &self.unfavourable
    }

    /// The season of the month branch.
    pub fn season(&self) -> Season {
        Season::of_month_branch(self.chart.bazi_pillars.month.branch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasons() {
        let names: String = Branch::ALL
            .iter()
            .map(|b| Season::of_month_branch(*b).as_str())
            .collect();
        // 子丑寅卯辰巳午未申酉戌亥
        assert_eq!(names, "冬冬春春春夏夏夏秋秋秋冬");
    }

    #[test]
    fn nayin_elements() {
        assert_eq!(nayin_element("海中金"), Some(Element::Metal));
        assert_eq!(nayin_element("大林木"), Some(Element::Wood));
        assert_eq!(nayin_element("x"), None);
    }
}
