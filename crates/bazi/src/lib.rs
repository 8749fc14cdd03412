//! Four Pillars (八字) charts.
//!
//! ```
//! let input = bazi::BirthInput::parse("1990-01-15", "12:00", "male")?;
//! let chart = bazi::chart(&input)?;
//! assert_eq!(chart.bazi_pillars.year.to_string(), "己巳");
//! assert_eq!(chart.details.year.nayin.as_str(), "大林木");
//! # Ok::<(), bazi::InputError>(())
//! ```
//!
//! # Modules
//!
//! | module | contents |
//! |--------|----------|
//! | [`input`] | [`BirthInput`], [`Gender`], [`InputError`]: parsing and validation |
//! | [`calendar`] | pillars and lunar date from `tyme4rs`, with the per-year 节 / lunar-month cache |
//! | [`ganzhi`] | [`ganzhi::Stem`], [`ganzhi::Branch`], [`ganzhi::Element`], [`ganzhi::Pillar`]; 藏干, 纳音, 空亡 tables |
//! | [`pillars`] | [`pillars::PillarPosition`] and the per-pillar container [`pillars::FourPillars`] |
//! | [`ten_gods`] | 十神 ([`ten_gods::TenGod`]) and the pillar's `main_star` |
//! | [`life_stages`] | 十二长生 ([`life_stages::LifeStage`]) |
//! | [`deities`] | 神煞 ([`deities::Deity`]) with one const table per rule |
//! | [`relations`] | day-pillar element relation, 天干五合/相冲, 地支 relations |
//! | [`mod@chart`] | [`Chart`] and [`chart()`](crate::chart::chart) |
//! | [`mod@fortune`] | [`Fortune`] and [`fortune()`](crate::fortune::fortune): direction, 起运, 大运, 流年; [`fortune::months_of`] (流月), [`fortune::days_of`] (流日), [`fortune::hours_of`] (流时) |
//! | [`analysis`] | judgements on a [`Chart`]: [`analysis::wangshuai`] (旺衰, [`analysis::StrengthLevel`]), [`analysis::xishen_jishen`] (喜用 / 忌), [`analysis::wuxing_balance`], [`analysis::ten_gods_energy`], [`analysis::rizhu`] (日柱); [`analysis::run`] / [`analysis::run_all`] by [`analysis::AnalysisType`] |
//!
//! # Conventions
//!
//! * **Supported range**: Gregorian years [`input::MIN_YEAR`]..=[`input::MAX_YEAR`]
//!   (1900–2100). Times are Beijing civil time (UTC+8), the scale of `tyme4rs`'s
//!   solar terms; no true-solar-time correction.
//! * **Calendar**: all astronomy (节 instants, new moons, leap months) comes from
//!   `tyme4rs`, read once per year into a cache; see [`calendar`] for the exact
//!   pillar rules. The year pillar switches at the 立春 instant and the month
//!   pillar at each 节 instant (to the second); the day pillar counts days from
//!   a 甲子 anchor; the hour pillar follows 五鼠遁.
//! * **Late 子 hour** (23:00–23:59): day and hour pillars are taken from the
//!   next day (hour: 子 with the stem of the next day's 五鼠遁); the year and
//!   month pillars are the ones in force at the next day's 00:mm (same minutes
//!   past midnight, as the original system does, so a 节 between 00:00 and
//!   00:mm already counts); `basic_info.late_zi_adjusted` is `true`.
//! * **Lunar date** is that of the original Gregorian date; the month is always
//!   positive and `is_leap_month` marks a leap month (闰月).
//! * **十二长生**: 阳顺阴逆 with 火土同宫 (see [`life_stages`]); so 己 on 巳 is 帝旺.
//! * **十神**: relative to the day stem; the day pillar's `main_star` is 元男 / 元女.
//! * **神煞**: each star's base pillar(s) and source are listed in [`deities`];
//!   all four pillars are checked against each rule.
//! * **Fortune** (see [`mod@fortune`]): read at the **real birth instant**, as
//!   `tyme4rs`'s `ChildLimit` does — the year stem that decides the direction
//!   (阳男阴女顺, 阴男阳女逆), the month pillar the luck pillars step from, and
//!   the 节 the start of luck counts to; the day master is the chart's day
//!   stem. This differs from the chart's year/month pillars only for a late-子
//!   birth with a 节 between 23:mm and the next day's 00:mm (e.g. 1982-01-05
//!   23:06: chart month 辛丑, luck pillars from 庚子). Start of luck: 259,200 s
//!   = 1 year, 21,600 s = 1 month, 720 s = 1 day, 30 s = 1 hour, the rest at
//!   1 s = 2 minutes, added to the birth as calendar fields — `tyme4rs`'s
//!   default provider to the minute. Luck pillar `i ≥ 1` covers ten calendar
//!   years from the start year (the year of the start instant) + `10·(i − 1)`;
//!   index 0 is the childhood before it. Ages are nominal (虚岁, birth year = 1).
//! * **流时**: the day `D` runs from `D − 1` 23:00 to `D` 23:00 (the late-子
//!   convention above), so its 子 hour starts at 23:00 of the previous day.
//! * **Years past 2100**: a fortune reaches ~110 years past the birth. Luck
//!   pillars and 流年 are arithmetic; [`fortune::months_of`],
//!   [`fortune::days_of`] and [`fortune::hours_of`] accept 1900 ..=
//!   [`fortune::LAST_FORTUNE_YEAR`] (2220), with the 节 of 2102–2221 cached
//!   like the rest; any other year is [`InputError::FortuneYearOutOfRange`]
//!   (field `year`), never a panic.
//! * All names are `&'static str` (serialised via each type's `as_str()`), and
//!   charts and fortunes are built without touching `tyme4rs` once the year
//!   cache is warm. Call [`calendar::preload`] at start-up to build the whole
//!   cache, including the 节 of the fortune years (~0.1 s). A warm chart +
//!   fortune + 12 months takes a few µs (`examples/fortune_speed.rs`); all
//!   five analyses of a chart about 2 µs (`examples/analysis_speed.rs`).
//! * **Analyses** ([`analysis`]) are pure functions of a [`Chart`]; every
//!   weight and threshold is a documented `pub const` there, and the strength
//!   lists each contribution so its score can be checked by hand.
//!
//! # JSON shape
//!
//! [`Chart`] serialises (e.g. with `serde_json`) to:
//!
//! ```json
//! {
//!   "basic_info": {
//!     "solar_date": "1990-01-15", "solar_time": "12:00",
//!     "lunar_date": {"year": 1989, "month": 12, "day": 19, "is_leap_month": false},
//!     "gender": "male", "late_zi_adjusted": false, "zodiac": "蛇"
//!   },
//!   "bazi_pillars": {"year": {"stem": "己", "branch": "巳"}, "month": {…}, "day": {…}, "hour": {…}},
//!   "details": {
//!     "year": {
//!       "main_star": "正印", "hidden_stars": ["七杀", "比肩", "偏印"],
//!       "hidden_stems": ["丙火", "庚金", "戊土"], "star_fortune": "长生",
//!       "self_sitting": "帝旺", "kongwang": "戌亥", "nayin": "大林木", "deities": ["劫煞"]
//!     },
//!     "month": {…}, "day": {…}, "hour": {…}
//!   },
//!   "ten_gods_stats": {
//!     "main":   {"食神": {"count": 1, "pillars": ["hour"]}, "正官": {…}, "正印": {…}},
//!     "sub":    {"比肩": {"count": 1, "pillars": ["year"]}, "伤官": {"count": 2, "pillars": ["month", "day"]}, …},
//!     "totals": {"比肩": 1, "劫财": 1, "食神": 1, "伤官": 2, …}
//!   },
//!   "elements": {
//!     "year": {"stem": "己", "stem_element": "土", "branch": "巳", "branch_element": "火"},
//!     "month": {…}, "day": {…}, "hour": {…}
//!   },
//!   "element_counts": {"土": 3, "火": 3, "金": 1, "水": 1},
//!   "relationships": {
//!     "day_pillar": {"stem": "庚", "stem_element": "金", "branch": "辰", "branch_main_qi": "戊",
//!                    "branch_element": "土", "relation": "generated_by"},
//!     "stem_combinations": [{"stems": ["丁", "壬"], "pillars": ["month", "hour"], "element": "木"}],
//!     "stem_clashes": [],
//!     "branch_relations": [
//!       {"kind": "六害", "branches": ["丑", "午"], "pillars": ["month", "hour"]},
//!       {"kind": "六破", "branches": ["丑", "辰"], "pillars": ["month", "day"]}
//!     ]
//!   }
//! }
//! ```
//!
//! * `ten_gods_stats.main` counts the ten gods of the year, month and hour
//!   stems (the day stem is the reference and is excluded); `sub` counts those
//!   of all hidden stems of the four branches; `totals` is `main + sub` per ten
//!   god. Keys are ten-god names in 比肩 … 正印 order; absent ten gods are
//!   omitted; `pillars` lists where they occur, in chart order.
//! * `element_counts` counts the element of the four stems and four branches;
//!   keys appear in order of first occurrence (year stem, year branch, month
//!   stem, …) and zero counts are omitted.
//! * `relationships.day_pillar.relation` is read from the day stem's side and is
//!   one of `same`, `generate` (stem generates branch), `control` (stem controls
//!   branch), `generated_by`, `controlled_by`.
//! * `stem_combinations` (天干五合, with the transformed `element`) and
//!   `stem_clashes` (甲庚, 乙辛, 丙壬, 丁癸) are listed per pair of pillars.
//! * `branch_relations[].kind` is one of 三合, 三会, 半合, 六合, 六冲, 三刑, 相刑,
//!   自刑, 六害, 六破 (listed in that order, then by pillar). Pair kinds carry the
//!   two branches in pillar order; 三合 / 三会 / 三刑 require all three branches
//!   and list every pillar holding one of them, with the group's branches in
//!   canonical order. 半合 is a pair of an incomplete 三合 frame that includes
//!   its 旺 branch (子午卯酉); 相刑 is 子卯 or a pair of an incomplete 寅巳申 /
//!   丑戌未 set; 自刑 is a repeated 辰, 午, 酉 or 亥. `element` is present for
//!   三合, 三会, 半合 and 六合.
//!
//! [`Fortune`] serialises to (1990-01-15 12:00, male):
//!
//! ```json
//! {
//!   "direction": "backward",
//!   "qiyun": {"years": 3, "months": 2, "days": 7, "hours": 5, "minutes": 32,
//!             "date": "1993-03-22 17:32:00", "age": 4,
//!             "jie": {"name": "小寒", "at": "1990-01-05 22:33:14"}},
//!   "dayun": [
//!     {"index": 0, "ganzhi": null, "stem": null, "branch": null, "start_year": 1990, "end_year": 1992,
//!      "start_age": 1, "end_age": 3, "ten_god": null, "nayin": null, "life_stage": null},
//!     {"index": 1, "ganzhi": "丙子", "stem": "丙", "branch": "子", "start_year": 1993, "end_year": 2002,
//!      "start_age": 4, "end_age": 13, "ten_god": "七杀", "nayin": "涧下水", "life_stage": "死"},
//!     …  (indices 0..=10)
//!   ],
//!   "liunian": [
//!     {"year": 1990, "ganzhi": "庚午", "age": 1, "ten_god": "比肩", "dayun_index": 0},
//!     …  (every year up to the last luck pillar's end_year, here 2092)
//!   ]
//! }
//! ```
//!
//! and the calendar views to arrays of
//! `{"index": 1, "ganzhi": "丙寅", "start": "2024-02-04 16:27:07"}` ([`MonthFortune`],
//! index 1 = 寅 month from 立春 … 12 = 丑 month from the next 小寒),
//! `{"date": "2024-02-01", "ganzhi": "乙未"}` ([`DayFortune`]) and
//! `{"branch": "子", "ganzhi": "丙子", "start": "2024-01-31 23:00:00"}` ([`HourFortune`]).
//!
//! * `qiyun.jie` is the 节 counted to (the next one forward, the previous one
//!   backward); `qiyun.date` is the start instant and `qiyun.age` the nominal
//!   age in its year. `minutes` (the rest at 1 s = 2 minutes) is included so
//!   that `date` is exactly birth + the listed span.
//! * `dayun[0]` is the childhood (小运 years) and has no pillar: its `ganzhi`,
//!   `stem`, `branch`, `ten_god`, `nayin` and `life_stage` are `null`. When luck
//!   starts in the birth year it is empty (`end_year = start_year − 1`,
//!   `end_age = 0`). `ten_god` is the pillar stem's ten god and `life_stage`
//!   the day master's 十二长生 on the pillar's branch.
//! * `liunian[].ganzhi` is the sexagenary year that begins at that calendar
//!   year's 立春; `dayun_index` is the luck pillar the year falls in.

pub mod analysis;
pub mod calendar;
pub mod chart;
pub mod deities;
pub mod fortune;
pub mod ganzhi;
pub mod input;
pub mod life_stages;
pub mod pillars;
pub mod relations;
pub mod ten_gods;

pub use chart::{chart, Chart};
pub use fortune::{
    fortune, DayFortune, Direction, Fortune, HourFortune, LuckPillar, LuckStart, MonthFortune,
    YearFortune,
};
pub use input::{BirthInput, Gender, InputError};
