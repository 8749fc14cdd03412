//! Stripe Checkout over its REST API: two calls, create and retrieve.
//!
//! Plain `reqwest` rather than an SDK: the subset used is two requests, and
//! an SDK would bring a large generated API into every build.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;

use super::{Provider, ProviderSession};
use crate::ledger::{Session, Status};
use crate::{PaymentError, Secret};

/// Stripe's API.
pub const STRIPE_API_BASE: &str = "https://api.stripe.com";
/// Attempts per call: the first and two retries.
const ATTEMPTS: u32 = 3;
/// First retry delay; doubled for each further retry.
const RETRY_BACKOFF: Duration = Duration::from_millis(500);
/// Whole-request timeout. Stripe answers in well under a second; a call
/// that takes this long is retried (with the same idempotency key).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const NAME: &str = "stripe";

/// The Stripe provider.
#[derive(Clone)]
pub struct Stripe {
    client: reqwest::Client,
    base: String,
    key: Secret,
    retry_backoff: Duration,
}

impl fmt::Debug for Stripe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stripe")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish()
    }
}

impl Stripe {
    /// Stripe at [`STRIPE_API_BASE`] with API key `key`.
    pub fn new(key: Secret) -> Result<Stripe, PaymentError> {
        Stripe::with_base_url(key, STRIPE_API_BASE)
    }

    /// Stripe at another base URL: a test server, or a proxy.
    ///
    /// HTTPS uses rustls with the *ring* provider passed to this client
    /// alone (no process-wide default is installed, which could clash with
    /// another library's choice) and the operating system's certificate
    /// roots through `rustls-platform-verifier`.
    pub fn with_base_url(key: Secret, base: &str) -> Result<Stripe, PaymentError> {
        let tls = tls_config()?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("hifate-payments/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                PaymentError::Config(format!("cannot build the Stripe HTTP client: {e}"))
            })?;
        Ok(Stripe {
            client,
            base: base.trim_end_matches('/').to_string(),
            key,
            retry_backoff: RETRY_BACKOFF,
        })
    }

    /// Sets the first retry delay (tests use a short one).
    pub fn with_retry_backoff(mut self, backoff: Duration) -> Stripe {
        self.retry_backoff = backoff;
        self
    }

    /// The form Stripe's `POST /v1/checkout/sessions` takes for `session`:
    /// one line item with inline price data, the payer's email, the
    /// metadata as `metadata[key]`, and the two return URLs.
    pub fn checkout_form(session: &Session) -> Vec<(String, String)> {
        let currency = session.amount.currency();
        let mut form: Vec<(String, String)> = vec![
            ("mode".into(), "payment".into()),
            (
                "line_items[0][price_data][currency]".into(),
                currency.code().to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]".into(),
                currency
                    .stripe_unit_amount(session.amount.minor_units())
                    .to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                session.product_name.clone(),
            ),
            ("line_items[0][quantity]".into(), "1".into()),
        ];
        if let Some(email) = &session.customer_email {
            form.push(("customer_email".into(), email.clone()));
        }
        for (k, v) in &session.metadata {
            form.push((format!("metadata[{k}]"), v.clone()));
        }
        form.push(("success_url".into(), session.success_url.clone()));
        form.push(("cancel_url".into(), session.cancel_url.clone()));
        form
    }

    /// Sends a request built by `build`, retrying network failures, 409
    /// (a concurrent request with the same idempotency key), 429 and 5xx,
    /// unless Stripe says `Stripe-Should-Retry: false`. `build` is called
    /// per attempt, so every attempt carries the same headers — the same
    /// `Idempotency-Key` in particular.
    async fn send(
        &self,
        what: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<StripeSession, PaymentError> {
        let mut last_failure = String::new();
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                let delay = self.retry_backoff * 2u32.pow(attempt - 2);
                tracing::debug!(provider = NAME, what, attempt, ?delay, reason = %last_failure, "retrying");
                tokio::time::sleep(delay).await;
            }
            let response = match build().bearer_auth(self.key.expose()).send().await {
                Ok(response) => response,
                Err(e) => {
                    last_failure = self.scrub(&error_chain(&e));
                    continue;
                }
            };
            let status = response.status();
            let should_retry = response
                .headers()
                .get("stripe-should-retry")
                .and_then(|v| v.to_str().ok())
                .map(|v| v == "true");
            let body = match response.text().await {
                Ok(body) => body,
                Err(e) => {
                    last_failure = self.scrub(&error_chain(&e));
                    continue;
                }
            };
            if status.is_success() {
                return serde_json::from_str::<StripeSession>(&body).map_err(|e| {
                    PaymentError::ProviderUnavailable {
                        provider: NAME,
                        reason: format!("{what}: unexpected answer ({e})"),
                    }
                });
            }
            let error = serde_json::from_str::<StripeErrorBody>(&body)
                .map(|b| b.error)
                .unwrap_or_default();
            let message = self.scrub(error.message.as_deref().unwrap_or("no message"));
            let transient = status == StatusCode::CONFLICT
                || status == StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error();
            if should_retry.unwrap_or(transient) {
                last_failure = format!("HTTP {}: {message}", status.as_u16());
                continue;
            }
            if status == StatusCode::UNAUTHORIZED {
                return Err(PaymentError::ProviderRefused {
                    provider: NAME,
                    status: status.as_u16(),
                    code: error.code,
                    message: format!(
                        "the API key was refused ({message}): check STRIPE_SECRET_KEY"
                    ),
                });
            }
            return Err(PaymentError::ProviderRefused {
                provider: NAME,
                status: status.as_u16(),
                code: error.code.or(error.kind),
                message: match error.param {
                    Some(param) => format!("{message} (parameter {param})"),
                    None => message,
                },
            });
        }
        Err(PaymentError::ProviderUnavailable {
            provider: NAME,
            reason: format!("{what} failed {ATTEMPTS} times, last: {last_failure}"),
        })
    }

    /// Removes the API key from text that came from outside (an error
    /// message could quote it).
    fn scrub(&self, text: &str) -> String {
        let key = self.key.expose();
        if key.is_empty() {
            text.to_string()
        } else {
            text.replace(key, "[redacted]")
        }
    }
}

#[async_trait]
impl Provider for Stripe {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn create_checkout(
        &self,
        session: &Session,
        idempotency_key: &str,
    ) -> Result<ProviderSession, PaymentError> {
        let form = Stripe::checkout_form(session);
        let url = format!("{}/v1/checkout/sessions", self.base);
        let answer = self
            .send("create checkout session", || {
                self.client
                    .post(&url)
                    .header("Idempotency-Key", idempotency_key)
                    .form(&form)
            })
            .await?;
        tracing::info!(
            provider = NAME,
            session_id = %session.id,
            provider_session_id = %answer.id,
            "checkout session created"
        );
        answer.into_provider_session()
    }

    async fn retrieve(&self, provider_session_id: &str) -> Result<ProviderSession, PaymentError> {
        // The id goes into the path: refuse anything that could change it.
        if provider_session_id.is_empty()
            || !provider_session_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(PaymentError::invalid(
                "provider_session_id",
                "is not a Stripe checkout session id (cs_…)",
            ));
        }
        let url = format!("{}/v1/checkout/sessions/{provider_session_id}", self.base);
        let answer = self
            .send("retrieve checkout session", || self.client.get(&url))
            .await?;
        answer.into_provider_session()
    }
}

#[derive(Debug, Deserialize)]
struct StripeSession {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    payment_status: Option<String>,
}

impl StripeSession {
    /// Stripe's `status` (open, complete, expired) and `payment_status`
    /// (paid, unpaid, no_payment_required) in our terms. A `complete`
    /// session that is still `unpaid` waits for a delayed payment method:
    /// it stays open until the async webhook says how it ended.
    fn into_provider_session(self) -> Result<ProviderSession, PaymentError> {
        let status = match (self.status.as_deref(), self.payment_status.as_deref()) {
            (Some("complete"), Some("paid" | "no_payment_required")) => Status::Paid,
            (Some("complete"), _) | (Some("open"), _) => Status::Open,
            (Some("expired"), _) => Status::Expired,
            (other, payment) => {
                return Err(PaymentError::ProviderUnavailable {
                    provider: NAME,
                    reason: format!(
                        "checkout session {} has an unknown status {other:?}/{payment:?}",
                        self.id
                    ),
                })
            }
        };
        Ok(ProviderSession {
            id: self.id,
            url: self.url,
            status,
        })
    }
}

#[derive(Debug, Deserialize)]
struct StripeErrorBody {
    error: StripeError,
}

#[derive(Debug, Default, Deserialize)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    message: Option<String>,
    param: Option<String>,
}

/// An error with its causes: reqwest's own message ("error sending
/// request") hides the reason (refused connection, untrusted certificate)
/// in its sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn tls_config() -> Result<rustls::ClientConfig, PaymentError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| PaymentError::Config(format!("cannot set up TLS for Stripe: {e}")))?
        .with_no_client_auth();
    // This reqwest is built without HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
