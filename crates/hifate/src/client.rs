//! A client of a running supervisor's admin API, used by the `hifate`
//! command line. It speaks the typed contract of [`crate::api`] and prints
//! nothing: the command line decides what to show.

use anyhow::{bail, Context as _};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::{self, EventItem, PREFIX};

/// Talks to the admin API at `base` (e.g. `http://127.0.0.1:8001`).
pub struct AdminClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

/// The answer to a state-changing call: done, or refused with the reason.
/// (A refusal is an answer, not a transport error: the CLI prints it and
/// exits with 1.)
#[derive(Debug)]
pub enum Answer<T> {
    Done(T),
    Refused { status: u16, failure: api::Failure },
}

/// Which services a reload asks for.
#[derive(Debug, Clone)]
pub enum ReloadTarget {
    /// Every microservice (`POST /reload/microservice`).
    Microservices,
    /// The main service and every microservice (`POST /reload-all`).
    All,
    /// One service (`POST /reload/microservice/NAME`).
    One(String),
}

impl AdminClient {
    pub fn new(base: &str, token: Option<String>) -> AdminClient {
        AdminClient {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.base)
    }

    /// `GET /status`.
    pub async fn status(&self) -> anyhow::Result<api::Status> {
        self.get("/status").await
    }

    /// `GET /versions/NAME`.
    pub async fn versions(&self, name: &str) -> anyhow::Result<api::Versions> {
        self.get(&format!("/versions/{name}")).await
    }

    /// `GET /logs/NAME`: up to `lines` lines, or only those after `after`.
    pub async fn logs(
        &self,
        name: &str,
        after: Option<u64>,
        lines: usize,
    ) -> anyhow::Result<api::Logs> {
        let path = match after {
            Some(a) => format!("/logs/{name}?after={a}&lines={lines}"),
            None => format!("/logs/{name}?lines={lines}"),
        };
        self.get(&path).await
    }

    /// A forced reload of `target`.
    pub async fn reload(&self, target: &ReloadTarget) -> anyhow::Result<Answer<api::Reload>> {
        let path = match target {
            ReloadTarget::Microservices => "/reload/microservice".to_owned(),
            ReloadTarget::All => "/reload-all".to_owned(),
            ReloadTarget::One(name) => format!("/reload/microservice/{name}"),
        };
        // A reload that failed for a service answers 422 with its results.
        self.post(&path, None::<&()>, |status| status == 422).await
    }

    /// A reload of `name` whose new version starts as a canary taking
    /// `percent` of new requests.
    pub async fn reload_canary(
        &self,
        name: &str,
        percent: u8,
    ) -> anyhow::Result<Answer<api::Reload>> {
        let body = api::ReloadRequest {
            canary: Some(percent),
        };
        self.post(
            &format!("/reload/microservice/{name}"),
            Some(&body),
            |status| status == 422,
        )
        .await
    }

    /// `POST /promote/NAME`: the version on trial takes every request now.
    pub async fn promote(&self, name: &str) -> anyhow::Result<Answer<api::TrialEnded>> {
        self.post(&format!("/promote/{name}"), None::<&()>, |_| false)
            .await
    }

    /// `POST /abort/NAME`: the version on trial is rolled back now.
    pub async fn abort(&self, name: &str) -> anyhow::Result<Answer<api::TrialEnded>> {
        self.post(&format!("/abort/{name}"), None::<&()>, |_| false)
            .await
    }

    /// `POST /rollback/NAME`, to `version` or the previous one.
    pub async fn rollback(
        &self,
        name: &str,
        version: Option<u64>,
    ) -> anyhow::Result<Answer<api::Rollback>> {
        let body = version.map(|version| api::RollbackRequest {
            version: Some(version),
        });
        self.post(&format!("/rollback/{name}"), body.as_ref(), |_| false)
            .await
    }

    /// Follows the event stream, calling `each` for every event.
    pub async fn follow_events(&self, mut each: impl FnMut(EventItem)) -> anyhow::Result<()> {
        let mut response = self
            .http
            .get(self.url("/events"))
            .send()
            .await
            .with_context(|| self.unreachable())?;
        if !response.status().is_success() {
            bail!("the event stream answered HTTP {}", response.status());
        }
        let mut pending = String::new();
        while let Some(chunk) = response.chunk().await.context("event stream broke")? {
            pending.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = pending.find("\n\n") {
                let block: String = pending.drain(..end + 2).collect();
                for line in block.lines() {
                    if let Some(data) = line.strip_prefix("data:") {
                        if let Ok(event) = serde_json::from_str::<EventItem>(data.trim()) {
                            each(event);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// GET a JSON document; a non-2xx answer becomes an error with its message.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.with_context(|| self.unreachable())?;
        let status = response.status().as_u16();
        let text = response.text().await.context("reading the answer")?;
        if !(200..300).contains(&status) {
            bail!("{}", failure(status, &text).message);
        }
        parse(status, &text)
    }

    /// POST with the bearer token. 2xx answers (and those `is_answer`
    /// accepts) are `T`; other answers are refusals.
    async fn post<T: DeserializeOwned, B: Serialize>(
        &self,
        path: &str,
        body: Option<&B>,
        is_answer: impl Fn(u16) -> bool,
    ) -> anyhow::Result<Answer<T>> {
        let mut request = self.http.post(self.url(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.with_context(|| self.unreachable())?;
        let status = response.status().as_u16();
        let text = response.text().await.context("reading the answer")?;
        if (200..300).contains(&status) || is_answer(status) {
            return parse(status, &text).map(Answer::Done);
        }
        Ok(Answer::Refused {
            status,
            failure: failure(status, &text),
        })
    }

    fn unreachable(&self) -> String {
        format!(
            "cannot reach the supervisor at {} (is `hifate up` running? set --url or HIFATE_URL)",
            self.base
        )
    }
}

fn parse<T: DeserializeOwned>(status: u16, text: &str) -> anyhow::Result<T> {
    serde_json::from_str(text).with_context(|| {
        format!("the admin API answered HTTP {status} with an unexpected document: {text}")
    })
}

/// A refusal's reason: the API's own message, or the status when the answer
/// is not the API's (a proxy in between, say).
fn failure(status: u16, text: &str) -> api::Failure {
    serde_json::from_str::<api::Failure>(text).unwrap_or_else(|_| api::Failure {
        success: false,
        message: format!("HTTP {status}: {}", text.trim()),
        known_services: None,
    })
}
