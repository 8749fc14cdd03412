//! `load`: reloads under sustained load. Callers keep a fixed number of
//! CalculateBazi calls in flight through the front port while the service
//! is reloaded (forced: cargo's no-op build, then a swap) at a fixed period.
//! Every call is kept with its start time; the supervisor's events split the
//! run into windows: cargo's build (`BuildStarted` → `BuildSucceeded`), the
//! new version's start-up (`VersionStarting` → `ReloadSucceeded`), the old
//! version's retirement (→ its `Stopped`), and steady state (the rest). Each
//! window's latency is reported; a call belongs to the window it started in.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use hifate::events::{Event, EventKind};
use time::OffsetDateTime;

use crate::client;
use crate::hist::{fmt_count, fmt_duration, Latency};
use crate::quiet;
use crate::setup::{between, Env, Plan, Recorder, Running, BAZI_CORE};
use crate::table::Table;

#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Calls in flight.
    #[arg(long, default_value_t = 16)]
    pub in_flight: usize,
    /// Length of the run in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub secs: f64,
    /// Seconds between reloads.
    #[arg(long, default_value_t = 3.0)]
    pub every: f64,
}

impl Default for LoadArgs {
    fn default() -> Self {
        LoadArgs {
            in_flight: 16,
            secs: 60.0,
            every: 3.0,
        }
    }
}

/// Length of the "first moments after a switch" window.
const AFTER_SWITCH_US: u64 = 200_000;

/// One call: start (µs since the run began), latency, success.
#[derive(Clone, Copy)]
struct Call {
    start_us: u64,
    latency_us: u64,
    ok: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Window {
    Steady,
    Build,
    /// New version spawned, until it is ready and switched in.
    Startup,
    /// From the switch until the old version has drained and stopped.
    Retire,
}

impl Window {
    fn label(self) -> &'static str {
        match self {
            Window::Steady => "steady (no reload activity)",
            Window::Build => "cargo build (no-op) before a swap",
            Window::Startup => "swap: spawn -> ready -> switch",
            Window::Retire => "swap: switch -> old version stopped",
        }
    }
}

pub async fn run(env: &Env, args: &LoadArgs) -> anyhow::Result<()> {
    let plan = Plan::reloading(env.workspace.clone(), env.target_dir.clone(), BAZI_CORE);
    let running = Running::start(&plan).await?;
    let outcome = measure(env, &running, args).await;
    running.shutdown().await;
    outcome
}

async fn measure(env: &Env, running: &Running, args: &LoadArgs) -> anyhow::Result<()> {
    let supervisor = &running.supervisor;
    let service = BAZI_CORE.name;
    let recorder = Recorder::start(supervisor);
    let quiet = quiet::wait_for_quiet("load", env.quiet_limit).await?;
    let channel = client::front_channel(running.address(service)?).await?;
    let duration = Duration::from_secs_f64(args.secs);
    let every = Duration::from_secs_f64(args.every);

    let started = Instant::now();
    let started_wall = OffsetDateTime::now_utc();
    let deadline = started + duration;
    let errors: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let mut callers = Vec::new();
    for _ in 0..args.in_flight.max(1) {
        let mut client = BaziCoreServiceClient::new(channel.clone());
        let errors = errors.clone();
        callers.push(tokio::spawn(async move {
            let mut calls = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let result = client.calculate_bazi(client::fixed_request()).await;
                let call = Call {
                    start_us: micros(sent - started),
                    latency_us: micros(sent.elapsed()),
                    ok: result.is_ok(),
                };
                if let Err(status) = result {
                    if let Ok(mut errors) = errors.lock() {
                        errors.push((call.start_us, status.to_string()));
                    }
                }
                calls.push(call);
            }
            calls
        }));
    }

    let mut outcomes = std::collections::BTreeMap::<&str, u64>::new();
    let mut next = tokio::time::Instant::from_std(started + every);
    while next.into_std() + Duration::from_millis(500) < deadline {
        tokio::time::sleep_until(next).await;
        let result = supervisor.rebuild(&[service], "benchmark load").await;
        for outcome in result.values() {
            *outcomes.entry(outcome.label()).or_default() += 1;
        }
        next += every;
    }
    let mut calls = Vec::new();
    for task in callers {
        if let Ok(mut some) = task.await {
            calls.append(&mut some);
        }
    }
    let elapsed = started.elapsed();
    // Let the last old version finish draining so its window closes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = recorder.snapshot();
    let windows = windows(&events, service, started_wall);
    let unrouted = supervisor
        .service(service)
        .map(|s| s.route.counters.unrouted.load(Ordering::Relaxed))
        .unwrap_or(0);

    let failed = calls.iter().filter(|c| !c.ok).count();
    println!(
        "\n== load: bazi_core (release), {} calls in flight for {:.0} s, forced reload every {:.0} s; {quiet}\n",
        args.in_flight, args.secs, args.every
    );
    println!(
        "calls made: {}   FAILED CALLS: {failed}   reloads: {}   unrouted: {unrouted}",
        fmt_count(calls.len() as f64),
        outcomes
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Ok(errors) = errors.lock() {
        for (at_us, error) in errors.iter().take(5) {
            let window = classify(&windows, *at_us);
            println!(
                "  failed call at {:.3} s ({}): {error}",
                *at_us as f64 / 1e6,
                window.label()
            );
        }
    }

    let run_us = micros(elapsed);
    let mut table = Table::new(
        "\nLatency by window (a call belongs to the window it started in)",
        &[
            "window", "time", "calls", "req/s", "p50", "p99", "p99.9", "max",
        ],
    );
    let mut all = Latency::new();
    let mut swap = Latency::new();
    let mut steady = Latency::new();
    for window in [
        Window::Steady,
        Window::Build,
        Window::Startup,
        Window::Retire,
    ] {
        let mut h = Latency::new();
        for call in calls.iter().filter(|c| c.ok) {
            if classify(&windows, call.start_us) == window {
                h.record_us(call.latency_us);
            }
        }
        all.add(&h);
        match window {
            Window::Steady => steady.add(&h),
            Window::Startup | Window::Retire => swap.add(&h),
            Window::Build => {}
        }
        table.row(row(window.label(), span(&windows, window, run_us), &h));
    }
    let swap_span =
        span(&windows, Window::Startup, run_us) + span(&windows, Window::Retire, run_us);
    table.row(row("swap, both parts", swap_span, &swap));
    // The new version's first moments, whatever window they fall in: a
    // version that warms caches after it is ready pays for it here.
    let switches: Vec<u64> = events
        .iter()
        .filter(|e| e.service == service)
        .filter(|e| matches!(e.kind, EventKind::ReloadSucceeded { .. }))
        .map(|e| micros(between(started_wall, e.at)))
        .collect();
    let mut warming = Latency::new();
    for call in calls.iter().filter(|c| c.ok) {
        if switches
            .iter()
            .any(|s| (*s..s + AFTER_SWITCH_US).contains(&call.start_us))
        {
            warming.record_us(call.latency_us);
        }
    }
    let warming_span: u64 = switches
        .iter()
        .map(|s| (s + AFTER_SWITCH_US).min(run_us).saturating_sub(*s))
        .sum();
    table.row(row(
        "first 200 ms after each switch (overlaps)",
        warming_span,
        &warming,
    ));
    table.row(row("all", run_us, &all));
    table.print();

    let factor = swap.p99().as_secs_f64() / steady.p99().as_secs_f64().max(1e-9);
    println!(
        "targets: zero failed calls {}; p99 during swaps {} vs steady {} = {factor:.2}x (<= 2x {})",
        if failed == 0 { "met" } else { "MISSED" },
        fmt_duration(swap.p99()),
        fmt_duration(steady.p99()),
        if factor <= 2.0 { "met" } else { "MISSED" }
    );
    Ok(())
}

fn row(label: &str, span_us: u64, h: &Latency) -> Vec<String> {
    let secs = span_us as f64 / 1e6;
    let rate = if secs > 0.0 {
        h.count() as f64 / secs
    } else {
        0.0
    };
    vec![
        label.to_owned(),
        format!("{secs:.1} s"),
        fmt_count(h.count() as f64),
        fmt_count(rate),
        fmt_duration(h.p50()),
        fmt_duration(h.p99()),
        fmt_duration(h.quantile(0.999)),
        fmt_duration(h.max()),
    ]
}

/// `(window, from_us, to_us)` relative to the run's start.
fn windows(events: &[Event], service: &str, start: OffsetDateTime) -> Vec<(Window, u64, u64)> {
    let offset = |at: OffsetDateTime| micros(between(start, at));
    let mine: Vec<&Event> = events.iter().filter(|e| e.service == service).collect();
    let mut out = Vec::new();
    let mut build_from = None;
    for event in &mine {
        match &event.kind {
            EventKind::BuildStarted { .. } => build_from = Some(offset(event.at)),
            EventKind::BuildSucceeded { .. } | EventKind::BuildFailed { .. } => {
                if let Some(from) = build_from.take() {
                    out.push((Window::Build, from, offset(event.at)));
                }
            }
            EventKind::VersionStarting { version } => {
                let succeeded = mine.iter().find_map(|e| match &e.kind {
                    EventKind::ReloadSucceeded {
                        version: v,
                        previous,
                        ..
                    } if v == version => Some((e.at, *previous)),
                    _ => None,
                });
                let Some((switched, previous)) = succeeded else {
                    continue;
                };
                out.push((Window::Startup, offset(event.at), offset(switched)));
                // The retirement ends when the version it replaced has stopped.
                let stopped = previous.and_then(|previous| {
                    mine.iter()
                        .find(|e| matches!(e.kind, EventKind::Stopped { version: v } if v == previous))
                        .map(|e| e.at)
                });
                if let Some(stopped) = stopped {
                    out.push((Window::Retire, offset(switched), offset(stopped)));
                }
            }
            _ => {}
        }
    }
    out
}

fn classify(windows: &[(Window, u64, u64)], at_us: u64) -> Window {
    windows
        .iter()
        .find(|(_, from, to)| (*from..=*to).contains(&at_us))
        .map(|w| w.0)
        .unwrap_or(Window::Steady)
}

/// Total time of `window` within the run (steady: the rest).
fn span(windows: &[(Window, u64, u64)], window: Window, run_us: u64) -> u64 {
    let of = |w: Window| -> u64 {
        windows
            .iter()
            .filter(|x| x.0 == w)
            .map(|(_, from, to)| to.min(&run_us).saturating_sub(*from))
            .sum()
    };
    match window {
        Window::Steady => {
            run_us.saturating_sub(of(Window::Build) + of(Window::Startup) + of(Window::Retire))
        }
        other => of(other),
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_fall_into_windows() {
        let windows = vec![
            (Window::Build, 100, 200),
            (Window::Startup, 300, 400),
            (Window::Retire, 400, 450),
        ];
        assert_eq!(classify(&windows, 50), Window::Steady);
        assert_eq!(classify(&windows, 150), Window::Build);
        assert_eq!(classify(&windows, 350), Window::Startup);
        assert_eq!(classify(&windows, 420), Window::Retire);
        assert_eq!(span(&windows, Window::Steady, 1000), 750);
        assert_eq!(span(&windows, Window::Startup, 1000), 100);
    }
}
