//! Shared by the integration tests: ledger locations on each engine, and
//! requests.
#![allow(dead_code)]

pub mod fake_stripe;

use std::collections::BTreeMap;

use payments::CheckoutRequest;

/// The PostgreSQL server the tests may use, from `PAYMENTS_TEST_DATABASE_URL`.
pub const PG_URL_VAR: &str = "PAYMENTS_TEST_DATABASE_URL";

/// Where a test's ledger lives; dropping it removes the SQLite directory
/// or the PostgreSQL schema.
pub struct TestDb {
    pub location: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let location = dir.path().join("payments.sqlite3").display().to_string();
        TestDb {
            location,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh schema on the PostgreSQL server, or `None` (with a note)
    /// when `PAYMENTS_TEST_DATABASE_URL` is not set.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(base) = std::env::var(PG_URL_VAR) else {
            // Straight to stderr: the harness captures eprintln! of passing
            // tests, and a skip should be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "note: {test}: skipped on PostgreSQL ({PG_URL_VAR} is not set)"
            );
            return None;
        };
        let schema = format!("t_{}", random_hex(8));
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
            .await
            .expect("connect to PAYMENTS_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let location = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb {
            location,
            _dir: None,
            pg: Some((base, schema)),
        })
    }

    /// Drops the PostgreSQL schema (call at the end of a test; a failed
    /// test leaves it for inspection).
    pub async fn cleanup(self) {
        if let Some((base, schema)) = &self.pg {
            if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(base).await {
                let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

pub fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < bytes * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}

/// A valid request for 12.34 USD.
pub fn request(key: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        amount: "12.34".into(),
        currency: "USD".into(),
        product_name: "Four Pillars reading".into(),
        customer_email: Some("payer@example.com".into()),
        metadata: BTreeMap::from([("order".to_string(), "42".to_string())]),
        success_url: "https://example.com/paid?session={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://example.com/cancel".into(),
        idempotency_key: key.map(str::to_string),
    }
}
