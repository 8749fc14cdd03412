//! The `bazi_core` binary: serves `bazi.core.BaziCoreService` under the
//! hifate child contract (or alone on 127.0.0.1:9001, see `HIFATE_ADDR`).

use bazi_core::{BaziCore, DEFAULT_PORT, SERVICE_NAME};
use bazi_core_api::bazi_core_service_server::BaziCoreServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    // Warm the solar-term / lunar-month cache beside serving, not before it:
    // a new version is ready (and swapped in) in milliseconds, and a chart
    // for a year not warmed yet builds that year's table on the spot (about
    // a millisecond).
    std::thread::Builder::new()
        .name("calendar-preload".into())
        .spawn(bazi::calendar::preload)?;

    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(bazi_core_api::FILE_DESCRIPTOR_SET);
    let core = BaziCore::new(service.identity());
    service
        .serve(Routes::new(BaziCoreServiceServer::new(core)))
        .await?;
    Ok(())
}
