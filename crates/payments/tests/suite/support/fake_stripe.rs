//! A local stand-in for Stripe's API: the subset the provider uses, every
//! request recorded for the test to check, answers shaped like Stripe's.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub const KEY: &str = "sk_test_51FakeKeyThatMustNeverBePrinted0123456789";

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: &'static str,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    pub form: Vec<(String, String)>,
}

#[derive(Default)]
pub struct Fake {
    /// Answers 500 to this many requests before answering properly.
    pub fail_first: AtomicUsize,
    /// Answers 400 with a Stripe error object.
    pub refuse: AtomicBool,
    pub seen: Mutex<Vec<Seen>>,
    /// Like Stripe: an idempotency key replays its first answer.
    pub by_key: Mutex<HashMap<String, String>>,
    /// What a retrieve answers: (status, payment_status).
    pub remote_status: Mutex<(String, String)>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn stripe_error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> Response {
    (
        status,
        Json(json!({"error": {"type": kind, "code": code, "message": message, "param": param}})),
    )
        .into_response()
}

async fn create(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let seen = Seen {
        method: "POST",
        path: "/v1/checkout/sessions".into(),
        authorization: header(&headers, "authorization"),
        idempotency_key: header(&headers, "idempotency-key"),
        content_type: header(&headers, "content-type"),
        form,
    };
    fake.seen.lock().unwrap().push(seen.clone());
    if seen.authorization.as_deref() != Some(&format!("Bearer {KEY}")) {
        // Stripe quotes (part of) the key it refused; the client must not
        // pass that on.
        let quoted = seen
            .authorization
            .unwrap_or_default()
            .replace("Bearer ", "");
        return stripe_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            &format!("Invalid API Key provided: {quoted}"),
            None,
        );
    }
    if fake.fail_first.load(Ordering::SeqCst) > 0 {
        fake.fail_first.fetch_sub(1, Ordering::SeqCst);
        return stripe_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            None,
            "temporary failure",
            None,
        );
    }
    if fake.refuse.load(Ordering::SeqCst) {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("parameter_invalid_integer"),
            "Invalid integer: 12.34",
            Some("line_items[0][price_data][unit_amount]"),
        );
    }
    let Some(key) = seen.idempotency_key else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            "test server wants an Idempotency-Key",
            None,
        );
    };
    let id = {
        let mut by_key = fake.by_key.lock().unwrap();
        let n = by_key.len();
        by_key
            .entry(key)
            .or_insert_with(|| format!("cs_test_a1B2c3{n}"))
            .clone()
    };
    Json(json!({
        "id": id,
        "object": "checkout.session",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
        "status": "open",
        "payment_status": "unpaid",
        "livemode": false,
    }))
    .into_response()
}

async fn retrieve(
    State(fake): State<Arc<Fake>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    fake.seen.lock().unwrap().push(Seen {
        method: "GET",
        path: format!("/v1/checkout/sessions/{id}"),
        authorization: header(&headers, "authorization"),
        idempotency_key: header(&headers, "idempotency-key"),
        content_type: header(&headers, "content-type"),
        form: vec![],
    });
    if header(&headers, "authorization").as_deref() != Some(&format!("Bearer {KEY}")) {
        return stripe_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "Invalid API Key provided",
            None,
        );
    }
    let (status, payment_status) = fake.remote_status.lock().unwrap().clone();
    Json(json!({"id": id, "object": "checkout.session", "url": null, "status": status, "payment_status": payment_status})).into_response()
}

pub async fn start_fake() -> (Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    *fake.remote_status.lock().unwrap() = ("open".into(), "unpaid".into());
    let app = Router::new()
        .route("/v1/checkout/sessions", post(create))
        .route("/v1/checkout/sessions/{id}", get(retrieve))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (fake, format!("http://{addr}"))
}
