//! `guard`: the regression guard. A short `proxy` run (16 and 64 in flight,
//! 2 rounds of 2 s per path) that prints only the overhead and fails when
//! the front port delivers less than 0.85 of the direct throughput.

use std::time::Duration;

use crate::quiet;
use crate::scenarios::proxy::{self, MIN_RATIO};
use crate::setup::{Env, Running};

#[derive(Debug, Clone, clap::Args)]
pub struct GuardArgs {
    /// Rounds per path and level.
    #[arg(long, default_value_t = 2)]
    pub rounds: usize,
    /// Seconds per round.
    #[arg(long, default_value_t = 2.0)]
    pub round_secs: f64,
}

impl Default for GuardArgs {
    fn default() -> Self {
        GuardArgs {
            rounds: 2,
            round_secs: 2.0,
        }
    }
}

/// True if every level met the throughput ratio.
pub async fn run(env: &Env, args: &GuardArgs) -> anyhow::Result<bool> {
    let running = Running::start(&proxy::plan(env)).await?;
    let outcome = async {
        let quiet = quiet::wait_for_quiet("guard", env.quiet_limit).await?;
        let levels = proxy::compare(
            &running,
            &[16, 64],
            args.rounds,
            Duration::from_secs_f64(args.round_secs),
        )
        .await?;
        println!(
            "\n== guard: {} rounds x {:.0} s per path at 16 and 64 in flight; {quiet}\n",
            args.rounds, args.round_secs
        );
        proxy::print_overhead(&levels);
        let failing: Vec<String> = levels
            .iter()
            .filter(|l| l.ratio() < MIN_RATIO)
            .map(|l| format!("{} in flight: {:.3}", l.in_flight, l.ratio()))
            .collect();
        if failing.is_empty() {
            println!("guard: PASS (front/direct throughput >= {MIN_RATIO} at 16 and 64 in flight)");
        } else {
            println!(
                "guard: FAIL (front/direct throughput below {MIN_RATIO}: {})",
                failing.join(", ")
            );
        }
        anyhow::Ok(failing.is_empty())
    }
    .await;
    running.shutdown().await;
    outcome
}
