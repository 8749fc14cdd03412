//! `change`: from a saved source edit to the first response showing the new
//! behaviour. A mirrored copy of the workspace is served with file events on;
//! each edit changes one string literal of bazi_core (the status its
//! HealthCheck answers), and a probe calls HealthCheck through the front port
//! until it sees the new text. The supervisor's events split the time into
//! detection (edit → `FilesChanged`, including the debounce), hashing the
//! sources (→ `BuildStarted`), the cargo build (→ `BuildSucceeded`), staging
//! the artifact (→ `VersionStarting`), starting the version until it is
//! ready and switched in (→ `ReloadSucceeded`) and the first new response.
//! Done for the dev and release profiles.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_core_api::HealthCheckRequest;
use hifate::events::{Event, EventKind};
use time::OffsetDateTime;

use crate::client;
use crate::hist::fmt_ms;
use crate::quiet;
use crate::setup::{self, between, Env, Plan, Recorder, Running, BAZI_CORE};
use crate::table::Table;

/// The file and the literal the edits change.
const FILE: &str = "services/bazi_core/src/lib.rs";
const ANCHOR: &str = "status: \"ok\".to_owned()";
/// The supervisor's default debounce, used here too.
const DEBOUNCE_MS: u64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profiles {
    Dev,
    Release,
    Both,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ChangeArgs {
    /// Edits per profile.
    #[arg(long, default_value_t = 5)]
    pub edits: usize,
    /// Which cargo profiles to measure.
    #[arg(long, value_enum, default_value_t = Profiles::Both)]
    pub profile: Profiles,
}

impl Default for ChangeArgs {
    fn default() -> Self {
        ChangeArgs {
            edits: 5,
            profile: Profiles::Both,
        }
    }
}

/// One edit's phases.
struct Sample {
    detect: Duration,
    hash: Duration,
    build: Duration,
    stage: Duration,
    start: Duration,
    first: Duration,
    total: Duration,
}

pub async fn run(env: &Env, args: &ChangeArgs) -> anyhow::Result<()> {
    let copy = env.workspace_copy();
    let written = setup::sync_workspace_copy(&env.workspace, &copy)?;
    eprintln!(
        "workspace copy {} is up to date ({written} files written)",
        copy.display()
    );
    let file = copy.join(FILE);
    let original = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    if original.matches(ANCHOR).count() != 1 {
        bail!("{FILE} should contain `{ANCHOR}` exactly once (the literal the edits change)");
    }
    let profiles: &[&'static str] = match args.profile {
        Profiles::Dev => &["dev"],
        Profiles::Release => &["release"],
        Profiles::Both => &["dev", "release"],
    };
    for profile in profiles {
        let outcome = series(env, &copy, &file, &original, profile, args.edits).await;
        // Leave the copy as the real workspace has it, whatever happened.
        std::fs::write(&file, &original)
            .with_context(|| format!("cannot restore {}", file.display()))?;
        outcome?;
    }
    Ok(())
}

async fn series(
    env: &Env,
    copy: &Path,
    file: &Path,
    original: &str,
    profile: &'static str,
    edits: usize,
) -> anyhow::Result<()> {
    let plan = Plan {
        workspace: copy.to_owned(),
        target_dir: env.target_dir.clone(),
        profile,
        watch: "events",
        services: vec![BAZI_CORE],
        extra: vec![format!("debounce_ms = {DEBOUNCE_MS}")],
    };
    let running = Running::start(&plan).await?;
    let outcome = measure(env, &running, file, original, profile, edits).await;
    running.shutdown().await;
    outcome
}

async fn measure(
    env: &Env,
    running: &Running,
    file: &Path,
    original: &str,
    profile: &'static str,
    edits: usize,
) -> anyhow::Result<()> {
    let service = BAZI_CORE.name;
    let recorder = Recorder::start(&running.supervisor);
    let quiet = quiet::wait_for_quiet(&format!("change {profile}"), env.quiet_limit).await?;
    let channel = client::front_channel(running.address(service)?).await?;
    let mut probe = BaziCoreServiceClient::new(channel);
    let nonce = OffsetDateTime::now_utc().unix_timestamp();
    let mut samples = Vec::new();
    let mut problems = Vec::new();
    for i in 1..=edits {
        let literal = format!("ok {profile} edit {i} ({nonce})");
        let edited = original.replacen(ANCHOR, &format!("status: {literal:?}.to_owned()"), 1);
        let edited_at = OffsetDateTime::now_utc();
        std::fs::write(file, &edited).with_context(|| format!("cannot edit {}", file.display()))?;

        // Probe until the new text is served (a release build can take minutes).
        let limit = Instant::now() + Duration::from_secs(900);
        let mut first = None;
        while Instant::now() < limit {
            if let Ok(response) = probe.health_check(HealthCheckRequest {}).await {
                if response.get_ref().status == literal {
                    first = Some(OffsetDateTime::now_utc());
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let Some(first) = first else {
            problems.push(format!(
                "edit {i}: the new text was not served within 15 minutes"
            ));
            continue;
        };
        // The route switches just before ReloadSucceeded is recorded, so the
        // probe can see the new text first: wait for the event.
        let events = events_since(&recorder, service, edited_at).await;
        let at =
            |pred: &dyn Fn(&EventKind) -> bool| events.iter().find(|e| pred(&e.kind)).map(|e| e.at);
        let changed = at(&|k| matches!(k, EventKind::FilesChanged { .. }));
        let build_started = at(&|k| matches!(k, EventKind::BuildStarted { .. }));
        let build_done = at(&|k| matches!(k, EventKind::BuildSucceeded { .. }));
        let starting = at(&|k| matches!(k, EventKind::VersionStarting { .. }));
        let swapped = at(&|k| matches!(k, EventKind::ReloadSucceeded { .. }));
        match (changed, build_started, build_done, starting, swapped) {
            (Some(changed), Some(build_started), Some(build_done), Some(starting), Some(swapped)) => {
                samples.push(Sample {
                    detect: between(edited_at, changed),
                    hash: between(changed, build_started),
                    build: between(build_started, build_done),
                    stage: between(build_done, starting),
                    start: between(starting, swapped),
                    first: between(swapped, first),
                    total: between(edited_at, first),
                });
            }
            _ => problems.push(format!(
                "edit {i}: missing events (FilesChanged {}, BuildStarted {}, BuildSucceeded {}, VersionStarting {}, ReloadSucceeded {})",
                changed.is_some(),
                build_started.is_some(),
                build_done.is_some(),
                starting.is_some(),
                swapped.is_some()
            )),
        }
        // Let the old version drain and stop before the next edit.
        tokio::time::sleep(Duration::from_secs(2)).await;
        eprintln!("  change {profile}: edit {i} served");
    }

    println!(
        "\n== change: bazi_core, {profile} profile, {edits} edits of one string literal in {FILE} (copy), watch = events, debounce {DEBOUNCE_MS} ms; {quiet}\n"
    );
    let mut table = Table::new(
        &format!("Edit to first new response, {profile} profile, ms"),
        &[
            "edit",
            "detect (incl. debounce)",
            "hash sources",
            "cargo build",
            "stage artifact",
            "start+ready+switch",
            "first response",
            "total",
            "build share",
        ],
    );
    for (i, s) in samples.iter().enumerate() {
        table.row(sample_row(&(i + 1).to_string(), s));
    }
    if let Some(median) = median(&samples) {
        table.row(sample_row("median", &median));
    }
    table.print();
    for problem in &problems {
        println!("problem: {problem}");
    }
    if samples.is_empty() {
        bail!("no edit could be measured in the {profile} profile");
    }
    Ok(())
}

/// The service's events from `since` on, once `ReloadSucceeded` is among
/// them (or after 10 s).
async fn events_since(recorder: &Recorder, service: &str, since: OffsetDateTime) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let events: Vec<Event> = recorder
            .snapshot()
            .into_iter()
            .filter(|e| e.service == service && e.at >= since)
            .collect();
        let done = events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ReloadSucceeded { .. }));
        if done || Instant::now() >= deadline {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn sample_row(label: &str, s: &Sample) -> Vec<String> {
    vec![
        label.to_owned(),
        fmt_ms(s.detect),
        fmt_ms(s.hash),
        fmt_ms(s.build),
        fmt_ms(s.stage),
        fmt_ms(s.start),
        fmt_ms(s.first),
        fmt_ms(s.total),
        format!(
            "{:.0}%",
            100.0 * s.build.as_secs_f64() / s.total.as_secs_f64().max(1e-9)
        ),
    ]
}

/// The per-phase medians.
fn median(samples: &[Sample]) -> Option<Sample> {
    if samples.is_empty() {
        return None;
    }
    let pick = |f: &dyn Fn(&Sample) -> Duration| {
        let mut values: Vec<Duration> = samples.iter().map(f).collect();
        values.sort();
        values[values.len() / 2]
    };
    Some(Sample {
        detect: pick(&|s| s.detect),
        hash: pick(&|s| s.hash),
        build: pick(&|s| s.build),
        stage: pick(&|s| s.stage),
        start: pick(&|s| s.start),
        first: pick(&|s| s.first),
        total: pick(&|s| s.total),
    })
}
