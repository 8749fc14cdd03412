//! The SQLite store: the corpus on first open only, changes that bump the
//! rule-set version, refusals that write nothing, two handles (two
//! processes during a swap) on one file, migrations, and rows this version
//! cannot read.

mod support;

use std::path::Path;

use fortune_rules::store::MIGRATIONS;
use fortune_rules::{
    corpus, CompileErrorKind, ListFilter, NewRule, OpenOptions, RuleError, RuleKind, RuleStore,
    StoreError,
};
use serde_json::json;
use support::hand;

fn empty_store(path: &Path) -> RuleStore {
    RuleStore::open_with(
        path,
        &OpenOptions {
            seed_corpus: false,
            ..OpenOptions::default()
        },
    )
    .expect("open")
}

fn new_rule(code: &str) -> NewRule {
    NewRule {
        code: code.to_owned(),
        kind: RuleKind::Hand,
        category: "性格".to_owned(),
        conditions: json!({"hand_shape": "水"}),
        text: "水形手，心思灵活。".to_owned(),
        recommendations: vec!["多与人交流。".to_owned()],
        confidence: 0.7,
        priority: 10,
        enabled: true,
    }
}

#[test]
fn a_new_file_gets_the_corpus_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fortune_rule.sqlite3");
    let store = RuleStore::open(&path).expect("open");
    let n = corpus().len();
    assert_eq!(store.version().expect("version"), 1);
    let all = store.list(&ListFilter::default()).expect("list");
    assert_eq!(all.len(), n);
    assert!(all.iter().all(|r| r.source == "corpus"));
    let rules = store.load_rule_set().expect("rule set");
    assert_eq!((rules.len(), rules.version()), (n, 1));
    assert!(rules.skipped().is_empty(), "{:?}", rules.skipped());
    drop(store);

    // Reopened: nothing loaded again.
    let store = RuleStore::open(&path).expect("reopen");
    assert_eq!(store.version().expect("version"), 1);
    assert_eq!(store.list(&ListFilter::default()).expect("list").len(), n);

    // Every rule deleted on purpose stays deleted across a reopen…
    for r in store.list(&ListFilter::default()).expect("list") {
        store.delete(&r.rule.code).expect("delete");
    }
    drop(store);
    let store = RuleStore::open(&path).expect("reopen");
    assert!(store.list(&ListFilter::default()).expect("list").is_empty());
    // …until the corpus is loaded by hand.
    assert_eq!(store.load_corpus().expect("load"), n);
    assert_eq!(
        store.load_corpus().expect("load again"),
        0,
        "only into an empty store"
    );
    assert_eq!(store.list(&ListFilter::default()).expect("list").len(), n);
}

#[test]
fn every_change_bumps_the_version_and_is_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    assert_eq!(store.version().expect("v"), 0);
    assert_eq!(
        store.schema_version().expect("schema"),
        MIGRATIONS.len() as i64
    );

    let created = store.create(&new_rule("hand.test")).expect("create");
    assert_eq!(created.rule, new_rule("hand.test"));
    assert_eq!(created.source, "user");
    assert!(created.created_at.ends_with('Z'), "{}", created.created_at);
    assert_eq!(store.version().expect("v"), 1);

    let changed = NewRule {
        kind: RuleKind::Integrated,
        category: "健康".to_owned(),
        conditions: json!({"all": [{"hand_shape": "水"}, {"element_missing": "水"}]}),
        recommendations: vec![],
        confidence: 0.4,
        priority: -3,
        enabled: false,
        ..new_rule("hand.test")
    };
    let updated = store.update(&changed).expect("update");
    assert_eq!(updated.rule, changed);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(store.version().expect("v"), 2);
    assert_eq!(
        store.get("hand.test").expect("get").map(|r| r.rule),
        Some(changed)
    );
    // Disabled: stored, not matched.
    assert!(store.load_rule_set().expect("rules").is_empty());

    store.delete("hand.test").expect("delete");
    assert_eq!(store.version().expect("v"), 3);
    assert!(store.get("hand.test").expect("get").is_none());
}

#[test]
fn list_filters_by_kind_category_and_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    store.create(&new_rule("h1")).expect("create");
    store
        .create(&NewRule {
            enabled: false,
            ..new_rule("h2")
        })
        .expect("create");
    store
        .create(&NewRule {
            kind: RuleKind::Face,
            category: "财运".to_owned(),
            conditions: json!({"face_shape": "圆"}),
            ..new_rule("f1")
        })
        .expect("create");
    let codes = |filter: ListFilter| -> Vec<String> {
        store
            .list(&filter)
            .expect("list")
            .into_iter()
            .map(|r| r.rule.code)
            .collect()
    };
    assert_eq!(
        codes(ListFilter::default()),
        ["f1", "h1"],
        "by kind, then code"
    );
    assert_eq!(
        codes(ListFilter {
            include_disabled: true,
            ..ListFilter::default()
        }),
        ["f1", "h1", "h2"]
    );
    assert_eq!(
        codes(ListFilter {
            kind: Some(RuleKind::Hand),
            include_disabled: true,
            ..ListFilter::default()
        }),
        ["h1", "h2"]
    );
    assert_eq!(
        codes(ListFilter {
            category: Some("财运".to_owned()),
            ..ListFilter::default()
        }),
        ["f1"]
    );
}

#[test]
fn refusals_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    store.create(&new_rule("a")).expect("create");

    let bad_condition = NewRule {
        conditions: json!({"all": [{"hand_shape": "水"}, {"number": {"feature": "x", "op": ">", "value": 1}}]}),
        ..new_rule("b")
    };
    match store.create(&bad_condition) {
        Err(StoreError::Invalid {
            code,
            source: RuleError::Conditions(e),
        }) => {
            assert_eq!(code, "b");
            assert_eq!(e.path, "$.all[1].number.feature");
            assert_eq!(e.kind, CompileErrorKind::ImpossibleValue);
        }
        other => panic!("expected an invalid condition: {other:?}"),
    }
    assert!(matches!(
        store.create(&NewRule {
            confidence: 2.0,
            ..new_rule("c")
        }),
        Err(StoreError::Invalid {
            source: RuleError::Field {
                field: "confidence",
                ..
            },
            ..
        })
    ));
    assert!(matches!(
        store.create(&new_rule("a")),
        Err(StoreError::Duplicate { .. })
    ));
    assert!(matches!(
        store.update(&new_rule("nobody")),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete("nobody"),
        Err(StoreError::NotFound { .. })
    ));
    // A new kind is checked against the condition it keeps.
    match store.update(&NewRule {
        kind: RuleKind::Face,
        ..new_rule("a")
    }) {
        Err(StoreError::Invalid {
            source: RuleError::Conditions(e),
            ..
        }) => assert_eq!(e.path, "$.hand_shape"),
        other => panic!("expected the condition refused for the new kind: {other:?}"),
    }
    assert_eq!(
        store.version().expect("v"),
        1,
        "only the first create wrote"
    );
    assert_eq!(
        store.get("a").expect("get").map(|r| r.rule),
        Some(new_rule("a"))
    );
}

#[test]
fn two_handles_on_one_file_see_each_others_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.sqlite3");
    // Both open a fresh file at once, as two versions starting together.
    let (old, new) = std::thread::scope(|s| {
        let a = s.spawn(|| RuleStore::open(&path).expect("open a"));
        let b = s.spawn(|| RuleStore::open(&path).expect("open b"));
        (a.join().expect("thread"), b.join().expect("thread"))
    });
    let n = corpus().len();
    assert_eq!(
        old.list(&ListFilter::default()).expect("list").len(),
        n,
        "the corpus once"
    );
    assert_eq!(old.version().expect("v"), new.version().expect("v"));

    let before = old.load_rule_set().expect("rules");
    new.create(&NewRule {
        priority: 1000,
        ..new_rule("hand.swap")
    })
    .expect("create");
    assert_eq!(
        old.version().expect("v"),
        before.version() + 1,
        "the other handle's change"
    );
    let after = old.load_rule_set().expect("rules");
    let found = after.evaluate(&hand("水", &[], &[]), None);
    assert_eq!(found.insights[0].source, "hand.swap");
    assert!(!before
        .evaluate(&hand("水", &[], &[]), None)
        .insights
        .iter()
        .any(|i| i.source == "hand.swap"));
}

#[test]
fn rows_this_version_cannot_read_are_skipped_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.db");
    let store = empty_store(&path);
    store.create(&new_rule("good")).expect("create");
    drop(store);
    {
        // A newer version's rows: a kind and a condition this one does not know.
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch(
            "INSERT INTO rules (code, kind, category, conditions, text, confidence, created_at, updated_at)
               VALUES ('later.kind', 'palm_line', '性格', '{\"hand_shape\": \"水\"}', 't', 0.5, 'x', 'x');
             INSERT INTO rules (code, kind, category, conditions, text, confidence, created_at, updated_at)
               VALUES ('later.condition', 'hand', '性格', '{\"palm_line\": \"川\"}', 't', 0.5, 'x', 'x');
             INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 'x');",
        )
        .expect("insert");
    }
    let store = empty_store(&path);
    assert_eq!(store.schema_version().expect("schema"), 99);
    let rules = store.load_rule_set().expect("rules");
    assert_eq!(rules.len(), 1);
    let mut skipped: Vec<&str> = rules.skipped().iter().map(|s| s.code.as_str()).collect();
    skipped.sort_unstable();
    assert_eq!(skipped, ["later.condition", "later.kind"]);
    assert!(rules
        .skipped()
        .iter()
        .any(|s| s.reason.contains("palm_line")));
    // Reading such a row directly says what is wrong.
    assert!(matches!(
        store.get("later.kind"),
        Err(StoreError::Unreadable { column: "kind", .. })
    ));
}
