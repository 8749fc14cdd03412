//! The `payment_service`: checkout sessions on a durable ledger over gRPC
//! (`payment.PaymentService`, see
//! `services/payment_service/api/proto/payment/payment.proto`), computed by
//! the `payments` library — amounts in minor units by the currency's ISO
//! 4217 exponent, idempotent creates, an append-only status history, Stripe
//! or the built-in sandbox, verified webhooks.
//!
//! Every answer is written to the ledger before it is sent. Errors say what
//! to fix: `INVALID_ARGUMENT` naming the field (`amount`, `currency`,
//! `customer_email`, `metadata`, `idempotency_key`, `session_id`,
//! `Stripe-Signature`), `NOT_FOUND` for an unknown session,
//! `FAILED_PRECONDITION` for a status that cannot change so, `UNAVAILABLE`
//! when the provider or the database cannot be reached (repeating with the
//! same idempotency key is safe).

use hifate_sdk::Identity;
use payment_service_api::payment_service_server;
use payment_service_api::{
    CreatePaymentSessionRequest, CreatePaymentSessionResponse, HealthCheckRequest,
    HealthCheckResponse, SandboxActionRequest, VerifyPaymentRequest, VerifyPaymentResponse,
    WebhookRequest, WebhookResponse,
};
use payments::ledger::{Session, WebhookOutcome};
use payments::{CheckoutRequest, PaymentError, Payments};
use tonic::{Request, Response, Status};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "payment_service";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9006;
/// Environment variable: the main service's public address, where the
/// sandbox checkout pages and the return pages live.
pub const PUBLIC_URL_VAR: &str = "PAYMENT_PUBLIC_URL";
/// Its default: the main service on this machine.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8001";
/// The metadata key (and gRPC header) that makes a create idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency_key";
/// The gRPC metadata form of the idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The `payment.PaymentService` implementation.
#[derive(Debug, Clone)]
pub struct PaymentService {
    payments: Payments,
    identity: Identity,
    public_url: String,
}

impl PaymentService {
    pub fn new(payments: Payments, identity: Identity) -> PaymentService {
        let public_url = std::env::var(PUBLIC_URL_VAR)
            .unwrap_or_else(|_| DEFAULT_PUBLIC_URL.to_owned())
            .trim_end_matches('/')
            .to_owned();
        PaymentService {
            payments,
            identity,
            public_url,
        }
    }

    /// The identity of the process (for logs).
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}

/// A payments error as the status a caller can act on.
fn status_of(error: PaymentError) -> Status {
    let message = hifate_sdk::cap_status_message(error.to_string());
    match &error {
        PaymentError::Invalid { .. }
        | PaymentError::IdempotencyConflict { .. }
        | PaymentError::Signature(_) => Status::invalid_argument(message),
        PaymentError::NotFound(_) => Status::not_found(message),
        PaymentError::Transition { .. } => Status::failed_precondition(message),
        PaymentError::ProviderRefused { .. } => Status::failed_precondition(message),
        // Not the caller's doing: the operator has not set it up yet.
        PaymentError::Config(_) => Status::unavailable(message),
        PaymentError::ProviderUnavailable { .. }
        | PaymentError::LedgerOpen { .. }
        | PaymentError::Database(_) => {
            tracing::warn!(%error, "payment call failed");
            Status::unavailable(message)
        }
        PaymentError::Corrupt(_) => {
            tracing::error!(%error, "the ledger holds data this version cannot read");
            Status::data_loss(message)
        }
    }
}

fn verify_response(session: Session) -> VerifyPaymentResponse {
    VerifyPaymentResponse {
        status: session.status.as_str().to_owned(),
        payment_intent_id: session.provider_session_id.unwrap_or_default(),
        amount: session.amount.to_decimal_string(),
        currency: session.amount.currency().code().to_owned(),
        customer_email: session.customer_email.unwrap_or_default(),
        created_at: session.created_at_ms / 1000,
        metadata: session.metadata.into_iter().collect(),
    }
}

#[tonic::async_trait]
impl payment_service_server::PaymentService for PaymentService {
    async fn create_payment_session(
        &self,
        request: Request<CreatePaymentSessionRequest>,
    ) -> Result<Response<CreatePaymentSessionResponse>, Status> {
        let header_key = request
            .metadata()
            .get(IDEMPOTENCY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let request = request.into_inner();
        let mut metadata: std::collections::BTreeMap<String, String> =
            request.metadata.into_iter().collect();
        let body_key = metadata.remove(IDEMPOTENCY_KEY);
        let idempotency_key = match (header_key, body_key) {
            (Some(header), Some(body)) if header != body => {
                return Err(hifate_sdk::invalid_argument(format!(
                    "idempotency_key: the idempotency-key header ({header:?}) and metadata.idempotency_key ({body:?}) differ; send one"
                )))
            }
            (header, body) => header.or(body),
        };
        let checkout = CheckoutRequest {
            amount: request.amount,
            currency: request.currency,
            product_name: request.product_name,
            customer_email: Some(request.customer_email).filter(|e| !e.trim().is_empty()),
            metadata,
            // Where the provider sends the payer back: the main service's
            // address; a product puts its own pages there.
            success_url: format!("{}/?payment=success", self.public_url),
            cancel_url: format!("{}/?payment=cancel", self.public_url),
            idempotency_key,
        };
        let session = self
            .payments
            .create_checkout(&checkout)
            .await
            .map_err(status_of)?;
        Ok(Response::new(CreatePaymentSessionResponse {
            message: format!(
                "{} {} payment session {}",
                session.amount,
                session.provider,
                session.status.as_str()
            ),
            checkout_url: session.checkout_url.unwrap_or_default(),
            status: session.status.as_str().to_owned(),
            session_id: session.id,
        }))
    }

    async fn verify_payment(
        &self,
        request: Request<VerifyPaymentRequest>,
    ) -> Result<Response<VerifyPaymentResponse>, Status> {
        let id = request.into_inner().session_id;
        if id.trim().is_empty() {
            return Err(hifate_sdk::invalid_argument(
                "session_id: is empty; pass the id CreatePaymentSession returned",
            ));
        }
        let session = self.payments.refresh(&id).await.map_err(status_of)?;
        Ok(Response::new(verify_response(session)))
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: "ok".to_owned(),
        }))
    }

    async fn handle_webhook(
        &self,
        request: Request<WebhookRequest>,
    ) -> Result<Response<WebhookResponse>, Status> {
        let request = request.into_inner();
        let outcome = self
            .payments
            .handle_webhook(&request.signature, &request.payload)
            .await
            .map_err(status_of)?;
        let answer = match outcome {
            WebhookOutcome::Applied {
                session_id, status, ..
            } => WebhookResponse {
                applied: true,
                session_id,
                status: status.as_str().to_owned(),
                ..WebhookResponse::default()
            },
            WebhookOutcome::NoChange { session_id, .. } => WebhookResponse {
                session_id,
                ..WebhookResponse::default()
            },
            WebhookOutcome::Duplicate | WebhookOutcome::UnknownSession => {
                WebhookResponse::default()
            }
            WebhookOutcome::Ignored { event_type } => WebhookResponse {
                event_type,
                ..WebhookResponse::default()
            },
        };
        Ok(Response::new(answer))
    }

    async fn sandbox_action(
        &self,
        request: Request<SandboxActionRequest>,
    ) -> Result<Response<VerifyPaymentResponse>, Status> {
        let request = request.into_inner();
        let session = match request.action.as_str() {
            "complete" => self.payments.sandbox_complete(&request.session_id).await,
            "cancel" => self.payments.sandbox_cancel(&request.session_id).await,
            other => {
                return Err(hifate_sdk::invalid_argument(format!(
                    "action: {other:?} is not a sandbox action; use complete or cancel"
                )))
            }
        }
        .map_err(status_of)?;
        Ok(Response::new(verify_response(session)))
    }
}
