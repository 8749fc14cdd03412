//! The `prompt_optimizer` binary: serves `optimizer.PromptOptimizerService`
//! under the hifate child contract (or alone on 127.0.0.1:9009, see
//! `HIFATE_ADDR`), on the intent database it shares with intent_service
//! (`HIFATE_DATA_DIR/intent.sqlite3`).

use anyhow::Context as _;
use prompt_optimizer::{Optimizer, DEFAULT_PORT, SERVICE_NAME};
use prompt_optimizer_api::prompt_optimizer_service_server::PromptOptimizerServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    // The intent database's directory, shared with intent_service.
    let data_dir = hifate_sdk::data_dir(intent::store::DATA_NAME)?;
    // Evaluations run the classifier as intent_service does: with the
    // embedding model when it is installed.
    let embedder = intent::e5::load_if_present(&intent::e5::model_path(&data_dir))?;
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(prompt_optimizer_api::FILE_DESCRIPTOR_SET);
    let optimizer = Optimizer::open(&data_dir, service.identity(), embedder)
        .with_context(|| format!("cannot open the intent database in {}", data_dir.display()))?;
    service
        .serve(Routes::new(PromptOptimizerServiceServer::new(optimizer)))
        .await?;
    Ok(())
}
