//! Checkout providers: who shows the payer a page and takes the money.
//!
//! One trait, two implementations: [`Stripe`] (the real one) and
//! [`Sandbox`] (no network, for development and for deployments without a
//! Stripe key). The service holds an `Arc<dyn Provider>` and never knows
//! which; the ledger records each session's provider by [`Provider::name`].

mod sandbox;
mod stripe;

use async_trait::async_trait;

pub use sandbox::{sandbox_page_html, Sandbox, SANDBOX_PATH};
pub use stripe::{Stripe, STRIPE_API_BASE};

use crate::session::{Session, Status};
use crate::PaymentError;

/// The provider's view of a checkout session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSession {
    /// The provider's id (`cs_test_…` for Stripe, our own id for the
    /// sandbox).
    pub id: String,
    /// The page the payer is sent to; `None` once the provider closed it.
    pub url: Option<String>,
    /// The provider's status, in our terms.
    pub status: Status,
}

/// A checkout provider.
///
/// `async_trait` (boxed futures) rather than native `async fn` in the
/// trait, so that it stays object-safe: the service picks the provider at
/// start-up and holds it as `Arc<dyn Provider>`.
#[async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// `stripe` or `sandbox`, as recorded in the ledger.
    fn name(&self) -> &'static str;

    /// Creates the checkout page for ledger session `session`.
    ///
    /// `idempotency_key` is sent along (Stripe's `Idempotency-Key`), so a
    /// retry — after a timeout, from another process during a swap — gets
    /// the checkout session created the first time, not a second one.
    async fn create_checkout(
        &self,
        session: &Session,
        idempotency_key: &str,
    ) -> Result<ProviderSession, PaymentError>;

    /// Asks the provider for the checkout session's current status.
    async fn retrieve(&self, provider_session_id: &str) -> Result<ProviderSession, PaymentError>;
}
