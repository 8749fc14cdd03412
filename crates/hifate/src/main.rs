//! The `hifate` command line.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hifate::api;
use hifate::client::{AdminClient, Answer, ReloadTarget};
use hifate::Config;

#[derive(Parser)]
#[command(
    name = "hifate",
    version,
    about = "Hot-reload supervisor for gRPC and HTTP services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Remote {
    /// Base URL of the running supervisor's admin API.
    #[arg(
        long,
        env = "HIFATE_URL",
        default_value = "http://127.0.0.1:8001",
        global = true
    )]
    url: String,
    /// Admin token (default: $HIFATE_ADMIN_TOKEN, then <state dir>/admin-token).
    #[arg(
        long,
        env = "HIFATE_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    token: Option<String>,
    /// State directory to read the admin token from.
    #[arg(
        long = "token-dir",
        env = "HIFATE_STATE_DIR",
        default_value = ".hifate",
        global = true
    )]
    token_dir: PathBuf,
    /// The supervisor's config, whose `admin_token` is used when set (after
    /// --token and $HIFATE_ADMIN_TOKEN, before the token file).
    #[arg(
        long = "config",
        env = "HIFATE_CONFIG",
        default_value = "hifate.toml",
        global = true
    )]
    config: PathBuf,
}

impl Remote {
    fn client(&self) -> AdminClient {
        let token = self
            .token
            .clone()
            .or_else(|| self.configured_token())
            .or_else(|| {
                std::fs::read_to_string(self.token_dir.join(hifate::admin::token::TOKEN_FILE))
                    .ok()
                    .map(|t| t.trim().to_owned())
            });
        AdminClient::new(&self.url, token)
    }

    /// `admin_token` of the config file, if the file is there and sets one.
    /// A missing or unreadable config is no error here: the CLI talks to a
    /// running supervisor, which may have been started from elsewhere.
    fn configured_token(&self) -> Option<String> {
        if !self.config.is_file() {
            return None;
        }
        hifate::Config::load(&self.config)
            .ok()
            .and_then(|config| config.settings.admin_token)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Show every service: state, version, pid, last reload, last error.
    Status {
        #[command(flatten)]
        remote: Remote,
    },
    /// Rebuild and swap services now, even without a file change.
    Reload {
        /// Services to reload (default: every microservice).
        names: Vec<String>,
        /// The main service and every microservice.
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// Start the new version as a canary that takes this percentage
        /// (1-99) of new requests beside the serving one, until `promote`,
        /// `abort`, a fault, or the end of its window (`bake_ms`).
        #[arg(long, value_name = "PCT", conflicts_with = "all", value_parser = clap::value_parser!(u8).range(1..=99))]
        canary: Option<u8>,
        #[command(flatten)]
        remote: Remote,
    },
    /// End a service's bake window or canary now, for the new version.
    Promote {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Roll a service's version on trial (bake window or canary) back now.
    Abort {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Serve a kept version again (under a new version number).
    Rollback {
        name: String,
        /// The version whose artifact to serve (default: the previous one).
        #[arg(long)]
        to: Option<u64>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List a service's kept versions.
    Versions {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Follow reload events as they happen.
    Events {
        #[command(flatten)]
        remote: Remote,
    },
    /// Print a service's recent output.
    Logs {
        name: String,
        /// Keep printing new output.
        #[arg(long, short)]
        follow: bool,
        /// How many recent lines to print first.
        #[arg(long, short = 'n', default_value_t = 100)]
        lines: usize,
        #[command(flatten)]
        remote: Remote,
    },
    /// Start every service in the config and keep them up to date until Ctrl-C.
    Up {
        /// The config file.
        #[arg(long, short, default_value = "hifate.toml", env = "HIFATE_CONFIG")]
        config: PathBuf,
        /// Where versions and events are kept (overrides the config).
        #[arg(long, env = "HIFATE_STATE_DIR")]
        state_dir: Option<PathBuf>,
        /// Override a public port: NAME=PORT (repeatable; NAME may be "admin").
        #[arg(long = "port", value_name = "NAME=PORT")]
        ports: Vec<String>,
        /// Cargo target directory for service builds (overrides the config).
        #[arg(long, env = "HIFATE_TARGET_DIR")]
        target_dir: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("hifate: {}", one_line(&error));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<std::process::ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HIFATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match Cli::parse().command {
        Command::Up {
            config,
            state_dir,
            ports,
            target_dir,
        } => up(config, state_dir, ports, target_dir)
            .await
            .map(|()| std::process::ExitCode::SUCCESS),
        Command::Status { remote } => status(&remote.client()).await,
        Command::Reload {
            names,
            all,
            canary: None,
            remote,
        } => reload(&remote.client(), names, all).await,
        Command::Reload {
            names,
            canary: Some(percent),
            remote,
            ..
        } => canary(&remote.client(), names, percent).await,
        Command::Promote { name, remote } => trial_ended(remote.client().promote(&name).await?),
        Command::Abort { name, remote } => trial_ended(remote.client().abort(&name).await?),
        Command::Rollback { name, to, remote } => rollback(&remote.client(), &name, to).await,
        Command::Versions { name, remote } => versions(&remote.client(), &name).await,
        Command::Events { remote } => {
            remote
                .client()
                .follow_events(|event| println!("{} {}", event.at, event.describe()))
                .await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Logs {
            name,
            follow,
            lines,
            remote,
        } => logs(&remote.client(), &name, lines, follow).await,
    }
}

/// The error and its causes, skipping a cause whose text the message before
/// it already includes (many library errors repeat their source).
fn one_line(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

/// A table cell for an optional value.
fn cell<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

/// The first line of `text`, at most `width` characters.
fn first_line(text: &str, width: usize) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(width)
        .collect()
}

fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// A trial in one cell: `bake (v2 warm, 7 s left)`, `canary v5 10% (5/120 faults)`.
fn trial_cell(trial: &hifate::control::service::TrialStatus) -> String {
    let left = match trial.window_left_ms {
        Some(ms) => format!("{} s left", ms.div_ceil(1000)),
        None => "until promoted or aborted".into(),
    };
    let faults = format!("{}/{} faults", trial.faults, trial.calls);
    match trial.kind {
        hifate::control::service::TrialKind::Bake => {
            format!("bake (v{} warm, {left}, {faults})", trial.fallback_version)
        }
        hifate::control::service::TrialKind::Canary => format!(
            "canary v{} {}% (beside v{}, {left}, {faults})",
            trial.version, trial.percent, trial.fallback_version
        ),
    }
}

async fn status(client: &AdminClient) -> anyhow::Result<std::process::ExitCode> {
    let status = client.status().await?;
    let rows: Vec<Vec<String>> = status
        .services
        .iter()
        .map(|view| {
            let s = &view.status;
            vec![
                s.service_name.clone(),
                s.port.to_string(),
                serde_plain(&view.state),
                cell(s.current_version),
                cell(s.pid),
                s.in_flight.to_string(),
                s.watched_files.to_string(),
                cell(s.last_reload_ms),
                s.trial
                    .as_ref()
                    .map(trial_cell)
                    .unwrap_or_else(|| "-".into()),
                s.last_error
                    .as_deref()
                    .map(|e| first_line(e, 60))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    print_table(
        &[
            "SERVICE",
            "PORT",
            "STATE",
            "VERSION",
            "PID",
            "IN-FLIGHT",
            "FILES",
            "SWAP-MS",
            "TRIAL",
            "LAST ERROR",
        ],
        &rows,
    );
    println!(
        "\n{} — watcher: {}, uptime {} s",
        serde_plain(&status.status),
        status.watcher.mode,
        status.uptime_seconds
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// The JSON name of a unit enum (`serving`, `healthy`, ...).
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "-".into(),
    }
}

async fn reload(
    client: &AdminClient,
    names: Vec<String>,
    all: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let targets: Vec<ReloadTarget> = if all {
        vec![ReloadTarget::All]
    } else if names.is_empty() {
        vec![ReloadTarget::Microservices]
    } else {
        names.into_iter().map(ReloadTarget::One).collect()
    };
    let mut ok = true;
    for target in &targets {
        match client.reload(target).await? {
            Answer::Done(answer) => {
                for (name, result) in &answer.results {
                    println!("{name}: {}", result.message);
                    if let hifate::ReloadOutcome::BuildFailed { diagnostics } = &result.outcome {
                        println!("{diagnostics}");
                    }
                }
                ok &= answer.success;
            }
            Answer::Refused { failure, .. } => {
                println!("{}", failure.message);
                ok = false;
            }
        }
    }
    Ok(exit(ok))
}

async fn canary(
    client: &AdminClient,
    names: Vec<String>,
    percent: u8,
) -> anyhow::Result<std::process::ExitCode> {
    let [name] = names.as_slice() else {
        anyhow::bail!(
            "--canary needs exactly one service name (got {}): hifate reload NAME --canary {percent}",
            names.len()
        );
    };
    match client.reload_canary(name, percent).await? {
        Answer::Done(answer) => {
            for (name, result) in &answer.results {
                println!("{name}: {}", result.message);
                if let hifate::ReloadOutcome::BuildFailed { diagnostics } = &result.outcome {
                    println!("{diagnostics}");
                }
            }
            Ok(exit(answer.success))
        }
        Answer::Refused { failure, .. } => {
            println!("{}", failure.message);
            Ok(exit(false))
        }
    }
}

fn trial_ended(answer: Answer<hifate::api::TrialEnded>) -> anyhow::Result<std::process::ExitCode> {
    match answer {
        Answer::Done(answer) => {
            println!("{}", answer.message);
            Ok(exit(answer.success))
        }
        Answer::Refused { failure, .. } => {
            println!("{}", failure.message);
            Ok(exit(false))
        }
    }
}

async fn rollback(
    client: &AdminClient,
    name: &str,
    to: Option<u64>,
) -> anyhow::Result<std::process::ExitCode> {
    match client.rollback(name, to).await? {
        Answer::Done(answer) => {
            println!("{}", answer.message);
            Ok(exit(answer.success))
        }
        Answer::Refused { failure, .. } => {
            println!("{}", failure.message);
            Ok(exit(false))
        }
    }
}

async fn versions(client: &AdminClient, name: &str) -> anyhow::Result<std::process::ExitCode> {
    let answer = client.versions(name).await?;
    let rows: Vec<Vec<String>> = answer
        .versions
        .iter()
        .rev()
        .map(|v| {
            let marker = if Some(v.version) == answer.current_version {
                "*"
            } else {
                ""
            };
            let origin = match v.origin {
                hifate::store::Origin::Rollback { artifact_of } => {
                    format!("rollback of {artifact_of}")
                }
                hifate::store::Origin::Build => "build".to_owned(),
            };
            let built_at = v
                .built_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| "-".into());
            vec![
                format!("{}{marker}", v.version),
                origin,
                serde_plain(&v.outcome),
                v.source_hash.clone(),
                built_at,
                v.build_ms.to_string(),
                if v.artifact.is_some() { "yes" } else { "no" }.to_owned(),
                v.end_reason
                    .as_deref()
                    .map(|r| first_line(r, 200))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    print_table(
        &[
            "VERSION",
            "ORIGIN",
            "OUTCOME",
            "SOURCE",
            "BUILT AT",
            "BUILD-MS",
            "KEPT",
            "END REASON",
        ],
        &rows,
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// Prints a service's recent output, and with `follow` keeps printing.
async fn logs(
    client: &AdminClient,
    name: &str,
    lines: usize,
    follow: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let mut page: api::Logs = client.logs(name, None, lines).await?;
    loop {
        for line in &page.lines {
            println!("{line}");
        }
        if !follow {
            return Ok(std::process::ExitCode::SUCCESS);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let after = page.next_after;
        page = client.logs(name, after, 2000).await?;
        if page.next_after.is_none() {
            page.next_after = after;
        }
    }
}

fn exit(ok: bool) -> std::process::ExitCode {
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

async fn up(
    path: PathBuf,
    state_dir: Option<PathBuf>,
    ports: Vec<String>,
    target_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut config = Config::load(&path)?;
    if let Some(dir) = target_dir {
        config.settings.target_dir = Some(
            std::path::absolute(&dir)
                .with_context(|| format!("bad target directory {}", dir.display()))?,
        );
    }
    if let Some(dir) = state_dir {
        config.settings.state_dir = std::path::absolute(&dir)
            .with_context(|| format!("bad state directory {}", dir.display()))?;
    }
    for spec in ports {
        let (name, port) = spec
            .split_once('=')
            .with_context(|| format!("--port {spec:?} must look like NAME=PORT"))?;
        let port: u16 = port
            .parse()
            .with_context(|| format!("--port {spec:?}: {port:?} is not a port number"))?;
        config.override_port(name, port)?;
    }
    let supervisor = hifate::start(config).await?;
    for status in supervisor.status() {
        if let Some(addr) = supervisor.address(&status.service_name) {
            tracing::info!(
                "[{}] listening on {addr} (version {})",
                status.service_name,
                status
                    .current_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into())
            );
        }
    }
    tracing::info!("hifate is up; Ctrl-C stops every service");
    hifate_sdk::shutdown_signal().await;
    tracing::info!("stopping: draining and stopping every service");
    supervisor.shutdown().await;
    tracing::info!("all services stopped");
    Ok(())
}
