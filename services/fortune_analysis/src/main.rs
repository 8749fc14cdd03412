//! The `fortune_analysis` binary: serves `fortune.analysis.FortuneAnalysisService`
//! under the hifate child contract (or alone on 127.0.0.1:9005, see
//! `HIFATE_ADDR`), with mediapipe's hand and face models compiled in,
//! bazi_core (`HIFATE_SERVICE_ADDR_BAZI_CORE`, default 127.0.0.1:9001) for the
//! chart and fortune_rule (`HIFATE_SERVICE_ADDR_FORTUNE_RULE`, default
//! 127.0.0.1:9007) for the rules.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use fortune_analysis::{
    bazi_core_peer, fortune_rule_peer, FortuneAnalysis, DEFAULT_PORT, SERVICE_NAME,
};
use tonic::service::Routes;
use vision::face::FacePipeline;
use vision::hand::HandPipeline;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    // The models are ready before the service reports SERVING, so the first
    // call after a swap pays no load time.
    let started = Instant::now();
    let hands = HandPipeline::embedded().context("cannot load the hand models")?;
    let faces = FacePipeline::embedded().context("cannot load the face models")?;
    tracing::info!(
        load_ms = started.elapsed().as_millis() as u64,
        "hand and face models loaded"
    );
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(fortune_analysis_api::FILE_DESCRIPTOR_SET);
    let analysis = FortuneAnalysis::new(
        service.identity(),
        Arc::new(hands),
        Arc::new(faces),
        &bazi_core_peer(),
        &fortune_rule_peer(),
    )?;
    service
        .serve(Routes::new(fortune_analysis::server(analysis)))
        .await?;
    Ok(())
}
