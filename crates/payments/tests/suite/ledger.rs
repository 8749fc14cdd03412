//! The ledger on SQLite, and on PostgreSQL when PAYMENTS_TEST_DATABASE_URL
//! is set: idempotency (also across processes), append-only history,
//! reopening, upgrades from an older schema, webhook events applied once.

use crate::support;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;

use payments::ledger::SCHEMA_VERSION;
use payments::{
    Engine, Ledger, Limits, NewSession, PaymentError, ProviderSession, Status, StatusChange,
    WebhookEvent, WebhookOutcome,
};
use support::TestDb;

/// Each case runs once per engine: `<case>_sqlite`, `<case>_postgres`.
macro_rules! on_both_engines {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = super::TestDb::sqlite();
                    super::$case(&db).await;
                    db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = super::TestDb::postgres(stringify!($case)).await else { return };
                    super::$case(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

on_both_engines!(
    same_key_same_session,
    same_key_different_request_is_refused,
    concurrent_creates_from_two_handles_make_one_session,
    creates_from_two_processes_make_one_session,
    status_history_is_append_only,
    lifecycle_refuses_leaving_a_terminal_status,
    survives_reopen,
    migrating_an_older_schema_keeps_data,
    a_newer_schema_is_used_as_it_is,
    webhook_events_apply_once,
);

fn new_session(key: Option<&str>) -> NewSession {
    support::request(key).validate(&Limits::default()).unwrap()
}

fn checkout(id: &str) -> ProviderSession {
    ProviderSession {
        id: id.to_string(),
        url: Some(format!("https://checkout.stripe.com/c/pay/{id}")),
        status: Status::Open,
    }
}

async fn same_key_same_session(db: &TestDb) {
    let ledger = Ledger::open(&db.location).await.unwrap();
    let first = ledger
        .create_session(&new_session(Some("order-1")), "sandbox")
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.session.status, Status::Created);
    assert!(first.session.id.starts_with("ps_") && first.session.id.len() == 35);
    let again = ledger
        .create_session(&new_session(Some("order-1")), "sandbox")
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.session, first.session);
    assert_eq!(
        ledger.get_by_idempotency_key("order-1").await.unwrap(),
        Some(first.session.clone())
    );
    // No key: a new session each time.
    let a = ledger
        .create_session(&new_session(None), "sandbox")
        .await
        .unwrap();
    let b = ledger
        .create_session(&new_session(None), "sandbox")
        .await
        .unwrap();
    assert!(a.created && b.created);
    assert_ne!(a.session.id, b.session.id);
    // What is stored is what was asked.
    let stored = ledger.get(&first.session.id).await.unwrap().unwrap();
    assert_eq!(stored.amount.minor_units(), 1234);
    assert_eq!(stored.amount.currency().code(), "USD");
    assert_eq!(stored.metadata.get("order").map(String::as_str), Some("42"));
    assert_eq!(
        stored.success_url,
        "https://example.com/paid?session={CHECKOUT_SESSION_ID}"
    );
    ledger.close().await;
}

async fn same_key_different_request_is_refused(db: &TestDb) {
    let ledger = Ledger::open(&db.location).await.unwrap();
    let first = ledger
        .create_session(&new_session(Some("k")), "sandbox")
        .await
        .unwrap();
    let mut other = support::request(Some("k"));
    other.amount = "99.00".into();
    let err = ledger
        .create_session(&other.validate(&Limits::default()).unwrap(), "sandbox")
        .await
        .unwrap_err();
    match &err {
        PaymentError::IdempotencyConflict { session_id } => {
            assert_eq!(session_id, &first.session.id)
        }
        e => panic!("expected a conflict, got {e:?}"),
    }
    assert_eq!(err.field(), Some("idempotency_key"));
    assert!(err.to_string().starts_with("idempotency_key: "));
    ledger.close().await;
}

async fn concurrent_creates_from_two_handles_make_one_session(db: &TestDb) {
    // Two handles = two pools, as two processes would have.
    let a = Ledger::open(&db.location).await.unwrap();
    let b = Ledger::open(&db.location).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let ledger = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            ledger
                .create_session(&new_session(Some("race")), "sandbox")
                .await
                .unwrap()
        }));
    }
    let mut ids = BTreeSet::new();
    let mut created = 0;
    for t in tasks {
        let outcome = t.await.unwrap();
        ids.insert(outcome.session.id);
        created += usize::from(outcome.created);
    }
    assert_eq!(ids.len(), 1, "one session for one key: {ids:?}");
    assert_eq!(created, 1, "exactly one create inserted");
    let id = ids.into_iter().next().unwrap();
    assert_eq!(a.events(&id).await.unwrap().len(), 1, "one `created` event");
    a.close().await;
    b.close().await;
}

/// The child half of `creates_from_two_processes_make_one_session`: runs
/// only when the parent starts this test binary with the variables set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_creates() {
    let (Ok(location), Ok(key)) = (
        std::env::var("PAYMENTS_CHILD_LEDGER"),
        std::env::var("PAYMENTS_CHILD_KEY"),
    ) else {
        return;
    };
    let ledger = Ledger::open(&location).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let ledger = ledger.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            ledger
                .create_session(&new_session(Some(&key)), "sandbox")
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        let o = t.await.unwrap();
        println!("CHILD-RESULT {} {}", o.session.id, o.created);
    }
}

async fn creates_from_two_processes_make_one_session(db: &TestDb) {
    // Migrate first, as the serving version would have; the children then
    // race on the create alone (they also race on migrations, harmlessly).
    Ledger::open(&db.location).await.unwrap().close().await;
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "ledger::child_process_creates",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("PAYMENTS_CHILD_LEDGER", &db.location)
                .env("PAYMENTS_CHILD_KEY", "two-processes")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = BTreeSet::new();
    let mut created = 0;
    let mut results = 0;
    let mut outputs = String::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // The harness's "test … ..." may precede the first result on its line.
            if let Some(rest) = line.split_once("CHILD-RESULT ").map(|(_, r)| r) {
                let (id, was_created) = rest.split_once(' ').unwrap();
                ids.insert(id.to_string());
                created += usize::from(was_created == "true");
                results += 1;
            }
        }
    }
    assert_eq!(results, 20, "every create answered: {outputs}");
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(created, 1);
}

async fn status_history_is_append_only(db: &TestDb) {
    let ledger = Ledger::open(&db.location).await.unwrap();
    let id = ledger
        .create_session(&new_session(None), "stripe")
        .await
        .unwrap()
        .session
        .id;
    let s = ledger
        .record_checkout(&id, &checkout("cs_test_hist"), "stripe")
        .await
        .unwrap();
    assert_eq!(s.status, Status::Open);
    assert_eq!(s.provider_session_id.as_deref(), Some("cs_test_hist"));
    // The same checkout again changes nothing; another one is refused.
    ledger
        .record_checkout(&id, &checkout("cs_test_hist"), "stripe")
        .await
        .unwrap();
    assert!(ledger
        .record_checkout(&id, &checkout("cs_test_other"), "stripe")
        .await
        .is_err());
    assert_eq!(
        ledger.record_status(&id, Status::Open, "x").await.unwrap(),
        StatusChange::Unchanged
    );
    assert_eq!(
        ledger
            .record_status(&id, Status::Paid, "webhook evt_1")
            .await
            .unwrap(),
        StatusChange::Changed { from: Status::Open }
    );
    let events = ledger.events(&id).await.unwrap();
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.status, e.source.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (Status::Created, "create"),
            (Status::Open, "stripe"),
            (Status::Paid, "webhook evt_1")
        ]
    );
    assert!(events
        .windows(2)
        .all(|w| w[0].seq < w[1].seq && w[0].at_ms <= w[1].at_ms));
    assert_eq!(ledger.get(&id).await.unwrap().unwrap().status, Status::Paid);

    // The database itself refuses to rewrite history.
    let update = "UPDATE session_events SET status = 'created'";
    let delete = "DELETE FROM session_events";
    match ledger.engine() {
        Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.location))
                .await
                .unwrap();
            for sql in [update, delete] {
                let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
                assert!(err.to_string().contains("append-only"), "{err}");
            }
            pool.close().await;
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&db.location).await.unwrap();
            for sql in [update, delete] {
                let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
                assert!(err.to_string().contains("append-only"), "{err}");
            }
            pool.close().await;
        }
    }
    assert_eq!(ledger.events(&id).await.unwrap(), events);
    ledger.close().await;
}

async fn lifecycle_refuses_leaving_a_terminal_status(db: &TestDb) {
    let ledger = Ledger::open(&db.location).await.unwrap();
    let id = ledger
        .create_session(&new_session(None), "sandbox")
        .await
        .unwrap()
        .session
        .id;
    ledger.record_status(&id, Status::Open, "t").await.unwrap();
    ledger
        .record_status(&id, Status::Expired, "t")
        .await
        .unwrap();
    for to in [
        Status::Paid,
        Status::Open,
        Status::Created,
        Status::Canceled,
    ] {
        match ledger.record_status(&id, to, "t").await {
            Err(PaymentError::Transition {
                from: Status::Expired,
                ..
            }) => {}
            other => panic!("expired → {to}: {other:?}"),
        }
    }
    assert!(matches!(
        ledger.record_status("ps_missing", Status::Paid, "t").await,
        Err(PaymentError::NotFound(_))
    ));
    assert_eq!(ledger.events(&id).await.unwrap().len(), 3);
    ledger.close().await;
}

async fn survives_reopen(db: &TestDb) {
    let ledger = Ledger::open(&db.location).await.unwrap();
    let id = ledger
        .create_session(&new_session(Some("persist")), "stripe")
        .await
        .unwrap()
        .session
        .id;
    ledger
        .record_checkout(&id, &checkout("cs_test_persist"), "stripe")
        .await
        .unwrap();
    let before = ledger.get(&id).await.unwrap().unwrap();
    let events = ledger.events(&id).await.unwrap();
    ledger.close().await;
    drop(ledger);

    let reopened = Ledger::open(&db.location).await.unwrap();
    assert_eq!(reopened.get(&id).await.unwrap(), Some(before.clone()));
    assert_eq!(reopened.events(&id).await.unwrap(), events);
    assert_eq!(
        reopened
            .get_by_provider_session_id("cs_test_persist")
            .await
            .unwrap(),
        Some(before)
    );
    let again = reopened
        .create_session(&new_session(Some("persist")), "stripe")
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.session.id, id);
    reopened.close().await;
}

async fn migrating_an_older_schema_keeps_data(db: &TestDb) {
    // The schema of the first release: sessions and events, no webhook table.
    let old = Ledger::open_at_schema_version(&db.location, 1)
        .await
        .unwrap();
    assert_eq!(old.schema_versions().await.unwrap(), [1]);
    let id = old
        .create_session(&new_session(Some("old")), "stripe")
        .await
        .unwrap()
        .session
        .id;
    old.record_checkout(&id, &checkout("cs_test_old"), "stripe")
        .await
        .unwrap();
    let before = old.get(&id).await.unwrap().unwrap();
    let events = old.events(&id).await.unwrap();
    old.close().await;

    let new = Ledger::open(&db.location).await.unwrap();
    assert_eq!(
        new.schema_versions().await.unwrap(),
        (1..=SCHEMA_VERSION).collect::<Vec<_>>()
    );
    assert_eq!(new.get(&id).await.unwrap(), Some(before));
    assert_eq!(new.events(&id).await.unwrap(), events);
    // The added table works on the old data.
    let outcome = new
        .apply_webhook_event(&paid_event("evt_after_upgrade", "cs_test_old"))
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            WebhookOutcome::Applied {
                status: Status::Paid,
                ..
            }
        ),
        "{outcome:?}"
    );

    // The old version, still serving during the swap, works on the new schema.
    let old_again = Ledger::open_at_schema_version(&db.location, 1)
        .await
        .unwrap();
    assert!(
        old_again
            .create_session(&new_session(Some("old-2")), "stripe")
            .await
            .unwrap()
            .created
    );
    old_again.close().await;
    new.close().await;
}

async fn a_newer_schema_is_used_as_it_is(db: &TestDb) {
    let ledger = Ledger::open(&db.location).await.unwrap();
    let add_column = "ALTER TABLE sessions ADD COLUMN future_column TEXT";
    let record = "INSERT INTO payments_schema_migrations (version, name, applied_at_ms) VALUES (999, 'from the future', 0)";
    match ledger.engine() {
        Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.location))
                .await
                .unwrap();
            for sql in [add_column, record] {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&db.location).await.unwrap();
            for sql in [add_column, record] {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
    }
    ledger.close().await;
    let ledger = Ledger::open(&db.location).await.unwrap();
    assert!(ledger.schema_versions().await.unwrap().contains(&999));
    let id = ledger
        .create_session(&new_session(None), "sandbox")
        .await
        .unwrap()
        .session
        .id;
    assert!(ledger.get(&id).await.unwrap().is_some());
    ledger.close().await;
}

fn paid_event(event_id: &str, cs: &str) -> WebhookEvent {
    WebhookEvent {
        id: event_id.into(),
        event_type: "checkout.session.completed".into(),
        provider_session_id: cs.into(),
        payment_status: Some("paid".into()),
    }
}

async fn webhook_events_apply_once(db: &TestDb) {
    let ledger = Arc::new(Ledger::open(&db.location).await.unwrap());
    let id = ledger
        .create_session(&new_session(None), "stripe")
        .await
        .unwrap()
        .session
        .id;
    ledger
        .record_checkout(&id, &checkout("cs_test_wh"), "stripe")
        .await
        .unwrap();

    // The same event delivered many times at once, as to two processes.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            ledger
                .apply_webhook_event(&paid_event("evt_once", "cs_test_wh"))
                .await
                .unwrap()
        }));
    }
    let mut applied = 0;
    for t in tasks {
        match t.await.unwrap() {
            WebhookOutcome::Applied {
                status: Status::Paid,
                change: StatusChange::Changed { from: Status::Open },
                ..
            } => applied += 1,
            WebhookOutcome::Duplicate => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(applied, 1);
    assert!(ledger.webhook_event_applied("evt_once").await.unwrap());
    assert!(!ledger.webhook_event_applied("evt_never").await.unwrap());
    let paid_events = ledger
        .events(&id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.status == Status::Paid)
        .count();
    assert_eq!(paid_events, 1);

    // A later `expired` cannot undo `paid`; it is recorded and changes nothing.
    let expired = WebhookEvent {
        id: "evt_exp".into(),
        event_type: "checkout.session.expired".into(),
        provider_session_id: "cs_test_wh".into(),
        payment_status: Some("unpaid".into()),
    };
    assert!(matches!(
        ledger.apply_webhook_event(&expired).await.unwrap(),
        WebhookOutcome::NoChange { .. }
    ));
    assert_eq!(
        ledger.apply_webhook_event(&expired).await.unwrap(),
        WebhookOutcome::Duplicate
    );
    // Someone else's checkout session.
    assert_eq!(
        ledger
            .apply_webhook_event(&paid_event("evt_foreign", "cs_test_foreign"))
            .await
            .unwrap(),
        WebhookOutcome::UnknownSession
    );
    assert_eq!(ledger.get(&id).await.unwrap().unwrap().status, Status::Paid);
    ledger.close().await;
}
