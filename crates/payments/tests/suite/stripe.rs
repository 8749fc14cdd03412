//! The Stripe provider against a local server that speaks the subset we
//! use and checks every request's shape.

use crate::support;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::support::fake_stripe::{start_fake, Fake, Seen, KEY};
use payments::{Ledger, PaymentError, Payments, Provider, Secret, Status, Stripe};

async fn payments_on(base: &str, key: &str) -> (Payments, support::TestDb) {
    let db = support::TestDb::sqlite();
    let ledger = Ledger::open(&db.location).await.unwrap();
    let stripe = Stripe::with_base_url(Secret::new(key), base)
        .unwrap()
        .with_retry_backoff(Duration::from_millis(5));
    (Payments::new(ledger, Arc::new(stripe)), db)
}

fn posts(fake: &Fake) -> Vec<Seen> {
    fake.seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "POST")
        .cloned()
        .collect()
}

#[tokio::test]
async fn create_sends_stripes_form_and_records_the_checkout() {
    let (fake, base) = start_fake().await;
    let (payments, _db) = payments_on(&base, KEY).await;
    let session = payments
        .create_checkout(&support::request(Some("order-7")))
        .await
        .unwrap();

    assert_eq!(session.status, Status::Open);
    assert_eq!(session.provider, "stripe");
    let cs = session.provider_session_id.clone().unwrap();
    assert!(cs.starts_with("cs_test_"));
    assert_eq!(
        session.checkout_url.as_deref(),
        Some(format!("https://checkout.stripe.com/c/pay/{cs}").as_str())
    );

    let seen = posts(&fake);
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(
        req.authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        req.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.idempotency_key.as_deref(),
        Some("order-7"),
        "the client's key goes to Stripe"
    );
    let form: BTreeMap<&str, &str> = req
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(form.len(), req.form.len(), "no field twice");
    let expected = BTreeMap::from([
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1234"),
        (
            "line_items[0][price_data][product_data][name]",
            "Four Pillars reading",
        ),
        ("line_items[0][quantity]", "1"),
        ("customer_email", "payer@example.com"),
        ("metadata[order]", "42"),
        (
            "success_url",
            "https://example.com/paid?session={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "https://example.com/cancel"),
    ]);
    assert_eq!(form, expected);

    // The ledger has it, with its history.
    let events = payments.ledger().events(&session.id).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.status).collect::<Vec<_>>(),
        [Status::Created, Status::Open]
    );

    // Repeating the create returns the same session without calling Stripe.
    let again = payments
        .create_checkout(&support::request(Some("order-7")))
        .await
        .unwrap();
    assert_eq!(again, session);
    assert_eq!(posts(&fake).len(), 1);
}

#[tokio::test]
async fn retries_carry_the_same_idempotency_key() {
    let (fake, base) = start_fake().await;
    let (payments, _db) = payments_on(&base, KEY).await;
    fake.fail_first.store(2, Ordering::SeqCst);
    let session = payments
        .create_checkout(&support::request(Some("retry-me")))
        .await
        .unwrap();
    assert_eq!(session.status, Status::Open);
    let seen = posts(&fake);
    assert_eq!(seen.len(), 3, "two 500s, then success");
    assert!(seen
        .iter()
        .all(|s| s.idempotency_key.as_deref() == Some("retry-me")));
    assert!(
        seen.windows(2).all(|w| w[0].form == w[1].form),
        "the same request each time"
    );
}

#[tokio::test]
async fn an_outage_leaves_the_session_resumable_with_the_same_key() {
    let (fake, base) = start_fake().await;
    let (payments, _db) = payments_on(&base, KEY).await;
    // No client key: the session id is the provider's idempotency key.
    fake.fail_first.store(3, Ordering::SeqCst);
    let request = support::request(Some("outage"));
    let err = payments.create_checkout(&request).await.unwrap_err();
    assert!(
        matches!(
            err,
            PaymentError::ProviderUnavailable {
                provider: "stripe",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_client_error());
    let pending = payments
        .ledger()
        .get_by_idempotency_key("outage")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.status, Status::Created);

    // The retry resumes: same ledger session, same provider key.
    let session = payments.create_checkout(&request).await.unwrap();
    assert_eq!(session.id, pending.id);
    assert_eq!(session.status, Status::Open);
    let seen = posts(&fake);
    assert_eq!(seen.len(), 4);
    assert!(seen
        .iter()
        .all(|s| s.idempotency_key.as_deref() == Some("outage")));

    // Without a client key, our session id is the key.
    let plain = payments
        .create_checkout(&support::request(None))
        .await
        .unwrap();
    assert_eq!(
        posts(&fake).last().unwrap().idempotency_key.as_deref(),
        Some(plain.id.as_str())
    );
}

#[tokio::test]
async fn a_stripe_error_is_a_clear_refusal_and_fails_the_session() {
    let (fake, base) = start_fake().await;
    let (payments, _db) = payments_on(&base, KEY).await;
    fake.refuse.store(true, Ordering::SeqCst);
    let err = payments
        .create_checkout(&support::request(Some("refused")))
        .await
        .unwrap_err();
    match &err {
        PaymentError::ProviderRefused {
            provider,
            status,
            code,
            message,
        } => {
            assert_eq!((*provider, *status), ("stripe", 400));
            assert_eq!(code.as_deref(), Some("parameter_invalid_integer"));
            assert!(
                message.contains("Invalid integer") && message.contains("unit_amount"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "stripe refused the request (HTTP 400, parameter_invalid_integer): Invalid integer: 12.34 \
         (parameter line_items[0][price_data][unit_amount])"
    );
    assert_eq!(posts(&fake).len(), 1, "a 400 is not retried");
    let session = payments
        .ledger()
        .get_by_idempotency_key("refused")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.status, Status::Failed);
    // The same key names the same (failed) session; Stripe is not asked again.
    let again = payments
        .create_checkout(&support::request(Some("refused")))
        .await
        .unwrap();
    assert_eq!((again.id, again.status), (session.id, Status::Failed));
    assert_eq!(posts(&fake).len(), 1);
}

#[tokio::test]
async fn retrieve_maps_stripes_status_and_refresh_records_it() {
    let (fake, base) = start_fake().await;
    let (payments, _db) = payments_on(&base, KEY).await;
    let session = payments
        .create_checkout(&support::request(None))
        .await
        .unwrap();
    let cs = session.provider_session_id.clone().unwrap();

    for ((status, payment_status), ours) in [
        (("open", "unpaid"), Status::Open),
        (("complete", "unpaid"), Status::Open),
        (("expired", "unpaid"), Status::Expired),
        (("complete", "no_payment_required"), Status::Paid),
        (("complete", "paid"), Status::Paid),
    ] {
        *fake.remote_status.lock().unwrap() = (status.into(), payment_status.into());
        assert_eq!(
            payments.provider().retrieve(&cs).await.unwrap().status,
            ours,
            "{status}/{payment_status}"
        );
    }
    let get = fake
        .seen
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s.method == "GET")
        .cloned()
        .unwrap();
    assert_eq!(get.path, format!("/v1/checkout/sessions/{cs}"));
    assert_eq!(
        get.authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );

    // Paid remotely: refresh records it once, with the provider as source.
    let refreshed = payments.refresh(&session.id).await.unwrap();
    assert_eq!(refreshed.status, Status::Paid);
    let last = payments
        .ledger()
        .events(&session.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (last.status, last.source.as_str()),
        (Status::Paid, "stripe")
    );
    // A path-changing id is refused before any request.
    assert!(payments.provider().retrieve("../v1/charges").await.is_err());
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable_not_refused() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (payments, _db) = payments_on(&base, KEY).await;
    let err = payments
        .create_checkout(&support::request(Some("down")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PaymentError::ProviderUnavailable { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("same idempotency key is safe"),
        "{err}"
    );
}

#[tokio::test]
async fn the_real_api_client_builds_with_tls() {
    // HTTPS to api.stripe.com: rustls with ring and the system's roots;
    // building must not need a process-wide crypto provider.
    let stripe = Stripe::new(Secret::new(KEY)).unwrap();
    assert_eq!(stripe.name(), "stripe");
}
