//! Which version of a service receives new requests.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

use super::backend::Backend;
use super::counters::RouteCounters;
use super::ServiceKind;

/// The per-request pointer to a service's current version. Read once per
/// request, never cached per connection: a switch takes effect on the next
/// request of every open client connection.
#[derive(Debug)]
pub struct Route {
    pub service: String,
    pub kind: ServiceKind,
    current: ArcSwapOption<Backend>,
    pub counters: Arc<RouteCounters>,
}

impl Route {
    pub fn new(service: &str, kind: ServiceKind) -> Arc<Route> {
        Arc::new(Route {
            service: service.to_owned(),
            kind,
            current: ArcSwapOption::empty(),
            counters: Arc::new(RouteCounters::default()),
        })
    }

    /// The version new requests go to.
    pub fn current(&self) -> Option<Arc<Backend>> {
        self.current.load_full()
    }

    /// Atomically points new requests at `next`; returns the version replaced.
    pub fn switch(&self, next: Arc<Backend>) -> Option<Arc<Backend>> {
        self.current.swap(Some(next))
    }

    /// Stops routing to any version; returns the one removed.
    pub fn clear(&self) -> Option<Arc<Backend>> {
        self.current.swap(None)
    }
}
