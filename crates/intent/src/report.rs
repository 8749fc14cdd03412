//! The weekly feedback report and ISO-week ranges.

use std::collections::BTreeMap;

use ::time::{Date, Month, OffsetDateTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::eval::{macro_f1, per_intent, Prf};
use crate::feedback::{Feedback, Verdict};
use crate::intents::{sorted_set, Intent};

/// A prediction users corrected, and to what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusedPair {
    /// Empty when the question was refused as off-topic.
    pub predicted: Vec<Intent>,
    /// Empty when the user says the question is off-topic.
    pub should_be: Vec<Intent>,
    pub count: usize,
    /// Up to three questions, in feedback order.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklyReport {
    pub total: usize,
    /// Share of all feedback where the prediction was right: corrected to
    /// the same set, or satisfied without a correction. Unsatisfied feedback
    /// without a correction counts as wrong.
    pub accuracy: f32,
    /// Over the feedback that tells the truth (see [`Feedback::truth`]).
    pub per_intent: BTreeMap<Intent, Prf>,
    /// Of `per_intent`, as [`crate::eval::macro_f1`] defines it.
    pub macro_f1: f32,
    /// Most frequent first.
    pub confused_pairs: Vec<ConfusedPair>,
}

/// Occurrences of one (predicted, corrected) pair.
#[derive(Default)]
struct PairTally {
    count: usize,
    examples: Vec<String>,
}

/// Summarises a week's (or any period's) feedback.
pub fn weekly(feedback: &[Feedback]) -> WeeklyReport {
    let total = feedback.len();
    let right = feedback
        .iter()
        .filter(|f| f.verdict() == Verdict::Right)
        .count();
    let accuracy = if total == 0 {
        0.0
    } else {
        right as f32 / total as f32
    };
    let truths: Vec<(Vec<Intent>, &[Intent])> = feedback
        .iter()
        .filter_map(|f| f.truth().map(|t| (t, f.predicted.as_slice())))
        .collect();
    let per_intent = per_intent(truths.iter().map(|(t, p)| (t.as_slice(), *p)));

    let mut pairs: BTreeMap<(Vec<Intent>, Vec<Intent>), PairTally> = BTreeMap::new();
    for f in feedback
        .iter()
        .filter(|f| f.verdict() == Verdict::Corrected)
    {
        let Some(truth) = f.truth() else {
            continue;
        };
        let e = pairs.entry((sorted_set(&f.predicted), truth)).or_default();
        e.count += 1;
        if e.examples.len() < 3 {
            e.examples.push(f.question.clone());
        }
    }
    let mut confused_pairs: Vec<ConfusedPair> = pairs
        .into_iter()
        .map(|((predicted, should_be), t)| ConfusedPair {
            predicted,
            should_be,
            count: t.count,
            examples: t.examples,
        })
        .collect();
    // Stable sort: equal counts keep the (predicted, should_be) order.
    confused_pairs.sort_by_key(|p| std::cmp::Reverse(p.count));
    WeeklyReport {
        total,
        accuracy,
        macro_f1: macro_f1(&per_intent),
        per_intent,
        confused_pairs,
    }
}

/// An ISO week as a half-open range of unix seconds, `[from, to)`. Weeks
/// are counted in China Standard Time (UTC+8), the time of the users, so a
/// Monday-morning question in Beijing belongs to that Monday's week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekRange {
    /// "2026-W48".
    pub label: String,
    pub from: i64,
    pub to: i64,
}

/// A week specification that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read week {spec:?}: {reason}; use \"2026-W48\", a date \"2026-11-23\", or an empty string for the current week")]
pub struct WeekError {
    pub spec: String,
    pub reason: String,
}

impl WeekRange {
    /// Reads "2026-W48" (ISO week), "2026-11-23" (the week containing that
    /// date) or "" (the week containing `now`, unix seconds).
    pub fn parse(spec: &str, now: i64) -> Result<WeekRange, WeekError> {
        let spec = spec.trim();
        let err = |reason: &str| WeekError {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let date = if spec.is_empty() {
            OffsetDateTime::from_unix_timestamp(now)
                .map_err(|e| err(&e.to_string()))?
                .to_offset(crate::time::CHINA)
                .date()
        } else if let Some((y, w)) = spec.split_once(['W', 'w']) {
            let year: i32 = y
                .trim_end_matches('-')
                .parse()
                .map_err(|_| err("bad year"))?;
            let week: u8 = w.parse().map_err(|_| err("bad week number"))?;
            Date::from_iso_week_date(year, week, Weekday::Monday)
                .map_err(|e| err(&e.to_string()))?
        } else {
            let parts: Vec<&str> = spec.split('-').collect();
            let [y, m, d] = parts.as_slice() else {
                return Err(err("expected YYYY-MM-DD"));
            };
            let year: i32 = y.parse().map_err(|_| err("bad year"))?;
            let month: u8 = m.parse().map_err(|_| err("bad month"))?;
            let day: u8 = d.parse().map_err(|_| err("bad day"))?;
            let month = Month::try_from(month).map_err(|e| err(&e.to_string()))?;
            Date::from_calendar_date(year, month, day).map_err(|e| err(&e.to_string()))?
        };
        Ok(WeekRange::containing(date))
    }

    /// The ISO week containing `date`.
    pub fn containing(date: Date) -> WeekRange {
        let (year, week, _) = date.to_iso_week_date();
        let monday = Date::from_iso_week_date(year, week, Weekday::Monday).unwrap_or(date);
        let from = monday
            .midnight()
            .assume_offset(crate::time::CHINA)
            .unix_timestamp();
        WeekRange {
            label: format!("{year}-W{week:02}"),
            from,
            to: from + 7 * 86_400,
        }
    }
}
