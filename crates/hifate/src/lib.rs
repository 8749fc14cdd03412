//! `hifate`: a hot-reload supervisor for gRPC and HTTP services.
//!
//! The supervisor owns each service's public port and forwards every request
//! to the version that is current when the request arrives. A version is a
//! process started from an immutable artifact; a change is built, started,
//! checked for readiness, and only then switched in, while the old version
//! drains. See `ARCHITECTURE.md` at the repository root for the whole picture.
//!
//! Modules, by plane:
//! - [`data`]: the data plane — public ports, routes, connections to
//!   versions, forwarding, request counters. Imports nothing of the rest.
//! - [`control`]: the control plane — the supervisor, each service's swap
//!   protocol, processes, builds, the version store, watching, events.
//! - [`admin`]: the admin API's handlers; [`api`]: its typed contract;
//!   [`client`]: the client the CLI uses.
//! - [`config`]: the `hifate.toml` file; [`system`]: the three wired together.

pub mod admin;
pub mod api;
pub mod client;
pub mod config;
pub mod control;
pub mod data;
pub mod system;

pub use config::Config;
pub use control::supervisor::{ReloadOutcome, Supervisor};
pub use control::{events, store};
pub use system::start;
