//! `memory`: what a swap costs in memory for the services that hold models.
//!
//! A swap starts the new version (which loads its model before it reports
//! ready) while the old one still serves, and with the default bake window
//! keeps the old one warm for 10 s after the switch: for that time two
//! copies of the model are in memory. Per service, callers call in a loop;
//! the RSS of the service's processes is read from `/proc` every 10 ms; after
//! a resting phase under load, `rounds` forced swaps are made, each waited
//! out until one process is left. Printed: the resting RSS of one process
//! under load, the peak of the sum over all of the service's processes
//! during the swaps, the most processes seen at once, and the failed calls.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use desk_fengshui_api::desk_fengshui_service_client::DeskFengshuiServiceClient;
use desk_fengshui_api::DeskAnalysisRequest;
use fortune_analysis_api::fortune_analysis_service_client::FortuneAnalysisServiceClient;
use fortune_analysis_api::{FaceAnalysisRequest, ImageData};
use hifate::ReloadOutcome;
use intent_service_api::intent_service_client::IntentServiceClient;
use intent_service_api::ClassifyRequest;
use tonic::transport::Channel;

use crate::client;
use crate::procfs;
use crate::quiet;
use crate::setup::{Env, Plan, Running, ServiceSpec, BAZI_CORE};
use crate::table::Table;

#[derive(Debug, Clone, clap::Args)]
pub struct MemoryArgs {
    /// Forced swaps per service.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Callers calling in a loop.
    #[arg(long, default_value_t = 2)]
    pub callers: usize,
    /// Only these services (desk_fengshui, fortune_analysis, intent_service).
    #[arg(long, num_args = 1..)]
    pub only: Vec<String>,
}

impl Default for MemoryArgs {
    fn default() -> Self {
        MemoryArgs {
            rounds: 3,
            callers: 2,
            only: Vec::new(),
        }
    }
}

const DESK: ServiceSpec = ServiceSpec {
    name: "desk_fengshui",
    kind: "grpc",
    depends_on: &[],
};
const FORTUNE_RULE: ServiceSpec = ServiceSpec {
    name: "fortune_rule",
    kind: "grpc",
    depends_on: &[],
};
const FORTUNE: ServiceSpec = ServiceSpec {
    name: "fortune_analysis",
    kind: "grpc",
    depends_on: &["bazi_core", "fortune_rule"],
};
const INTENT: ServiceSpec = ServiceSpec {
    name: "intent_service",
    kind: "grpc",
    depends_on: &[],
};

/// A photo the vision tests use (scikit-image's data, see its NOTICE).
fn photo(workspace: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    let path = workspace.join("crates/vision/tests/data").join(name);
    std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
}

/// One call of the service's main work, as a client makes it.
#[derive(Clone)]
enum Call {
    Desk(Arc<Vec<u8>>),
    Face(Arc<Vec<u8>>),
    Classify,
}

impl Call {
    async fn make(&self, channel: Channel) -> Result<(), tonic::Status> {
        match self {
            Call::Desk(photo) => {
                let request = DeskAnalysisRequest {
                    image_data: photo.to_vec(),
                    ..DeskAnalysisRequest::default()
                };
                DeskFengshuiServiceClient::new(channel)
                    .analyze_desk(request)
                    .await
                    .map(drop)
            }
            Call::Face(photo) => {
                let request = FaceAnalysisRequest {
                    image: Some(ImageData {
                        image_bytes: photo.to_vec(),
                        image_format: "jpg".into(),
                        filename: "astronaut.jpg".into(),
                    }),
                    bazi_info: None,
                };
                FortuneAnalysisServiceClient::new(channel)
                    .analyze_face(request)
                    .await
                    .map(drop)
            }
            Call::Classify => {
                let request = ClassifyRequest {
                    question: "我明年的事业和财运怎么样？".into(),
                    ..ClassifyRequest::default()
                };
                IntentServiceClient::new(channel)
                    .classify(request)
                    .await
                    .map(drop)
            }
        }
    }
}

pub async fn run(env: &Env, args: &MemoryArgs) -> anyhow::Result<()> {
    // The measured service, the peers it calls, and its call.
    let cases = [
        (
            DESK,
            vec![],
            Call::Desk(Arc::new(photo(&env.workspace, "coffee.jpg")?)),
        ),
        (
            FORTUNE,
            vec![BAZI_CORE, FORTUNE_RULE],
            Call::Face(Arc::new(photo(&env.workspace, "astronaut.jpg")?)),
        ),
        (INTENT, vec![], Call::Classify),
    ];
    for (measured, peers, call) in cases {
        let service = measured.name;
        if !args.only.is_empty() && !args.only.iter().any(|o| o == service) {
            continue;
        }
        let mut plan = Plan::reloading(env.workspace.clone(), env.target_dir.clone(), measured);
        plan.services.splice(0..0, peers);
        // hifate.toml's default bake window (10 s): the old version stays warm.
        plan.extra.retain(|line| !line.starts_with("bake_ms"));
        plan.extra.push("ready_timeout_ms = 60000".into());
        let running = Running::start(&plan).await?;
        let outcome = measure(env, &running, service, call, args).await;
        running.shutdown().await;
        outcome?;
    }
    Ok(())
}

/// The RSS (kB) of every process of this supervisor's children that runs
/// `service`'s binary, by pid.
fn processes_of(service: &str) -> Vec<(u32, u64)> {
    procfs::children_of(std::process::id())
        .into_iter()
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()
                .and_then(|exe| exe.file_name().map(|n| n == service))
                .unwrap_or(false)
        })
        .filter_map(|pid| Some((pid, procfs::status_field(pid, "VmRSS:").ok()?)))
        .collect()
}

/// The largest sum of RSS and the most processes seen since the last reset.
#[derive(Default)]
struct Peak {
    inner: Mutex<(u64, usize)>,
}

impl Peak {
    fn see(&self, processes: &[(u32, u64)]) {
        let total: u64 = processes.iter().map(|(_, kb)| kb).sum();
        if let Ok(mut peak) = self.inner.lock() {
            peak.0 = peak.0.max(total);
            peak.1 = peak.1.max(processes.len());
        }
    }

    fn take(&self) -> (u64, usize) {
        self.inner
            .lock()
            .map(|mut peak| std::mem::take(&mut *peak))
            .unwrap_or_default()
    }
}

async fn measure(
    env: &Env,
    running: &Running,
    service: &'static str,
    call: Call,
    args: &MemoryArgs,
) -> anyhow::Result<()> {
    let quiet = quiet::wait_for_quiet(&format!("memory {service}"), env.quiet_limit).await?;
    let channel = client::front_channel(running.address(service)?).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let callers: Vec<_> = (0..args.callers.max(1))
        .map(|_| {
            let (call, channel, stop) = (call.clone(), channel.clone(), stop.clone());
            let (calls, failed) = (calls.clone(), failed.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    calls.fetch_add(1, Ordering::Relaxed);
                    if call.make(channel.clone()).await.is_err() {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let peak = Arc::new(Peak::default());
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.see(&processes_of(service));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    // Resting under load: one process, its RSS after the callers warmed it.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (resting_kb, resting_count) = peak.take();
    let mut swap_peaks = Vec::new();
    let mut problems = Vec::new();
    for round in 0..args.rounds {
        let started = Instant::now();
        let outcomes = running
            .supervisor
            .rebuild(&[service], "benchmark memory")
            .await;
        if !matches!(outcomes.get(service), Some(ReloadOutcome::Swapped { .. })) {
            problems.push(format!("round {round}: {:?}", outcomes.get(service)));
            continue;
        }
        // The old version stays warm for the bake window, then drains.
        let deadline = Instant::now() + Duration::from_secs(60);
        while processes_of(service).len() > 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        swap_peaks.push((peak.take(), started.elapsed()));
    }
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        let _ = caller.await;
    }
    let _ = sampler.await;
    if resting_count != 1 {
        bail!("{resting_count} processes of {service} before the first swap");
    }

    let mb = |kb: u64| format!("{:.0} MB", kb as f64 / 1024.0);
    let mut table = Table::new(
        &format!(
            "memory {service}: {} forced swaps under load, {} callers, bake window 10 s ({quiet})",
            args.rounds, args.callers
        ),
        &["phase", "RSS, all processes", "processes", "round time"],
    );
    table.row([
        "resting, under load".to_owned(),
        mb(resting_kb),
        "1".to_owned(),
        "-".to_owned(),
    ]);
    for (round, ((kb, count), took)) in swap_peaks.iter().enumerate() {
        table.row([
            format!("swap {} (peak)", round + 1),
            mb(*kb),
            count.to_string(),
            format!("{:.1} s", took.as_secs_f64()),
        ]);
    }
    table.print();
    println!(
        "calls: {}, failed: {}",
        calls.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
    for problem in &problems {
        println!("problem: {problem}");
    }
    Ok(())
}
