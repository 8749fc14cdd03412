//! The chart: assembling calendar facts, ten gods, life stages, deities and
//! relations into one serialisable value.

use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::calendar::{calendar_facts, LunarDate};
use crate::deities::{deities_on, Deity};
use crate::ganzhi::{Branch, Element, Kongwang, Nayin, Pillar, Stem};
use crate::input::{BirthInput, Gender, InputError};
use crate::life_stages::LifeStage;
use crate::pillars::{FourPillars, PillarPosition};
use crate::relations::{find_relationships, Relationships};
use crate::ten_gods::{MainStar, TenGod};

/// A complete Four Pillars chart. Serialises to the `data` object of the HTTP
/// API; every part is also reachable as typed fields.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    /// Input echo, lunar date and flags.
    pub basic_info: BasicInfo,
    /// The four pillars, each `{"stem":…,"branch":…}`.
    pub bazi_pillars: FourPillars<Pillar>,
    /// Per-pillar details (ten gods, hidden stems, life stages, 空亡, 纳音, 神煞).
    pub details: FourPillars<PillarDetail>,
    /// Ten-god counts over stems and hidden stems.
    pub ten_gods_stats: TenGodsStats,
    /// Per-pillar stem/branch elements.
    pub elements: FourPillars<PillarElements>,
    /// Element counts over the eight characters.
    pub element_counts: ElementCounts,
    /// Relations between the pillars.
    pub relationships: Relationships,
}

impl Chart {
    /// The four pillars.
    pub fn pillars(&self) -> &FourPillars<Pillar> {
        &self.bazi_pillars
    }

    /// The day stem (日主 / 日元).
    pub fn day_master(&self) -> Stem {
        self.bazi_pillars.day.stem
    }
}

/// Gregorian date, serialised as `"YYYY-MM-DD"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SolarDate {
    /// Year.
    pub year: i32,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
}

impl std::fmt::Display for SolarDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for SolarDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Clock time, serialised as `"HH:MM"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClockTime {
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `basic_info` of the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BasicInfo {
    /// The birth date as given.
    pub solar_date: SolarDate,
    /// The birth time as given.
    pub solar_time: ClockTime,
    /// Lunar date of `solar_date` (not moved by the late-子 rule).
    pub lunar_date: LunarDate,
    /// Gender as given.
    pub gender: Gender,
    /// `true` when the birth time is 23:00–23:59 and the late-子 rule applied:
    /// day and hour pillars from the next day, year and month pillars as in
    /// force at the next day's 00:mm (see [`crate::calendar`]).
    pub late_zi_adjusted: bool,
    /// Zodiac animal of the year pillar's branch (生肖, 立春-based), e.g. `"蛇"`.
    pub zodiac: &'static str,
}

/// Serialises a hidden-stem slice as `["丙火","庚金","戊土"]`.
fn serialize_hidden_stems<S: Serializer>(stems: &&'static [Stem], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(stems.len()))?;
    for stem in stems.iter() {
        seq.serialize_element(stem.with_element_str())?;
    }
    seq.end()
}

/// Per-pillar details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PillarDetail {
    /// Ten god of the pillar's stem relative to the day stem; 元男/元女 for the day pillar.
    pub main_star: MainStar,
    /// Ten god of each hidden stem, in `hidden_stems` order.
    pub hidden_stars: Vec<TenGod>,
    /// Hidden stems of the branch in main / middle / residual order; serialised
    /// with their element, e.g. `"丙火"`.
    #[serde(serialize_with = "serialize_hidden_stems")]
    pub hidden_stems: &'static [Stem],
    /// The day stem's life stage on this pillar's branch (星运).
    pub star_fortune: LifeStage,
    /// This pillar's stem's life stage on its own branch (自坐).
    pub self_sitting: LifeStage,
    /// 空亡 of this pillar's own 旬, e.g. `"戌亥"`.
    pub kongwang: Kongwang,
    /// 纳音, e.g. `"大林木"`.
    pub nayin: Nayin,
    /// 神煞 on this pillar (see [`crate::deities`]).
    pub deities: Vec<Deity>,
}

/// Set of pillar positions, serialised as a list in chart order (`["year","hour"]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PillarSet(u8);

impl PillarSet {
    /// Adds a position.
    pub fn insert(&mut self, p: PillarPosition) {
        self.0 |= 1 << p.index();
    }

    /// Whether `p` is in the set.
    pub const fn contains(self, p: PillarPosition) -> bool {
        self.0 & (1 << p.index()) != 0
    }

    /// Number of positions in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Positions in chart order.
    pub fn iter(self) -> impl Iterator<Item = PillarPosition> {
        PillarPosition::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl Serialize for PillarSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Occurrences of one ten god.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TenGodEntry {
    /// How many stems (or hidden stems) have this ten god.
    pub count: u8,
    /// The pillars they are in.
    pub pillars: PillarSet,
}

/// Ten-god occurrences, serialised as an object keyed by ten-god name in
/// 比肩 … 正印 order, omitting ten gods that do not occur:
/// `{"正印":{"count":1,"pillars":["year"]}}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TenGodTally {
    entries: [TenGodEntry; 10],
}

impl TenGodTally {
    fn add(&mut self, god: TenGod, at: PillarPosition) {
        let e = &mut self.entries[god.index()];
        e.count += 1;
        e.pillars.insert(at);
    }

    /// Occurrences of `god`.
    pub fn get(&self, god: TenGod) -> TenGodEntry {
        self.entries[god.index()]
    }

    /// Ten gods that occur, with their entries, in 比肩 … 正印 order.
    pub fn iter(&self) -> impl Iterator<Item = (TenGod, TenGodEntry)> + '_ {
        TenGod::ALL
            .into_iter()
            .map(|g| (g, self.entries[g.index()]))
            .filter(|(_, e)| e.count > 0)
    }
}

impl Serialize for TenGodTally {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (god, entry) in self.iter() {
            map.serialize_entry(god.as_str(), &entry)?;
        }
        map.end()
    }
}

/// `ten_gods_stats`: ten gods over the year, month and hour stems (`main`; the
/// day stem itself is excluded), over the hidden stems of all four branches
/// (`sub`), and `totals` = main + sub per ten god.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TenGodsStats {
    /// Over the stems (day stem excluded).
    pub main: TenGodTally,
    /// Over the hidden stems.
    pub sub: TenGodTally,
}

impl TenGodsStats {
    /// `main` + `sub` count for `god`.
    pub fn total(&self, god: TenGod) -> u8 {
        self.main.get(god).count + self.sub.get(god).count
    }
}

struct Totals<'a>(&'a TenGodsStats);

impl Serialize for Totals<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for god in TenGod::ALL {
            let n = self.0.total(god);
            if n > 0 {
                map.serialize_entry(god.as_str(), &n)?;
            }
        }
        map.end()
    }
}

impl Serialize for TenGodsStats {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut st = serializer.serialize_struct("TenGodsStats", 3)?;
        st.serialize_field("main", &self.main)?;
        st.serialize_field("sub", &self.sub)?;
        st.serialize_field("totals", &Totals(self))?;
        st.end()
    }
}

/// Stem and branch of one pillar with their elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PillarElements {
    /// The stem.
    pub stem: Stem,
    /// Element of the stem.
    pub stem_element: Element,
    /// The branch.
    pub branch: Branch,
    /// Element of the branch.
    pub branch_element: Element,
}

/// Element counts over the eight characters (four stems, four branches by
/// their own element). Serialised as an object whose keys appear in order of
/// first occurrence (year stem, year branch, month stem, …), zero counts
/// omitted: `{"土":3,"火":3,"金":1,"水":1}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElementCounts {
    counts: [u8; 5],
    order: [Option<Element>; 5],
}

impl ElementCounts {
    fn add(&mut self, e: Element) {
        if self.counts[e.index()] == 0 {
            if let Some(slot) = self.order.iter_mut().find(|s| s.is_none()) {
                *slot = Some(e);
            }
        }
        self.counts[e.index()] += 1;
    }

    /// Count for `e` (0 if absent).
    pub fn get(&self, e: Element) -> u8 {
        self.counts[e.index()]
    }

    /// Present elements with their counts, in order of first occurrence.
    pub fn iter(&self) -> impl Iterator<Item = (Element, u8)> + '_ {
        self.order
            .iter()
            .flatten()
            .map(|e| (*e, self.counts[e.index()]))
    }
}

impl Serialize for ElementCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (e, n) in self.iter() {
            map.serialize_entry(e.as_str(), &n)?;
        }
        map.end()
    }
}

/// Builds the chart for a birth input.
///
/// Validates the input first (the fields of [`BirthInput`] are public), so an
/// out-of-range value is reported as an [`InputError`] rather than a panic.
pub fn chart(input: &BirthInput) -> Result<Chart, InputError> {
    input.validate()?;
    let facts = calendar_facts(input).ok_or(InputError::YearOutOfRange { year: input.year })?;
    let pillars = facts.pillars;
    let day_stem = pillars.day.stem;

    let details = FourPillars::from_fn(|pos| {
        let p = *pillars.get(pos);
        let hidden = p.branch.hidden_stems();
        PillarDetail {
            main_star: if pos == PillarPosition::Day {
                MainStar::DayMaster(input.gender)
            } else {
                MainStar::TenGod(TenGod::of(day_stem, p.stem))
            },
            hidden_stars: hidden.iter().map(|s| TenGod::of(day_stem, *s)).collect(),
            hidden_stems: hidden,
            star_fortune: LifeStage::of(day_stem, p.branch),
            self_sitting: LifeStage::of(p.stem, p.branch),
            kongwang: p.kongwang(),
            nayin: p.nayin(),
            deities: deities_on(&pillars, pos),
        }
    });

    let mut ten_gods_stats = TenGodsStats::default();
    let mut element_counts = ElementCounts::default();
    for (pos, p) in pillars.iter() {
        if pos != PillarPosition::Day {
            ten_gods_stats.main.add(TenGod::of(day_stem, p.stem), pos);
        }
        for s in p.branch.hidden_stems() {
            ten_gods_stats.sub.add(TenGod::of(day_stem, *s), pos);
        }
        element_counts.add(p.stem.element());
        element_counts.add(p.branch.element());
    }

    let elements = pillars.map(|_, p| PillarElements {
        stem: p.stem,
        stem_element: p.stem.element(),
        branch: p.branch,
        branch_element: p.branch.element(),
    });

    Ok(Chart {
        basic_info: BasicInfo {
            solar_date: SolarDate {
                year: input.year,
                month: input.month,
                day: input.day,
            },
            solar_time: ClockTime {
                hour: input.hour,
                minute: input.minute,
            },
            lunar_date: facts.lunar_date,
            gender: input.gender,
            late_zi_adjusted: facts.late_zi_adjusted,
            zodiac: pillars.year.branch.zodiac(),
        },
        bazi_pillars: pillars,
        details,
        ten_gods_stats,
        elements,
        element_counts,
        relationships: find_relationships(&pillars),
    })
}
