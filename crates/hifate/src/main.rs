//! The `hifate` command line.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hifate::{Config, Supervisor};

#[derive(Parser)]
#[command(name = "hifate", version, about = "Hot-reload supervisor for gRPC and HTTP services")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HIFATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
    match Cli::parse().command {
        Command::Up {
            config,
            state_dir,
            ports,
        } => up(config, state_dir, ports).await,
    }
}

async fn up(path: PathBuf, state_dir: Option<PathBuf>, ports: Vec<String>) -> anyhow::Result<()> {
    let mut config = Config::load(&path)?;
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
