//! Request counters, updated on the proxy's hot path.
//!
//! Plain atomics owned by each version, so a request costs a few relaxed
//! increments; everything else is read and formatted only when `/metrics` is
//! scraped (by the control plane).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::classify::Class;

/// How many versions' counters a service keeps (old ones stop changing anyway).
const VERSIONS_KEPT: usize = 20;

/// Requests of one version of one service, by how they ended.
#[derive(Debug, Default)]
pub struct VersionCounters {
    pub requests: AtomicU64,
    /// Server faults: gRPC UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS,
    /// DEADLINE_EXCEEDED; HTTP 5xx; a version the proxy could not reach.
    pub server_errors: AtomicU64,
    /// The caller's mistakes: other gRPC errors (INVALID_ARGUMENT,
    /// NOT_FOUND, ...), HTTP 4xx.
    pub client_errors: AtomicU64,
    pub in_flight: AtomicU64,
}

impl VersionCounters {
    /// Counts one finished request of class `class` (successes are already
    /// in `requests`).
    pub fn count(&self, class: Class) {
        match class {
            Class::Success => {}
            Class::ClientError => {
                self.client_errors.fetch_add(1, Ordering::Relaxed);
            }
            Class::ServerFault => {
                self.server_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The request counters of one service: per version, and the requests that
/// no version took.
#[derive(Debug, Default)]
pub struct RouteCounters {
    versions: Mutex<BTreeMap<u64, Arc<VersionCounters>>>,
    /// Requests refused because no version was serving.
    pub unrouted: AtomicU64,
}

impl RouteCounters {
    /// The counters of `version` (shared by all processes of that version).
    pub fn version(&self, version: u64) -> Arc<VersionCounters> {
        let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        let counters = versions.entry(version).or_default().clone();
        while versions.len() > VERSIONS_KEPT {
            let Some(oldest) = versions.keys().next().copied() else {
                break;
            };
            versions.remove(&oldest);
        }
        counters
    }

    /// Every kept version's counters, oldest first.
    pub fn versions(&self) -> Vec<(u64, Arc<VersionCounters>)> {
        let versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        versions.iter().map(|(v, c)| (*v, c.clone())).collect()
    }
}
