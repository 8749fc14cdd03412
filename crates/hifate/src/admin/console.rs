//! `GET /console`: the web console, one self-contained page.
//!
//! The page (`console.html`: HTML, CSS and script inline, no external asset,
//! so it works on a machine without internet access) is compiled into the
//! binary and reads the same open endpoints as everyone else: status,
//! versions, the event stream and `/metrics`. It holds no secret: the token
//! for the `POST` buttons is typed into the page and kept in the browser's
//! `sessionStorage`, so serving the page needs none.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The page, as written in `console.html`.
const PAGE: &str = include_str!("console.html");

/// The page may run only its own inline script and style and talk only to
/// the origin it came from: whatever a service writes into its error
/// messages or events, the page cannot be made to load or send anything
/// elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

/// `GET /console`. Never cached, so a new supervisor binary's page replaces
/// the old one at the next load.
pub(super) async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::events::EventKind;

    /// The page's promises that a reader of the HTML cannot check at a
    /// glance: nothing from elsewhere, and no markup built from data.
    #[test]
    fn the_page_is_self_contained_and_builds_no_markup_from_data() {
        for external in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "@import",
        ] {
            assert!(!PAGE.contains(external), "the page loads {external}…");
        }
        assert!(!PAGE.contains("innerHTML"), "the page uses innerHTML");
        assert!(!PAGE.contains("outerHTML"), "the page uses outerHTML");
        assert!(!PAGE.contains("insertAdjacentHTML"));
        assert!(!PAGE.contains("document.write"));
    }

    /// The page listens for each event by name (`EventSource` hands a
    /// named event only to a listener of that name), so its list must name
    /// every kind. The match is exhaustive: a new kind does not compile
    /// until it is named here, and the test then wants it in the page.
    fn event_name(kind: &EventKind) -> &'static str {
        match kind {
            EventKind::MonitorStarted { .. } => "monitor_started",
            EventKind::FilesChanged { .. } => "files_changed",
            EventKind::BuildStarted { .. } => "build_started",
            EventKind::BuildSucceeded { .. } => "build_succeeded",
            EventKind::BuildFailed { .. } => "build_failed",
            EventKind::Unchanged { .. } => "unchanged",
            EventKind::VersionStarting { .. } => "version_starting",
            EventKind::ReloadSucceeded { .. } => "reload_succeeded",
            EventKind::ReloadFailed { .. } => "reload_failed",
            EventKind::DeployFailed { .. } => "deploy_failed",
            EventKind::RolledBack { .. } => "rolled_back",
            EventKind::DrainFinished { .. } => "drain_finished",
            EventKind::Stopped { .. } => "stopped",
            EventKind::Crashed { .. } => "crashed",
            EventKind::Restarted { .. } => "restarted",
            EventKind::Unresponsive { .. } => "unresponsive",
            EventKind::RestartFailed { .. } => "restart_failed",
            EventKind::BakeStarted { .. } => "bake_started",
            EventKind::BakePassed { .. } => "bake_passed",
            EventKind::CanaryStarted { .. } => "canary_started",
            EventKind::CanaryPromoted { .. } => "canary_promoted",
            EventKind::VersionRolledBack { .. } => "version_rolled_back",
        }
    }

    const EVENT_NAMES: [&str; 22] = [
        "monitor_started",
        "files_changed",
        "build_started",
        "build_succeeded",
        "build_failed",
        "unchanged",
        "version_starting",
        "reload_succeeded",
        "reload_failed",
        "deploy_failed",
        "rolled_back",
        "drain_finished",
        "stopped",
        "crashed",
        "restarted",
        "unresponsive",
        "restart_failed",
        "bake_started",
        "bake_passed",
        "canary_started",
        "canary_promoted",
        "version_rolled_back",
    ];

    #[test]
    fn the_page_listens_for_every_kind_of_event() {
        let sample = EventKind::Stopped { version: 1 };
        let serialized = serde_json::to_value(&sample).unwrap_or_default();
        assert_eq!(serialized["event"], event_name(&sample), "the wire name");
        assert!(EVENT_NAMES.contains(&event_name(&sample)));
        for name in EVENT_NAMES {
            assert!(
                PAGE.contains(&format!("\"{name}\"")),
                "the page has no listener for {name}"
            );
        }
    }

    #[tokio::test]
    async fn the_page_is_html_with_a_strict_policy_and_never_cached() {
        let response = page().await;
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/html; charset=utf-8",
            "content type"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let policy = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default();
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(policy.contains("connect-src 'self'"), "{policy}");
    }
}
