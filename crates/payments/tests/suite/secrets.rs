//! Secrets never appear in Debug output, Display, errors or logs.

use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::support::fake_stripe::{start_fake, KEY};
use payments::webhook::sign;
use payments::{Ledger, PaymentError, Payments, Secret, Stripe, StripeSecrets};

const WEBHOOK_SECRET: &str = "whsec_NeverPrintThisWebhookSecret42";
const DB_PASSWORD: &str = "NeverPrintThisDbPassword";

/// Everything logged by any crate (tracing and `log`), at every level.
fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .try_init()
            .expect("the only subscriber of this test binary");
        logs
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in [KEY, WEBHOOK_SECRET, DB_PASSWORD] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

#[test]
fn a_secret_prints_as_redacted() {
    let s = Secret::new(KEY);
    assert_eq!(format!("{s:?}"), "[redacted]");
    assert_eq!(format!("{s}"), "[redacted]");
    assert_eq!(format!("{:#?}", Some(&s)), "Some(\n    [redacted],\n)");
    assert_eq!(s.expose(), KEY);
    let both = StripeSecrets {
        api_key: Some(s),
        webhook_secret: Some(Secret::new(WEBHOOK_SECRET)),
    };
    assert_clean("StripeSecrets Debug", &format!("{both:?}"));
    let stripe = Stripe::new(Secret::new(KEY)).unwrap();
    let debug = format!("{stripe:?}");
    assert_clean("Stripe Debug", &debug);
    assert!(debug.contains("[redacted]"), "{debug}");
}

#[test]
fn secrets_come_from_the_environment_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let env = |pairs: Vec<(&'static str, String)>| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };

    let s = StripeSecrets::from_lookup(env(vec![
        ("STRIPE_SECRET_KEY", KEY.into()),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
    ]))
    .unwrap();
    assert_eq!(s.api_key.unwrap().expose(), KEY);
    assert_eq!(s.webhook_secret.unwrap().expose(), WEBHOOK_SECRET);

    let s = StripeSecrets::from_lookup(env(vec![(
        "STRIPE_SECRET_KEY_FILE",
        file.display().to_string(),
    )]))
    .unwrap();
    assert_eq!(
        s.api_key.unwrap().expose(),
        KEY,
        "read from the file, newline trimmed"
    );
    assert!(s.webhook_secret.is_none());

    assert!(StripeSecrets::from_lookup(env(vec![]))
        .unwrap()
        .api_key
        .is_none());

    for (pairs, expect) in [
        (
            vec![
                ("STRIPE_SECRET_KEY", KEY.to_string()),
                ("STRIPE_SECRET_KEY_FILE", file.display().to_string()),
            ],
            "keep one",
        ),
        (vec![("STRIPE_SECRET_KEY", "  \n".to_string())], "is empty"),
        (
            vec![(
                "STRIPE_WEBHOOK_SECRET_FILE",
                dir.path().join("missing").display().to_string(),
            )],
            "cannot be read",
        ),
    ] {
        let err = StripeSecrets::from_lookup(env(pairs)).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, PaymentError::Config(_)) && message.contains(expect),
            "{message}"
        );
        assert_clean("config error", &message);
    }
}

#[tokio::test]
async fn stripe_calls_leak_the_key_nowhere() {
    let logs = captured_logs();
    let (fake, base) = start_fake().await;
    let db = support::TestDb::sqlite();
    let ledger = Ledger::open(&db.location).await.unwrap();
    let stripe = Stripe::with_base_url(Secret::new(KEY), &base)
        .unwrap()
        .with_retry_backoff(Duration::from_millis(1));
    let payments = Payments::new(ledger.clone(), Arc::new(stripe))
        .with_webhook_secret(Some(Secret::new(WEBHOOK_SECRET)));
    assert_clean("Payments Debug", &format!("{payments:?}"));

    // A success, with a retry on the way.
    fake.fail_first
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let session = payments
        .create_checkout(&support::request(Some("log-1")))
        .await
        .unwrap();
    assert_clean("Session Debug", &format!("{session:?}"));

    // A webhook, verified with the secret.
    let body = serde_json::to_vec(&serde_json::json!({
        "id": "evt_log", "type": "checkout.session.completed",
        "data": {"object": {"id": session.provider_session_id, "object": "checkout.session", "payment_status": "paid"}}
    }))
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    payments
        .handle_webhook(&sign(&body, &Secret::new(WEBHOOK_SECRET), now), &body)
        .await
        .unwrap();
    let forged = payments
        .handle_webhook(&sign(&body, &Secret::new("whsec_x"), now), &body)
        .await
        .unwrap_err();
    assert_clean("signature error", &format!("{forged} {forged:?}"));

    // Stripe refusing a key quotes it back; the error must not.
    let wrong_key = format!("{KEY}_wrong");
    let wrong = Stripe::with_base_url(Secret::new(wrong_key.clone()), &base).unwrap();
    let payments_wrong = Payments::new(ledger.clone(), Arc::new(wrong));
    let err = payments_wrong
        .create_checkout(&support::request(Some("log-2")))
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("check STRIPE_SECRET_KEY"), "{text}");
    assert!(!text.contains(&wrong_key), "{text}");
    assert_clean("401 error", &text);

    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    assert!(
        logs.contains("checkout session created"),
        "the capture works: {logs}"
    );
    assert_clean("logs", &logs);
    assert!(!logs.contains(&wrong_key));
}

#[tokio::test]
async fn a_database_password_stays_out_of_errors() {
    let _ = captured_logs();
    // Nothing listens on port 9 of localhost; the URL carries a password
    // in the user info and in a query parameter.
    for url in [
        format!("postgres://payments:{DB_PASSWORD}@127.0.0.1:9/payments"),
        format!("postgres://127.0.0.1:9/payments?user=payments&password={DB_PASSWORD}"),
    ] {
        let err = Ledger::open(&url).await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("postgres://127.0.0.1:9/payments"), "{text}");
        assert_clean("ledger open error", &text);
    }
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).to_string();
    assert_clean("logs", &logs);
}
