//! `idle`: what the supervisor costs while nothing happens. The `hifate`
//! binary runs as a child (`hifate up --config .. --state-dir ..`) with every
//! service of the root `hifate.toml` (bazi_core and gateway) on free ports,
//! served from a mirrored copy of the workspace and watched; once both serve
//! and the machine is quiet, its CPU time (`/proc/<pid>/stat` utime + stime,
//! which counts in 10 ms ticks, and the scheduler's nanosecond count
//! `se.sum_exec_runtime` of each thread from `/proc/<pid>/task/*/sched`)
//! and resident memory
//! (`/proc/<pid>/status` VmRSS) are read over the measurement window. Once with `watch = "events"`, once with
//! `watch = "poll"` at the default 30 s interval.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use hifate::events::{Event, EventKind};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::procfs::{
    children_of, cpu_ns_between, cpu_ticks, status_field, thread_cpu_ns, ticks_per_sec,
};
use crate::quiet;
use crate::setup::{self, Env, Plan, BAZI_CORE, GATEWAY};
use crate::table::Table;

const CPU_TARGET_PERCENT: f64 = 0.5;
const RSS_TARGET_MB: f64 = 50.0;

#[derive(Debug, Clone, clap::Args)]
pub struct IdleArgs {
    /// Seconds measured per watch mode.
    #[arg(long, default_value_t = 60.0)]
    pub secs: f64,
}

impl Default for IdleArgs {
    fn default() -> Self {
        IdleArgs { secs: 60.0 }
    }
}

/// One watch mode's result.
struct Measured {
    mode: &'static str,
    /// From the scheduler's nanosecond counts, where the kernel has them.
    cpu_percent: Option<f64>,
    /// From utime + stime (10 ms ticks).
    cpu_percent_ticks: f64,
    rss_mb_end: f64,
    rss_mb_max: f64,
    threads: u64,
    children_cpu_percent: f64,
    children_rss_mb: f64,
    children: usize,
    quiet: quiet::Quiet,
}

pub async fn run(env: &Env, args: &IdleArgs) -> anyhow::Result<()> {
    let hifate = hifate_binary(env).await?;
    let copy = env.workspace_copy();
    setup::sync_workspace_copy(&env.workspace, &copy)?;
    let mut results = Vec::new();
    for mode in ["events", "poll"] {
        results.push(one_mode(env, &hifate, &copy, mode, args).await?);
    }
    println!(
        "\n== idle: `hifate up` with bazi_core + gateway (release builds) watched and idle, {:.0} s per watch mode (poll interval: default 30 s)\n",
        args.secs
    );
    let mut table = Table::new(
        &format!(
            "Supervisor process only (targets: < {CPU_TARGET_PERCENT}% of one core, RSS < {RSS_TARGET_MB} MB)"
        ),
        &[
            "watch",
            "CPU % (stat utime+stime)",
            "CPU % (sched ns)",
            "CPU time",
            "RSS end",
            "RSS max",
            "threads",
            "CPU target",
            "RSS target",
            "services' CPU %",
            "services' RSS",
        ],
    );
    for m in &results {
        table.row([
            m.mode.to_owned(),
            format!("{:.3}", m.cpu_percent_ticks),
            m.cpu_percent
                .map(|p| format!("{p:.4}"))
                .unwrap_or_else(|| "n/a".into()),
            m.cpu_percent
                .map(|p| format!("{:.2} ms", p / 100.0 * args.secs * 1e3))
                .unwrap_or_else(|| "n/a".into()),
            format!("{:.1} MB", m.rss_mb_end),
            format!("{:.1} MB", m.rss_mb_max),
            m.threads.to_string(),
            verdict(m.cpu_percent.unwrap_or(m.cpu_percent_ticks) < CPU_TARGET_PERCENT).to_owned(),
            verdict(m.rss_mb_max < RSS_TARGET_MB).to_owned(),
            format!("{:.3} ({} processes)", m.children_cpu_percent, m.children),
            format!("{:.1} MB", m.children_rss_mb),
        ]);
    }
    table.print();
    for m in &results {
        println!("{}: {}", m.mode, m.quiet);
    }
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

/// `target/release/hifate`, built first if it is missing.
async fn hifate_binary(env: &Env) -> anyhow::Result<PathBuf> {
    let binary = env.workspace.join("target/release/hifate");
    if binary.is_file() {
        return Ok(binary);
    }
    eprintln!("building the hifate binary (cargo build --release -p hifate)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = tokio::process::Command::new(cargo)
        .args(["build", "--release", "-p", "hifate"])
        .current_dir(&env.workspace)
        .status()
        .await
        .context("cannot run cargo")?;
    if !status.success() || !binary.is_file() {
        bail!("cargo build --release -p hifate failed");
    }
    Ok(binary)
}

async fn one_mode(
    env: &Env,
    hifate: &Path,
    copy: &Path,
    mode: &'static str,
    args: &IdleArgs,
) -> anyhow::Result<Measured> {
    let dir = tempfile::Builder::new()
        .prefix("hifate-bench-idle-")
        .tempdir()?;
    let plan = Plan {
        workspace: copy.to_owned(),
        target_dir: env.target_dir.clone(),
        profile: "release",
        watch: mode,
        services: vec![BAZI_CORE, GATEWAY],
        extra: Vec::new(),
    };
    let config = dir.path().join("hifate.toml");
    std::fs::write(&config, setup::config_text(&plan)?)?;
    let state = dir.path().join("state");
    let log = std::fs::File::create(dir.path().join("hifate.log"))?;
    let mut child = tokio::process::Command::new(hifate)
        .arg("up")
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(&state)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", hifate.display()))?;
    let pid = child.id().context("hifate exited at once")?;
    eprintln!("idle ({mode}): hifate up is pid {pid}; waiting for both services to serve");
    let outcome = async {
        wait_serving(
            &state,
            &mut child,
            dir.path(),
            &[BAZI_CORE.name, GATEWAY.name],
        )
        .await?;
        let quiet = quiet::wait_for_quiet(&format!("idle {mode}"), env.quiet_limit).await?;
        sample(pid, mode, Duration::from_secs_f64(args.secs), quiet).await
    }
    .await;
    stop(pid, &mut child).await;
    outcome
}

/// Waits until `events.jsonl` shows a version serving for every service.
async fn wait_serving(
    state: &Path,
    child: &mut tokio::process::Child,
    dir: &Path,
    services: &[&str],
) -> anyhow::Result<()> {
    let limit = Instant::now() + Duration::from_secs(1800);
    loop {
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(dir.join("hifate.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            bail!(
                "hifate up exited ({status}):\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        let text = std::fs::read_to_string(state.join("events.jsonl")).unwrap_or_default();
        let serving = services.iter().all(|name| {
            text.lines()
                .filter_map(|l| serde_json::from_str::<Event>(l).ok())
                .any(|e| e.service == *name && matches!(e.kind, EventKind::ReloadSucceeded { .. }))
        });
        if serving {
            return Ok(());
        }
        if Instant::now() > limit {
            bail!("the services did not serve within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn sample(
    pid: u32,
    mode: &'static str,
    window: Duration,
    quiet: quiet::Quiet,
) -> anyhow::Result<Measured> {
    let children = children_of(pid);
    let cpu0 = thread_cpu_ns(pid).ok();
    let ticks0 = cpu_ticks(pid)?;
    let children0: Vec<_> = children.iter().map(|c| thread_cpu_ns(*c).ok()).collect();
    let started = Instant::now();
    let mut rss_max: u64 = 0;
    while started.elapsed() < window {
        rss_max = rss_max.max(status_field(pid, "VmRSS:")?);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu1 = thread_cpu_ns(pid).ok();
    let ticks1 = cpu_ticks(pid)?;
    let children_ns: u64 = children
        .iter()
        .zip(&children0)
        .filter_map(|(c, before)| Some(cpu_ns_between(before.as_ref()?, &thread_cpu_ns(*c).ok()?)))
        .sum();
    let rss_end = status_field(pid, "VmRSS:")?;
    let children_rss: u64 = children
        .iter()
        .filter_map(|c| status_field(*c, "VmRSS:").ok())
        .sum();
    let cpu_percent_ticks =
        100.0 * ticks1.saturating_sub(ticks0) as f64 / ticks_per_sec() / elapsed;
    let cpu_percent = match (cpu0, cpu1) {
        (Some(a), Some(b)) => Some(100.0 * cpu_ns_between(&a, &b) as f64 / 1e9 / elapsed),
        _ => None,
    };
    Ok(Measured {
        mode,
        cpu_percent,
        cpu_percent_ticks,
        rss_mb_end: rss_end as f64 / 1024.0,
        rss_mb_max: rss_max.max(rss_end) as f64 / 1024.0,
        threads: status_field(pid, "Threads:")?,
        children_cpu_percent: 100.0 * children_ns as f64 / 1e9 / elapsed,
        children: children.len(),
        children_rss_mb: children_rss as f64 / 1024.0,
        quiet,
    })
}

/// SIGTERM (hifate drains and stops its services), SIGKILL after 60 s.
async fn stop(pid: u32, child: &mut tokio::process::Child) {
    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
    if tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}
