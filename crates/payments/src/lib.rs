//! The payment domain of `payment_service`, without gRPC.
//!
//! - [`amount`]: money as decimal text on the wire and integer minor units
//!   inside ([`Amount`], [`Currency`]).
//! - [`checkout`]: a create request and its validation ([`CheckoutRequest`]
//!   → [`NewSession`]); refusals name the field.
//! - [`ledger`]: sessions, their append-only status history and the applied
//!   webhook events, on SQLite or PostgreSQL ([`Ledger`]); idempotency is a
//!   unique key in it.
//! - [`provider`]: [`Stripe`] and the network-free [`Sandbox`] behind one
//!   [`Provider`] trait.
//! - [`webhook`]: `Stripe-Signature` verification and the checkout events.
//! - [`secret`]: [`Secret`], which never prints, from the environment.
//! - [`Payments`]: all of it together, the calls the service makes.

pub mod amount;
pub mod checkout;
mod error;
pub mod ledger;
mod payments;
pub mod provider;
pub mod secret;
pub mod session;
pub mod webhook;

pub use amount::{Amount, Currency};
pub use checkout::{CheckoutRequest, Limits, NewSession};
pub use error::PaymentError;
pub use ledger::{
    CreateOutcome, Engine, Ledger, Session, SessionEvent, Status, StatusChange, WebhookOutcome,
};
pub use payments::Payments;
pub use provider::{Provider, ProviderSession, Sandbox, Stripe};
pub use secret::{Secret, StripeSecrets};
pub use webhook::WebhookEvent;
