//! Nothing lost, nothing doubled: 50 hot swaps of payment_service while
//! clients create sessions (with and without idempotency keys, retrying
//! what failed) and verify them; then the serving process is killed
//! mid-load and the supervisor restarts it. Every created session is
//! verifiable afterwards, and no idempotency key ever names two sessions.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hifate::ReloadOutcome;
use payment_service_api::payment_service_client::PaymentServiceClient;
use payment_service_api::{CreatePaymentSessionRequest, VerifyPaymentRequest};
use support::{copy_repo, fixture_target, free_port, FIRST_BUILD, RELOAD};
use tonic::transport::Channel;

const SWAPS: usize = 50;
/// A call is retried (same idempotency key) until it succeeds or this many
/// tries failed: a retry is what a client does when a process it was
/// talking to was killed.
const TRIES: usize = 20;

async fn client(port: u16) -> PaymentServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("uri")
        .connect_lazy();
    PaymentServiceClient::new(channel)
}

fn request(i: usize, key: Option<&str>) -> CreatePaymentSessionRequest {
    let mut metadata = std::collections::HashMap::new();
    if let Some(key) = key {
        metadata.insert("idempotency_key".to_owned(), key.to_owned());
    }
    CreatePaymentSessionRequest {
        amount: format!("{}.00", 1 + i % 50),
        currency: "USD".into(),
        product_name: "load".into(),
        customer_email: String::new(),
        metadata,
    }
}

/// What one creator saw: session ids by idempotency key (every answer for a
/// key), ids created without a key, calls that failed after every retry.
#[derive(Default)]
struct Seen {
    by_key: BTreeMap<String, BTreeSet<String>>,
    unkeyed: Vec<String>,
    calls: u64,
    /// Keyed creates that failed after every retry: must stay empty.
    failed: Vec<String>,
    /// Keyless creates that failed (no retry without a key): the ones in
    /// flight when the process was killed.
    unkeyed_failed: Vec<String>,
}

async fn creator(port: u16, who: usize, stop: Arc<AtomicBool>) -> Seen {
    let mut payments = client(port).await;
    let mut seen = Seen::default();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let keyed = i % 2 == 0;
        let key = format!("c{who}-{i}");
        // Keyed creates are also repeated once on purpose: never a second session.
        let repeats = if keyed { 2 } else { 1 };
        for _ in 0..repeats {
            let mut last = String::new();
            let mut done = false;
            for _ in 0..TRIES {
                seen.calls += 1;
                let call = request(i, keyed.then_some(key.as_str()));
                match payments.create_payment_session(call).await {
                    Ok(answer) => {
                        let id = answer.into_inner().session_id;
                        if keyed {
                            seen.by_key.entry(key.clone()).or_default().insert(id);
                        } else {
                            seen.unkeyed.push(id);
                        }
                        done = true;
                        break;
                    }
                    // Without a key a retry could make a second session: a
                    // keyless client does not retry, and its failure counts.
                    Err(status) if !keyed => {
                        last = status.to_string();
                        break;
                    }
                    Err(status) => {
                        last = status.to_string();
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            match (done, keyed) {
                (true, _) => {}
                (false, true) => seen.failed.push(format!("create {key}: {last}")),
                (false, false) => seen.unkeyed_failed.push(last.clone()),
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_survive_fifty_swaps_and_a_kill_under_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    copy_repo(&root);
    let port = free_port();
    let text = format!(
        "[supervisor]\nadmin_port = {}\nstate_dir = \"state\"\ntarget_dir = \"{}\"\nwatch = \"off\"\n\n[[service]]\nname = \"payment_service\"\nport = {port}\n",
        free_port(),
        fixture_target().display()
    );
    let config = hifate::Config::parse(&text, &root).expect("config");
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(config))
        .await
        .expect("first build in time")
        .expect("supervisor starts");

    let stop = Arc::new(AtomicBool::new(false));
    let creators: Vec<_> = (0..3)
        .map(|who| tokio::spawn(creator(port, who, stop.clone())))
        .collect();

    for swap in 0..SWAPS {
        let outcomes = tokio::time::timeout(
            RELOAD,
            supervisor.rebuild(&["payment_service"], "swap under load"),
        )
        .await
        .expect("reload in time");
        assert!(
            matches!(outcomes["payment_service"], ReloadOutcome::Swapped { .. }),
            "swap {swap}: {:?}",
            outcomes["payment_service"]
        );
    }
    // Kill the serving process mid-load: the supervisor restarts it.
    let pid = supervisor
        .service("payment_service")
        .and_then(|s| s.status().pid)
        .expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("SIGKILL");
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);

    let mut all = Seen::default();
    for creator in creators {
        let seen = creator.await.expect("creator");
        all.calls += seen.calls;
        all.failed.extend(seen.failed);
        all.unkeyed_failed.extend(seen.unkeyed_failed);
        all.unkeyed.extend(seen.unkeyed);
        for (key, ids) in seen.by_key {
            all.by_key.entry(key).or_default().extend(ids);
        }
    }
    let keyed_sessions: usize = all.by_key.values().map(BTreeSet::len).sum();
    println!(
        "payment_service: {SWAPS} swaps and a kill; {} create calls, {} keyed payments ({} failed after retries), {} unkeyed ({} failed)",
        all.calls,
        all.by_key.len(),
        all.failed.len(),
        all.unkeyed.len(),
        all.unkeyed_failed.len()
    );
    assert!(
        all.failed.is_empty(),
        "keyed creates failed after retries: {:?}",
        all.failed
    );
    assert!(all.by_key.len() > 50, "{} keyed payments", all.by_key.len());
    assert_eq!(keyed_sessions, all.by_key.len(), "a key named two sessions");

    // Every session anyone was told about is in the ledger.
    let mut payments = client(port).await;
    let ids: Vec<&String> = all
        .by_key
        .values()
        .flat_map(|ids| ids.iter())
        .chain(all.unkeyed.iter())
        .collect();
    for id in ids {
        let mut found = None;
        for _ in 0..TRIES {
            match payments
                .verify_payment(VerifyPaymentRequest {
                    session_id: id.clone(),
                })
                .await
            {
                Ok(answer) => {
                    found = Some(answer.into_inner());
                    break;
                }
                Err(status) if status.code() == tonic::Code::NotFound => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let found = found.unwrap_or_else(|| panic!("{id} lost"));
        assert_eq!(found.status, "open", "{id}");
    }
    supervisor.shutdown().await;
}
