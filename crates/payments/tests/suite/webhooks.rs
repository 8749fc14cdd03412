//! Stripe-Signature verification and applying events once.

use crate::support;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use payments::webhook::{parse_event, sign, verify_signature, DEFAULT_TOLERANCE_SECS};
use payments::{
    Ledger, PaymentError, Payments, ProviderSession, Sandbox, Secret, Status, StatusChange,
    WebhookOutcome,
};

const SECRET: &str = "whsec_test_0123456789abcdef";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn event(id: &str, kind: &str, cs: &str, payment_status: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "object": "event",
        "type": kind,
        "created": now(),
        "data": {"object": {"id": cs, "object": "checkout.session", "status": "complete", "payment_status": payment_status}}
    }))
    .unwrap()
}

fn secret() -> Secret {
    Secret::new(SECRET)
}

fn signature_error(result: Result<(), PaymentError>) -> String {
    match result {
        Err(e @ PaymentError::Signature(_)) => {
            assert!(e.is_client_error());
            e.to_string()
        }
        other => panic!("expected a signature refusal, got {other:?}"),
    }
}

#[test]
fn a_valid_signature_verifies() {
    let body = event("evt_1", "checkout.session.completed", "cs_test_1", "paid");
    let t = now();
    let header = sign(&body, &secret(), t);
    assert!(header.starts_with(&format!("t={t},v1=")));
    verify_signature(&header, &body, &secret(), t, DEFAULT_TOLERANCE_SECS).unwrap();
    // A vector computed independently (Python's hmac):
    // HMAC-SHA256(key "whsec_test_0123456789abcdef", "1700000000.{}").
    let known = "t=1700000000,v1=86e42664e55bdef9d21c29ec99ef840bb60f05f718392629bb0eb162a585147e";
    assert_eq!(sign(b"{}", &secret(), 1_700_000_000), known);
    verify_signature(
        known,
        b"{}",
        &secret(),
        1_700_000_100,
        DEFAULT_TOLERANCE_SECS,
    )
    .unwrap();
}

#[test]
fn a_tampered_body_is_refused() {
    let body = event("evt_1", "checkout.session.completed", "cs_test_1", "paid");
    let t = now();
    let header = sign(&body, &secret(), t);
    let tampered = event("evt_1", "checkout.session.completed", "cs_test_1", "unpaid");
    let message = signature_error(verify_signature(
        &header,
        &tampered,
        &secret(),
        t,
        DEFAULT_TOLERANCE_SECS,
    ));
    assert!(
        message.starts_with("Stripe-Signature: no v1 signature matches"),
        "{message}"
    );
    // Even one byte (a trailing newline a proxy added).
    let mut newline = body.clone();
    newline.push(b'\n');
    signature_error(verify_signature(
        &header,
        &newline,
        &secret(),
        t,
        DEFAULT_TOLERANCE_SECS,
    ));
}

#[test]
fn a_stale_timestamp_is_refused() {
    let body = event("evt_1", "checkout.session.completed", "cs_test_1", "paid");
    let t = now();
    let old = sign(&body, &secret(), t - DEFAULT_TOLERANCE_SECS - 1);
    let message = signature_error(verify_signature(
        &old,
        &body,
        &secret(),
        t,
        DEFAULT_TOLERANCE_SECS,
    ));
    assert!(message.contains("replay"), "{message}");
    // Just inside the tolerance is fine.
    let edge = sign(&body, &secret(), t - DEFAULT_TOLERANCE_SECS);
    verify_signature(&edge, &body, &secret(), t, DEFAULT_TOLERANCE_SECS).unwrap();
    // A captured signature cannot be moved to a fresh t: t is signed.
    let moved = old.replacen(
        &format!("t={}", t - DEFAULT_TOLERANCE_SECS - 1),
        &format!("t={t}"),
        1,
    );
    signature_error(verify_signature(
        &moved,
        &body,
        &secret(),
        t,
        DEFAULT_TOLERANCE_SECS,
    ));
}

#[test]
fn a_wrong_secret_is_refused() {
    let body = event("evt_1", "checkout.session.completed", "cs_test_1", "paid");
    let t = now();
    let header = sign(&body, &Secret::new("whsec_someone_else"), t);
    let message = signature_error(verify_signature(
        &header,
        &body,
        &secret(),
        t,
        DEFAULT_TOLERANCE_SECS,
    ));
    assert!(message.contains("STRIPE_WEBHOOK_SECRET"), "{message}");
    assert!(!message.contains(SECRET));
}

#[test]
fn any_of_several_v1_signatures_may_match() {
    let body = event("evt_1", "checkout.session.completed", "cs_test_1", "paid");
    let t = now();
    let good = sign(&body, &secret(), t);
    let good_v1 = good.split_once(",v1=").unwrap().1;
    let other_v1 = sign(&body, &Secret::new("whsec_old_secret"), t)
        .split_once(",v1=")
        .unwrap()
        .1
        .to_string();
    // Rolling secrets: the old and the new, in either order, plus noise.
    for header in [
        format!("t={t},v1={other_v1},v1={good_v1}"),
        format!("t={t},v1={good_v1},v1={other_v1}"),
        format!("t={t},v0=deadbeef,v1=nothex,v1={good_v1}"),
        format!("v1={good_v1}, t={t}"),
    ] {
        verify_signature(&header, &body, &secret(), t, DEFAULT_TOLERANCE_SECS)
            .unwrap_or_else(|e| panic!("{header}: {e}"));
    }
    for header in [
        format!("t={t},v1={other_v1}"),
        format!("t={t}"),
        format!("v1={good_v1}"),
        "".into(),
        format!("t=abc,v1={good_v1}"),
    ] {
        signature_error(verify_signature(
            &header,
            &body,
            &secret(),
            t,
            DEFAULT_TOLERANCE_SECS,
        ));
    }
    // A truncated signature does not match (no prefix comparison).
    let short = format!("t={t},v1={}", &good_v1[..32]);
    signature_error(verify_signature(
        &short,
        &body,
        &secret(),
        t,
        DEFAULT_TOLERANCE_SECS,
    ));
}

#[test]
fn events_are_parsed_for_what_the_ledger_needs() {
    let e = parse_event(&event(
        "evt_9",
        "checkout.session.async_payment_failed",
        "cs_test_9",
        "unpaid",
    ))
    .unwrap();
    assert_eq!(
        (e.id.as_str(), e.provider_session_id.as_str()),
        ("evt_9", "cs_test_9")
    );
    assert_eq!(e.target_status(), Some(Status::Failed));
    for (kind, payment, status) in [
        ("checkout.session.completed", "paid", Some(Status::Paid)),
        (
            "checkout.session.completed",
            "no_payment_required",
            Some(Status::Paid),
        ),
        ("checkout.session.completed", "unpaid", None),
        (
            "checkout.session.async_payment_succeeded",
            "paid",
            Some(Status::Paid),
        ),
        ("checkout.session.expired", "unpaid", Some(Status::Expired)),
        ("payment_intent.succeeded", "paid", None),
    ] {
        assert_eq!(
            parse_event(&event("e", kind, "cs", payment))
                .unwrap()
                .target_status(),
            status,
            "{kind}/{payment}"
        );
    }
    assert_eq!(parse_event(b"not json").unwrap_err().field(), Some("body"));
}

/// A ledger session with Stripe checkout `cs`, and Payments that verify
/// webhooks with SECRET.
async fn payments_with_session(cs: &str) -> (Payments, String, support::TestDb) {
    let db = support::TestDb::sqlite();
    let ledger = Ledger::open(&db.location).await.unwrap();
    let new = support::request(None)
        .validate(&Default::default())
        .unwrap();
    let id = ledger
        .create_session(&new, "stripe")
        .await
        .unwrap()
        .session
        .id;
    ledger
        .record_checkout(
            &id,
            &ProviderSession {
                id: cs.into(),
                url: None,
                status: Status::Open,
            },
            "stripe",
        )
        .await
        .unwrap();
    let provider = Arc::new(Sandbox::new("http://localhost", ledger.clone()));
    (
        Payments::new(ledger, provider).with_webhook_secret(Some(secret())),
        id,
        db,
    )
}

#[tokio::test]
async fn a_replayed_event_is_applied_once() {
    let (payments, id, _db) = payments_with_session("cs_test_replay").await;
    let body = event(
        "evt_replay",
        "checkout.session.completed",
        "cs_test_replay",
        "paid",
    );
    let header = sign(&body, &secret(), now());
    let first = payments.handle_webhook(&header, &body).await.unwrap();
    assert_eq!(
        first,
        WebhookOutcome::Applied {
            session_id: id.clone(),
            status: Status::Paid,
            change: StatusChange::Changed { from: Status::Open }
        }
    );
    // Stripe resends; an attacker replays within the tolerance.
    for _ in 0..3 {
        assert_eq!(
            payments.handle_webhook(&header, &body).await.unwrap(),
            WebhookOutcome::Duplicate
        );
    }
    let events = payments.ledger().events(&id).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.status == Status::Paid).count(),
        1
    );
    assert_eq!(events.last().unwrap().source, "webhook evt_replay");
}

#[tokio::test]
async fn async_payments_wait_for_their_outcome() {
    let (payments, id, _db) = payments_with_session("cs_test_async").await;
    let deliver = |evt: &str, kind: &str, ps: &str| {
        let body = event(evt, kind, "cs_test_async", ps);
        (sign(&body, &secret(), now()), body)
    };
    let (h, b) = deliver("evt_a1", "checkout.session.completed", "unpaid");
    assert!(matches!(
        payments.handle_webhook(&h, &b).await.unwrap(),
        WebhookOutcome::NoChange { .. }
    ));
    assert_eq!(payments.get(&id).await.unwrap().status, Status::Open);
    assert!(payments
        .ledger()
        .webhook_event_applied("evt_a1")
        .await
        .unwrap());
    let (h, b) = deliver("evt_a2", "checkout.session.async_payment_failed", "unpaid");
    assert!(matches!(
        payments.handle_webhook(&h, &b).await.unwrap(),
        WebhookOutcome::Applied {
            status: Status::Failed,
            ..
        }
    ));
    // Unknown sessions and other event types are answered, not failed.
    let b = event(
        "evt_a3",
        "checkout.session.expired",
        "cs_test_elsewhere",
        "unpaid",
    );
    let h = sign(&b, &secret(), now());
    assert_eq!(
        payments.handle_webhook(&h, &b).await.unwrap(),
        WebhookOutcome::UnknownSession
    );
    let (h, b) = deliver("evt_a4", "customer.created", "unpaid");
    assert!(matches!(
        payments.handle_webhook(&h, &b).await.unwrap(),
        WebhookOutcome::Ignored { .. }
    ));
}

#[tokio::test]
async fn webhooks_without_a_secret_are_refused() {
    let (payments, _id, _db) = payments_with_session("cs_test_nosecret").await;
    let payments = payments.with_webhook_secret(None);
    let body = event(
        "evt_x",
        "checkout.session.completed",
        "cs_test_nosecret",
        "paid",
    );
    let err = payments
        .handle_webhook(&sign(&body, &secret(), now()), &body)
        .await
        .unwrap_err();
    assert!(matches!(err, PaymentError::Config(_)), "{err:?}");
    // A forged delivery changes nothing.
    let payments = payments.with_webhook_secret(Some(secret()));
    let forged = sign(&body, &Secret::new("whsec_forger"), now());
    assert!(matches!(
        payments.handle_webhook(&forged, &body).await,
        Err(PaymentError::Signature(_))
    ));
    assert!(!payments
        .ledger()
        .webhook_event_applied("evt_x")
        .await
        .unwrap());
}
