//! The `gateway` binary: serves the HTTP API under the hifate child contract
//! (or alone on 127.0.0.1:8001, see `HIFATE_ADDR`), calling `bazi_core` at the
//! address the supervisor passes (`HIFATE_SERVICE_ADDR_BAZI_CORE`, default
//! 127.0.0.1:9001).

use anyhow::Context as _;
use gateway::{AppState, DEFAULT_PORT, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    let peer = gateway::bazi_core_peer();
    let state = AppState::connect_lazy(&peer).context("cannot set up the bazi_core client")?;
    tracing::info!(bazi_core = %peer.addr()?, "bazi_core client ready (connects on first call)");
    hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .serve_http(gateway::app(state))
        .await?;
    Ok(())
}
