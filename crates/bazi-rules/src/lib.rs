//! A rule engine over Four Pillars charts: a JSON condition language compiled
//! once into a typed tree, an SQLite rule store that several processes share,
//! and the project's own rule corpus.
//!
//! ```no_run
//! use bazi_rules::{Facts, RuleStore};
//!
//! let store = RuleStore::open("rules.db")?; // loads the corpus into a new file
//! let rules = store.load_rule_set()?;
//! let input = bazi::BirthInput::parse("1990-01-15", "12:00", "male")?;
//! let chart = bazi::chart(&input)?;
//! let facts = Facts::new(&chart); // or Facts::with_analysis(&chart, strength, &fav, &unfav)
//! let (matched, _unmatched) = rules.matches(&facts, &["rizhu_gender"]);
//! assert_eq!(matched[0].code(), "rizhu_gender/庚辰/male");
//! // Later: notice a change made by any process and reload.
//! if store.version()? != rules.version() {
//!     let _rules = store.load_rule_set()?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Facts
//!
//! [`Facts`] is a chart plus the caller's analysis: the day master's
//! [`StrengthLevel`](bazi::analysis::StrengthLevel) and the favourable and
//! unfavourable elements (the engine computes neither). A condition on an
//! analysis fact that was not given is false. The season is that of the month
//! branch ([`Season`]): 寅卯辰 春, 巳午未 夏, 申酉戌 秋, 亥子丑 冬.
//!
//! # Condition language
//!
//! A condition is a JSON object with exactly one key. Keys are snake_case
//! English; values are the chart's own names (天干 `甲`, 地支 `子`, 五行 `木`,
//! 十神 `七杀`, 神煞 `天乙贵人`, 纳音 `海中金`, 十二长生 `帝旺`, relation kinds
//! `六冲` …), positions are `year`, `month`, `day`, `hour`, genders `male`,
//! `female`.
//!
//! Three argument shapes recur:
//!
//! * **short**: a name (equals) or a non-empty array of names (any of):
//!   `{"season": "冬"}`, `{"day_master": ["庚", "辛"]}`.
//! * **positional**: `{"position": P, "is": name}` or `{"position": P, "in":
//!   [names]}`; without `position` the condition holds if *any* pillar
//!   qualifies.
//! * **single**: exactly one name: `{"element_missing": "水"}`.
//!
//! | key | argument | true when | example |
//! |-----|----------|-----------|---------|
//! | `all` | non-empty array of conditions | every one holds | `{"all": [{"gender": "male"}, {"season": "冬"}]}` |
//! | `any` | non-empty array of conditions | at least one holds | `{"any": [{"day_master": "甲"}, {"day_master": "乙"}]}` |
//! | `not` | a condition | it does not hold | `{"not": {"element_missing": "水"}}` |
//! | `pillar` | positional, 干支 | the pillar is that pair | `{"pillar": {"position": "day", "is": "甲子"}}` |
//! | `stem` | positional, stem | the pillar's stem | `{"stem": {"position": "month", "in": ["甲", "乙"]}}` |
//! | `branch` | positional, branch | the pillar's branch | `{"branch": {"position": "hour", "is": "午"}}` |
//! | `stem_element` | positional, element | element of the pillar's stem | `{"stem_element": {"position": "year", "is": "土"}}` |
//! | `branch_element` | positional, element | element of the pillar's branch | `{"branch_element": {"position": "day", "is": "土"}}` |
//! | `hidden_stem` | positional, stem | one of the branch's hidden stems (藏干) | `{"hidden_stem": {"position": "day", "is": "乙"}}` |
//! | `day_master` | short, stem | the day stem | `{"day_master": "庚"}` |
//! | `day_master_element` | short, element | the day stem's element | `{"day_master_element": "金"}` |
//! | `day_master_yin_yang` | short, `阳` / `阴` | the day stem's polarity | `{"day_master_yin_yang": "阳"}` |
//! | `element_count` | `{element, op, value}` | count of the element over the eight characters (`element_counts`) compared; `op` one of `==` `!=` `<` `<=` `>` `>=`, `value` 0..=8 | `{"element_count": {"element": "土", "op": ">=", "value": 3}}` |
//! | `element_missing` | single, element | the element's count is 0 | `{"element_missing": "木"}` |
//! | `element_dominant` | single, element | its count is ≥ 3 and above every other element's | `{"element_dominant": "火"}` |
//! | `ten_god_stem` | positional (`year` `month` `hour`), ten god | ten god of the pillar's stem; without position any of the three | `{"ten_god_stem": {"position": "month", "is": "正官"}}` |
//! | `ten_god_hidden` | positional, ten god | ten god of one of the branch's hidden stems | `{"ten_god_hidden": {"position": "day", "is": "正财"}}` |
//! | `ten_god_present` | short, ten god | in any stem (year, month, hour) or hidden stem | `{"ten_god_present": "七杀"}` |
//! | `ten_god_count` | `{ten_god, op, value, scope?}` | count compared; `scope` `stems` (0..=3), `hidden` (0..=12) or `all` (default, 0..=15) | `{"ten_god_count": {"ten_god": "伤官", "op": ">=", "value": 2}}` |
//! | `main_star` | positional, ten god or `元男` / `元女` | the pillar's `main_star` (元男/元女 only on the day pillar) | `{"main_star": {"position": "day", "is": "元男"}}` |
//! | `deity` | positional, 神煞 | the star is on the pillar | `{"deity": {"position": "day", "is": "华盖"}}` |
//! | `relation` | `{kind, branches?, position?, element?}` | a branch relation of the kind(s) (`三合 三会 半合 六合 六冲 三刑 相刑 自刑 六害 六破`; a name or an array), with exactly these branches (any order), involving the pillar, combining toward the element | `{"relation": {"kind": "六冲", "branches": ["子", "午"], "position": "day"}}` |
//! | `stem_relation` | `{kind, stems?, position?, element?}` | a stem relation: `五合` or `相冲` | `{"stem_relation": {"kind": "五合", "stems": ["丁", "壬"]}}` |
//! | `day_pillar_relation` | short: `same` `generate` `control` `generated_by` `controlled_by` | the day stem against its branch's main qi (`relationships.day_pillar.relation`) | `{"day_pillar_relation": "generated_by"}` |
//! | `nayin` | positional, 纳音 | the pillar's 纳音 | `{"nayin": {"position": "year", "is": "大林木"}}` |
//! | `nayin_element` | positional, element | element of the pillar's 纳音 (its last character) | `{"nayin_element": {"position": "year", "is": "木"}}` |
//! | `star_fortune` | positional, life stage | the day stem's 十二长生 on the pillar's branch (星运) | `{"star_fortune": {"position": "month", "is": "墓"}}` |
//! | `self_sitting` | positional, life stage | the pillar's stem on its own branch (自坐) | `{"self_sitting": {"position": "year", "is": "帝旺"}}` |
//! | `season` | short: `春` `夏` `秋` `冬` | season of the month branch | `{"season": "冬"}` |
//! | `month_branch` | short, branch | the month branch (月令) | `{"month_branch": ["子", "丑"]}` |
//! | `gender` | short: `male` / `female` | the chart's gender | `{"gender": "female"}` |
//! | `zodiac` | short, 生肖 | zodiac of the year branch | `{"zodiac": "蛇"}` |
//! | `strength` | short, strength level | the given level is one of these | `{"strength": ["身弱", "从弱"]}` |
//! | `strength_at_least` | single, strength level | given level ≥ it (从弱 < 身弱 < 中和 < 身强 < 从强) | `{"strength_at_least": "身强"}` |
//! | `strength_at_most` | single, strength level | given level ≤ it | `{"strength_at_most": "中和"}` |
//! | `favourable_includes` | single, element | among the given favourable elements | `{"favourable_includes": "水"}` |
//! | `unfavourable_includes` | single, element | among the given unfavourable elements | `{"unfavourable_includes": "火"}` |
//! | `kongwang_contains` | positional, branch | the pillar's own 空亡 pair contains the branch | `{"kongwang_contains": {"position": "day", "is": "申"}}` |
//! | `kongwang_hit` | `{position?}` (`year` `month` `hour`) | the pillar's branch is in the day pillar's 空亡 (日空); without position any of the three | `{"kongwang_hit": {"position": "year"}}` |
//! | `late_zi_adjusted` | `true` / `false` | `basic_info.late_zi_adjusted` equals it | `{"late_zi_adjusted": true}` |
//! | `birth_year` | `{from?, to?}` (at least one; 1900..=2100) | Gregorian birth year in the inclusive range | `{"birth_year": {"from": 1980, "to": 1989}}` |
//!
//! **Refusals.** [`Condition::compile`] refuses, with the JSON path of the bad
//! node (`$.all[2].element_count.op`) and a [`CompileErrorKind`]:
//! an unknown condition or field (`unknown_key`), a missing required field
//! (`missing_key`), a value of the wrong JSON type (`wrong_type`), and a value
//! that can never be meant (`impossible_value`): an unknown name (stem `X`,
//! position `week`, op `~`), a count below 0 or above what the chart can hold,
//! an empty `all` / `any` / `in`, an object with zero or several keys, both
//! `is` and `in`, a position that cannot hold the value (`ten_god_stem` of the
//! day, `元男` on the month pillar), a relation that cannot exist (六冲 of 子
//! and 丑, a 三合 toward 土), `birth_year` with `from` after `to`.
//!
//! # Store
//!
//! See [`store`] for the file format, sharing between processes, the
//! rule-set version and migrations; [`mod@corpus`] for the built-in rules.
//!
//! # Speed
//!
//! [`Facts`] reads the chart into indices and bit masks once; a compiled
//! condition is a tree of bit tests. `examples/match_speed.rs` matches the
//! whole corpus against many charts and prints the rate.

mod atlas;
pub mod condition;
pub mod corpus;
pub mod facts;
pub mod rule;
pub mod store;

pub use condition::{CompileError, CompileErrorKind, Condition};
pub use corpus::corpus;
pub use facts::{Facts, Season};
pub use rule::{CompiledRule, NewRule, Rule, RuleError, RuleSet, RuleUpdate, SkippedRule};
pub use store::{OpenOptions, RuleStore, StoreError, StoreStats, TypeCount};
