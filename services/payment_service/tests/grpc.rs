//! `payment.PaymentService` over real gRPC with the sandbox provider and a
//! SQLite ledger in a temporary data directory: an in-process server, and
//! the `payment_service` binary itself.

use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use payment_service::PaymentService;
use payment_service_api::payment_service_client::PaymentServiceClient;
use payment_service_api::payment_service_server::PaymentServiceServer;
use payment_service_api::{
    CreatePaymentSessionRequest, HealthCheckRequest, SandboxActionRequest, VerifyPaymentRequest,
};
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;

async fn start(dir: &std::path::Path) -> PaymentServiceClient<Channel> {
    let ledger = dir.join("payments.sqlite3").display().to_string();
    let payments = payments::Payments::open(
        &ledger,
        "http://127.0.0.1:8001",
        payments::StripeSecrets::default(),
    )
    .await
    .expect("sandbox payments");
    let service = PaymentService::new(payments, hifate_sdk::Identity::from_env("payment_service"));
    let addr = serve_in_process(Routes::new(PaymentServiceServer::new(service))).await;
    PaymentServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
}

fn create(amount: &str, currency: &str, key: Option<&str>) -> CreatePaymentSessionRequest {
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("order".to_owned(), "A-1".to_owned());
    if let Some(key) = key {
        metadata.insert("idempotency_key".to_owned(), key.to_owned());
    }
    CreatePaymentSessionRequest {
        amount: amount.into(),
        currency: currency.into(),
        product_name: "八字 report".into(),
        customer_email: "user@example.com".into(),
        metadata,
    }
}

#[tokio::test]
async fn a_sandbox_payment_from_creation_to_paid() {
    let dir = tempfile::tempdir().expect("data dir");
    let mut client = start(dir.path()).await;
    let session = client
        .create_payment_session(create("12.34", "USD", None))
        .await
        .expect("created")
        .into_inner();
    assert_eq!(session.status, "open");
    assert!(
        session
            .checkout_url
            .ends_with(&format!("/api/v1/payment/sandbox/{}", session.session_id)),
        "{}",
        session.checkout_url
    );
    let verify = |id: &str| VerifyPaymentRequest {
        session_id: id.to_owned(),
    };
    let open = client
        .verify_payment(verify(&session.session_id))
        .await
        .expect("verify")
        .into_inner();
    assert_eq!(
        (
            open.status.as_str(),
            open.amount.as_str(),
            open.currency.as_str()
        ),
        ("open", "12.34", "USD")
    );
    assert_eq!(open.metadata["order"], "A-1");
    assert_eq!(open.customer_email, "user@example.com");
    let paid = client
        .sandbox_action(SandboxActionRequest {
            session_id: session.session_id.clone(),
            action: "complete".into(),
        })
        .await
        .expect("complete")
        .into_inner();
    assert_eq!(paid.status, "paid");
    let again = client
        .sandbox_action(SandboxActionRequest {
            session_id: session.session_id.clone(),
            action: "cancel".into(),
        })
        .await
        .expect_err("a paid session cannot be canceled");
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(
        client
            .verify_payment(verify(&session.session_id))
            .await
            .expect("verify")
            .into_inner()
            .status,
        "paid"
    );
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_same_session() {
    let dir = tempfile::tempdir().expect("data dir");
    let mut client = start(dir.path()).await;
    let first = client
        .create_payment_session(create("100", "JPY", Some("order-7")))
        .await
        .expect("created")
        .into_inner();
    let second = client
        .create_payment_session(create("100", "JPY", Some("order-7")))
        .await
        .expect("repeated")
        .into_inner();
    assert_eq!(first.session_id, second.session_id);
    // The same key through the gRPC header.
    let mut request = tonic::Request::new(create("100", "JPY", None));
    request
        .metadata_mut()
        .insert("idempotency-key", "order-7".parse().expect("header"));
    let third = client
        .create_payment_session(request)
        .await
        .expect("by header")
        .into_inner();
    assert_eq!(first.session_id, third.session_id);
    // The same key for another payment is refused, naming the field.
    let status = client
        .create_payment_session(create("200", "JPY", Some("order-7")))
        .await
        .expect_err("another amount");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("idempotency_key"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let dir = tempfile::tempdir().expect("data dir");
    let mut client = start(dir.path()).await;
    let cases = [
        (create("100.5", "JPY", None), "amount"),
        (create("0", "USD", None), "amount"),
        (create("-1", "USD", None), "amount"),
        (create("12.345", "USD", None), "amount"),
        (create("12", "XXQ", None), "currency"),
        (
            CreatePaymentSessionRequest {
                customer_email: "not an email".into(),
                ..create("12", "USD", None)
            },
            "customer_email",
        ),
    ];
    for (request, field) in cases {
        let status = client
            .create_payment_session(request)
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with(field),
            "{field}: {}",
            status.message()
        );
    }
    let status = client
        .verify_payment(VerifyPaymentRequest {
            session_id: "ps_nothing".into(),
        })
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn binary_keeps_the_ledger_across_runs_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("data dir");
    let service = TestService::grpc(env!("CARGO_BIN_EXE_payment_service"))
        .data_dir(dir.path())
        .start()
        .await;
    assert_eq!(
        reflected_services(service.channel()).await,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "payment.PaymentService",
        ]
    );
    let mut client = PaymentServiceClient::new(service.channel());
    assert_eq!(
        client
            .health_check(HealthCheckRequest {})
            .await
            .expect("health")
            .into_inner()
            .status,
        "ok"
    );
    let session = client
        .create_payment_session(create("9.99", "CNY", None))
        .await
        .expect("created")
        .into_inner();
    drop(client);
    service.stop().await;

    let service = TestService::grpc(env!("CARGO_BIN_EXE_payment_service"))
        .data_dir(dir.path())
        .start()
        .await;
    let mut client = PaymentServiceClient::new(service.channel());
    let found = client
        .verify_payment(VerifyPaymentRequest {
            session_id: session.session_id,
        })
        .await
        .expect("still in the ledger")
        .into_inner();
    assert_eq!(
        (found.amount.as_str(), found.currency.as_str()),
        ("9.99", "CNY")
    );
    drop(client);
    service.stop().await;
}
