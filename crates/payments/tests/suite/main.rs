//! The crate's integration tests, as one binary: every test binary links
//! sqlx, reqwest and axum again, and seven links cost CI more than one.
//!
//! On PostgreSQL too when `PAYMENTS_TEST_DATABASE_URL` is set (the ledger
//! cases; skipped with a note otherwise).

mod amounts;
mod ledger;
mod sandbox;
mod secrets;
mod stripe;
mod webhooks;

mod support;
