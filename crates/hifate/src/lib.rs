//! `hifate`: a hot-reload supervisor for gRPC and HTTP services.
//!
//! The supervisor owns each service's public port and forwards every request
//! to the version that is current when the request arrives. A version is a
//! process started from an immutable artifact; a change is built, started,
//! checked for readiness, and only then switched in, while the old version
//! drains. See `ARCHITECTURE.md` at the repository root for the whole picture.
//!
//! Modules, from the outside in:
//! - [`admin`]: the HTTP admin API on the main port; [`client`]: its client.
//! - [`config`]: the `hifate.toml` file.
//! - [`supervisor`]: startup, reload planning and batching, shutdown.
//! - [`service`]: one service's swap protocol, rollback and crash restarts.
//! - [`proxy`]: the front proxy and the per-request route.
//! - [`backend`]: the connection to one version and its ready check.
//! - [`child`]: one version's process.
//! - [`builder`]: `cargo build` and its diagnostics.
//! - [`store`]: numbered artifacts and version history.
//! - [`sources`], [`watch`]: which files belong to a service, and their changes.
//! - [`events`]: the event log; [`metrics`]: counters and their Prometheus text.

pub mod admin;
pub mod backend;
pub mod builder;
pub mod child;
pub mod client;
pub mod config;
pub mod events;
pub mod metrics;
pub mod proxy;
pub mod service;
pub mod sources;
pub mod store;
pub mod supervisor;
pub mod watch;

pub use config::Config;
pub use supervisor::{ReloadOutcome, Supervisor};
