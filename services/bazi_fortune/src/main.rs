//! The `bazi_fortune` binary: serves `bazi.fortune.BaziFortuneService` under
//! the hifate child contract (or alone on 127.0.0.1:9002, see `HIFATE_ADDR`).

use bazi_fortune::{BaziFortune, DEFAULT_PORT, SERVICE_NAME};
use bazi_fortune_api::bazi_fortune_service_server::BaziFortuneServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    // Warm the solar-term cache beside serving, not before it (as bazi_core
    // does): a new version is ready in milliseconds.
    std::thread::Builder::new()
        .name("calendar-preload".into())
        .spawn(bazi::calendar::preload)?;

    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(bazi_fortune_api::FILE_DESCRIPTOR_SET);
    let fortune = BaziFortune::new(service.identity());
    service
        .serve(Routes::new(BaziFortuneServiceServer::new(fortune)))
        .await?;
    Ok(())
}
