//! The `desk_fengshui` binary: serves `desk.fengshui.DeskFengshuiService`
//! under the hifate child contract (or alone on 127.0.0.1:9010, see
//! `HIFATE_ADDR`), with its rules in `HIFATE_DATA_DIR/desk_rules.sqlite3`,
//! the detector compiled in, and bazi_analyzer
//! (`HIFATE_SERVICE_ADDR_BAZI_ANALYZER`, default 127.0.0.1:9003) for
//! `use_bazi`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use desk_fengshui::{bazi_analyzer_peer, DeskFengshui, DEFAULT_PORT, SERVICE_NAME};
use tonic::service::Routes;
use vision::nanodet::Detector;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    let data_dir = hifate_sdk::data_dir(SERVICE_NAME)?;
    // The model is ready before the service reports SERVING, so the first
    // call after a swap pays no load time.
    let started = Instant::now();
    let detector = Detector::embedded().context("cannot load the detector")?;
    tracing::info!(
        load_ms = started.elapsed().as_millis() as u64,
        "detector loaded"
    );
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(desk_fengshui_api::FILE_DESCRIPTOR_SET);
    let desk = DeskFengshui::open(
        &data_dir,
        service.identity(),
        Arc::new(detector),
        &bazi_analyzer_peer(),
    )
    .with_context(|| format!("cannot start with the data in {}", data_dir.display()))?;
    service
        .serve(Routes::new(desk_fengshui::server(desk)))
        .await?;
    Ok(())
}
