//! Version bodies written by earlier releases, and by later ones, still
//! load: `fixtures/v1.json` is the baseline body as the first release
//! stored it (`intent_versions.body` of "v1"), and a copy of it with an
//! intent this release does not know stands in for a newer release's.

use intent::time::Date;
use intent::{Classifier, Example, Intent, IntentStore, ModelVersion};
use serde_json::{json, Value};

const V1_BODY: &str = include_str!("fixtures/v1.json");

fn today() -> Date {
    Date::from_calendar_date(2026, time::Month::November, 25).unwrap()
}

fn intents(classifier: &Classifier, question: &str) -> Vec<Intent> {
    let mut v = classifier.classify(question, today()).intents;
    v.sort();
    v
}

const QUESTIONS: [&str; 5] = [
    "我明年的事业和财运怎么样？",
    "我什么时候能遇到正缘",
    "我的喜用神和忌神分别是什么",
    "我的纳音是什么命",
    "番茄炒蛋怎么做",
];

#[test]
fn the_first_releases_v1_body_still_loads_and_classifies() {
    let v1: ModelVersion = serde_json::from_str(V1_BODY).expect("the stored v1 body");
    assert_eq!(v1.id, "v1");
    assert_eq!(v1.parent, None);
    assert!(v1.weights.is_some());
    assert_eq!(v1.lexicon.intents.len(), Intent::ALL.len());
    let classifier = Classifier::new(v1, None).expect("a classifier of the stored v1");
    assert_eq!(
        intents(&classifier, QUESTIONS[0]),
        [Intent::Career, Intent::Wealth]
    );
    assert!(
        !classifier
            .classify(QUESTIONS[4], today())
            .is_fortune_related
    );
    // It reads questions as today's baseline does.
    let baseline = Classifier::new(ModelVersion::baseline(), None).unwrap();
    for q in QUESTIONS {
        assert_eq!(intents(&classifier, q), intents(&baseline, q), "{q}");
    }
}

/// The v1 body as a release with one more intent ("fate") would write it:
/// a lexicon entry, a classifier head, prototypes and learnt questions.
fn with_an_unknown_intent() -> String {
    let mut body: Value = serde_json::from_str(V1_BODY).unwrap();
    body["id"] = json!("v7");
    body["lexicon"]["intents"]["fate"] = json!({"天命": 1.2});
    let vocabulary = body["weights"]["vocabulary"].as_array().unwrap().len();
    body["weights"]["intents"]["fate"] = json!({"bias": -1.0, "weights": vec![0.0; vocabulary]});
    body["prototypes"]["intents"]["fate"] = json!(["我的天命是什么"]);
    body["feedback_examples"] = json!([
        {"question": "我的天命如何", "intents": ["fate"], "fortune_related": true},
        {"question": "天命和事业", "intents": ["career", "fate"], "fortune_related": true},
        {"question": "今天股市怎么样", "intents": [], "fortune_related": false},
    ]);
    body.to_string()
}

#[test]
fn intents_a_newer_release_added_are_skipped() {
    let v7: ModelVersion =
        serde_json::from_str(&with_an_unknown_intent()).expect("a newer release's body");
    assert_eq!(v7.id, "v7");
    assert_eq!(v7.lexicon.intents.len(), Intent::ALL.len());
    assert!(!v7.lexicon.intents.values().any(|t| t.contains_key("天命")));
    assert_eq!(
        v7.weights.as_ref().map(|w| w.intents.len()),
        Some(Intent::ALL.len())
    );
    assert!(!v7
        .prototypes
        .intents
        .values()
        .flatten()
        .any(|p| p == "我的天命是什么"));
    // A question left without a known intent teaches nothing; the others
    // keep what this release knows.
    assert_eq!(
        v7.feedback_examples,
        [
            Example::fortune("天命和事业", &[Intent::Career]),
            Example::off_topic("今天股市怎么样"),
        ]
    );
    let classifier = Classifier::new(v7, None).expect("a classifier of v7");
    assert_eq!(
        intents(&classifier, QUESTIONS[0]),
        [Intent::Career, Intent::Wealth]
    );
}

#[test]
fn the_store_reads_both_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intent.sqlite3");
    let store = IntentStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (id, body) in [("v6", V1_BODY.to_owned()), ("v7", with_an_unknown_intent())] {
        conn.execute(
            "INSERT INTO intent_versions (id, parent, created_at, body) VALUES (?1, NULL, 0, ?2)",
            rusqlite::params![id, body],
        )
        .unwrap();
    }
    // A version is known by its row's id, whatever its body says.
    assert_eq!(
        store.version("v6").unwrap().map(|v| v.id),
        Some("v6".to_owned())
    );
    assert_eq!(
        store.version("v7").unwrap().map(|v| v.id),
        Some("v7".to_owned())
    );
}
