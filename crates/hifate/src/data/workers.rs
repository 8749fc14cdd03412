//! The proxy's worker threads.
//!
//! Each worker runs a single-threaded runtime that serves whole client
//! connections, with its own connection to every version: a request, its
//! forwarded copy and both responses stay on one thread. (On a
//! multi-threaded runtime the client side and the version side of a request
//! ping-pong between cores, which costs more than the proxying itself.)

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::runtime::Handle;

/// Environment variable: how many proxy worker threads to run.
pub const THREADS_VAR: &str = "HIFATE_PROXY_THREADS";

thread_local! {
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

struct Workers {
    runtimes: Vec<Handle>,
    next: AtomicUsize,
}

static WORKERS: OnceLock<Workers> = OnceLock::new();

/// How many proxy worker threads there are: `HIFATE_PROXY_THREADS`, else
/// one per CPU.
pub fn count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        std::env::var(THREADS_VAR)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n: &usize| *n > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            })
    })
}

/// The index of the proxy worker running this code; `None` on any other thread.
pub fn current() -> Option<usize> {
    WORKER.with(Cell::get)
}

/// Runs `task` on the next worker, round-robin. Returns false when no worker
/// runs (the caller drops what it meant to hand over).
pub fn spawn_next<F>(task: F) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    let workers = workers();
    if workers.runtimes.is_empty() {
        return false;
    }
    let index = workers.next.fetch_add(1, Ordering::Relaxed) % workers.runtimes.len();
    workers.runtimes[index].spawn(task);
    true
}

/// Runs a copy of `task` on every worker and returns their handles.
pub fn spawn_on_each<F, Fut>(task: F) -> Vec<tokio::task::JoinHandle<Fut::Output>>
where
    F: Fn() -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    workers().runtimes.iter().map(|r| r.spawn(task())).collect()
}

fn workers() -> &'static Workers {
    WORKERS.get_or_init(|| {
        let mut runtimes = Vec::new();
        for index in 0..count() {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    tracing::error!(%error, "cannot start proxy worker {index}");
                    continue;
                }
            };
            let handle = runtime.handle().clone();
            let spawned = std::thread::Builder::new()
                .name(format!("hifate-proxy-{index}"))
                .spawn(move || {
                    WORKER.with(|w| w.set(Some(index)));
                    // Tasks arrive through the handle; the thread only drives them.
                    runtime.block_on(std::future::pending::<()>());
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start proxy worker {index}");
                continue;
            }
            runtimes.push(handle);
        }
        Workers {
            runtimes,
            next: AtomicUsize::new(0),
        }
    })
}
