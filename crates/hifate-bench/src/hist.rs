//! Latency histograms (HdrHistogram, nanosecond resolution, 3 significant
//! digits) and the formatting of durations in tables.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Recorded latencies, up to one minute each.
#[derive(Clone)]
pub struct Latency {
    inner: Histogram<u64>,
}

const MAX_NS: u64 = 60_000_000_000;

impl Latency {
    pub fn new() -> Latency {
        // 1 ns .. 60 s with 3 significant digits: constant, valid bounds, so
        // this cannot fail at run time.
        let inner =
            Histogram::new_with_bounds(1, MAX_NS, 3).expect("constant histogram bounds are valid");
        Latency { inner }
    }

    pub fn record(&mut self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos())
            .unwrap_or(MAX_NS)
            .clamp(1, MAX_NS);
        // Values are clamped into the bounds, so recording cannot fail.
        let _ = self.inner.record(ns);
    }

    /// Records a value given in microseconds (for non-latency series such as
    /// swap phases).
    pub fn record_us(&mut self, us: u64) {
        self.record(Duration::from_micros(us));
    }

    pub fn add(&mut self, other: &Latency) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.inner.add(&other.inner);
    }

    pub fn count(&self) -> u64 {
        self.inner.len()
    }

    /// The value at `quantile` (0.0..=1.0).
    pub fn quantile(&self, quantile: f64) -> Duration {
        Duration::from_nanos(self.inner.value_at_quantile(quantile))
    }

    pub fn p50(&self) -> Duration {
        self.quantile(0.50)
    }

    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    pub fn min(&self) -> Duration {
        Duration::from_nanos(self.inner.min())
    }

    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.inner.max())
    }
}

impl Default for Latency {
    fn default() -> Self {
        Latency::new()
    }
}

/// `123 µs`, `4.56 ms` or `7.89 s`, whichever reads best.
pub fn fmt_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// Milliseconds with one decimal, for tables of phases.
pub fn fmt_ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// `12,345` style thousands separators for rates and counts.
pub fn fmt_count(value: f64) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_formatting() {
        let mut h = Latency::new();
        for us in 1..=100 {
            h.record(Duration::from_micros(us));
        }
        assert_eq!(h.count(), 100);
        let p50 = h.p50().as_micros();
        assert!((49..=51).contains(&p50), "{p50}");
        assert_eq!(fmt_count(1234567.0), "1,234,567");
        assert_eq!(fmt_count(12.0), "12");
        assert_eq!(fmt_duration(Duration::from_micros(250)), "250 µs");
        assert_eq!(fmt_duration(Duration::from_micros(2500)), "2.50 ms");
    }
}
