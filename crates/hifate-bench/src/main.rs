//! `hifate-bench`: benchmarks of the hifate supervisor against the real
//! HiFate services. Run with
//! `cargo run --release -p hifate-bench -- <scenario>`; each scenario prints
//! small tables with its targets marked `met` or `MISSED`.
//!
//! Every scenario starts its own supervisor on free ports of 127.0.0.1 with
//! a throwaway state directory, builds services into
//! `target/bench-target` (so it never waits on the main build's lock), and
//! before measuring waits (polling every 10 s, up to `--quiet-wait` seconds)
//! for the 1-minute load average to drop below 0.8. All traffic goes to
//! 127.0.0.1, and every scenario ends by itself.
//!
//! # Scenarios
//!
//! - `proxy`: the front proxy's cost. One tonic client calls bazi_core's
//!   `CalculateBazi` (1990-01-15 12:00 male; release build) through the front
//!   port and directly on the serving version's private Unix socket, in
//!   alternating 3-second rounds (3 per path) at 1, 16 and 64 calls in
//!   flight. Prints requests/s, p50 and p99 for both, the throughput ratio,
//!   the added p50, and the CPU time per call of this process (the client,
//!   plus the supervisor's proxy on the front path) and of the service. If
//!   `h2load` is installed it also drives the front port with a gRPC request
//!   body (5-byte frame header + protobuf).
//! - `swap`: 50 forced swaps (`rebuild(&[name], ..)`) each of the echo
//!   fixture service and of bazi_core while callers call in a loop. Per swap:
//!   artifact ready (`VersionStarting`) → first response with the new
//!   `x-hifate-version`, split by the `ReloadSucceeded` timings into spawn,
//!   ready check and switch; plus the old version's drain (`DrainFinished`)
//!   and stop, and the failed calls.
//! - `change`: an edit of one string literal in a mirrored copy of the
//!   workspace (`target/bench-workspace`; the real sources are never touched)
//!   to the first response showing it, with file events on. The time is split
//!   by the supervisor's events into detection (→ `FilesChanged`, includes
//!   the 300 ms debounce), hashing, cargo build, staging the artifact,
//!   start + ready + switch, and the first response. 5 edits each in the dev
//!   and release profiles.
//! - `load`: 16 calls in flight for 60 s while bazi_core is force-reloaded
//!   every 3 s. Prints the calls made and FAILED CALLS, and p50/p99 of the
//!   calls started during cargo's no-op build, during the new version's
//!   start-up, while the old version retires, in the first 200 ms after each
//!   switch, and in steady state.
//! - `idle`: the `hifate` binary (`target/release/hifate`, built if missing)
//!   runs `hifate up` with bazi_core and gateway watched and idle. Its own
//!   CPU time (`/proc/<pid>/stat` utime + stime, and the per-thread
//!   nanosecond `se.sum_exec_runtime` from `/proc/<pid>/task/*/sched`) and
//!   RSS (`VmRSS`) over 60 s, with `watch = "events"` and with
//!   `watch = "poll"` (30 s interval).
//! - `chart`: charts per second per core of `bazi::chart` (one thread,
//!   200,000 random inputs), of `CalculateBazi` through the front port (per
//!   CPU-second of client + supervisor + service), and of the original
//!   system's `lunar_python` (four pillars, one Python process) on the same
//!   inputs, with the pillars compared and the ratios printed.
//! - `rollback`: 20 rounds each of the echo fixture service and of
//!   bazi_core: a forced reload (the old version kept warm, `bake_ms` 60 s),
//!   then the new process killed while callers call. Prints the time from
//!   the kill to the warm version's first answer, the supervisor's decision
//!   → switch time, the warm version's RSS, and the failed calls.
//! - `memory`: desk_fengshui, fortune_analysis (with bazi_core and
//!   fortune_rule) and intent_service, each under 2 callers and swapped 3
//!   times with the default 10 s bake window. The RSS of all the service's
//!   processes is read every 10 ms: resting under load, and the peak during
//!   each swap, when two copies of the model are in memory.
//! - `guard`: the regression guard, a short `proxy` (2 rounds × 2 s at 16
//!   and 64 in flight) that exits non-zero when the front port delivers less
//!   than 0.85 of the direct throughput.
//! - `all`: every scenario above, in that order.

mod client;
mod hist;
mod procfs;
mod quiet;
mod scenarios;
mod setup;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use scenarios::{change, chart, guard, idle, load, memory, proxy, rollback, swap};

#[derive(Parser)]
#[command(
    name = "hifate-bench",
    about = "Benchmarks of the hifate supervisor (proxy, swaps, change-to-serving, load, idle, chart throughput)"
)]
struct Cli {
    /// The HiFate workspace (never edited; builds go to its target/bench-target).
    #[arg(long, global = true, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
    workspace: PathBuf,
    /// Longest wait, in seconds, for the load average to drop below 0.8.
    #[arg(long, global = true, default_value_t = 600)]
    quiet_wait: u64,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Front port vs direct Unix socket: throughput ratio and added latency.
    Proxy(proxy::ProxyArgs),
    /// Artifact ready to first new response, per swap, with its phases.
    Swap(swap::SwapArgs),
    /// Source edit to first new response, dev and release profiles.
    Change(change::ChangeArgs),
    /// Failed calls and latency while reloading under load.
    Load(load::LoadArgs),
    /// The idle supervisor's CPU and memory.
    Idle(idle::IdleArgs),
    /// Charts per second per core vs the original library.
    Chart(chart::ChartArgs),
    /// A version killed in its bake window: time back to the warm one, its memory.
    Rollback(rollback::RollbackArgs),
    /// RSS of the model-holding services during swaps (two copies at once).
    Memory(memory::MemoryArgs),
    /// Regression guard: exits non-zero if the proxy costs too much throughput.
    Guard(guard::GuardArgs),
    /// Every scenario in order.
    All,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hifate-bench: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("hifate-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the scenario; false if a guard failed.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    let env = setup::Env::new(cli.workspace, Duration::from_secs(cli.quiet_wait))?;
    match cli.scenario {
        Scenario::Proxy(args) => proxy::run(&env, &args).await.map(|()| true),
        Scenario::Swap(args) => swap::run(&env, &args).await.map(|()| true),
        Scenario::Change(args) => change::run(&env, &args).await.map(|()| true),
        Scenario::Load(args) => load::run(&env, &args).await.map(|()| true),
        Scenario::Idle(args) => idle::run(&env, &args).await.map(|()| true),
        Scenario::Chart(args) => chart::run(&env, &args).await.map(|()| true),
        Scenario::Rollback(args) => rollback::run(&env, &args).await.map(|()| true),
        Scenario::Memory(args) => memory::run(&env, &args).await.map(|()| true),
        Scenario::Guard(args) => guard::run(&env, &args).await,
        Scenario::All => {
            proxy::run(&env, &proxy::ProxyArgs::default()).await?;
            swap::run(&env, &swap::SwapArgs::default()).await?;
            change::run(&env, &change::ChangeArgs::default()).await?;
            load::run(&env, &load::LoadArgs::default()).await?;
            idle::run(&env, &idle::IdleArgs::default()).await?;
            chart::run(&env, &chart::ChartArgs::default()).await?;
            rollback::run(&env, &rollback::RollbackArgs::default()).await?;
            memory::run(&env, &memory::MemoryArgs::default()).await?;
            guard::run(&env, &guard::GuardArgs::default()).await
        }
    }
}
