//! The `fortune_rule` binary: serves `fortune.rule.FortuneRuleService` under
//! the hifate child contract (or alone on 127.0.0.1:9007, see `HIFATE_ADDR`),
//! with its rules in `HIFATE_DATA_DIR/fortune_rule.sqlite3`.

use anyhow::Context as _;
use fortune_rule::{FortuneRule, DEFAULT_PORT, SERVICE_NAME};
use fortune_rule_api::fortune_rule_service_server::FortuneRuleServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    // Charts of `use_bazi` requests read the calendar; build its cache
    // beside the start-up instead of in the first request.
    std::thread::Builder::new()
        .name("calendar-preload".into())
        .spawn(bazi::calendar::preload)?;
    let data_dir = hifate_sdk::data_dir(SERVICE_NAME)?;
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(fortune_rule_api::FILE_DESCRIPTOR_SET);
    let rules = FortuneRule::open(&data_dir, service.identity())
        .with_context(|| format!("cannot open the rules database in {}", data_dir.display()))?;
    service
        .serve(Routes::new(FortuneRuleServiceServer::new(rules)))
        .await?;
    Ok(())
}
