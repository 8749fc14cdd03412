//! `/api/v1/payment/*`: checkout sessions (payment_service) — the original
//! paths, the provider's webhook (its raw body passed on untouched, since
//! the signature is over its exact bytes), and the sandbox checkout page
//! where a person completes or cancels a sandbox payment.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use payment_service_api::{
    CreatePaymentSessionRequest, SandboxActionRequest, VerifyPaymentRequest, VerifyPaymentResponse,
    WebhookRequest,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::request::{kind, object_of, optional, required};
use crate::{success_of, ApiError, AppState, PAYMENT_SERVICE};

/// The header Stripe signs its webhook calls with.
const SIGNATURE_HEADER: &str = "stripe-signature";
/// The idempotency header a client may send instead of `metadata.idempotency_key`.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

#[derive(Serialize)]
struct Session {
    session_id: String,
    checkout_url: String,
    status: String,
    message: String,
}

#[derive(Serialize)]
struct Payment {
    session_id: String,
    status: String,
    payment_intent_id: String,
    amount: String,
    currency: String,
    customer_email: String,
    created_at: i64,
    metadata: HashMap<String, String>,
}

impl Payment {
    fn of(session_id: String, answer: VerifyPaymentResponse) -> Payment {
        Payment {
            session_id,
            status: answer.status,
            payment_intent_id: answer.payment_intent_id,
            amount: answer.amount,
            currency: answer.currency,
            customer_email: answer.customer_email,
            created_at: answer.created_at,
            metadata: answer.metadata,
        }
    }
}

fn failed(status: &tonic::Status) -> Response {
    ApiError::from_status(PAYMENT_SERVICE, status)
        .logged()
        .into_response()
}

/// The `metadata` object: string values only.
fn metadata(object: &Map<String, Value>) -> Result<HashMap<String, String>, ApiError> {
    match object.get("metadata") {
        None | Some(Value::Null) => Ok(HashMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key.clone(), text.clone())),
                other => Err(ApiError::Invalid {
                    field: Some("metadata".into()),
                    message: format!(
                        "metadata: {key:?} is a JSON {}; values must be strings",
                        kind(other)
                    ),
                }),
            })
            .collect(),
        Some(other) => Err(ApiError::Invalid {
            field: Some("metadata".into()),
            message: format!(
                "metadata: is a JSON {}; expected an object of strings",
                kind(other)
            ),
        }),
    }
}

/// `POST /api/v1/payment/create-session` with `{amount, currency,
/// product_name, customer_email, metadata?}`; an `Idempotency-Key` header
/// is passed on as gRPC metadata.
pub(crate) async fn create_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let expected = "expected a JSON object with amount, currency, product_name and customer_email";
    let parsed = object_of(&body, expected).and_then(|object| {
        Ok(CreatePaymentSessionRequest {
            amount: required(&object, ("amount", "a decimal string like \"12.34\""))?,
            currency: required(&object, ("currency", "an ISO 4217 code like \"USD\""))?,
            product_name: required(&object, ("product_name", "a string"))?,
            customer_email: optional(&object, ("customer_email", "an email address"))?
                .unwrap_or_default(),
            metadata: metadata(&object)?,
        })
    });
    let request = match parsed {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let mut call = tonic::Request::new(request);
    if let Some(key) = headers.get(IDEMPOTENCY_HEADER) {
        match tonic::metadata::MetadataValue::try_from(key.as_bytes()) {
            Ok(value) => {
                call.metadata_mut().insert(IDEMPOTENCY_HEADER, value);
            }
            Err(_) => {
                return ApiError::Invalid {
                    field: Some("idempotency-key".into()),
                    message: "idempotency-key: the header is not valid text".into(),
                }
                .into_response()
            }
        }
    }
    match state.payment.clone().create_payment_session(call).await {
        Ok(answer) => {
            let answer = answer.into_inner();
            success_of(
                PAYMENT_SERVICE,
                &Session {
                    session_id: answer.session_id,
                    checkout_url: answer.checkout_url,
                    status: answer.status,
                    message: answer.message,
                },
            )
        }
        Err(status) => failed(&status),
    }
}

/// `POST /api/v1/payment/verify` with `{session_id}`.
pub(crate) async fn verify(State(state): State<AppState>, body: Bytes) -> Response {
    let session_id = match object_of(&body, "expected a JSON object with session_id")
        .and_then(|object| required(&object, ("session_id", "a string")))
    {
        Ok(id) => id,
        Err(error) => return error.into_response(),
    };
    let request = VerifyPaymentRequest {
        session_id: session_id.clone(),
    };
    match state.payment.clone().verify_payment(request).await {
        Ok(answer) => success_of(
            PAYMENT_SERVICE,
            &Payment::of(session_id, answer.into_inner()),
        ),
        Err(status) => failed(&status),
    }
}

#[derive(Serialize)]
struct Received {
    received: bool,
    event_id: String,
    event_type: String,
    applied: bool,
    session_id: String,
    status: String,
}

/// `POST /api/v1/payment/webhook`: the provider's event, raw.
pub(crate) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request = WebhookRequest {
        payload: body.to_vec(),
        signature,
    };
    match state.payment.clone().handle_webhook(request).await {
        Ok(answer) => {
            let answer = answer.into_inner();
            success_of(
                PAYMENT_SERVICE,
                &Received {
                    received: true,
                    event_id: answer.event_id,
                    event_type: answer.event_type,
                    applied: answer.applied,
                    session_id: answer.session_id,
                    status: answer.status,
                },
            )
        }
        Err(status) => failed(&status),
    }
}

/// `GET /api/v1/payment/sandbox/{id}`: the sandbox checkout page.
pub(crate) async fn sandbox_page(
    State(state): State<AppState>,
    UrlPath(session_id): UrlPath<String>,
) -> Response {
    let request = VerifyPaymentRequest {
        session_id: session_id.clone(),
    };
    match state.payment.clone().verify_payment(request).await {
        Ok(answer) => Html(page(&session_id, &answer.into_inner())).into_response(),
        Err(status) => {
            let error = ApiError::from_status(PAYMENT_SERVICE, &status).logged();
            let code = error.status();
            (
                code,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                format!(
                    "<!doctype html><meta charset=utf-8><title>Payment</title><p>{}</p>",
                    escape(&error.to_string())
                ),
            )
                .into_response()
        }
    }
}

/// `POST /api/v1/payment/sandbox/{id}/complete` and `…/cancel`.
///
/// From the page's forms (a browser, `Accept: text/html`) the answer is a
/// redirect back to the page, which shows the new status; otherwise JSON.
pub(crate) async fn sandbox_action(
    State(state): State<AppState>,
    UrlPath((session_id, action)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if action != "complete" && action != "cancel" {
        return ApiError::NotFound(format!(
            "no sandbox action {action:?}; use complete or cancel"
        ))
        .into_response();
    }
    let request = SandboxActionRequest {
        session_id: session_id.clone(),
        action,
    };
    match state.payment.clone().sandbox_action(request).await {
        Ok(_) if browser => (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/api/v1/payment/sandbox/{session_id}"),
            )],
        )
            .into_response(),
        Ok(answer) => {
            let mut response = success_of(
                PAYMENT_SERVICE,
                &Payment::of(session_id, answer.into_inner()),
            );
            if response.status() == StatusCode::OK {
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-store"),
                );
            }
            response
        }
        Err(status) => failed(&status),
    }
}

/// The sandbox checkout page: what is paid for, and two buttons (plain
/// forms, no script or outside assets).
fn page(session_id: &str, payment: &VerifyPaymentResponse) -> String {
    let id = escape(session_id);
    let open = payment.status == "open" || payment.status == "created";
    let actions = if open {
        format!(
            "<form method=post action=\"/api/v1/payment/sandbox/{id}/complete\"><button>Pay {} {}</button></form>\
             <form method=post action=\"/api/v1/payment/sandbox/{id}/cancel\"><button>Cancel</button></form>",
            escape(&payment.amount),
            escape(&payment.currency)
        )
    } else {
        String::new()
    };
    format!(
        "<!doctype html><meta charset=utf-8><title>Sandbox checkout</title>\
         <h1>Sandbox checkout</h1><p>No real money moves here.</p>\
         <dl><dt>Session</dt><dd>{id}</dd><dt>Amount</dt><dd>{} {}</dd><dt>Email</dt><dd>{}</dd>\
         <dt>Status</dt><dd id=status>{}</dd></dl>{actions}",
        escape(&payment.amount),
        escape(&payment.currency),
        escape(&payment.customer_email),
        escape(&payment.status),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
