//! One error type for the whole domain, so that the service maps each kind
//! of failure to one gRPC status in one place.

use crate::ledger::Status;

/// Everything that can go wrong in the payment domain.
///
/// The variants are split by *who must act*: the caller ([`Invalid`],
/// [`IdempotencyConflict`], [`NotFound`], [`Transition`], [`Signature`]),
/// the provider ([`ProviderRefused`], [`ProviderUnavailable`]) or the
/// operator ([`Config`], [`Database`], [`Corrupt`]). No message ever contains
/// a secret: secrets are [`crate::Secret`]s, which print `[redacted]`, and a
/// provider's message is scrubbed of the API key before it is stored here.
///
/// [`Invalid`]: PaymentError::Invalid
/// [`IdempotencyConflict`]: PaymentError::IdempotencyConflict
/// [`NotFound`]: PaymentError::NotFound
/// [`Transition`]: PaymentError::Transition
/// [`Signature`]: PaymentError::Signature
/// [`ProviderRefused`]: PaymentError::ProviderRefused
/// [`ProviderUnavailable`]: PaymentError::ProviderUnavailable
/// [`Config`]: PaymentError::Config
/// [`Database`]: PaymentError::Database
/// [`Corrupt`]: PaymentError::Corrupt
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Bad input. The message starts with the field name (as the client
    /// spells it) and says what to send instead, so the service can pass it
    /// on as `INVALID_ARGUMENT` unchanged.
    #[error("{field}: {reason}")]
    Invalid {
        /// The request field at fault (`amount`, `currency`, `metadata`, …).
        field: &'static str,
        /// What is wrong and what to do.
        reason: String,
    },

    /// The idempotency key was already used for a request with different
    /// parameters. Answering with the old session would hide the mistake;
    /// creating a second one would break the key's promise.
    #[error(
        "idempotency_key: already used for a different payment (session {session_id}); \
         send a new key for a new payment, or repeat the original request exactly"
    )]
    IdempotencyConflict {
        /// The session the key belongs to.
        session_id: String,
    },

    /// No session with this id.
    #[error("session_id: no payment session {0}; check the id returned by create")]
    NotFound(String),

    /// A status change the lifecycle does not allow (a terminal status is
    /// final: a paid session never becomes expired).
    #[error("session {id} is {from}; it cannot become {to}")]
    Transition {
        /// The session.
        id: String,
        /// Its current status.
        from: Status,
        /// The refused status.
        to: Status,
    },

    /// A webhook whose `Stripe-Signature` does not prove it came from Stripe
    /// (or is too old to be trusted). Answer 400; Stripe does not resend it.
    #[error("Stripe-Signature: {0}")]
    Signature(String),

    /// The provider answered and refused (HTTP 4xx other than 409/429).
    /// Repeating the same request will not help.
    #[error("{provider} refused the request (HTTP {status}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    ProviderRefused {
        /// `stripe`, `sandbox`.
        provider: &'static str,
        /// The HTTP status.
        status: u16,
        /// The provider's error code (`parameter_missing`, …), if any.
        code: Option<String>,
        /// The provider's message, scrubbed of secrets.
        message: String,
    },

    /// The provider could not be reached or failed (network, timeout, 5xx,
    /// rate limit), after retries. Repeating later with the same
    /// idempotency key is safe.
    #[error("{provider} is unavailable: {reason}; try again later (repeating with the same idempotency key is safe)")]
    ProviderUnavailable {
        /// `stripe`, `sandbox`.
        provider: &'static str,
        /// What happened, without secrets.
        reason: String,
    },

    /// Operator configuration (environment, secret files, database URL).
    #[error("configuration: {0}")]
    Config(String),

    /// The ledger's database could not be opened or migrated. `location`
    /// is the path, or the URL without credentials.
    #[error("ledger at {location} cannot be opened: {source}")]
    LedgerOpen {
        /// Where the ledger was looked for (credentials removed).
        location: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },

    /// The ledger's database failed (unreachable, locked past the busy
    /// timeout, …).
    #[error("ledger database: {0}")]
    Database(#[from] sqlx::Error),

    /// The ledger holds something this version cannot read (a status it does
    /// not know, metadata that is not JSON).
    #[error("ledger data: {0}")]
    Corrupt(String),
}

impl PaymentError {
    /// The request field a caller must fix, for the errors that have one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PaymentError::Invalid { field, .. } => Some(field),
            PaymentError::IdempotencyConflict { .. } => Some("idempotency_key"),
            PaymentError::NotFound(_) => Some("session_id"),
            _ => None,
        }
    }

    /// True when the caller's request is at fault (a client error, not an
    /// outage): the service answers `INVALID_ARGUMENT`, `NOT_FOUND`, … and
    /// the supervisor does not count it as a server fault.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            PaymentError::Invalid { .. }
                | PaymentError::IdempotencyConflict { .. }
                | PaymentError::NotFound(_)
                | PaymentError::Transition { .. }
                | PaymentError::Signature(_)
                | PaymentError::ProviderRefused { .. }
        )
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> PaymentError {
        PaymentError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
