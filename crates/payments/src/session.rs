//! What the ledger stores and answers: a payment session, its status and
//! the history of its changes, and the outcomes of the ledger's operations.
//! Plain data, shared by the ledger, the providers and the webhooks (so that
//! none of them imports another for its vocabulary).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::amount::Amount;
use crate::PaymentError;

/// The status of a payment session.
///
/// `created → open → paid | expired | canceled | failed`; `created` may also
/// go straight to a terminal status (the provider refused). Terminal
/// statuses are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Recorded in the ledger; no checkout page yet.
    Created,
    /// The provider has a checkout page waiting for the payer.
    Open,
    /// Paid.
    Paid,
    /// The checkout page expired unpaid.
    Expired,
    /// The payer (or the service) canceled.
    Canceled,
    /// The provider refused, or the payment failed.
    Failed,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 6] = [
        Status::Created,
        Status::Open,
        Status::Paid,
        Status::Expired,
        Status::Canceled,
        Status::Failed,
    ];

    /// The name stored in the ledger and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Open => "open",
            Status::Paid => "paid",
            Status::Expired => "expired",
            Status::Canceled => "canceled",
            Status::Failed => "failed",
        }
    }

    /// Paid, expired, canceled and failed are final.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Status::Created | Status::Open)
    }

    /// Whether the lifecycle allows going from `self` to `to` (a different
    /// status; staying is always allowed and is not a change).
    pub fn can_become(self, to: Status) -> bool {
        match self {
            Status::Created => to != Status::Created,
            Status::Open => to.is_terminal(),
            _ => false,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = PaymentError;

    fn from_str(s: &str) -> Result<Status, PaymentError> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| PaymentError::Corrupt(format!("unknown session status {s:?}")))
    }
}

/// A payment session as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Our id, `ps_` and 32 hex digits.
    pub id: String,
    /// The client's idempotency key, if it sent one.
    pub idempotency_key: Option<String>,
    /// What is to be paid.
    pub amount: Amount,
    /// What is being paid for.
    pub product_name: String,
    /// The payer's email, if given.
    pub customer_email: Option<String>,
    /// The client's metadata.
    pub metadata: BTreeMap<String, String>,
    /// Where the payer returns after paying.
    pub success_url: String,
    /// Where the payer returns after giving up.
    pub cancel_url: String,
    /// `stripe` or `sandbox`: who holds the checkout page.
    pub provider: String,
    /// The provider's id of the checkout session (`cs_…`), once created.
    pub provider_session_id: Option<String>,
    /// The checkout page, once created.
    pub checkout_url: Option<String>,
    /// The current status.
    pub status: Status,
    /// When it was created, Unix milliseconds.
    pub created_at_ms: i64,
    /// When it last changed, Unix milliseconds.
    pub updated_at_ms: i64,
}

/// One row of a session's status history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEvent {
    /// Ledger-wide sequence number; increases with time.
    pub seq: i64,
    /// The status entered.
    pub status: Status,
    /// Who changed it: `create`, `provider`, `sandbox`, `webhook evt_…`, …
    pub source: String,
    /// When, Unix milliseconds.
    pub at_ms: i64,
}

/// The result of [`crate::ledger::Ledger::create_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOutcome {
    /// The session: the new one, or the one the idempotency key already
    /// named.
    pub session: Session,
    /// False when the idempotency key named an existing session.
    pub created: bool,
}

/// The result of a status change that was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// The status changed; one event was appended.
    Changed {
        /// The status before.
        from: Status,
    },
    /// The session already had this status; nothing was written.
    Unchanged,
}

/// What applying a webhook event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The event was recorded and its status applied (or was already there).
    Applied {
        /// Our session.
        session_id: String,
        /// Its status now.
        status: Status,
        /// Whether it changed.
        change: StatusChange,
    },
    /// The event was recorded but changes nothing: a completed checkout
    /// still waiting for an asynchronous payment, or a status the session
    /// can no longer take (an `expired` after `paid`).
    NoChange {
        /// Our session.
        session_id: String,
        /// Why nothing changed.
        reason: String,
    },
    /// This event id was applied before; nothing was done (Stripe resends
    /// events, and two processes may receive the same one).
    Duplicate,
    /// The event names a checkout session this ledger does not know (made
    /// by another application on the same Stripe account). Recorded so it
    /// is not looked up again.
    UnknownSession,
    /// An event type the ledger does not act on; not recorded.
    Ignored {
        /// Its type.
        event_type: String,
    },
}

impl WebhookOutcome {
    /// A short word for logs and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            WebhookOutcome::Applied { .. } => "applied",
            WebhookOutcome::NoChange { .. } => "no_change",
            WebhookOutcome::Duplicate => "duplicate",
            WebhookOutcome::UnknownSession => "unknown_session",
            WebhookOutcome::Ignored { .. } => "ignored",
        }
    }
}
