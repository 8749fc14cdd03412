//! The weekly report on a small feedback set computed by hand, and week
//! ranges.

use intent::report::{weekly, WeekRange};
use intent::{Correction, Feedback, Intent};

fn fb(q: &str, predicted: &[Intent], corrected: &[Intent], satisfied: bool) -> Feedback {
    Feedback {
        question: q.to_owned(),
        predicted: predicted.to_vec(),
        corrected: Correction::intents(corrected),
        confidence: 0.5,
        satisfied,
        comment: String::new(),
        user_id: "u".to_owned(),
        at: 0,
    }
}

#[test]
fn weekly_numbers_match_a_hand_computation() {
    use Intent::*;
    let set = vec![
        fb("q1", &[Career], &[], true),         // right (satisfied)
        fb("q2", &[Career], &[Career], true),   // right (confirmed)
        fb("q3", &[General], &[Career], false), // corrected general → career
        fb("q4", &[General], &[Career], false), // corrected general → career
        fb("q5", &[Health], &[Wealth], false),  // corrected health → wealth
        fb("q6", &[Wealth], &[], false),        // unsatisfied, no truth
    ];
    let r = weekly(&set);
    assert_eq!(r.total, 6);
    // 2 right of 6.
    assert!((r.accuracy - 2.0 / 6.0).abs() < 1e-6);

    // Over q1–q5 (q6 tells no truth):
    // career: truth in q1–q4, predicted in q1, q2 → tp 2, fn 2, fp 0.
    let career = r.per_intent[&Career];
    assert_eq!(career.support, 4);
    assert!((career.precision - 1.0).abs() < 1e-6);
    assert!((career.recall - 0.5).abs() < 1e-6);
    assert!((career.f1 - 2.0 / 3.0).abs() < 1e-6);
    // general: predicted twice, never true → precision 0, support 0.
    let general = r.per_intent[&General];
    assert_eq!(
        (general.support, general.precision, general.f1),
        (0, 0.0, 0.0)
    );
    // wealth: true once (q5), never predicted there → recall 0.
    let wealth = r.per_intent[&Wealth];
    assert_eq!((wealth.support, wealth.recall), (1, 0.0));
    assert!(!r.per_intent.contains_key(&Marriage));
    // health: predicted once (q5), never true → support 0.
    assert_eq!(r.per_intent[&Health].support, 0);

    // Macro-F1 averages the intents some question truly carries: career
    // (2/3) and wealth (0); general and health, only ever predicted, are
    // left out.
    assert!((r.macro_f1 - 1.0 / 3.0).abs() < 1e-6, "{}", r.macro_f1);
    assert_eq!(intent::eval::macro_f1(&Default::default()), 0.0);

    assert_eq!(r.confused_pairs.len(), 2);
    let top = &r.confused_pairs[0];
    assert_eq!(
        (
            top.predicted.as_slice(),
            top.should_be.as_slice(),
            top.count
        ),
        ([General].as_slice(), [Career].as_slice(), 2)
    );
    assert_eq!(top.examples, vec!["q3", "q4"]);
    let second = &r.confused_pairs[1];
    assert_eq!(
        (
            second.predicted.clone(),
            second.should_be.clone(),
            second.count
        ),
        (vec![Health], vec![Wealth], 1)
    );
}

#[test]
fn confused_pair_examples_are_capped_at_three() {
    let set: Vec<Feedback> = (0..5)
        .map(|k| {
            fb(
                &format!("q{k}"),
                &[Intent::General],
                &[Intent::Health],
                false,
            )
        })
        .collect();
    let r = weekly(&set);
    assert_eq!(r.confused_pairs[0].count, 5);
    assert_eq!(r.confused_pairs[0].examples, vec!["q0", "q1", "q2"]);
    assert_eq!(r.accuracy, 0.0);
    let empty = weekly(&[]);
    assert_eq!(
        (empty.total, empty.accuracy, empty.confused_pairs.len()),
        (0, 0.0, 0)
    );
}

#[test]
fn week_ranges() {
    // ISO week 48 of 2026 starts on Monday 2026-11-23, 00:00 in Beijing.
    let monday = 1_795_363_200;
    let w = WeekRange::parse("2026-W48", 0).unwrap();
    assert_eq!(
        (w.label.as_str(), w.from, w.to),
        ("2026-W48", monday, monday + 7 * 86_400)
    );
    assert_eq!(WeekRange::parse("2026-11-23", 0).unwrap(), w);
    assert_eq!(WeekRange::parse("2026-11-29", 0).unwrap(), w);
    assert_eq!(WeekRange::parse("", monday + 3 * 86_400).unwrap(), w);
    // Sunday 23:30 in Beijing is still week 48 although it is Sunday 15:30 UTC.
    assert_eq!(WeekRange::parse("", monday + 7 * 86_400 - 1800).unwrap(), w);
    assert_eq!(WeekRange::parse("2026-11-30", 0).unwrap().label, "2026-W49");
    // 2027-01-01 (a Friday) belongs to 2026-W53.
    assert_eq!(WeekRange::parse("2027-01-01", 0).unwrap().label, "2026-W53");
    for bad in ["2026-W60", "2026-13-01", "hello", "2026-11", "2026-Wx"] {
        let err = WeekRange::parse(bad, 0).unwrap_err();
        assert!(err.to_string().contains("2026-W48"), "{err}");
    }
}
