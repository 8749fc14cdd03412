//! `rollback`: how fast a version that dies in its bake window gives way to
//! the warm old one, and what keeping the old one warm costs.
//!
//! Per round, while callers call in a loop: a forced reload (the new version
//! serves, the old one is kept warm for `bake_ms` = 60 s); the warm and the
//! new process's RSS are read after 300 ms; the new process is killed
//! (SIGKILL). Measured: from the kill to the first answer of the warm
//! version, and the supervisor's own decision → switch time (from its
//! `VersionRolledBack` event); the calls that failed (those in flight on the
//! killed process).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use hifate::events::EventKind;
use hifate::ReloadOutcome;
use hifate_fixture::echo_client::EchoClient;
use hifate_fixture::SayRequest;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tonic::transport::Channel;

use crate::client::{self, version_of};
use crate::hist::{fmt_duration, Latency};
use crate::procfs;
use crate::quiet;
use crate::setup::{self, Env, Plan, Recorder, Running, BAZI_CORE, ECHO};
use crate::table::Table;

#[derive(Debug, Clone, clap::Args)]
pub struct RollbackArgs {
    /// Rounds (reload, kill, roll back) per service.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Callers calling in a loop.
    #[arg(long, default_value_t = 4)]
    pub callers: usize,
}

impl Default for RollbackArgs {
    fn default() -> Self {
        RollbackArgs {
            rounds: 20,
            callers: 4,
        }
    }
}

pub async fn run(env: &Env, args: &RollbackArgs) -> anyhow::Result<()> {
    let fixture = setup::write_echo_fixture(env)?;
    for (workspace, service) in [(fixture, ECHO), (env.workspace.clone(), BAZI_CORE)] {
        let name = service.name;
        let mut plan = Plan::reloading(workspace, env.target_dir.clone(), service);
        plan.extra.retain(|line| !line.starts_with("bake_ms"));
        plan.extra.push("bake_ms = 60000".into());
        let running = Running::start(&plan).await?;
        let outcome = measure(env, &running, name, args).await;
        running.shutdown().await;
        outcome?;
    }
    Ok(())
}

/// The first answer of one version after one instant, as the callers see it.
#[derive(Default)]
struct Watch {
    slot: Mutex<Option<(u64, Instant, Option<Instant>)>>,
    failures: AtomicU64,
}

impl Watch {
    fn expect(&self, version: u64, after: Instant) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((version, after, None));
        }
    }

    fn saw(&self, version: Option<u64>) {
        let now = Instant::now();
        if let (Ok(mut slot), Some(version)) = (self.slot.lock(), version) {
            if let Some((want, after, first @ None)) = slot.as_mut() {
                if *want == version && now > *after {
                    *first = Some(now);
                }
            }
        }
    }

    fn first(&self) -> Option<Instant> {
        self.slot.lock().ok()?.as_ref()?.2
    }
}

async fn caller(service: &'static str, channel: Channel, watch: Arc<Watch>, stop: Arc<AtomicBool>) {
    if service == ECHO.name {
        let mut client = EchoClient::new(channel);
        while !stop.load(Ordering::Relaxed) {
            let request = SayRequest {
                message: "ping".into(),
                delay_ms: 0,
            };
            match client.say(request).await {
                Ok(response) => watch.saw(version_of(response.metadata())),
                Err(_) => {
                    watch.failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    } else {
        let mut client = BaziCoreServiceClient::new(channel);
        while !stop.load(Ordering::Relaxed) {
            match client.calculate_bazi(client::fixed_request()).await {
                Ok(response) => watch.saw(version_of(response.metadata())),
                Err(_) => {
                    watch.failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

async fn measure(
    env: &Env,
    running: &Running,
    service: &'static str,
    args: &RollbackArgs,
) -> anyhow::Result<()> {
    let supervisor = &running.supervisor;
    let recorder = Recorder::start(supervisor);
    let quiet = quiet::wait_for_quiet(&format!("rollback {service}"), env.quiet_limit).await?;
    let channel = client::front_channel(running.address(service)?).await?;
    let watch = Arc::new(Watch::default());
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..args.callers.max(1))
        .map(|_| {
            tokio::spawn(caller(
                service,
                channel.clone(),
                watch.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut to_answer = Latency::new();
    let mut to_switch = Latency::new();
    let (mut warm_kb, mut new_kb) = (Vec::new(), Vec::new());
    let mut failed = 0;
    let mut problems = Vec::new();
    for round in 0..args.rounds {
        let (_, warm_pid) = running.child(service)?;
        let outcomes = supervisor.rebuild(&[service], "benchmark rollback").await;
        let (version, warm) = match outcomes.get(service) {
            Some(ReloadOutcome::Swapped {
                version,
                previous: Some(previous),
                ..
            }) => (*version, *previous),
            other => {
                problems.push(format!("round {round}: {other:?}"));
                continue;
            }
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (_, new_pid) = running.child(service)?;
        warm_kb.push(procfs::status_field(warm_pid, "VmRSS:")?);
        new_kb.push(procfs::status_field(new_pid, "VmRSS:")?);
        let failures_before = watch.failures.load(Ordering::Relaxed);
        let killed = Instant::now();
        watch.expect(warm, killed);
        let pid = i32::try_from(new_pid).context("pid out of range")?;
        kill(Pid::from_raw(pid), Signal::SIGKILL).context("cannot kill the new version")?;
        let event = recorder
            .wait_for(
                service,
                Duration::from_secs(10),
                |k| matches!(k, EventKind::VersionRolledBack { version: v, .. } if *v == version),
            )
            .await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while watch.first().is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        match (event.map(|e| e.kind), watch.first()) {
            (Some(EventKind::VersionRolledBack { switch_us, .. }), Some(first)) => {
                to_switch.record_us(switch_us);
                to_answer.record(first - killed);
            }
            (event, first) => problems.push(format!(
                "round {round}: version {version} killed, event {event:?}, warm answered: {}",
                first.is_some()
            )),
        }
        // Let the killed version's leftovers settle before the next round.
        tokio::time::sleep(Duration::from_millis(300)).await;
        failed += watch.failures.load(Ordering::Relaxed) - failures_before;
        if running.child(service)?.1 != warm_pid {
            bail!("round {round}: the warm process {warm_pid} does not serve after the rollback");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        let _ = caller.await;
    }

    let mean_mb = |kb: &[u64]| kb.iter().sum::<u64>() as f64 / kb.len().max(1) as f64 / 1024.0;
    let mut table = Table::new(
        &format!(
            "rollback {service}: new version killed in its bake window, {} rounds, {} callers ({quiet})",
            args.rounds, args.callers
        ),
        &["measure", "p50", "p99", "max"],
    );
    for (name, latency) in [
        ("kill → first answer of the warm version", &to_answer),
        ("decision → switch (supervisor)", &to_switch),
    ] {
        table.row([
            name.to_owned(),
            fmt_duration(latency.p50()),
            fmt_duration(latency.p99()),
            fmt_duration(latency.max()),
        ]);
    }
    table.print();
    println!(
        "warm version's RSS during the window: {:.1} MB (the new version's: {:.1} MB); calls failed: {failed} (in flight on the killed process)",
        mean_mb(&warm_kb),
        mean_mb(&new_kb)
    );
    for problem in &problems {
        println!("problem: {problem}");
    }
    Ok(())
}
