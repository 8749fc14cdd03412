//! The sandbox provider: a checkout without money, for development and for
//! deployments that have no Stripe key.
//!
//! It makes no network call. Its checkout page is a page of the main
//! service (`{public_base}/api/v1/payment/sandbox/{session_id}`) where a
//! person presses "pay" or "cancel"; the service records that through
//! [`crate::Payments::sandbox_complete`] / [`crate::Payments::sandbox_cancel`].
//! So the ledger is the sandbox's only state, and its status is whatever
//! the ledger says.

use async_trait::async_trait;

use super::{Provider, ProviderSession};
use crate::ledger::{Ledger, Session, Status};
use crate::PaymentError;

/// The path of the sandbox checkout page on the main service; the session
/// id follows it.
pub const SANDBOX_PATH: &str = "/api/v1/payment/sandbox/";
const NAME: &str = "sandbox";

/// The sandbox provider.
#[derive(Debug, Clone)]
pub struct Sandbox {
    public_base: String,
    ledger: Ledger,
}

impl Sandbox {
    /// A sandbox whose pages are served under `public_base` (the main
    /// service's public URL, `https://example.com`), reading statuses from
    /// `ledger`.
    pub fn new(public_base: &str, ledger: Ledger) -> Sandbox {
        Sandbox {
            public_base: public_base.trim_end_matches('/').to_string(),
            ledger,
        }
    }

    /// The checkout page of session `session_id`.
    pub fn checkout_url(&self, session_id: &str) -> String {
        format!("{}{SANDBOX_PATH}{session_id}", self.public_base)
    }
}

#[async_trait]
impl Provider for Sandbox {
    fn name(&self) -> &'static str {
        NAME
    }

    /// The sandbox's checkout session is our own session: its id is ours,
    /// its page the main service's. Nothing to remember, so no key needed.
    async fn create_checkout(
        &self,
        session: &Session,
        _idempotency_key: &str,
    ) -> Result<ProviderSession, PaymentError> {
        Ok(ProviderSession {
            id: session.id.clone(),
            url: Some(self.checkout_url(&session.id)),
            status: Status::Open,
        })
    }

    async fn retrieve(&self, provider_session_id: &str) -> Result<ProviderSession, PaymentError> {
        let session = self
            .ledger
            .get_by_provider_session_id(provider_session_id)
            .await?
            .ok_or_else(|| PaymentError::NotFound(provider_session_id.to_string()))?;
        Ok(ProviderSession {
            id: provider_session_id.to_string(),
            url: session.checkout_url,
            status: session.status,
        })
    }
}

/// The sandbox checkout page for `session`: what is paid, and two forms
/// that POST to `{page}/complete` and `{page}/cancel`. Plain HTML, every
/// value escaped; the service serves it at the sandbox URL.
pub fn sandbox_page_html(session: &Session) -> String {
    let id = escape(&session.id);
    let actions = if session.status.is_terminal() {
        format!(
            "<p>This payment is <strong>{}</strong>.</p>",
            session.status
        )
    } else {
        format!(
            "<form method=\"post\" action=\"{SANDBOX_PATH}{id}/complete\"><button>Pay (sandbox)</button></form>\n\
             <form method=\"post\" action=\"{SANDBOX_PATH}{id}/cancel\"><button>Cancel</button></form>"
        )
    };
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Sandbox checkout</title></head>\n\
         <body><h1>Sandbox checkout</h1>\n<p>No money moves: this is a test payment.</p>\n\
         <p>{product}: <strong>{amount}</strong></p>\n{actions}\n</body></html>\n",
        product = escape(&session.product_name),
        amount = escape(&session.amount.to_string()),
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
