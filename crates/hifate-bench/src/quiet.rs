//! Waiting for a quiet machine before measuring: the 1-minute load average
//! (first field of `/proc/loadavg`) must drop below a threshold.

use std::time::{Duration, Instant};

/// Load average below which measurements start.
pub const QUIET_LOAD: f64 = 0.8;
/// How often the load average is read while waiting.
const POLL: Duration = Duration::from_secs(10);

/// What the wait found.
#[derive(Debug, Clone, Copy)]
pub struct Quiet {
    /// The 1-minute load average when measuring started.
    pub load: f64,
    pub waited: Duration,
    /// False if the machine never got quiet within the limit.
    pub quiet: bool,
}

/// The 1-minute load average.
pub fn load_average() -> anyhow::Result<f64> {
    let text = std::fs::read_to_string("/proc/loadavg")?;
    let first = text
        .split_whitespace()
        .next()
        .ok_or_else(|| anyhow::anyhow!("/proc/loadavg is empty"))?;
    Ok(first.parse()?)
}

/// Waits (polling every 10 s, up to `limit`) until the 1-minute load
/// average is below [`QUIET_LOAD`], and says so. Measures anyway after
/// `limit`, saying that too.
pub async fn wait_for_quiet(what: &str, limit: Duration) -> anyhow::Result<Quiet> {
    let started = Instant::now();
    loop {
        let load = load_average()?;
        if load < QUIET_LOAD {
            eprintln!(
                "[{what}] load average {load:.2} < {QUIET_LOAD} after {} s: measuring",
                started.elapsed().as_secs()
            );
            return Ok(Quiet {
                load,
                waited: started.elapsed(),
                quiet: true,
            });
        }
        if started.elapsed() >= limit {
            eprintln!(
                "[{what}] WARNING: load average still {load:.2} after {} s; measuring anyway",
                started.elapsed().as_secs()
            );
            return Ok(Quiet {
                load,
                waited: started.elapsed(),
                quiet: false,
            });
        }
        eprintln!("[{what}] load average {load:.2} >= {QUIET_LOAD}; waiting");
        tokio::time::sleep(POLL).await;
    }
}

impl std::fmt::Display for Quiet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.quiet {
            write!(
                f,
                "load average {:.2} at start (waited {} s)",
                self.load,
                self.waited.as_secs()
            )
        } else {
            write!(
                f,
                "load average {:.2} at start: NOT QUIET (gave up waiting after {} s)",
                self.load,
                self.waited.as_secs()
            )
        }
    }
}
