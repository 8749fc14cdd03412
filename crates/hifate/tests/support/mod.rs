//! A throwaway cargo workspace of tiny echo services, built and run by a real
//! supervisor, with helpers to edit its sources and call it.
//!
//! Every fixture workspace shares one cargo target directory
//! (`target/fixture-target`), so the dependencies are compiled once and each
//! test only compiles and links its few-line services.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hifate::events::{Event, EventKind};
use hifate::Config;
use hifate_proto::fixture::echo_client::EchoClient;
use hifate_proto::fixture::{SayReply, SayRequest};
use tokio::sync::broadcast;
use tonic::transport::Channel;

pub const GREETING_LINE: &str = "const GREETING: &str = \"hello v1\";";
pub const STARTUP_MARK: &str = "// startup hook";

/// One fixture service.
pub struct FixtureService {
    pub name: &'static str,
    pub uses_shared: bool,
}

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub ports: Vec<(String, u16)>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared_target_dir() -> PathBuf {
    match option_env!("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("fixture-target"),
        None => repo_root().join("target/fixture-target"),
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

impl Fixture {
    pub fn new(services: &[FixtureService]) -> Fixture {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_target(false)
            .with_env_filter("info")
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        let repo = std::path::absolute(repo_root()).expect("repo root");
        let mut members: Vec<String> = services.iter().map(|s| format!("\"{}\"", s.name)).collect();
        members.push("\"shared\"".into());
        write(
            &root.join("Cargo.toml"),
            &format!(
                r#"[workspace]
resolver = "2"
members = [{members}]

[workspace.dependencies]
hifate-sdk = {{ path = "{repo}/crates/hifate-sdk" }}
hifate-proto = {{ path = "{repo}/crates/hifate-proto" }}
shared = {{ path = "shared" }}
tokio = {{ version = "1", features = ["full"] }}
tokio-stream = "0.1"
tonic = "0.14"

[profile.dev]
debug = false
"#,
                members = members.join(", "),
                repo = repo.display()
            ),
        );
        std::fs::copy(repo.join("Cargo.lock"), root.join("Cargo.lock")).expect("copy Cargo.lock");
        write(
            &root.join("shared/Cargo.toml"),
            "[package]\nname = \"shared\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        );
        write(
            &root.join("shared/src/lib.rs"),
            "pub const PREFIX: &str = \"shared v1\";\n",
        );
        for service in services {
            let mut deps = String::from(
                "hifate-sdk.workspace = true\nhifate-proto.workspace = true\ntokio.workspace = true\ntokio-stream.workspace = true\ntonic.workspace = true\n",
            );
            if service.uses_shared {
                deps.push_str("shared.workspace = true\n");
            }
            write(
                &root.join(service.name).join("Cargo.toml"),
                &format!(
                    "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}",
                    service.name
                ),
            );
            write(
                &root.join(service.name).join("src/main.rs"),
                &service_main(service.name, service.uses_shared),
            );
        }
        let ports = services
            .iter()
            .map(|s| (s.name.to_owned(), free_port()))
            .collect();
        Fixture {
            _dir: dir,
            root,
            ports,
        }
    }

    /// The supervisor config for this fixture; `extra` goes into `[supervisor]`.
    pub fn config(&self, extra: &str) -> Config {
        let target_dir = format!("\"{}\"", shared_target_dir().display());
        let admin_port = free_port().to_string();
        let defaults = [
            ("admin_port", admin_port.as_str()),
            ("state_dir", "\"state\""),
            ("target_dir", target_dir.as_str()),
            ("debounce_ms", "200"),
            ("ready_timeout_ms", "5000"),
            ("drain_timeout_ms", "10000"),
            ("stop_grace_ms", "2000"),
        ];
        let mut text = String::from("[supervisor]\n");
        for (key, value) in defaults {
            if !extra.contains(key) {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        text.push_str(extra);
        text.push('\n');
        for (name, port) in &self.ports {
            text.push_str(&format!(
                "\n[[service]]\nname = \"{name}\"\nport = {port}\n"
            ));
        }
        write(&self.root.join("hifate.toml"), &text);
        Config::load(&self.root.join("hifate.toml")).expect("fixture config")
    }

    pub fn port(&self, service: &str) -> u16 {
        self.ports
            .iter()
            .find(|(n, _)| n == service)
            .map(|(_, p)| *p)
            .expect("fixture service")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join("state")
    }

    /// Replaces `from` with `to` in a file of the fixture (must be present).
    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.root.join(file);
        let text = std::fs::read_to_string(&path).expect("read fixture file");
        assert!(text.contains(from), "{file} does not contain {from:?}");
        write(&path, &text.replacen(from, to, 1));
    }

    /// Sets the greeting of `service` (its main.rs's GREETING constant).
    pub fn set_greeting(&self, service: &str, greeting: &str) {
        let path = self.root.join(service).join("src/main.rs");
        let text = std::fs::read_to_string(&path).expect("read main.rs");
        let start = text.find("const GREETING").expect("GREETING line");
        let end = start + text[start..].find('\n').expect("line end");
        let new = format!(
            "{}const GREETING: &str = \"{greeting}\";{}",
            &text[..start],
            &text[end..]
        );
        write(&path, &new);
    }

    /// Puts code at the start of `main` of `service`.
    pub fn set_startup(&self, service: &str, code: &str) {
        let path = self.root.join(service).join("src/main.rs");
        let text = std::fs::read_to_string(&path).expect("read main.rs");
        let mark = text.find(STARTUP_MARK).expect("startup hook");
        let start = text[..mark].rfind('\n').map_or(0, |i| i + 1);
        let end = mark + text[mark..].find('\n').expect("line end");
        let line = if code.is_empty() {
            format!("    {STARTUP_MARK}")
        } else {
            format!("    {code} {STARTUP_MARK}")
        };
        let new = format!("{}{line}{}", &text[..start], &text[end..]);
        write(&path, &new);
    }
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dir");
    }
    std::fs::write(path, text).expect("write fixture file");
}

fn service_main(name: &str, uses_shared: bool) -> String {
    let greeting = if uses_shared {
        "format!(\"{} {}\", shared::PREFIX, GREETING)"
    } else {
        "GREETING.to_string()"
    };
    format!(
        r#"use std::pin::Pin;
use std::time::Duration;

use hifate_proto::fixture::echo_server::{{Echo, EchoServer}};
use hifate_proto::fixture::*;
use tokio_stream::Stream;
use tonic::{{Request, Response, Status, Streaming}};

const GREETING: &str = "hello v1";

struct Svc {{
    identity: hifate_sdk::Identity,
}}

impl Svc {{
    fn reply(&self, message: String) -> SayReply {{
        SayReply {{
            message,
            service: self.identity.service.clone(),
            version: self.identity.version,
            pid: std::process::id(),
        }}
    }}
}}

fn greeting() -> String {{
    {greeting}
}}

#[tonic::async_trait]
impl Echo for Svc {{
    async fn say(&self, request: Request<SayRequest>) -> Result<Response<SayReply>, Status> {{
        let request = request.into_inner();
        if request.delay_ms > 0 {{
            tokio::time::sleep(Duration::from_millis(request.delay_ms.into())).await;
        }}
        Ok(Response::new(self.reply(format!("{{}}: {{}}", greeting(), request.message))))
    }}

    async fn fail(&self, request: Request<FailRequest>) -> Result<Response<SayReply>, Status> {{
        let request = request.into_inner();
        Err(Status::new(tonic::Code::from(request.code), request.message))
    }}

    type CountStream = Pin<Box<dyn Stream<Item = Result<SayReply, Status>> + Send>>;

    async fn count(&self, request: Request<CountRequest>) -> Result<Response<Self::CountStream>, Status> {{
        let request = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let identity = self.identity.clone();
        tokio::spawn(async move {{
            for i in 0..request.count {{
                tokio::time::sleep(Duration::from_millis(request.interval_ms.into())).await;
                let reply = SayReply {{
                    message: i.to_string(),
                    service: identity.service.clone(),
                    version: identity.version,
                    pid: std::process::id(),
                }};
                if tx.send(Ok(reply)).await.is_err() {{
                    break;
                }}
            }}
        }});
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
    }}

    async fn sum(&self, request: Request<Streaming<SumRequest>>) -> Result<Response<SumReply>, Status> {{
        let mut stream = request.into_inner();
        let mut total = 0;
        while let Some(item) = stream.message().await? {{
            total += item.value;
        }}
        Ok(Response::new(SumReply {{ total, version: self.identity.version }}))
    }}
}}

#[tokio::main]
async fn main() {{
    {STARTUP_MARK}
    hifate_sdk::init_tracing();
    let service = hifate_sdk::Service::new("{name}", 0).reflect(hifate_proto::FILE_DESCRIPTOR_SET);
    let svc = Svc {{ identity: service.identity() }};
    let routes = tonic::service::Routes::new(EchoServer::new(svc));
    if let Err(error) = service.serve(routes).await {{
        eprintln!("{{error}}");
        std::process::exit(1);
    }}
}}
"#
    )
}

/// A client of one front port.
pub async fn client(port: u16) -> EchoClient<Channel> {
    let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("uri")
        .connect_lazy();
    EchoClient::new(channel)
}

/// A `Say` call; returns the reply and the `x-hifate-version` header.
pub async fn say(
    client: &mut EchoClient<Channel>,
    message: &str,
    delay_ms: u32,
) -> Result<(SayReply, u64), tonic::Status> {
    let response = client
        .say(SayRequest {
            message: message.into(),
            delay_ms,
        })
        .await?;
    let version = version_header(response.metadata());
    Ok((response.into_inner(), version))
}

pub fn version_header(metadata: &tonic::metadata::MetadataMap) -> u64 {
    metadata
        .get("x-hifate-version")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("every response carries x-hifate-version")
}

/// Calls until a reply's message starts with `prefix`, for up to `limit`.
pub async fn wait_for_reply(port: u16, prefix: &str, limit: Duration) -> (SayReply, u64) {
    let mut client = client(port).await;
    let deadline = Instant::now() + limit;
    let mut last;
    loop {
        match say(&mut client, "ping", 0).await {
            Ok((reply, version)) if reply.message.starts_with(prefix) => return (reply, version),
            Ok((reply, version)) => last = format!("v{version}: {}", reply.message),
            Err(status) => last = format!("{status}"),
        }
        assert!(
            Instant::now() < deadline,
            "no reply starting with {prefix:?} within {limit:?}; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for an event of `service` matching `pred`.
pub async fn wait_event(
    events: &mut broadcast::Receiver<Event>,
    service: &str,
    limit: Duration,
    pred: impl Fn(&EventKind) -> bool,
) -> Event {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(event)) if event.service == service && pred(&event.kind) => return event,
            Ok(Ok(_)) => {}
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event stream ended: {e}"),
            Err(_) => panic!("no matching event for {service} within {limit:?}"),
        }
    }
}

/// True if a process with this pid exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Pids of processes whose command line contains `needle`.
pub fn processes_running(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                if String::from_utf8_lossy(&cmdline).contains(needle) && alive(pid) {
                    pids.push(pid);
                }
            }
        }
    }
    pids
}

/// Generous bound for a first start: the fixture's dependencies may still
/// be compiling in the shared target directory.
pub const FIRST_BUILD: Duration = Duration::from_secs(900);
/// Bound for a reload after an edit (compile + link one small crate).
pub const RELOAD: Duration = Duration::from_secs(180);
