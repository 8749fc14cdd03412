//! The whole system, wired together: the public ports (data plane), the
//! supervisor (control plane), and the admin API on the main port.
//!
//! This is the only place that knows all three. The data plane serves what
//! it is given; the supervisor knows nothing of HTTP ports or the admin API;
//! the admin API only reads and drives the supervisor.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::admin;
use crate::api::is_admin_path;
use crate::config::Config;
use crate::control::supervisor::Supervisor;
use crate::data::front::{self, ConnectionLimits, Front};

/// Binds every public port, starts the supervisor and every service (its
/// last good version if one is kept, else a fresh build), serves the admin
/// API on the main port, and starts watching for changes.
pub async fn start(config: Config) -> anyhow::Result<Supervisor> {
    let settings = config.settings.clone();
    // Ports first: a port that is taken is a configuration error, and
    // clients can connect (and get a clear UNAVAILABLE) while we build.
    let mut listeners = Vec::new();
    let mut ports = BTreeMap::new();
    for service in &config.services {
        let listener = bind(&settings.bind, service.port, &service.name).await?;
        ports.insert(service.name.clone(), listener.local_addr()?);
        listeners.push(listener);
    }
    let main_service_port = config
        .services
        .iter()
        .any(|s| s.port == settings.admin_port);
    let admin_listener = if main_service_port {
        None
    } else {
        Some(bind(&settings.bind, settings.admin_port, "admin").await?)
    };
    let admin_addr = match &admin_listener {
        Some(listener) => listener.local_addr()?,
        None => ports
            .values()
            .copied()
            .find(|a| a.port() == settings.admin_port)
            .context("the main service's port is not bound")?,
    };

    let supervisor = Supervisor::new(config, ports, admin_addr)?;
    let token = admin::token::load_or_create(settings.admin_token.as_deref(), &settings.state_dir)
        .with_context(|| {
            format!(
                "cannot read or create the admin token in {}",
                settings.state_dir.display()
            )
        })?;
    let admin = admin::router(supervisor.clone(), token);
    let ports_served = supervisor.services().len() + usize::from(admin_listener.is_some());
    let limits = ConnectionLimits {
        max_connections: connection_cap(settings.max_connections, ports_served),
        idle_timeout: (settings.idle_timeout_ms > 0)
            .then(|| std::time::Duration::from_millis(settings.idle_timeout_ms)),
    };
    let mut tasks = Vec::new();
    for (service, listener) in supervisor.services().iter().zip(listeners) {
        let route = service.route.clone();
        let front = if service.config.port == settings.admin_port {
            Front::Split {
                route,
                local: admin.clone(),
                is_local: is_admin_path,
            }
        } else {
            Front::Route(route)
        };
        tasks.push(tokio::spawn(front::serve(listener, front, limits)));
    }
    if let Some(listener) = admin_listener {
        tasks.push(tokio::spawn(front::serve(
            listener,
            Front::Local(admin),
            limits,
        )));
    }
    supervisor.hold(tasks);
    supervisor.run().await?;
    Ok(supervisor)
}

/// File descriptors kept free of client connections: for builds, child
/// processes, their sockets and pipes, the state directory, and the admin
/// API's own overflow connections.
const FD_RESERVE: u64 = 256;

/// The per-port connection cap that fits the process's file-descriptor
/// limit (raised to its hard maximum first): when every port is full there
/// are still descriptors for builds, children and the admin API.
fn connection_cap(configured: usize, ports: usize) -> usize {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return configured;
    };
    let limit = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    let per_port = limit.saturating_sub(FD_RESERVE) / (ports.max(1) as u64 + 1);
    let fitting = usize::try_from(per_port).unwrap_or(usize::MAX).max(8);
    if fitting < configured {
        tracing::warn!(
            "max_connections lowered from {configured} to {fitting} per port: the open-file limit is {limit}"
        );
        return fitting;
    }
    configured
}

async fn bind(bind: &str, port: u16, name: &str) -> anyhow::Result<TcpListener> {
    let addr: SocketAddr = format!("{bind}:{port}")
        .parse()
        .with_context(|| format!("bad bind address {bind:?}"))?;
    TcpListener::bind(addr).await.with_context(|| {
        format!(
            "cannot listen on {addr} for {name}: is another process using the port? \
             (change the port in the config or pass --port {name}=PORT)"
        )
    })
}
