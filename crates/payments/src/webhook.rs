//! Stripe webhooks: proving an event came from Stripe, and reading the
//! checkout events the ledger acts on.
//!
//! Stripe signs each delivery with the endpoint's secret: the
//! `Stripe-Signature` header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`,
//! each `v1` an HMAC-SHA256 of `"{t}.{raw body}"`. Several `v1` values
//! appear while a secret is being rolled (one per active secret), so any
//! one matching is enough. The timestamp is inside the signed bytes, so a
//! captured delivery cannot be replayed later with a fresh `t`; deliveries
//! older than the tolerance are refused, and an event id is applied once
//! (the ledger records it) for replays within it.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::session::Status;
use crate::{PaymentError, Secret};

/// Stripe's default tolerance: a signature older (or newer) than five
/// minutes is refused.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The header Stripe signs deliveries in.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

/// Checks `header` (the `Stripe-Signature` value) against the raw `body`
/// with `secret`, at time `now_unix` (seconds), allowing `tolerance_secs`
/// of clock difference either way.
///
/// The body must be the exact bytes received: parsing and re-serialising
/// JSON changes them. Comparison is constant-time
/// ([`Mac::verify_slice`]), so response timing tells an attacker nothing
/// about how close a forged signature came.
pub fn verify_signature(
    header: &str,
    body: &[u8],
    secret: &Secret,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), PaymentError> {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => {
                timestamp = Some(value.parse().map_err(|_| {
                    PaymentError::Signature("the timestamp t is not a number".to_string())
                })?)
            }
            // A value that is not hex cannot match; skip it rather than
            // refuse, another v1 may still be valid.
            "v1" => signatures.extend(hex::decode(value).ok()),
            // v0 (test-mode legacy scheme) and unknown schemes are ignored,
            // as Stripe's own libraries do.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| {
        PaymentError::Signature("no timestamp (t=…): is this a Stripe delivery?".to_string())
    })?;
    if signatures.is_empty() {
        return Err(PaymentError::Signature(
            "no v1 signature: is this a Stripe delivery?".to_string(),
        ));
    }
    if (now_unix - timestamp).abs() > tolerance_secs {
        return Err(PaymentError::Signature(format!(
            "timestamp is {}s away from now, more than the {tolerance_secs}s allowed: a replay, or a wrong clock",
            now_unix - timestamp
        )));
    }
    let mac = signed_payload_mac(secret, timestamp, body).ok_or_else(|| {
        PaymentError::Config("webhook secret unusable as an HMAC key".to_string())
    })?;
    // verify_slice compares in constant time (and refuses a wrong length,
    // which is public anyway: a v1 is always 32 bytes).
    let matches = signatures
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok());
    if matches {
        Ok(())
    } else {
        Err(PaymentError::Signature(
            "no v1 signature matches: wrong webhook secret (STRIPE_WEBHOOK_SECRET), or the body was altered"
                .to_string(),
        ))
    }
}

/// Signs `body` at `timestamp` the way Stripe does: the `Stripe-Signature`
/// value `t=…,v1=…`. For tests and for local tools that replay events.
pub fn sign(body: &[u8], secret: &Secret, timestamp: i64) -> String {
    let v1 = signed_payload_mac(secret, timestamp, body)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        // HMAC accepts keys of any length, so this stays empty only in
        // theory; an empty v1 never verifies.
        .unwrap_or_default();
    format!("t={timestamp},v1={v1}")
}

/// The HMAC of `"{timestamp}.{body}"`, ready to finalize or verify.
fn signed_payload_mac(secret: &Secret, timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// A Stripe event, reduced to what the ledger needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `evt_…`: applied once.
    pub id: String,
    /// `checkout.session.completed`, …
    pub event_type: String,
    /// The checkout session (`cs_…`) the event is about; empty for other
    /// objects.
    pub provider_session_id: String,
    /// The checkout session's `payment_status` (`paid`, `unpaid`,
    /// `no_payment_required`), if present.
    pub payment_status: Option<String>,
}

impl WebhookEvent {
    /// Whether this is one of the `checkout.session.*` events we act on.
    pub fn is_checkout_event(&self) -> bool {
        matches!(
            self.event_type.as_str(),
            "checkout.session.completed"
                | "checkout.session.async_payment_succeeded"
                | "checkout.session.async_payment_failed"
                | "checkout.session.expired"
        )
    }

    /// The status the event moves the session to, if any.
    ///
    /// `completed` means paid only when the payment went through; with a
    /// delayed method (bank debit) it arrives `unpaid`, and the outcome
    /// comes later as `async_payment_succeeded` or `async_payment_failed`.
    pub fn target_status(&self) -> Option<Status> {
        match self.event_type.as_str() {
            "checkout.session.completed" => match self.payment_status.as_deref() {
                Some("paid") | Some("no_payment_required") => Some(Status::Paid),
                _ => None,
            },
            "checkout.session.async_payment_succeeded" => Some(Status::Paid),
            "checkout.session.async_payment_failed" => Some(Status::Failed),
            "checkout.session.expired" => Some(Status::Expired),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: RawObject,
}

#[derive(Deserialize)]
struct RawObject {
    #[serde(default)]
    id: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    payment_status: Option<String>,
}

/// Reads a (verified) event body.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, PaymentError> {
    let raw: RawEvent = serde_json::from_slice(body).map_err(|e| {
        PaymentError::invalid(
            "body",
            format!("is not a Stripe event ({e}): send the event JSON as Stripe delivered it"),
        )
    })?;
    if raw.id.is_empty() {
        return Err(PaymentError::invalid("body", "event has no id"));
    }
    let is_checkout = raw.data.object.object == "checkout.session";
    Ok(WebhookEvent {
        id: raw.id,
        event_type: raw.event_type,
        provider_session_id: if is_checkout {
            raw.data.object.id
        } else {
            String::new()
        },
        payment_status: raw.data.object.payment_status,
    })
}
