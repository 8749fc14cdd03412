//! The control plane: everything that decides which version serves.
//!
//! The [`supervisor`] plans reloads from file changes ([`watch`],
//! [`sources`]), builds them ([`builder`]), keeps numbered artifacts
//! ([`store`]), and hands each service's swap protocol to its
//! [`service::ServiceRuntime`], which starts processes ([`child`]) and
//! drives the data plane's route. What happens is recorded in [`events`] and
//! [`metrics`].

pub mod builder;
pub mod child;
pub mod events;
pub mod lock;
pub mod metrics;
pub mod service;
pub mod snapshot;
pub mod sources;
pub mod store;
pub mod supervisor;
pub mod watch;
