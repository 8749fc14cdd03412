//! What a service's processes get in their environment: the child contract
//! and their data directory, but never the admin token (any process of the
//! same user can read a child's environment in /proc). Its own test binary,
//! as it sets the token in the process environment.

mod support;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_is_not_passed_to_services() {
    const TOKEN: &str = "a-secret-token-of-the-supervisor";
    // Set before the supervisor starts, as `HIFATE_ADMIN_TOKEN=… hifate up` would.
    std::env::set_var("HIFATE_ADMIN_TOKEN", TOKEN);
    let fixture = Fixture::new(&[FixtureService {
        name: "secret",
        uses_shared: false,
    }]);
    let supervisor = start(&fixture, "watch = \"off\"").await;
    let pid = supervisor
        .service("secret")
        .expect("secret")
        .status()
        .pid
        .expect("pid");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("child environment");
    let environ = String::from_utf8_lossy(&environ);
    assert!(
        environ.contains("HIFATE_SOCKET="),
        "the child contract is there"
    );
    assert!(!environ.contains("HIFATE_ADMIN_TOKEN"), "no token variable");
    assert!(!environ.contains(TOKEN), "no token value");

    // The supervisor itself uses it.
    let response = reqwest::Client::new()
        .post(format!(
            "http://{}/api/v1/hot-reload/reload/microservice/secret",
            supervisor.admin_address()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    supervisor.shutdown().await;
}
