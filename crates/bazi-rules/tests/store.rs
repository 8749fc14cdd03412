//! The SQLite store: CRUD and the rule-set version, refusals that write
//! nothing, two handles on one file, migrations of an older schema.

use std::path::Path;

use bazi_rules::{
    CompileErrorKind, Facts, NewRule, OpenOptions, RuleStore, RuleUpdate, StoreError,
};
use serde_json::json;

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
        name: format!("rule {code}"),
        rule_type: "test".to_owned(),
        conditions: json!({"all": [{"day_master": "庚"}, {"season": "冬"}]}),
        content: json!({"text": "庚 in winter"}),
        priority: 10,
        enabled: true,
    }
}

fn example_chart() -> bazi::Chart {
    let input = bazi::BirthInput::parse("1990-01-15", "12:00", "male").expect("input");
    bazi::chart(&input).expect("chart")
}

#[test]
fn every_change_bumps_the_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    assert_eq!(store.version().expect("v"), 0);

    let created = store.create(&new_rule("a")).expect("create");
    assert_eq!(created.code, "a");
    assert_eq!(created.source, "user");
    assert!(created.enabled);
    assert_eq!(created.conditions, new_rule("a").conditions);
    assert!(created.created_at.ends_with('Z'), "{}", created.created_at);
    assert_eq!(store.version().expect("v"), 1);

    let updated = store
        .update(
            "a",
            &RuleUpdate {
                priority: Some(42),
                content: Some(json!({"text": "changed"})),
                ..RuleUpdate::default()
            },
        )
        .expect("update");
    assert_eq!(updated.priority, 42);
    assert_eq!(updated.content, json!({"text": "changed"}));
    assert_eq!(updated.name, "rule a", "untouched fields stay");
    assert_eq!(store.version().expect("v"), 2);

    assert!(!store.disable("a").expect("disable").enabled);
    assert_eq!(store.version().expect("v"), 3);
    assert!(
        store.load_rule_set().expect("set").is_empty(),
        "disabled rules are not loaded"
    );
    assert_eq!(store.list(None, true).expect("list").len(), 0);
    assert_eq!(store.list(None, false).expect("list").len(), 1);

    assert!(store.enable("a").expect("enable").enabled);
    assert_eq!(store.version().expect("v"), 4);

    store.delete("a").expect("delete");
    assert_eq!(store.version().expect("v"), 5);
    assert!(store.get("a").expect("get").is_none());
}

#[test]
fn missing_rules_are_reported_and_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    assert!(matches!(
        store.update("nope", &RuleUpdate::default()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete("nope"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.disable("nope"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.version().expect("v"), 0);
}

#[test]
fn duplicates_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    store.create(&new_rule("a")).expect("create");
    let mut again = new_rule("a");
    again.name = "another".to_owned();
    match store.create(&again) {
        Err(StoreError::Duplicate { code }) => assert_eq!(code, "a"),
        other => panic!("expected a duplicate refusal, got {other:?}"),
    }
    assert_eq!(store.version().expect("v"), 1);
    assert_eq!(store.get("a").expect("get").expect("rule").name, "rule a");
}

#[test]
fn invalid_rules_are_refused_with_the_path_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));

    let mut bad = new_rule("bad");
    bad.conditions = json!({"all": [
        {"season": "冬"},
        {"gender": "male"},
        {"element_count": {"element": "木", "op": "~", "value": 3}}
    ]});
    match store.create(&bad) {
        Err(StoreError::InvalidConditions { code, source }) => {
            assert_eq!(code, "bad");
            assert_eq!(source.path, "$.all[2].element_count.op");
            assert_eq!(source.kind, CompileErrorKind::ImpossibleValue);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(store.get("bad").expect("get").is_none());
    assert_eq!(store.version().expect("v"), 0);

    for (field, rule) in [
        (
            "type",
            NewRule {
                rule_type: "Not Snake".into(),
                ..new_rule("t")
            },
        ),
        (
            "code",
            NewRule {
                code: "has space".into(),
                ..new_rule("t")
            },
        ),
        (
            "name",
            NewRule {
                name: "  ".into(),
                ..new_rule("t")
            },
        ),
        (
            "content",
            NewRule {
                content: json!("text"),
                ..new_rule("t")
            },
        ),
    ] {
        match store.create(&rule) {
            Err(StoreError::InvalidField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected {field} refused, got {other:?}"),
        }
    }
    assert_eq!(store.stats().expect("stats").total, 0);
    assert_eq!(store.version().expect("v"), 0);

    // An update with a bad condition leaves the rule as it was.
    store.create(&new_rule("good")).expect("create");
    let before = store.get("good").expect("get").expect("rule");
    let err = store
        .update(
            "good",
            &RuleUpdate {
                priority: Some(1),
                conditions: Some(json!({"not": {"stem": {"position": "week", "is": "甲"}}})),
                ..RuleUpdate::default()
            },
        )
        .expect_err("refused");
    match err {
        StoreError::InvalidConditions { source, .. } => {
            assert_eq!(source.path, "$.not.stem.position")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(store.get("good").expect("get").expect("rule"), before);
    assert_eq!(store.version().expect("v"), 1);
}

#[test]
fn lists_types_and_stats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    for (code, t) in [("a1", "alpha"), ("a2", "alpha"), ("b1", "beta")] {
        store
            .create(&NewRule {
                rule_type: t.to_owned(),
                ..new_rule(code)
            })
            .expect("create");
    }
    store.disable("a2").expect("disable");
    let alpha: Vec<String> = store
        .list(Some("alpha"), false)
        .expect("list")
        .into_iter()
        .map(|r| r.code)
        .collect();
    assert_eq!(alpha, ["a1", "a2"]);
    assert_eq!(store.list(Some("alpha"), true).expect("list").len(), 1);
    assert_eq!(store.list(None, false).expect("list").len(), 3);
    assert_eq!(store.list(Some("gamma"), false).expect("list").len(), 0);

    let types = store.types().expect("types");
    assert_eq!(types.len(), 2);
    assert_eq!(
        (
            types[0].rule_type.as_str(),
            types[0].total,
            types[0].enabled
        ),
        ("alpha", 2, 1)
    );
    assert_eq!(
        (
            types[1].rule_type.as_str(),
            types[1].total,
            types[1].enabled
        ),
        ("beta", 1, 1)
    );

    let stats = store.stats().expect("stats");
    assert_eq!((stats.total, stats.enabled, stats.disabled), (3, 2, 1));
    assert_eq!(stats.version, 4);
    assert_eq!(stats.schema_version, 2);
}

#[test]
fn rule_sets_match_and_sort_by_priority() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = empty_store(&dir.path().join("r.db"));
    let rules = [
        ("low", 1, json!({"day_master": "庚"})),
        ("high", 9, json!({"season": "冬"})),
        ("mid", 5, json!({"gender": "male"})),
        ("never", 7, json!({"gender": "female"})),
    ];
    for (code, priority, conditions) in rules {
        store
            .create(&NewRule {
                priority,
                conditions,
                ..new_rule(code)
            })
            .expect("create");
    }
    store
        .create(&NewRule {
            rule_type: "other".into(),
            ..new_rule("other")
        })
        .expect("create");
    let set = store.load_rule_set().expect("set");
    assert_eq!(set.version(), store.version().expect("v"));
    let chart = example_chart();
    let facts = Facts::new(&chart);
    let (matched, unmatched) = set.matches(&facts, &["test"]);
    let codes: Vec<&str> = matched.iter().map(|r| r.code()).collect();
    assert_eq!(codes, ["high", "mid", "low"]);
    let codes: Vec<&str> = unmatched.iter().map(|r| r.code()).collect();
    assert_eq!(codes, ["never"]);
    assert_eq!(matched[0].content(), &json!({"text": "庚 in winter"}));
    let (all, _) = set.matches(&facts, &[]);
    assert_eq!(all.len(), 4, "the other type too");
}

#[test]
fn two_handles_on_one_file_see_each_others_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db");
    let old = empty_store(&path); // e.g. the draining version
    let new = empty_store(&path); // and the one replacing it

    let seen = old.version().expect("v");
    new.create(&new_rule("x")).expect("create");
    assert_ne!(old.version().expect("v"), seen, "the change is noticed");
    assert_eq!(old.get("x").expect("get").expect("rule").code, "x");
    let set = old.load_rule_set().expect("set");
    assert_eq!(set.len(), 1);
    assert_eq!(set.version(), new.version().expect("v"));

    old.disable("x").expect("disable");
    assert!(!new.get("x").expect("get").expect("rule").enabled);
    assert!(new.load_rule_set().expect("set").is_empty());
    old.delete("x").expect("delete");
    assert!(new.get("x").expect("get").is_none());
    assert_eq!(new.version().expect("v"), old.version().expect("v"));

    // Concurrent writers on separate connections: the busy timeout and
    // immediate transactions serialise them; nothing is lost.
    std::thread::scope(|s| {
        for (store, prefix) in [(&old, "o"), (&new, "n")] {
            s.spawn(move || {
                for i in 0..25 {
                    store
                        .create(&new_rule(&format!("{prefix}{i}")))
                        .expect("create");
                }
            });
        }
    });
    assert_eq!(old.stats().expect("stats").total, 50);
    assert_eq!(new.version().expect("v"), 3 + 50);
}

/// The schema as the first version of the store wrote it (migration 1 only).
const V1_SCHEMA: &str = "
    CREATE TABLE schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL
    );
    CREATE TABLE rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        conditions TEXT NOT NULL,
        content TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE rule_set_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    );
    INSERT INTO rule_set_version (id, version) VALUES (1, 7);
    INSERT INTO schema_migrations (version, name, applied_at)
        VALUES (1, 'rules and rule-set version', '2025-01-01T00:00:00.000Z');
    INSERT INTO rules (code, name, type, conditions, content, priority, enabled, created_at, updated_at)
        VALUES ('old/1', 'old rule', 'legacy', '{\"day_master\":\"庚\"}', '{\"text\":\"kept\"}', 3, 1,
                '2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z'),
               ('old/2', 'old disabled', 'legacy', '{\"season\":\"夏\"}', '{\"text\":\"off\"}', 0, 0,
                '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
";

#[test]
fn an_older_schema_is_migrated_and_keeps_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v1.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch(V1_SCHEMA).expect("v1 schema");
    }
    let store = RuleStore::open(&path).expect("open migrates");
    assert_eq!(store.schema_version().expect("schema"), 2);
    // Data and counter kept; the corpus is not loaded into a non-empty store.
    assert_eq!(store.version().expect("v"), 7);
    let stats = store.stats().expect("stats");
    assert_eq!((stats.total, stats.enabled, stats.disabled), (2, 1, 1));
    let old = store.get("old/1").expect("get").expect("rule");
    assert_eq!(old.name, "old rule");
    assert_eq!(old.rule_type, "legacy");
    assert_eq!(old.content, json!({"text": "kept"}));
    assert_eq!(old.priority, 3);
    assert_eq!(old.source, "user", "the new column's default");
    assert_eq!(old.updated_at, "2025-01-02T00:00:00.000Z");
    // The migrated store works as a new one.
    store.create(&new_rule("new")).expect("create");
    assert_eq!(store.version().expect("v"), 8);
    let set = store.load_rule_set().expect("set");
    assert_eq!(set.len(), 2);
    drop(store);

    // Reopening applies nothing twice.
    let store = RuleStore::open(&path).expect("reopen");
    assert_eq!(store.schema_version().expect("schema"), 2);
    assert_eq!(store.stats().expect("stats").total, 3);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let applied: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .expect("count");
    assert_eq!(applied, 2);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
}

#[test]
fn a_newer_schema_is_used_as_it_is() {
    // A newer binary applied a migration this one does not know (add-only);
    // this binary opens the file and works.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newer.db");
    drop(empty_store(&path));
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch(
            "ALTER TABLE rules ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
             INSERT INTO schema_migrations (version, name, applied_at) VALUES (3, 'tags', 'now');",
        )
        .expect("newer migration");
    }
    let store = empty_store(&path);
    assert_eq!(store.schema_version().expect("schema"), 3);
    store.create(&new_rule("a")).expect("create");
    assert_eq!(store.get("a").expect("get").expect("rule").code, "a");
}

#[test]
fn a_stored_rule_that_no_longer_compiles_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.db");
    let store = empty_store(&path);
    store.create(&new_rule("fine")).expect("create");
    {
        // Written by a newer version that knows a condition this one does not.
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute(
            "INSERT INTO rules (code, name, type, conditions, content, created_at, updated_at)
             VALUES ('future', 'future', 'test', '{\"moon_phase\":\"full\"}', '{}', 'now', 'now')",
            [],
        )
        .expect("insert");
    }
    let set = store.load_rule_set().expect("set");
    assert_eq!(set.len(), 1);
    assert_eq!(set.skipped().len(), 1);
    assert_eq!(set.skipped()[0].code, "future");
    assert!(
        set.skipped()[0].reason.contains("$.moon_phase"),
        "{:?}",
        set.skipped()
    );
}

#[test]
fn stores_and_rule_sets_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<RuleStore>();
    shared::<bazi_rules::RuleSet>();
}
