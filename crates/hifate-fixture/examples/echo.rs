//! The echo service of a fixture workspace (`hifate.fixture.v1.Echo`): its
//! replies name the process and version that produced them; it can be told
//! to be slow, to fail with a given status, to stream, and to sum a stream.
//!
//! This file is the template that `hifate_fixture::template::service_main`
//! writes into each fixture service (with the service's name, and the shared
//! crate's prefix in the greeting when the service uses it); building it as
//! an example keeps the template compiling.

use std::pin::Pin;
use std::time::Duration;

use hifate_fixture::echo_server::{Echo, EchoServer};
use hifate_fixture::{CountRequest, FailRequest, SayReply, SayRequest, SumReply, SumRequest};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

const GREETING: &str = "hello v1";

struct Svc {
    identity: hifate_sdk::Identity,
}

fn reply(identity: &hifate_sdk::Identity, message: String) -> SayReply {
    SayReply {
        message,
        service: identity.service.clone(),
        version: identity.version,
        pid: std::process::id(),
    }
}

fn greeting() -> String {
    GREETING.to_string()
}

#[tonic::async_trait]
impl Echo for Svc {
    async fn say(&self, request: Request<SayRequest>) -> Result<Response<SayReply>, Status> {
        let request = request.into_inner();
        if request.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(request.delay_ms.into())).await;
        }
        let message = format!("{}: {}", greeting(), request.message);
        Ok(Response::new(reply(&self.identity, message)))
    }

    async fn fail(&self, request: Request<FailRequest>) -> Result<Response<SayReply>, Status> {
        let request = request.into_inner();
        Err(Status::new(
            tonic::Code::from(request.code),
            request.message,
        ))
    }

    type CountStream = Pin<Box<dyn Stream<Item = Result<SayReply, Status>> + Send>>;

    async fn count(
        &self,
        request: Request<CountRequest>,
    ) -> Result<Response<Self::CountStream>, Status> {
        let request = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let identity = self.identity.clone();
        tokio::spawn(async move {
            for i in 0..request.count {
                tokio::time::sleep(Duration::from_millis(request.interval_ms.into())).await;
                if tx.send(Ok(reply(&identity, i.to_string()))).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn sum(
        &self,
        request: Request<Streaming<SumRequest>>,
    ) -> Result<Response<SumReply>, Status> {
        let mut stream = request.into_inner();
        let mut total = 0;
        while let Some(item) = stream.message().await? {
            total += item.value;
        }
        Ok(Response::new(SumReply {
            total,
            version: self.identity.version,
        }))
    }
}

#[tokio::main]
async fn main() {
    // startup hook
    hifate_sdk::init_tracing();
    let service = hifate_sdk::Service::new("echo", 0).reflect(hifate_fixture::FILE_DESCRIPTOR_SET);
    let svc = Svc {
        identity: service.identity(),
    };
    let routes = tonic::service::Routes::new(EchoServer::new(svc));
    if let Err(error) = service.serve(routes).await {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
