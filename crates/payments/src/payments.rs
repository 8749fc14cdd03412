//! [`Payments`]: the ledger and a provider put together into the
//! operations the service exposes. The service maps requests to these
//! calls and errors to statuses; the rules live here.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::checkout::{CheckoutRequest, Limits};
use crate::ledger::{Ledger, Session, Status, WebhookOutcome};
use crate::provider::{Provider, Sandbox, Stripe};
use crate::secret::StripeSecrets;
use crate::webhook::{parse_event, verify_signature, DEFAULT_TOLERANCE_SECS};
use crate::{PaymentError, Secret};

/// The payment domain: create checkouts, read and refresh them, apply
/// webhooks, and complete sandbox checkouts. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Payments {
    ledger: Ledger,
    provider: Arc<dyn Provider>,
    webhook_secret: Option<Secret>,
    limits: Limits,
    webhook_tolerance_secs: i64,
}

impl Payments {
    /// Payments over `ledger` with `provider`, default limits, and no
    /// webhook secret (webhooks refused until one is set).
    pub fn new(ledger: Ledger, provider: Arc<dyn Provider>) -> Payments {
        Payments {
            ledger,
            provider,
            webhook_secret: None,
            limits: Limits::default(),
            webhook_tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// Opens the ledger at `ledger_location` and picks the provider from
    /// the environment: [`Stripe`] when `STRIPE_SECRET_KEY` (or its `_FILE`)
    /// is set, else the [`Sandbox`] with pages under `public_base`.
    pub async fn from_env(
        ledger_location: &str,
        public_base: &str,
    ) -> Result<Payments, PaymentError> {
        let secrets = StripeSecrets::from_env()?;
        Payments::open(ledger_location, public_base, secrets).await
    }

    /// [`Payments::from_env`] with the secrets given.
    pub async fn open(
        ledger_location: &str,
        public_base: &str,
        secrets: StripeSecrets,
    ) -> Result<Payments, PaymentError> {
        let ledger = Ledger::open(ledger_location).await?;
        let provider: Arc<dyn Provider> = match secrets.api_key {
            Some(key) => Arc::new(Stripe::new(key)?),
            None => Arc::new(Sandbox::new(public_base, ledger.clone())),
        };
        tracing::info!(
            provider = provider.name(),
            ledger = ledger.location(),
            webhooks = secrets.webhook_secret.is_some(),
            "payments ready"
        );
        Ok(Payments::new(ledger, provider).with_webhook_secret(secrets.webhook_secret))
    }

    /// Sets the webhook signing secret.
    pub fn with_webhook_secret(mut self, secret: Option<Secret>) -> Payments {
        self.webhook_secret = secret;
        self
    }

    /// Sets the limits requests are checked against.
    pub fn with_limits(mut self, limits: Limits) -> Payments {
        self.limits = limits;
        self
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The provider.
    pub fn provider(&self) -> &dyn Provider {
        self.provider.as_ref()
    }

    /// Creates a checkout session, or returns the one the request's
    /// idempotency key already made.
    ///
    /// 1. The request is validated (refusals name the field).
    /// 2. The ledger records the session as `created` — or finds the key's
    ///    session, which is returned as it is unless it never reached the
    ///    provider (a crash or provider outage in between).
    /// 3. The provider creates the checkout with the idempotency key (or,
    ///    without one, our session id), so a repeat of this step returns
    ///    the provider's first checkout session.
    /// 4. The ledger records the checkout and `open` before this returns.
    ///
    /// A provider that is unavailable leaves the session `created`: a retry
    /// with the same key resumes at step 3. A provider that refuses marks it
    /// `failed`, and a retry with the same key returns that failed session.
    pub async fn create_checkout(
        &self,
        request: &CheckoutRequest,
    ) -> Result<Session, PaymentError> {
        let new = request.validate(&self.limits)?;
        let session = self
            .ledger
            .create_session(&new, self.provider.name())
            .await?
            .session;
        if session.status != Status::Created {
            return Ok(session);
        }
        if session.provider != self.provider.name() {
            return Err(PaymentError::Config(format!(
                "session {} was started with provider {}, but this service now uses {}: \
                 restore that configuration, or create the payment with a new idempotency key",
                session.id,
                session.provider,
                self.provider.name()
            )));
        }
        let key = session
            .idempotency_key
            .clone()
            .unwrap_or_else(|| session.id.clone());
        match self.provider.create_checkout(&session, &key).await {
            Ok(checkout) => {
                self.ledger
                    .record_checkout(&session.id, &checkout, self.provider.name())
                    .await
            }
            Err(refused @ PaymentError::ProviderRefused { .. }) => {
                let source = format!("{} refused", self.provider.name());
                if let Err(e) = self
                    .ledger
                    .record_status(&session.id, Status::Failed, &source)
                    .await
                {
                    tracing::warn!(session_id = %session.id, error = %e, "could not record the provider's refusal");
                }
                Err(refused)
            }
            Err(other) => Err(other),
        }
    }

    /// The session `id`.
    pub async fn get(&self, id: &str) -> Result<Session, PaymentError> {
        self.ledger
            .get(id)
            .await?
            .ok_or_else(|| PaymentError::NotFound(id.to_string()))
    }

    /// The session `id` after asking the provider for its status (for a
    /// payer back on the success page before the webhook arrived). A
    /// terminal session is returned without a call.
    pub async fn refresh(&self, id: &str) -> Result<Session, PaymentError> {
        let session = self.get(id).await?;
        let Some(provider_session_id) = session.provider_session_id.as_deref() else {
            return Ok(session);
        };
        if session.status.is_terminal() || session.provider != self.provider.name() {
            return Ok(session);
        }
        let remote = self.provider.retrieve(provider_session_id).await?;
        if remote.status != session.status && session.status.can_become(remote.status) {
            self.ledger
                .record_status(id, remote.status, self.provider.name())
                .await?;
            return self.get(id).await;
        }
        Ok(session)
    }

    /// Verifies and applies a Stripe webhook delivery: `signature` is the
    /// `Stripe-Signature` header, `body` the raw bytes. Answer Stripe 2xx
    /// for every `Ok` (a duplicate or an unknown session included, or it
    /// keeps resending), 400 for a [`PaymentError::Signature`].
    pub async fn handle_webhook(
        &self,
        signature: &str,
        body: &[u8],
    ) -> Result<WebhookOutcome, PaymentError> {
        let secret = self.webhook_secret.as_ref().ok_or_else(|| {
            PaymentError::Config(
                "webhooks need STRIPE_WEBHOOK_SECRET (or STRIPE_WEBHOOK_SECRET_FILE)".to_string(),
            )
        })?;
        verify_signature(
            signature,
            body,
            secret,
            unix_now(),
            self.webhook_tolerance_secs,
        )?;
        let event = parse_event(body)?;
        let outcome = self.ledger.apply_webhook_event(&event).await?;
        tracing::info!(event_id = %event.id, event_type = %event.event_type, outcome = outcome.as_str(), "webhook");
        Ok(outcome)
    }

    /// The payer pressed "pay" on the sandbox page.
    pub async fn sandbox_complete(&self, id: &str) -> Result<Session, PaymentError> {
        self.sandbox_finish(id, Status::Paid).await
    }

    /// The payer pressed "cancel" on the sandbox page.
    pub async fn sandbox_cancel(&self, id: &str) -> Result<Session, PaymentError> {
        self.sandbox_finish(id, Status::Canceled).await
    }

    async fn sandbox_finish(&self, id: &str, status: Status) -> Result<Session, PaymentError> {
        let session = self.get(id).await?;
        if session.provider != "sandbox" {
            // Only a sandbox session may be settled by a button press.
            return Err(PaymentError::invalid(
                "session_id",
                format!("{id} is a {} payment, not a sandbox one", session.provider),
            ));
        }
        self.ledger.record_status(id, status, "sandbox").await?;
        self.get(id).await
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
