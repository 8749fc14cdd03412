//! The improvement loop: feedback → proposed version → corrected questions
//! are read right, and the held-out set is not read worse.

use intent::improve::propose;
use intent::time::Date;
use intent::{
    dataset, evaluate, Classifier, Correction, Example, Feedback, Intent, ModelVersion,
    REJECT_MESSAGE,
};

fn today() -> Date {
    Date::from_calendar_date(2026, time::Month::November, 25).unwrap()
}

fn correction(question: &str, predicted: &[Intent], corrected: &[Intent], at: i64) -> Feedback {
    Feedback {
        question: question.to_owned(),
        predicted: predicted.to_vec(),
        corrected: Correction::intents(corrected),
        confidence: 0.3,
        satisfied: false,
        comment: String::new(),
        user_id: "u1".to_owned(),
        at,
    }
}

fn intents_of(c: &Classifier, q: &str) -> Vec<Intent> {
    let mut v = c.classify(q, today()).intents;
    v.sort();
    v
}

#[test]
fn a_corrected_question_is_read_right_by_the_next_version() {
    let baseline = ModelVersion::baseline();
    let before = Classifier::new(baseline.clone(), None).unwrap();
    let question = "试用期快结束了，我能顺利转正吗";
    let first = intents_of(&before, question);
    assert_ne!(
        first,
        vec![Intent::Career],
        "the baseline must get it wrong for this test"
    );

    let fb = correction(question, &first, &[Intent::Career], 1_800_000_000);
    let improvement = propose(&baseline, &[fb], "v2".to_owned(), 1_800_000_100);
    let v2 = improvement.version.clone();
    assert_eq!(v2.id, "v2");
    assert_eq!(v2.parent.as_deref(), Some("v1"));
    assert_eq!(v2.created_at, 1_800_000_100);
    assert!(v2.feedback_examples.iter().any(|e| e.question == question));
    assert!(
        improvement
            .added_terms
            .iter()
            .any(|(i, t)| *i == Intent::Career && t == "转正"),
        "{:?}",
        improvement.added_terms
    );
    assert!(
        improvement
            .reasoning
            .starts_with("v2 from v1: retrained on"),
        "{}",
        improvement.reasoning
    );
    assert!(
        improvement.reasoning.contains("转正 → career"),
        "{}",
        improvement.reasoning
    );
    assert_eq!(v2.notes, improvement.reasoning);

    let after = Classifier::new(v2.clone(), None).unwrap();
    assert_eq!(intents_of(&after, question), vec![Intent::Career]);
    // The new term generalises to another phrasing.
    assert_eq!(intents_of(&after, "我下个月能转正吗"), vec![Intent::Career]);

    // Not worse on the held-out set.
    let held = dataset::held_out();
    let base_eval = evaluate(&before, &held, today());
    let new_eval = evaluate(&after, &held, today());
    println!(
        "held-out macro-F1 {:.3} → {:.3}, accuracy {:.3} → {:.3}",
        base_eval.macro_f1, new_eval.macro_f1, base_eval.accuracy, new_eval.accuracy
    );
    assert!(
        new_eval.macro_f1 >= base_eval.macro_f1,
        "{} < {}",
        new_eval.macro_f1,
        base_eval.macro_f1
    );
    assert!(new_eval.accuracy >= base_eval.accuracy);

    // A later version keeps the correction without being told again.
    let v3 = propose(&v2, &[], "v3".to_owned(), 1_800_000_200).version;
    assert_eq!(v3.parent.as_deref(), Some("v2"));
    let c3 = Classifier::new(v3, None).unwrap();
    assert_eq!(intents_of(&c3, question), vec![Intent::Career]);
}

#[test]
fn misleading_terms_are_removed() {
    let baseline = ModelVersion::baseline();
    let before = Classifier::new(baseline.clone(), None).unwrap();
    let cases = [
        ("今年会有意外的收获吗", vec![Intent::Wealth]),
        ("今年能收到意外的红包吗", vec![Intent::Wealth]),
        ("明年会不会有意外惊喜", vec![Intent::General]),
    ];
    let feedback: Vec<Feedback> = cases
        .iter()
        .enumerate()
        .map(|(k, (q, truth))| {
            let predicted = intents_of(&before, q);
            assert_eq!(
                predicted,
                vec![Intent::Health],
                "{q}: the baseline must be misled by 意外"
            );
            correction(q, &predicted, truth, 1_800_000_000 + k as i64)
        })
        .collect();
    let improvement = propose(&baseline, &feedback, "v2".to_owned(), 1_800_000_100);
    assert!(
        improvement
            .removed_terms
            .contains(&(Intent::Health, "意外".to_owned())),
        "{:?}",
        improvement.removed_terms
    );
    assert!(!improvement.version.lexicon.contains(Intent::Health, "意外"));
    assert!(
        improvement.reasoning.contains("removed 意外 from health"),
        "{}",
        improvement.reasoning
    );
    let after = Classifier::new(improvement.version, None).unwrap();
    for (q, truth) in &cases {
        assert_eq!(&intents_of(&after, q), truth, "{q}");
    }
    // Health questions that really are about accidents stay health.
    assert_eq!(
        intents_of(&after, "我开车出行会不会出意外受伤"),
        vec![Intent::Health]
    );
}

#[test]
fn a_question_marked_off_topic_is_refused_by_the_next_version() {
    let baseline = ModelVersion::baseline();
    let before = Classifier::new(baseline.clone(), None).unwrap();
    // The housing market: no lexicon term either way, and the baseline's
    // relevance head reads it as a fortune question.
    let question = "明年房价会涨吗";
    let first = before.classify(question, today());
    assert!(
        first.is_fortune_related,
        "the baseline must answer it for this test: {}",
        first.reasoning
    );
    let marked = Feedback {
        corrected: Some(Correction::OffTopic),
        ..correction(question, &first.intents, &[], 1_800_000_000)
    };
    assert_eq!(marked.truth(), Some(vec![]));
    assert_eq!(marked.example(), Some(Example::off_topic(question)));

    let improvement = propose(&baseline, &[marked], "v2".to_owned(), 1_800_000_100);
    let v2 = improvement.version.clone();
    assert_eq!(v2.feedback_examples, vec![Example::off_topic(question)]);
    assert!(
        v2.prototypes.off_topic.iter().any(|p| p == question),
        "{:?}",
        v2.prototypes.off_topic
    );
    let after = Classifier::new(v2, None).unwrap();
    let refused = after.classify(question, today());
    assert!(!refused.is_fortune_related, "{}", refused.reasoning);
    assert_eq!(refused.reject_message, REJECT_MESSAGE);
    assert!(refused.intents.is_empty());

    // Fortune questions are still answered: the held-out set is not read
    // worse.
    let held = dataset::held_out();
    let base_eval = evaluate(&before, &held, today());
    let new_eval = evaluate(&after, &held, today());
    assert!(
        new_eval.accuracy >= base_eval.accuracy && new_eval.macro_f1 >= base_eval.macro_f1,
        "accuracy {} → {}, macro-F1 {} → {}",
        base_eval.accuracy,
        new_eval.accuracy,
        base_eval.macro_f1,
        new_eval.macro_f1
    );
    assert!(after.classify("明年适合买房吗", today()).is_fortune_related);
}

#[test]
fn feedback_without_a_truth_changes_nothing_but_the_id() {
    let baseline = ModelVersion::baseline();
    let unsure = Feedback {
        question: "我的财运怎么样".to_owned(),
        predicted: vec![Intent::Wealth],
        corrected: None,
        confidence: 0.9,
        satisfied: false,
        comment: "太笼统".to_owned(),
        user_id: "u2".to_owned(),
        at: 1,
    };
    let improvement = propose(&baseline, &[unsure], "v2".to_owned(), 2);
    assert!(improvement.added_terms.is_empty() && improvement.removed_terms.is_empty());
    assert!(improvement.version.feedback_examples.is_empty());
    assert_eq!(improvement.version.lexicon, baseline.lexicon);
    assert_eq!(improvement.version.weights, baseline.weights);
}
