//! `swap`: how long a swap takes, from the new version's artifact being
//! ready (`VersionStarting`) to the first response carrying the new
//! `x-hifate-version`, while callers call in a loop. Forced reloads
//! (`rebuild(&[name], ..)`) of an unchanged service swap in a new
//! version each time; the supervisor's `ReloadSucceeded` timings split the
//! swap into spawn, ready check and switch, and `DrainFinished` gives the
//! old version's drain.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::bail;
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use hifate::events::{EventKind, SwapTimings};
use hifate::ReloadOutcome;
use hifate_fixture::echo_client::EchoClient;
use hifate_fixture::SayRequest;
use time::OffsetDateTime;
use tonic::transport::Channel;

use crate::client::{self, version_of};
use crate::hist::Latency;
use crate::quiet;
use crate::setup::{self, between, Env, Plan, Recorder, Running, BAZI_CORE, ECHO};
use crate::table::Table;

/// Swap p50 and p99 targets.
const P50_TARGET: Duration = Duration::from_millis(30);
const P99_TARGET: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// The fixture echo service (a minimal tonic server): the supervisor's own cost.
    Echo,
    /// bazi_core in release, with its start-up work.
    BaziCore,
    Both,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SwapArgs {
    /// Forced swaps per service.
    #[arg(long, default_value_t = 50)]
    pub swaps: usize,
    /// Which service to swap.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    pub service: Which,
    /// Callers calling in a loop during the swaps.
    #[arg(long, default_value_t = 4)]
    pub callers: usize,
}

impl Default for SwapArgs {
    fn default() -> Self {
        SwapArgs {
            swaps: 50,
            service: Which::Both,
            callers: 4,
        }
    }
}

pub async fn run(env: &Env, args: &SwapArgs) -> anyhow::Result<()> {
    if matches!(args.service, Which::Echo | Which::Both) {
        let fixture = setup::write_echo_fixture(env)?;
        let plan = Plan::reloading(fixture, env.target_dir.clone(), ECHO);
        series(env, &plan, ECHO.name, args).await?;
    }
    if matches!(args.service, Which::BaziCore | Which::Both) {
        let plan = Plan::reloading(env.workspace.clone(), env.target_dir.clone(), BAZI_CORE);
        series(env, &plan, BAZI_CORE.name, args).await?;
    }
    Ok(())
}

/// What the callers saw.
#[derive(Default)]
struct Seen {
    /// When a response of each version was first received.
    first: Mutex<BTreeMap<u64, OffsetDateTime>>,
    calls: AtomicU64,
    failures: AtomicU64,
    first_failure: Mutex<Option<String>>,
}

impl Seen {
    fn saw(&self, version: Option<u64>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if let Some(version) = version {
            if let Ok(mut first) = self.first.lock() {
                first.entry(version).or_insert_with(OffsetDateTime::now_utc);
            }
        }
    }

    fn failed(&self, error: String) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.failures.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut slot) = self.first_failure.lock() {
            slot.get_or_insert(error);
        }
    }

    fn first_of(&self, version: u64) -> Option<OffsetDateTime> {
        self.first.lock().ok()?.get(&version).copied()
    }
}

/// One caller's loop until `stop`.
async fn caller(service: &'static str, channel: Channel, seen: Arc<Seen>, stop: Arc<AtomicBool>) {
    if service == ECHO.name {
        let mut client = EchoClient::new(channel);
        while !stop.load(Ordering::Relaxed) {
            let request = SayRequest {
                message: "ping".into(),
                delay_ms: 0,
            };
            match client.say(request).await {
                Ok(response) => seen.saw(version_of(response.metadata())),
                Err(status) => seen.failed(status.to_string()),
            }
        }
    } else {
        let mut client = BaziCoreServiceClient::new(channel);
        while !stop.load(Ordering::Relaxed) {
            match client.calculate_bazi(client::fixed_request()).await {
                Ok(response) => seen.saw(version_of(response.metadata())),
                Err(status) => seen.failed(status.to_string()),
            }
        }
    }
}

/// One swap's measurements, in microseconds.
struct Sample {
    total_us: u64,
    timings: SwapTimings,
    to_first_us: u64,
    swap_ms: u64,
    drain_ms: Option<u64>,
    stop_us: Option<u64>,
    build_us: Option<u64>,
}

async fn series(
    env: &Env,
    plan: &Plan,
    service: &'static str,
    args: &SwapArgs,
) -> anyhow::Result<()> {
    let running = Running::start(plan).await?;
    let outcome = measure(env, &running, service, args).await;
    running.shutdown().await;
    outcome
}

async fn measure(
    env: &Env,
    running: &Running,
    service: &'static str,
    args: &SwapArgs,
) -> anyhow::Result<()> {
    let supervisor = &running.supervisor;
    let recorder = Recorder::start(supervisor);
    let quiet = quiet::wait_for_quiet(&format!("swap {service}"), env.quiet_limit).await?;
    let channel = client::front_channel(running.address(service)?).await?;
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..args.callers.max(1))
        .map(|_| tokio::spawn(caller(service, channel.clone(), seen.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut samples = Vec::new();
    let mut problems = Vec::new();
    for i in 0..args.swaps {
        let outcomes = supervisor.rebuild(&[service], "benchmark swap").await;
        let (version, previous) = match outcomes.get(service) {
            Some(ReloadOutcome::Swapped {
                version, previous, ..
            }) => (*version, *previous),
            other => {
                problems.push(format!("swap {i}: {other:?}"));
                continue;
            }
        };
        let wait = Duration::from_secs(10);
        let starting = recorder
            .wait_for(
                service,
                wait,
                |k| matches!(k, EventKind::VersionStarting { version: v } if *v == version),
            )
            .await;
        let succeeded = recorder
            .wait_for(
                service,
                wait,
                |k| matches!(k, EventKind::ReloadSucceeded { version: v, .. } if *v == version),
            )
            .await;
        let mut first = None;
        let deadline = tokio::time::Instant::now() + wait;
        while first.is_none() && tokio::time::Instant::now() < deadline {
            first = seen.first_of(version);
            if first.is_none() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let (drained, stopped) =
            match previous {
                Some(old) => {
                    let drained = recorder
                    .wait_for(service, Duration::from_secs(30), |k| {
                        matches!(k, EventKind::DrainFinished { version: v, .. } if *v == old)
                    })
                    .await;
                    let stopped = recorder
                        .wait_for(
                            service,
                            Duration::from_secs(30),
                            |k| matches!(k, EventKind::Stopped { version: v } if *v == old),
                        )
                        .await;
                    (drained, stopped)
                }
                None => (None, None),
            };
        let build = {
            let events = recorder.snapshot();
            let started = events
                .iter()
                .filter(|e| e.service == service)
                .filter(|e| matches!(e.kind, EventKind::BuildStarted { .. }))
                .rfind(|e| starting.as_ref().is_some_and(|s| e.at <= s.at))
                .map(|e| e.at);
            let finished = events
                .iter()
                .filter(|e| e.service == service)
                .filter(|e| matches!(e.kind, EventKind::BuildSucceeded { .. }))
                .rfind(|e| starting.as_ref().is_some_and(|s| e.at <= s.at))
                .map(|e| e.at);
            match (started, finished) {
                (Some(s), Some(f)) => Some(micros(between(s, f))),
                _ => None,
            }
        };
        match (starting, succeeded, first) {
            (Some(starting), Some(succeeded), Some(first)) => {
                let EventKind::ReloadSucceeded {
                    swap_ms, timings, ..
                } = succeeded.kind
                else {
                    continue;
                };
                let drain_ms = drained.as_ref().and_then(|e| match e.kind {
                    EventKind::DrainFinished { drain_ms, .. } => Some(drain_ms),
                    _ => None,
                });
                let stop_us = match (&drained, &stopped) {
                    (Some(d), Some(s)) => Some(micros(between(d.at, s.at))),
                    _ => None,
                };
                samples.push(Sample {
                    total_us: micros(between(starting.at, first)),
                    timings,
                    to_first_us: micros(between(succeeded.at, first)),
                    swap_ms,
                    drain_ms,
                    stop_us,
                    build_us: build,
                });
            }
            (starting, succeeded, first) => problems.push(format!(
                "swap {i} (version {version}): VersionStarting {}, ReloadSucceeded {}, first response {}",
                found(starting.is_some()),
                found(succeeded.is_some()),
                found(first.is_some())
            )),
        }
        if (i + 1) % 10 == 0 {
            eprintln!("  {service}: {} swaps done", i + 1);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for task in callers {
        let _ = task.await;
    }
    let calls = seen.calls.load(Ordering::Relaxed);
    let failures = seen.failures.load(Ordering::Relaxed);
    let unrouted = supervisor
        .service(service)
        .map(|s| s.route.counters.unrouted.load(Ordering::Relaxed))
        .unwrap_or(0);

    println!(
        "\n== swap: {service} (release), {} forced swaps, {} callers calling in a loop through the front port; {quiet}\n",
        args.swaps, args.callers
    );
    print_samples(service, &samples);
    println!(
        "calls during the series: {calls}; FAILED CALLS: {failures}; unrouted (proxy answered UNAVAILABLE): {unrouted}"
    );
    if let Ok(slot) = seen.first_failure.lock() {
        if let Some(error) = slot.as_ref() {
            println!("first failure: {error}");
        }
    }
    for problem in &problems {
        println!("problem: {problem}");
    }
    if samples.is_empty() {
        bail!("no swap of {service} could be measured");
    }
    Ok(())
}

fn found(yes: bool) -> &'static str {
    if yes {
        "seen"
    } else {
        "MISSING"
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn print_samples(service: &str, samples: &[Sample]) {
    let series = |f: &dyn Fn(&Sample) -> Option<u64>| {
        let mut h = Latency::new();
        for s in samples {
            if let Some(us) = f(s) {
                h.record_us(us);
            }
        }
        h
    };
    let rows: Vec<(&str, Latency)> = vec![
        (
            "total: artifact ready -> first new response",
            series(&|s| Some(s.total_us)),
        ),
        ("  spawn", series(&|s| Some(s.timings.spawn_us))),
        ("  ready check", series(&|s| Some(s.timings.ready_us))),
        ("  switch", series(&|s| Some(s.timings.switch_us))),
        (
            "  switch -> first new response",
            series(&|s| Some(s.to_first_us)),
        ),
        (
            "supervisor's swap_ms (spawn+ready+switch)",
            series(&|s| Some(s.swap_ms * 1000)),
        ),
        (
            "old version drain (DrainFinished)",
            series(&|s| s.drain_ms.map(|ms| ms * 1000)),
        ),
        ("old version stop (SIGTERM -> exit)", series(&|s| s.stop_us)),
        (
            "cargo build before each swap (no-op)",
            series(&|s| s.build_us),
        ),
    ];
    let mut table = Table::new(
        &format!("Swap phases of {service}, ms ({} swaps)", samples.len()),
        &["phase", "n", "min", "p50", "p99", "max"],
    );
    for (name, h) in &rows {
        if h.count() == 0 {
            table.row([name.to_string(), "0".into()]);
            continue;
        }
        table.row([
            name.to_string(),
            h.count().to_string(),
            ms(h.min()),
            ms(h.p50()),
            ms(h.p99()),
            ms(h.max()),
        ]);
    }
    table.print();
    if let Some((_, total)) = rows.first() {
        if total.count() > 0 {
            let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
            println!(
                "targets: p50 {} <= 30 ms {}; p99 {} <= 100 ms {}",
                ms(total.p50()),
                verdict(total.p50() <= P50_TARGET),
                ms(total.p99()),
                verdict(total.p99() <= P99_TARGET)
            );
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}
