//! The web console in a real browser: headless Chromium, driven over
//! WebDriver (chromedriver), against a supervisor running the real
//! bazi_core. A person's path through the page: open it, give the token (a
//! wrong one first, which the page must refuse and ask for again), press
//! reload, and watch the new version appear in the service's card, the
//! event list, the version list and the request-rate chart.
//!
//! Needs `/usr/bin/chromedriver` and `/usr/bin/chromium` (Debian:
//! `apt-get install chromium chromium-driver`; `.ci/run` installs them). With
//! `HIFATE_CONSOLE_SCREENSHOT=<path>` the page is saved there as a PNG.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use support::{copy_repo, fixture_target, free_port, FIRST_BUILD};
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long the page may take to show what happened.
const PAGE: Duration = Duration::from_secs(60);

/// chromedriver and the Chromium it starts, in a process group of their
/// own; dropping it (at the end, or while a failed test unwinds) kills the
/// whole group, so no browser outlives the test.
struct ChromeDriver {
    child: Child,
    port: u16,
    log: PathBuf,
    _profile: tempfile::TempDir,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        assert!(
            Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
            "the console test needs {CHROMEDRIVER} and {CHROMIUM}: \
             install them with `apt-get install -y chromium chromium-driver` (.ci/run does)"
        );
        let profile = tempfile::tempdir().expect("temp dir for the browser");
        let port = free_port();
        let log = profile.path().join("chromedriver.log");
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            0,
        )
        .spawn()
        .expect("start chromedriver");
        ChromeDriver {
            child,
            port,
            log,
            _profile: profile,
        }
    }

    fn profile(&self) -> &Path {
        self._profile.path()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A WebDriver session of a fresh headless Chromium, once chromedriver
    /// listens.
    async fn connect(&self) -> Client {
        let profile = self.profile().join("profile");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let url = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => return client,
                Err(error) => assert!(
                    Instant::now() < deadline,
                    "no WebDriver session from chromedriver on port {}: {error}\n{}",
                    self.port,
                    self.log()
                ),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The negative pid names the group: chromedriver and Chromium.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(-pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.wait();
    }
}

/// The text of the first element matching `selector`, if there is one.
async fn text(browser: &Client, selector: &str) -> Option<String> {
    let answer = browser
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            vec![json!(selector)],
        )
        .await
        .expect("run a script in the page");
    answer.as_str().map(str::to_owned)
}

/// Polls the page until the element matching `selector` has a text that
/// `accept`s, for up to `limit`; fails with what the page shows instead.
async fn wait_text(
    browser: &Client,
    selector: &str,
    limit: Duration,
    accept: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let found = text(browser, selector).await;
        if let Some(found) = &found {
            if accept(found) {
                return found.clone();
            }
        }
        if Instant::now() >= deadline {
            let message = text(browser, "#message").await.unwrap_or_default();
            panic!(
                "within {limit:?}, {selector} showed {found:?}; the page's last message: {message:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn attribute(browser: &Client, selector: &str, name: &str) -> Option<String> {
    let answer = browser
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            vec![json!(selector), json!(name)],
        )
        .await
        .expect("run a script in the page");
    answer.as_str().map(str::to_owned)
}

async fn click(browser: &Client, selector: &str) {
    browser
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {selector}: {e}"));
}

async fn type_token(browser: &Client, token: &str) {
    let field = browser
        .find(Locator::Css("#token"))
        .await
        .expect("the token field");
    field.clear().await.expect("clear the token field");
    field.send_keys(token).await.expect("type the token");
    click(browser, "#token-save").await;
}

/// Health checks through bazi_core's public port, about 25 a second, so the
/// page has request rates to draw; they go to whichever version serves.
fn traffic(port: u16, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .expect("uri")
            .connect_lazy();
        let mut health = HealthClient::new(channel);
        while !stop.load(Ordering::Relaxed) {
            let _ = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await;
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_reloads_a_service_and_shows_the_new_version() {
    // The browser first: without it there is no point in building.
    let driver = ChromeDriver::start();

    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    copy_repo(&root);
    let port = free_port();
    let config_text = format!(
        "[supervisor]\nadmin_port = {}\nstate_dir = \"state\"\ntarget_dir = \"{}\"\nwatch = \"off\"\nbake_ms = 0\n\n[[service]]\nname = \"bazi_core\"\nport = {port}\n",
        free_port(),
        fixture_target().display()
    );
    let config = hifate::Config::parse(&config_text, &root).expect("config");
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(config))
        .await
        .expect("first build in time")
        .expect("supervisor starts");
    let token = std::fs::read_to_string(supervisor.settings().state_dir.join("admin-token"))
        .expect("generated token")
        .trim()
        .to_owned();
    let base = format!("http://{}", supervisor.admin_address());
    let console = format!("{base}/api/v1/hot-reload/console");

    // The page itself: HTML under a policy that keeps it to its own origin.
    let response = reqwest::get(&console).await.expect("GET the console");
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
         connect-src 'self'; img-src 'self' data:"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let load = traffic(port, stop.clone());

    let browser = driver.connect().await;
    browser
        .set_window_size(1280, 900)
        .await
        .expect("window size");
    browser.goto(&console).await.expect("open the console");
    let card = "[data-service=\"bazi_core\"]";
    wait_text(
        &browser,
        &format!("{card} [data-field=\"version\"]"),
        PAGE,
        |t| t == "1",
    )
    .await;
    wait_text(
        &browser,
        &format!("{card} [data-field=\"state\"]"),
        PAGE,
        |t| t == "serving",
    )
    .await;
    wait_text(
        &browser,
        &format!("{card} [data-field=\"versions\"] tr[data-version=\"1\"]"),
        PAGE,
        |t| t.contains("serving"),
    )
    .await;
    // Subscribed to the events before anything happens.
    wait_text(&browser, "#stream", PAGE, |t| t == "events: live").await;
    let screenshot = std::env::var_os("HIFATE_CONSOLE_SCREENSHOT");
    if screenshot.is_some() {
        // Some history of version 1 for the chart in the picture.
        tokio::time::sleep(Duration::from_secs(15)).await;
    }

    // A wrong token: refused, said so, and asked for again.
    type_token(&browser, "not-the-token").await;
    click(&browser, &format!("{card} [data-action=\"reload\"]")).await;
    wait_text(&browser, "#message", PAGE, |t| t.contains("401")).await;
    assert_eq!(
        attribute(&browser, "#token-state", "data-state")
            .await
            .as_deref(),
        Some("missing"),
        "a refused token is forgotten"
    );
    assert_eq!(
        attribute(&browser, "#message", "data-kind")
            .await
            .as_deref(),
        Some("error")
    );

    // The right one, kept for the session; reload.
    type_token(&browser, &token).await;
    wait_text(&browser, "#token-state", PAGE, |t| {
        t == "token set for this session"
    })
    .await;
    click(&browser, &format!("{card} [data-action=\"reload\"]")).await;

    wait_text(
        &browser,
        &format!("{card} [data-field=\"version\"]"),
        PAGE,
        |t| t == "2",
    )
    .await;
    let message = wait_text(&browser, "#message", PAGE, |t| {
        t.contains("version 2 serving")
    })
    .await;
    assert!(message.contains("reload bazi_core"), "{message}");
    assert_eq!(
        attribute(&browser, "#message", "data-kind")
            .await
            .as_deref(),
        Some("ok")
    );
    // The swap in the event list, newest first.
    let swap = wait_text(
        &browser,
        "#events li[data-event=\"reload_succeeded\"][data-event-service=\"bazi_core\"]",
        PAGE,
        |t| t.contains("version 2 serving"),
    )
    .await;
    assert!(swap.contains("was 1"), "{swap}");
    // The version list gained version 2, serving, and version 1 can be
    // rolled back to.
    wait_text(
        &browser,
        &format!("{card} [data-field=\"versions\"] tr[data-version=\"2\"]"),
        PAGE,
        |t| t.contains("serving") && t.contains("current"),
    )
    .await;
    wait_text(
        &browser,
        &format!("{card} tr[data-version=\"1\"] [data-action=\"rollback\"]"),
        PAGE,
        |t| t == "Roll back",
    )
    .await;
    // Both versions' request rates are drawn, one line each.
    for version in ["1", "2"] {
        wait_text(
            &browser,
            &format!("{card} [data-field=\"legend\"] li[data-version=\"{version}\"]"),
            PAGE,
            |t| t.starts_with(&format!("version {version}:")),
        )
        .await;
        let line = attribute(
            &browser,
            &format!("{card} [data-field=\"chart\"] polyline[data-version=\"{version}\"]"),
            "points",
        )
        .await;
        assert!(line.is_some_and(|p| !p.is_empty()), "no line for {version}");
    }
    wait_text(
        &browser,
        &format!("{card} [data-field=\"legend\"] li[data-version=\"2\"]"),
        PAGE,
        |t| !t.ends_with(": 0 req/s"),
    )
    .await;

    if let Some(path) = screenshot {
        // And some of version 2.
        tokio::time::sleep(Duration::from_secs(8)).await;
        let png = browser.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write the screenshot");
        println!("console screenshot: {}", PathBuf::from(path).display());
    }

    stop.store(true, Ordering::Relaxed);
    load.await.expect("traffic task");
    let _ = browser.close().await;
    drop(driver);
    supervisor.shutdown().await;
}
