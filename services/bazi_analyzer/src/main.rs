//! The `bazi_analyzer` binary: serves `bazi.analyzer.BaziAnalyzerService`
//! under the hifate child contract (or alone on 127.0.0.1:9003, see
//! `HIFATE_ADDR`), calling bazi_rule (`HIFATE_SERVICE_ADDR_BAZI_RULE`, default
//! 127.0.0.1:9004) for the day pillar's rules.

use anyhow::Context as _;
use bazi_analyzer::{BaziAnalyzer, DEFAULT_PORT, SERVICE_NAME};
use bazi_analyzer_api::bazi_analyzer_service_server::BaziAnalyzerServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    std::thread::Builder::new()
        .name("calendar-preload".into())
        .spawn(bazi::calendar::preload)?;
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(bazi_analyzer_api::FILE_DESCRIPTOR_SET);
    let peer = bazi_analyzer::bazi_rule_peer();
    let analyzer = BaziAnalyzer::connect_lazy(service.identity(), &peer)
        .context("cannot set up the bazi_rule client")?;
    service
        .serve(Routes::new(BaziAnalyzerServiceServer::new(analyzer)))
        .await?;
    Ok(())
}
