//! The `bazi_rule` binary: serves `bazi.rule.BaziRuleService` under the
//! hifate child contract (or alone on 127.0.0.1:9004, see `HIFATE_ADDR`),
//! with its rules in `HIFATE_DATA_DIR/rules.sqlite3`.

use anyhow::Context as _;
use bazi_rule::{BaziRule, DEFAULT_PORT, SERVICE_NAME};
use bazi_rule_api::bazi_rule_service_server::BaziRuleServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    std::thread::Builder::new()
        .name("calendar-preload".into())
        .spawn(bazi::calendar::preload)?;
    let data_dir = hifate_sdk::data_dir(SERVICE_NAME)?;
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(bazi_rule_api::FILE_DESCRIPTOR_SET);
    let rules = BaziRule::open(&data_dir, service.identity())
        .with_context(|| format!("cannot open the rules database in {}", data_dir.display()))?;
    service
        .serve(Routes::new(BaziRuleServiceServer::new(rules)))
        .await?;
    Ok(())
}
