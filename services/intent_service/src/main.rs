//! The `intent_service` binary: serves `intent.IntentService` under the
//! hifate child contract (or alone on 127.0.0.1:9008, see `HIFATE_ADDR`),
//! with its classifier versions in `HIFATE_DATA_DIR/intent.sqlite3` (shared
//! with prompt_optimizer) and, when present, the embedding model beside it.

use anyhow::Context as _;
use intent::e5::model_path;
use intent::store::DATA_NAME;
use intent_service::{IntentServer, DEFAULT_PORT, SERVICE_NAME};
use intent_service_api::intent_service_server::IntentServiceServer;
use tonic::service::Routes;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hifate_sdk::init_tracing();
    let data_dir = hifate_sdk::data_dir(DATA_NAME)?;
    let model = model_path(&data_dir);
    let embedder = intent::e5::load_if_present(&model)?;
    match &embedder {
        Some(_) => tracing::info!("sentence embeddings are on"),
        None => tracing::info!(
            model = %model.display(),
            "no embedding model; answering from the lexicon and the trained classifier (crates/e5/fetch-model.sh installs it)"
        ),
    }
    let service = hifate_sdk::Service::new(SERVICE_NAME, DEFAULT_PORT)
        .reflect(intent_service_api::FILE_DESCRIPTOR_SET);
    let server = IntentServer::open(&data_dir, service.identity(), embedder)
        .with_context(|| format!("cannot start with the data in {}", data_dir.display()))?;
    service
        .serve(Routes::new(IntentServiceServer::new(server)))
        .await?;
    Ok(())
}
