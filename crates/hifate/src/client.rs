//! A client of a running supervisor's admin API, used by the `hifate`
//! command line (`status`, `reload`, `rollback`, `versions`, `events`, `logs`).

use std::time::Duration;

use anyhow::{bail, Context as _};
use serde_json::Value;

use crate::admin::PREFIX;
use crate::events::Event;

/// Talks to the admin API at `base` (e.g. `http://127.0.0.1:8001`).
pub struct AdminClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
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

    /// GET a JSON document; a non-2xx answer becomes an error with its message.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .with_context(|| self.unreachable())?;
        read_json(response).await
    }

    /// POST with the bearer token; returns the status code and the JSON body.
    pub async fn post(&self, path: &str, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
        let mut request = self.http.post(self.url(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| self.unreachable())?;
        let status = response.status().as_u16();
        let text = response.text().await.context("reading the answer")?;
        let value = serde_json::from_str(&text).with_context(|| {
            format!("the admin API answered HTTP {status} with non-JSON: {text}")
        })?;
        Ok((status, value))
    }

    /// Follows the event stream, calling `each` for every event.
    pub async fn follow_events(&self, mut each: impl FnMut(Event)) -> anyhow::Result<()> {
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
                        if let Ok(event) = serde_json::from_str::<Event>(data.trim()) {
                            each(event);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Prints a service's recent output, and with `follow` keeps printing.
    pub async fn logs(&self, name: &str, lines: usize, follow: bool) -> anyhow::Result<()> {
        let mut after: Option<u64> = None;
        loop {
            let path = match after {
                Some(a) => format!("/logs/{name}?after={a}&lines=2000"),
                None => format!("/logs/{name}?lines={lines}"),
            };
            let page = self.get(&path).await?;
            if let Some(list) = page["lines"].as_array() {
                for line in list {
                    println!("{}", line.as_str().unwrap_or_default());
                }
            }
            after = page["next_after"].as_u64().or(after);
            if !follow {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    fn unreachable(&self) -> String {
        format!(
            "cannot reach the supervisor at {} (is `hifate up` running? set --url or HIFATE_URL)",
            self.base
        )
    }
}

async fn read_json(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let text = response.text().await.context("reading the answer")?;
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("the admin API answered HTTP {status} with non-JSON: {text}"))?;
    if !status.is_success() {
        bail!(
            "{}",
            value["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {status}"))
        );
    }
    Ok(value)
}
