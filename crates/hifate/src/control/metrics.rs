//! Reload statistics, and the Prometheus text rendering of them together
//! with the data plane's request counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::data::counters::VersionCounters;
use crate::data::route::Route;

/// Upper bounds (ms) of the swap-duration histogram buckets.
pub const SWAP_BUCKETS_MS: [u64; 12] = [5, 10, 20, 30, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/// A service's reload statistics.
#[derive(Debug, Default)]
pub struct ServiceMetrics {
    reloads: Mutex<BTreeMap<&'static str, u64>>,
    swap_buckets: [AtomicU64; SWAP_BUCKETS_MS.len()],
    swap_count: AtomicU64,
    swap_sum_ms: AtomicU64,
}

impl ServiceMetrics {
    /// Counts a reload by outcome (`swapped`, `build_failed`, ...).
    pub fn reload(&self, outcome: &'static str) {
        let mut reloads = self.reloads.lock().unwrap_or_else(|p| p.into_inner());
        *reloads.entry(outcome).or_default() += 1;
    }

    pub fn swap(&self, ms: u64) {
        for (bucket, bound) in self.swap_buckets.iter().zip(SWAP_BUCKETS_MS) {
            if ms <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.swap_count.fetch_add(1, Ordering::Relaxed);
        self.swap_sum_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Renders every service's metrics in the Prometheus text format (0.0.4).
pub fn render<'a>(
    services: impl Iterator<Item = (&'a str, &'a ServiceMetrics, &'a Route)> + Clone,
) -> String {
    let mut out = String::new();
    let family = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    type Field = fn(&VersionCounters) -> &AtomicU64;
    let per_version: [(&str, &str, &str, Field); 4] = [
        (
            "hifate_requests_total",
            "counter",
            "Requests forwarded, by service and version.",
            |c| &c.requests,
        ),
        (
            "hifate_request_errors_total",
            "counter",
            "Server faults (gRPC UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS, DEADLINE_EXCEEDED; HTTP 5xx; no answer), by service and version.",
            |c| &c.server_errors,
        ),
        (
            "hifate_request_client_errors_total",
            "counter",
            "Requests refused as the caller's mistake (other gRPC errors such as INVALID_ARGUMENT; HTTP 4xx), by service and version.",
            |c| &c.client_errors,
        ),
        (
            "hifate_requests_in_flight",
            "gauge",
            "Requests being served, by service and version.",
            |c| &c.in_flight,
        ),
    ];
    for (name, kind, help, field) in per_version {
        family(&mut out, name, kind, help);
        for (service, _, route) in services.clone() {
            for (version, c) in route.counters.versions() {
                let _ = writeln!(
                    out,
                    "{name}{{service=\"{service}\",version=\"{version}\"}} {}",
                    field(&c).load(Ordering::Relaxed)
                );
            }
        }
    }
    family(
        &mut out,
        "hifate_unrouted_requests_total",
        "counter",
        "Requests refused because no version was serving.",
    );
    for (service, _, route) in services.clone() {
        let _ = writeln!(
            out,
            "hifate_unrouted_requests_total{{service=\"{service}\"}} {}",
            route.counters.unrouted.load(Ordering::Relaxed)
        );
    }
    family(
        &mut out,
        "hifate_traffic_percent",
        "gauge",
        "The share of new requests each serving version gets (a canary splits it), by service and version.",
    );
    for (service, _, route) in services.clone() {
        let canary = route.canary();
        let canary_percent = canary.as_ref().map_or(0, |(_, p)| u64::from(p.get()));
        if let Some(stable) = route.current() {
            let _ = writeln!(
                out,
                "hifate_traffic_percent{{service=\"{service}\",version=\"{}\"}} {}",
                stable.version,
                100 - canary_percent
            );
        }
        if let Some((backend, _)) = canary {
            let _ = writeln!(
                out,
                "hifate_traffic_percent{{service=\"{service}\",version=\"{}\"}} {canary_percent}",
                backend.version
            );
        }
    }
    family(
        &mut out,
        "hifate_reloads_total",
        "counter",
        "Reloads, rollbacks and restarts by outcome.",
    );
    for (service, m, _) in services.clone() {
        for (outcome, n) in m.reloads.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "hifate_reloads_total{{service=\"{service}\",outcome=\"{outcome}\"}} {n}"
            );
        }
    }
    family(
        &mut out,
        "hifate_swap_duration_seconds",
        "histogram",
        "From process start to route switch, per successful swap.",
    );
    for (service, m, _) in services {
        for (bucket, bound) in m.swap_buckets.iter().zip(SWAP_BUCKETS_MS) {
            let _ = writeln!(
                out,
                "hifate_swap_duration_seconds_bucket{{service=\"{service}\",le=\"{}\"}} {}",
                bound as f64 / 1000.0,
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = m.swap_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "hifate_swap_duration_seconds_bucket{{service=\"{service}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "hifate_swap_duration_seconds_sum{{service=\"{service}\"}} {}",
            m.swap_sum_ms.load(Ordering::Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(
            out,
            "hifate_swap_duration_seconds_count{{service=\"{service}\"}} {count}"
        );
    }
    out
}
