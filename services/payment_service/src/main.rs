//! The `payment_service` binary: serves `payment.PaymentService` under the
//! hifate child contract (or alone on 127.0.0.1:9006, see `HIFATE_ADDR`).
//! The ledger is `DATABASE_URL` (PostgreSQL) or
//! `HIFATE_DATA_DIR/payments.sqlite3`; Stripe when `STRIPE_SECRET_KEY` (or
//! `STRIPE_SECRET_KEY_FILE`) is set, else the built-in sandbox, whose
//! checkout pages are served by the main service at `PAYMENT_PUBLIC_URL`
//! (default `http://127.0.0.1:8001`).

use anyhow::Context as _;
use payment_service::{PaymentService, DEFAULT_PORT, SERVICE_NAME};
use payment_service_api::payment_service_server::PaymentServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    let data_dir = hifate_sdk::data_dir(SERVICE_NAME)?;
    let ledger = payments::Ledger::location_from_env(&data_dir);
    let public = std::env::var(payment_service::PUBLIC_URL_VAR)
        .unwrap_or_else(|_| payment_service::DEFAULT_PUBLIC_URL.to_owned());
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(payment_service_api::FILE_DESCRIPTOR_SET);
    let payments = payments::Payments::from_env(&ledger, &public)
        .await
        .context("cannot open the payments ledger or read the provider's settings")?;
    let payment_service = PaymentService::new(payments, service.identity());
    service
        .serve(Routes::new(PaymentServiceServer::new(payment_service)))
        .await?;
    Ok(())
}
