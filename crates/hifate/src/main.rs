//! The `hifate` command line.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hifate::client::AdminClient;
use hifate::{Config, Supervisor};
use serde_json::Value;

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
}

impl Remote {
    fn client(&self) -> AdminClient {
        let token = self.token.clone().or_else(|| {
            std::fs::read_to_string(self.token_dir.join(hifate::admin::token::TOKEN_FILE))
                .ok()
                .map(|t| t.trim().to_owned())
        });
        AdminClient::new(&self.url, token)
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
        Command::Reload { names, all, remote } => reload(&remote.client(), names, all).await,
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
        } => {
            remote.client().logs(&name, lines, follow).await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
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

fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints rows as left-aligned columns.
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

async fn status(client: &AdminClient) -> anyhow::Result<std::process::ExitCode> {
    let status = client.get("/status").await?;
    let rows: Vec<Vec<String>> = status["services"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let error = s["last_error"]
                .as_str()
                .and_then(|e| e.lines().next())
                .unwrap_or("-")
                .chars()
                .take(60)
                .collect();
            vec![
                text(&s["service_name"]),
                text(&s["port"]),
                text(&s["state"]),
                text(&s["current_version"]),
                text(&s["pid"]),
                text(&s["in_flight"]),
                text(&s["watched_files"]),
                text(&s["last_reload_ms"]),
                error,
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
            "LAST ERROR",
        ],
        &rows,
    );
    println!(
        "\n{} — watcher: {}, uptime {} s",
        text(&status["status"]),
        text(&status["watcher"]["mode"]),
        text(&status["uptime_seconds"])
    );
    Ok(std::process::ExitCode::SUCCESS)
}

async fn reload(
    client: &AdminClient,
    names: Vec<String>,
    all: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let paths: Vec<String> = if all {
        vec!["/reload-all".into()]
    } else if names.is_empty() {
        vec!["/reload/microservice".into()]
    } else {
        names
            .iter()
            .map(|n| format!("/reload/microservice/{n}"))
            .collect()
    };
    let mut ok = true;
    for path in paths {
        let (code, body) = client.post(&path, None).await?;
        match body["results"].as_object() {
            Some(results) => {
                for (name, result) in results {
                    println!("{name}: {}", text(&result["message"]));
                    if let Some(diagnostics) = result["diagnostics"].as_str() {
                        println!("{diagnostics}");
                    }
                }
            }
            None => println!("{}", text(&body["message"])),
        }
        ok &= (200..300).contains(&code) && body["success"] == Value::Bool(true);
    }
    Ok(exit(ok))
}

async fn rollback(
    client: &AdminClient,
    name: &str,
    to: Option<u64>,
) -> anyhow::Result<std::process::ExitCode> {
    let body = to.map(|v| serde_json::json!({ "version": v }));
    let (code, body) = client.post(&format!("/rollback/{name}"), body).await?;
    println!("{}", text(&body["message"]));
    Ok(exit((200..300).contains(&code)))
}

async fn versions(client: &AdminClient, name: &str) -> anyhow::Result<std::process::ExitCode> {
    let body = client.get(&format!("/versions/{name}")).await?;
    let current = body["current_version"].as_u64();
    let rows: Vec<Vec<String>> = body["versions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .rev()
        .map(|v| {
            let marker = if v["version"].as_u64() == current {
                "*"
            } else {
                ""
            };
            let origin = match v["origin"]["kind"].as_str() {
                Some("rollback") => format!("rollback of {}", text(&v["origin"]["artifact_of"])),
                other => other.unwrap_or("-").to_owned(),
            };
            vec![
                format!("{}{marker}", text(&v["version"])),
                origin,
                text(&v["outcome"]),
                text(&v["source_hash"]),
                text(&v["built_at"]),
                text(&v["build_ms"]),
                if v["artifact"].is_null() { "no" } else { "yes" }.to_owned(),
                v["end_reason"]
                    .as_str()
                    .and_then(|r| r.lines().next())
                    .unwrap_or("-")
                    .to_owned(),
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
    let supervisor = Supervisor::start(config).await?;
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
    wait_for_stop().await;
    tracing::info!("stopping: draining and stopping every service");
    supervisor.shutdown().await;
    tracing::info!("all services stopped");
    Ok(())
}

async fn wait_for_stop() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
