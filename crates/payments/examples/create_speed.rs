//! Sessions created per second by `Payments::create_checkout` with the
//! sandbox provider: on SQLite, and on PostgreSQL when
//! `PAYMENTS_TEST_DATABASE_URL` is set (in a throwaway schema).
//!
//! Each create is the full path: validation, the ledger insert with an
//! idempotency key (one transaction), the sandbox checkout, the ledger's
//! `open` (a second transaction) — two commits, each durable before the
//! call returns.
//!
//! ```text
//! cargo run --release -p payments --example create_speed [-- COUNT]
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use payments::{CheckoutRequest, Payments, StripeSecrets};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn request(i: usize, run: &str) -> CheckoutRequest {
    CheckoutRequest {
        amount: "12.34".into(),
        currency: "USD".into(),
        product_name: "Four Pillars reading".into(),
        customer_email: Some("payer@example.com".into()),
        metadata: BTreeMap::from([("order".to_string(), i.to_string())]),
        success_url: "https://example.com/paid".into(),
        cancel_url: "https://example.com/cancel".into(),
        idempotency_key: Some(format!("speed-{run}-{i}")),
    }
}

async fn measure(label: &str, location: &str, count: usize) -> Result<(), Error> {
    let payments =
        Payments::open(location, "http://localhost:8001", StripeSecrets::default()).await?;
    for (mode, tasks) in [("1 caller", 1usize), ("16 callers", 16)] {
        let run = format!("{tasks}-{}", std::process::id());
        let start = Instant::now();
        let mut handles = Vec::new();
        for t in 0..tasks {
            let payments = payments.clone();
            let run = run.clone();
            handles.push(tokio::spawn(async move {
                for i in (t..count).step_by(tasks) {
                    payments.create_checkout(&request(i, &run)).await?;
                }
                Ok::<(), payments::PaymentError>(())
            }));
        }
        for h in handles {
            h.await??;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{label:<10} {mode:<10} {count} sessions in {secs:.2} s: {:.0} sessions/s",
            count as f64 / secs
        );
    }
    payments.ledger().close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let count: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1000);

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("payments.sqlite3");
    measure("sqlite", &path.display().to_string(), count).await?;

    match std::env::var("PAYMENTS_TEST_DATABASE_URL") {
        Ok(base) => {
            let schema = format!("speed_{}", std::process::id());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base).await?;
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .await?;
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
            let result = measure("postgres", &url, count).await;
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut conn)
                .await?;
            result?;
        }
        Err(_) => println!("postgres   skipped: PAYMENTS_TEST_DATABASE_URL is not set"),
    }
    Ok(())
}
