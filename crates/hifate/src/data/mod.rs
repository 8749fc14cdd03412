//! The data plane: everything a request touches on its way through the
//! supervisor, and nothing else.
//!
//! A public port ([`front`]) accepts client connections and hands them to the
//! proxy's [`workers`]; each request reads its service's [`route`] once,
//! takes the version it finds there ([`backend`]), is passed on
//! ([`forward`]), and is counted ([`counters`]) by how its answer
//! [`classify`]-ies.
//!
//! This plane imports nothing from the control plane (supervisor, swaps,
//! store, builds, watching, admin API). The control plane drives it through
//! a few operations only: create a [`backend::Backend`] for a started
//! process, [`route::Route::switch`] to it (or [`route::Route::split`] new
//! requests between it and the serving one, and end the split either way),
//! and wait until an old one is [`backend::Backend::drained`].

pub mod backend;
pub mod classify;
pub mod counters;
pub mod forward;
pub mod front;
pub mod route;
pub mod workers;

use serde::{Deserialize, Serialize};

/// Which protocol a service speaks: decides its ready check, how its answers
/// are classified, and the form of the proxy's own answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// gRPC over HTTP/2; ready when `grpc.health.v1.Health/Check` says `SERVING`.
    Grpc,
    /// HTTP/1.1 or HTTP/2 clients; ready when `GET /health` answers 200.
    Http,
}
