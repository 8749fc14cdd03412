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
//! * All names are `&'static str` (serialised via each type's `as_str()`), and
//!   charts are built without touching `tyme4rs` once the year cache is warm.
//!   Call [`calendar::preload`] at start-up to build the whole cache (~0.1 s).
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

pub mod calendar;
pub mod chart;
pub mod deities;
pub mod ganzhi;
pub mod input;
pub mod life_stages;
pub mod pillars;
pub mod relations;
pub mod ten_gods;

pub use chart::{chart, Chart};
pub use input::{BirthInput, Gender, InputError};
