//! The chart a match uses: the caller's `bazi_data` when it sends one,
//! else the chart of `bazi_info`'s birth when `use_bazi` is set, else none.
//!
//! **From `bazi_data`** the facts are what it states. `element_counts`
//! (keys 木 火 土 金 水) are the counts; without them, four
//! `bazi_pillars` (keys `year` `month` `day` `hour`, values such as `庚辰`)
//! give them (stem and branch of each). The day pillar gives the day
//! master. `metadata_json` may give `strength` (从弱 身弱 中和 身强 从强)
//! and `favourable` / `unfavourable` (arrays of elements) — the analyses
//! this service writes into every answer's `bazi_data`, so an answer's
//! chart sent back gives the same facts. A fact it does not state is
//! unknown, and a rule condition on it is false.
//!
//! **From `bazi_info`** the chart is computed by the `bazi` library, with
//! its strength (`wangshuai`) and favourable elements
//! (`xishen_jishen_from`), as `bazi_analyzer` computes them.
//!
//! Anything malformed is `INVALID_ARGUMENT` naming the field:
//! `bazi_info.solar_date: …`, `bazi_data.bazi_pillars.day: …`.

use std::collections::HashMap;

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::{Branch, Element, Pillar, Stem};
use bazi::ten_gods::TenGod;
use bazi::BirthInput;
use fortune_rule_api::{BaziData, BaziInfo};
use fortune_rules::ChartFacts;
use serde::Serialize;
use serde_json::{json, Value};
use tonic::Status;

/// The pillar keys of `bazi_pillars`, in order.
const PILLAR_KEYS: [&str; 4] = ["year", "month", "day", "hour"];

/// Where the chart came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The caller's `bazi_data`.
    BaziData,
    /// Computed from `bazi_info`.
    BaziInfo,
}

/// The chart of a match: the facts the rules see and the `bazi_data` the
/// answer returns.
#[derive(Clone, Debug)]
pub struct Chart {
    /// Where it came from.
    pub source: Source,
    /// What the rules see.
    pub facts: ChartFacts,
    /// What the answer says was used.
    pub data: BaziData,
}

fn invalid(field: &str, message: impl std::fmt::Display) -> Status {
    hifate_sdk::invalid_argument(format!("{field}: {message}"))
}

/// Text from a request, shortened for an error message.
fn shown(text: &str) -> String {
    text.chars().take(40).collect()
}

fn element(name: &str) -> Option<Element> {
    Element::ALL.into_iter().find(|e| e.as_str() == name)
}

/// Whether the caller sent a chart: a `bazi_data` with anything in it (an
/// original client may send an empty message).
fn sent(data: &BaziData) -> bool {
    !(data.element_counts.is_empty()
        && data.ten_gods_stats.is_empty()
        && data.bazi_pillars.is_empty()
        && data.metadata_json.trim().is_empty())
}

/// The chart of a request, if it has one.
pub fn resolve(info: Option<&BaziInfo>, data: Option<&BaziData>) -> Result<Option<Chart>, Status> {
    if let Some(data) = data.filter(|d| sent(d)) {
        return from_data(data).map(Some);
    }
    match info {
        Some(info) if info.use_bazi => from_info(info).map(Some),
        _ => Ok(None),
    }
}

/// The metadata every answer's chart carries.
fn metadata(
    source: Source,
    facts: &ChartFacts,
    day_master: Option<Stem>,
    birth: Option<&BirthInput>,
) -> String {
    let mut meta = json!({
        "source": source,
        "strength": facts.strength.map(StrengthLevel::as_str),
        "favourable": facts.favourable.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "unfavourable": facts.unfavourable.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "day_master": day_master.map(Stem::as_str),
        "day_master_element": facts.day_master.map(Element::as_str),
    });
    if let (Some(birth), Some(map)) = (birth, meta.as_object_mut()) {
        map.insert("solar_date".to_owned(), json!(birth.solar_date_string()));
        map.insert("solar_time".to_owned(), json!(birth.solar_time_string()));
        map.insert("gender".to_owned(), json!(birth.gender.as_str()));
    }
    meta.to_string()
}

fn counts_map(facts: &ChartFacts) -> HashMap<String, i32> {
    Element::ALL
        .iter()
        .map(|e| {
            (
                e.as_str().to_owned(),
                i32::try_from(facts.count(*e)).unwrap_or(i32::MAX),
            )
        })
        .collect()
}

fn from_info(info: &BaziInfo) -> Result<Chart, Status> {
    let input = BirthInput::parse(&info.solar_date, &info.solar_time, &info.gender)
        .map_err(|e| hifate_sdk::invalid_argument(format!("bazi_info.{e}")))?;
    let chart =
        bazi::chart(&input).map_err(|e| hifate_sdk::invalid_argument(format!("bazi_info.{e}")))?;
    let facts = ChartFacts::from_chart(&chart);
    let pillars = chart.pillars();
    let data = BaziData {
        element_counts: counts_map(&facts),
        ten_gods_stats: TenGod::ALL
            .iter()
            .filter_map(|g| {
                let n = chart.ten_gods_stats.total(*g);
                (n > 0).then(|| (g.as_str().to_owned(), i32::from(n)))
            })
            .collect(),
        bazi_pillars: PILLAR_KEYS
            .iter()
            .zip([pillars.year, pillars.month, pillars.day, pillars.hour])
            .map(|(k, p)| ((*k).to_owned(), p.to_string()))
            .collect(),
        metadata_json: metadata(
            Source::BaziInfo,
            &facts,
            Some(chart.day_master()),
            Some(&input),
        ),
    };
    Ok(Chart {
        source: Source::BaziInfo,
        facts,
        data,
    })
}

/// A sexagenary pair: a stem and a branch of the same polarity.
fn pillar(text: &str) -> Option<Pillar> {
    let mut chars = text.chars();
    let (s, b) = (chars.next()?, chars.next()?);
    if chars.next().is_some() {
        return None;
    }
    let stem = Stem::from_name(s.encode_utf8(&mut [0; 4]))?;
    let branch = Branch::from_name(b.encode_utf8(&mut [0; 4]))?;
    (stem.is_yang() == branch.is_yang()).then_some(Pillar { stem, branch })
}

/// An element list of the metadata.
fn element_list(meta: &serde_json::Map<String, Value>, key: &str) -> Result<Vec<Element>, Status> {
    let field = format!("bazi_data.metadata_json.{key}");
    let Some(v) = meta.get(key) else {
        return Ok(Vec::new());
    };
    let items = v
        .as_array()
        .ok_or_else(|| invalid(&field, "expected an array of elements (木 火 土 金 水)"))?;
    items
        .iter()
        .map(|x| {
            x.as_str().and_then(element).ok_or_else(|| {
                invalid(
                    &field,
                    format!(
                        "{} is not an element; expected 木 火 土 金 水",
                        shown(&x.to_string())
                    ),
                )
            })
        })
        .collect()
}

fn from_data(data: &BaziData) -> Result<Chart, Status> {
    let mut facts = ChartFacts::default();

    let mut pillars: HashMap<&str, Pillar> = HashMap::new();
    for (key, value) in &data.bazi_pillars {
        let field = format!("bazi_data.bazi_pillars.{}", shown(key));
        let Some(name) = PILLAR_KEYS.iter().find(|k| **k == key) else {
            return Err(invalid(
                &field,
                "unknown pillar; expected year, month, day or hour",
            ));
        };
        let p = pillar(value.trim()).ok_or_else(|| {
            invalid(
                &field,
                format!(
                    "{:?} is not a pillar; expected a stem and a branch of the same polarity, e.g. \"庚辰\"",
                    shown(value)
                ),
            )
        })?;
        pillars.insert(name, p);
    }
    let day_master = pillars.get("day").map(|p| p.stem);
    facts.day_master = day_master.map(Stem::element);

    if data.element_counts.is_empty() {
        if pillars.len() == PILLAR_KEYS.len() {
            for p in pillars.values() {
                facts.element_counts[p.stem.element().index()] += 1;
                facts.element_counts[p.branch.element().index()] += 1;
            }
        }
    } else {
        for (key, n) in &data.element_counts {
            let field = format!("bazi_data.element_counts.{}", shown(key));
            let e = element(key)
                .ok_or_else(|| invalid(&field, "unknown element; expected 木 火 土 金 水"))?;
            facts.element_counts[e.index()] =
                u32::try_from(*n).map_err(|_| invalid(&field, format!("{n} is below zero")))?;
        }
    }

    if !data.metadata_json.trim().is_empty() {
        let meta: Value = serde_json::from_str(&data.metadata_json)
            .map_err(|e| invalid("bazi_data.metadata_json", format!("is not JSON ({e})")))?;
        let meta = meta
            .as_object()
            .ok_or_else(|| invalid("bazi_data.metadata_json", "expected a JSON object"))?;
        match meta.get("strength") {
            None | Some(Value::Null) => {}
            Some(v) => {
                let level = v.as_str().and_then(StrengthLevel::parse).ok_or_else(|| {
                    invalid(
                        "bazi_data.metadata_json.strength",
                        format!(
                            "{} is not a strength level; expected 从弱 身弱 中和 身强 从强",
                            shown(&v.to_string())
                        ),
                    )
                })?;
                facts.strength = Some(level);
            }
        }
        facts.favourable = element_list(meta, "favourable")?;
        facts.unfavourable = element_list(meta, "unfavourable")?;
    }

    let data = BaziData {
        element_counts: counts_map(&facts),
        ten_gods_stats: data.ten_gods_stats.clone(),
        bazi_pillars: pillars
            .iter()
            .map(|(k, p)| ((*k).to_owned(), p.to_string()))
            .collect(),
        metadata_json: metadata(Source::BaziData, &facts, day_master, None),
    };
    Ok(Chart {
        source: Source::BaziData,
        facts,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pillars_are_pairs_of_one_polarity() {
        assert_eq!(
            pillar("庚辰").map(|p| p.to_string()),
            Some("庚辰".to_owned())
        );
        assert!(pillar("甲丑").is_none());
        assert!(pillar("甲").is_none());
        assert!(pillar("甲子子").is_none());
    }

    #[test]
    fn an_empty_bazi_data_is_not_a_chart() {
        assert!(!sent(&BaziData::default()));
        assert!(resolve(None, Some(&BaziData::default()))
            .expect("fine")
            .is_none());
        let info = BaziInfo {
            use_bazi: false,
            ..BaziInfo::default()
        };
        assert!(resolve(Some(&info), None).expect("fine").is_none());
    }

    #[test]
    fn pillars_alone_give_counts_and_the_day_master() {
        let data = BaziData {
            bazi_pillars: [
                ("year", "己巳"),
                ("month", "丁丑"),
                ("day", "庚辰"),
                ("hour", "壬午"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..BaziData::default()
        };
        let chart = resolve(None, Some(&data)).expect("valid").expect("a chart");
        assert_eq!(chart.source, Source::BaziData);
        // 己土 巳火 丁火 丑土 庚金 辰土 壬水 午火.
        assert_eq!(chart.facts.element_counts, [0, 3, 3, 1, 1]);
        assert_eq!(chart.facts.day_master, Some(Element::Metal));
        assert_eq!(chart.facts.strength, None);
    }
}
