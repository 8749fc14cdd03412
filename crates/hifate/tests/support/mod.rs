//! A throwaway cargo workspace of tiny echo services (the template of
//! `hifate_fixture::template`), built and run by a real supervisor, with
//! helpers to edit its sources and call it.
//!
//! Every fixture workspace shares one cargo target directory
//! (`target/fixture-target`), so the dependencies are compiled once and each
//! test only compiles and links its few-line services.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hifate::events::{Event, EventKind};
use hifate::Config;
use hifate_fixture::echo_client::EchoClient;
use hifate_fixture::{SayReply, SayRequest};
use serde_json::Value;
use tokio::sync::broadcast;
use tonic::transport::Channel;

/// One fixture service: its name, and whether it uses the shared crate.
pub type FixtureService = hifate_fixture::template::EchoService;
/// The greeting line of every fresh fixture service's `main.rs`.
pub const GREETING_LINE: &str = hifate_fixture::template::GREETING_LINE;
/// A comment at the start of `main` of every fixture service.
pub const STARTUP_MARK: &str = hifate_fixture::template::STARTUP_MARK;

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
        hifate_fixture::template::write(&root, &repo, services).expect("write the fixture");
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
            // The swap protocol's own tests see the old version stop at the
            // switch; `rollouts.rs` sets a window.
            ("bake_ms", "0"),
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

/// A copy of this repository's workspace (manifests, lock file, `crates/`,
/// `services/`, and `hifate.toml`) in `root`, without build output or
/// hidden files: what `hifate up` runs on in the system tests.
pub fn copy_repo(root: &Path) {
    let repo = std::path::absolute(repo_root()).expect("repo root");
    std::fs::create_dir_all(root).expect("mkdir");
    for item in ["Cargo.toml", "Cargo.lock", "hifate.toml"] {
        std::fs::copy(repo.join(item), root.join(item)).expect("copy");
    }
    for dir in ["crates", "services"] {
        copy_tree(&repo.join(dir), &root.join(dir));
    }
}

/// Copies sources, leaving out build output, hidden directories and the
/// data a service run by hand keeps in its own directory
/// (`services/<name>/data`); a library's `data/` (the intent library's
/// labeled questions) is source and is copied.
fn copy_tree(from: &Path, to: &Path) {
    let services = from.ends_with("services");
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            let service_data = services && e.depth() == 2 && name == "data";
            e.depth() == 0 || !(name == "target" || service_data || name.starts_with('.'))
        })
        .flatten()
    {
        let relative = entry.path().strip_prefix(from).expect("inside");
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The shared target directory of the system tests' builds.
pub fn fixture_target() -> PathBuf {
    shared_target_dir()
}

/// Starts a supervisor on `fixture` (`extra` goes into `[supervisor]`),
/// allowing for a first build.
pub async fn start(fixture: &Fixture, extra: &str) -> hifate::Supervisor {
    tokio::time::timeout(FIRST_BUILD, hifate::start(fixture.config(extra)))
        .await
        .expect("first build in time")
        .expect("supervisor starts")
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

/// The coffee-cup photo of the vision library's tests.
pub fn coffee() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vision/tests/data/coffee.jpg"
    ))
    .expect("the test photo")
}

/// The astronaut photo (a face) of the vision library's tests.
pub fn astronaut() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vision/tests/data/astronaut.jpg"
    ))
    .expect("the test photo")
}

/// A multipart/form-data body for the main service's desk endpoint: the
/// photo as `image`, and text fields; its content type and bytes.
pub fn desk_form(photo: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "hifate-desk-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"desk.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// The admin API over HTTP and the `hifate` CLI, with the supervisor's
/// generated token.
pub struct Admin {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Admin {
    pub fn new(supervisor: &hifate::Supervisor) -> Admin {
        let token = std::fs::read_to_string(supervisor.settings().state_dir.join("admin-token"))
            .expect("generated token")
            .trim()
            .to_owned();
        Admin {
            base: format!("http://{}", supervisor.admin_address()),
            token,
            http: reqwest::Client::new(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn cli(&self, args: &[&str]) -> (bool, String) {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_hifate"))
            .args(args)
            .env("HIFATE_URL", &self.base)
            .env("HIFATE_ADMIN_TOKEN", &self.token)
            .output()
            .expect("run hifate");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }
}

/// The supervisor's `/metrics` text.
pub async fn metrics(supervisor: &hifate::Supervisor) -> String {
    reqwest::get(format!("http://{}/metrics", supervisor.admin_address()))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text")
}

/// Posts `photo` with the text `fields` as a multipart form to the main
/// service's `path`: the answer's `data` and the version the
/// `version_header` names (0 if none), or what went wrong.
pub async fn post_photo(
    http: &reqwest::Client,
    port: u16,
    path: &str,
    photo: &[u8],
    fields: &[(&str, &str)],
    version_header: &str,
) -> Result<(Value, u64), String> {
    let (content_type, body) = desk_form(photo, fields);
    let response = http
        .post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let version = response
        .headers()
        .get(version_header)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let answer: Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {answer}"));
    }
    let version = version.ok_or_else(|| format!("no {version_header} header: {answer}"))?;
    Ok((answer["data"].clone(), version))
}
