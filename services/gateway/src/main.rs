//! The `gateway` binary: serves the HTTP API under the hifate child contract
//! (or alone on 127.0.0.1:8001, see `HIFATE_ADDR`), calling the services at
//! the addresses the supervisor passes (`HIFATE_SERVICE_ADDR_<NAME>`, default
//! their own ports on 127.0.0.1).

use anyhow::Context as _;
use gateway::{AdminToken, AppState, Peers, DEFAULT_PORT, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    let data_dir = hifate_sdk::data_dir(SERVICE_NAME)?;
    let token = AdminToken::load_or_create(&data_dir).with_context(|| {
        format!(
            "cannot read or create the rule administration token in {}",
            data_dir.display()
        )
    })?;
    let peers = Peers::default();
    let state =
        AppState::connect_lazy(&peers, token).context("cannot set up the service clients")?;
    tracing::info!(
        bazi_core = %peers.bazi_core.addr()?,
        bazi_fortune = %peers.bazi_fortune.addr()?,
        bazi_analyzer = %peers.bazi_analyzer.addr()?,
        bazi_rule = %peers.bazi_rule.addr()?,
        payment_service = %peers.payment_service.addr()?,
        "service clients ready (each connects on first call)"
    );
    hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .serve_http(gateway::app(state))
        .await?;
    Ok(())
}
