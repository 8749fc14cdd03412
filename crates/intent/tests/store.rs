//! The SQLite store: seeding, migrations, two handles on one file,
//! deployment, feedback.

use intent::store::SCHEMA_VERSION;
use intent::{Correction, Error, Feedback, Intent, IntentStore, ModelVersion};

fn fb(q: &str, at: i64) -> Feedback {
    Feedback {
        question: q.to_owned(),
        predicted: vec![Intent::General],
        corrected: Correction::intents(&[Intent::Career, Intent::Wealth]),
        confidence: 0.25,
        satisfied: false,
        comment: "应该是事业和财运".to_owned(),
        user_id: "user-7".to_owned(),
        at,
    }
}

fn assert_send<T: Send>() {}

#[test]
fn a_new_database_holds_the_deployed_baseline() {
    assert_send::<IntentStore>();
    let dir = tempfile::tempdir().unwrap();
    let store = IntentStore::open(dir.path().join("intent.db")).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let versions = store.versions().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        (
            versions[0].id.as_str(),
            versions[0].parent.as_ref(),
            versions[0].deployed
        ),
        ("v1", None, true)
    );
    assert_eq!(store.deployed_id().unwrap(), "v1");
    let deployed = store.deployed().unwrap();
    let baseline = ModelVersion::baseline();
    assert_eq!(deployed.weights, baseline.weights);
    assert_eq!(deployed.lexicon, baseline.lexicon);
    assert_eq!(deployed.created_at, versions[0].created_at);
    assert!(deployed.created_at > 1_700_000_000);
    assert_eq!(store.next_version_id().unwrap(), "v2");
    assert_eq!(store.deployments().unwrap().len(), 1);
}

#[test]
fn migration_from_an_empty_file_and_from_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::File::create(&path).unwrap();
    let store = IntentStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.deployed_id().unwrap(), "v1");
    drop(store);

    // A newer release migrated the file further (additively): still opens.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("ALTER TABLE intent_feedback ADD COLUMN channel TEXT NOT NULL DEFAULT ''; PRAGMA user_version = 7;")
            .unwrap();
    }
    let store = IntentStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 7);
    store.add_feedback(&fb("我明年能升职加薪吗", 10)).unwrap();
    assert_eq!(store.all_feedback().unwrap().len(), 1);
    assert_eq!(store.versions().unwrap().len(), 1);
}

#[test]
fn two_handles_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intent.db");
    let mut a = IntentStore::open(&path).unwrap();
    let mut b = IntentStore::open(&path).unwrap();
    assert_eq!(
        b.versions().unwrap().len(),
        1,
        "the second open must not seed again"
    );

    let id = a.next_version_id().unwrap();
    let v2 = ModelVersion::lexicon_only().renamed(id.clone(), Some("v1".to_owned()), 1_800_000_000);
    a.save_version(&v2).unwrap();
    assert_eq!(b.version("v2").unwrap(), Some(v2.clone()));
    assert_eq!(b.next_version_id().unwrap(), "v3");

    b.deploy("v2").unwrap();
    assert_eq!(a.deployed_id().unwrap(), "v2");
    assert_eq!(a.deployed().unwrap(), v2);
    let flags: Vec<(String, bool)> = a
        .versions()
        .unwrap()
        .into_iter()
        .map(|v| (v.id, v.deployed))
        .collect();
    assert_eq!(
        flags,
        vec![("v1".to_owned(), false), ("v2".to_owned(), true)]
    );

    a.deploy("v1").unwrap();
    assert_eq!(b.deployed_id().unwrap(), "v1");
    let log: Vec<String> = b.deployments().unwrap().into_iter().map(|d| d.0).collect();
    assert_eq!(log, vec!["v1", "v2", "v1"]);

    a.add_feedback(&fb("今年适合创业吗", 100)).unwrap();
    let seen = b.all_feedback().unwrap();
    assert_eq!(seen, vec![fb("今年适合创业吗", 100)]);

    // Errors say what is wrong.
    assert!(matches!(b.deploy("v9"), Err(Error::UnknownVersion(id)) if id == "v9"));
    let dup = a.save_version(&v2).unwrap_err();
    assert!(
        matches!(&dup, intent::Error::VersionTaken { version } if version == "v2"),
        "{dup}"
    );
    assert!(dup.to_string().contains("already stored"), "{dup}");
    assert_eq!(a.version("v9").unwrap(), None);
}

#[test]
fn a_deployment_made_in_between_refuses_a_conditional_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intent.db");
    // Two optimizer processes, each with its own handle on the file.
    let mut first = IntentStore::open(&path).unwrap();
    let mut second = IntentStore::open(&path).unwrap();
    for id in ["v2", "v3"] {
        let version = ModelVersion::lexicon_only().renamed(id.to_owned(), Some("v1".to_owned()), 5);
        first.save_version(&version).unwrap();
    }
    // Both read v1 as deployed and compare their candidate with it; the
    // second deploys first.
    assert_eq!(first.deployed_id().unwrap(), "v1");
    assert_eq!(second.deployed_id().unwrap(), "v1");
    let seq = second.deploy_if_current("v3", "v1").unwrap();

    let refused = first.deploy_if_current("v2", "v1").unwrap_err();
    assert!(
        matches!(&refused, Error::DeploymentMoved { version, expected, current }
            if version == "v2" && expected == "v1" && current == "v3"),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .contains("compare v2 with v3 and deploy again"),
        "{refused}"
    );
    assert_eq!(first.deployed_id().unwrap(), "v3", "nothing was replaced");
    assert_eq!(first.deployments().unwrap().len(), 2);

    // Compared with v3 now, it goes through; sequence numbers are the
    // deployment log's.
    let next = first.deploy_if_current("v2", "v3").unwrap();
    assert_eq!((seq, next), (2, 3));
    assert_eq!(second.deployed_id().unwrap(), "v2");
    assert_eq!(first.deploy("v1").unwrap(), 4);
    assert!(matches!(
        first.deploy_if_current("v9", "v1"),
        Err(Error::UnknownVersion(id)) if id == "v9"
    ));

    // A missing version names the stored ones.
    let missing = second.require_version("v9").unwrap_err();
    assert!(
        matches!(&missing, Error::NoSuchVersion { version, stored }
            if version == "v9" && stored == &["v1", "v2", "v3"]),
        "{missing:?}"
    );
    assert!(
        missing.to_string().contains("(stored: v1, v2, v3)"),
        "{missing}"
    );
    assert_eq!(second.require_version("v3").unwrap().id, "v3");
}

#[test]
fn versions_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intent.db");
    {
        let mut s = IntentStore::open(&path).unwrap();
        let v2 = ModelVersion::lexicon_only().renamed("v2".to_owned(), Some("v1".to_owned()), 5);
        s.save_version(&v2).unwrap();
        s.deploy("v2").unwrap();
    }
    let s = IntentStore::open(&path).unwrap();
    let ids: Vec<String> = s.versions().unwrap().into_iter().map(|v| v.id).collect();
    assert_eq!(ids, vec!["v1", "v2"]);
    assert_eq!(s.deployed_id().unwrap(), "v2");
    assert_eq!(s.deployed().unwrap().weights, None);
}

#[test]
fn feedback_between_is_half_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = IntentStore::open(dir.path().join("intent.db")).unwrap();
    for (q, at) in [("a", 99), ("b", 100), ("c", 150), ("d", 200)] {
        s.add_feedback(&fb(q, at)).unwrap();
    }
    let got: Vec<String> = s
        .feedback_between(100, 200)
        .unwrap()
        .into_iter()
        .map(|f| f.question)
        .collect();
    assert_eq!(got, vec!["b", "c"]);
    assert_eq!(s.all_feedback().unwrap().len(), 4);
    let f = &s.all_feedback().unwrap()[0];
    assert_eq!(
        f.corrected,
        Some(Correction::Intents(vec![Intent::Career, Intent::Wealth]))
    );
    assert!((f.confidence - 0.25).abs() < 1e-6);
}

#[test]
fn concurrent_first_opens_seed_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intent.db");
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| IntentStore::open(&path).map(|_| ())))
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    });
    let s = IntentStore::open(&path).unwrap();
    assert_eq!(s.versions().unwrap().len(), 1);
    assert_eq!(s.deployments().unwrap().len(), 1);
}
