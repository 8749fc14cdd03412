//! `chart`: charts per second per core. The same random birth moments
//! (1900–2100, reproducible) go to the domain library (`bazi::chart`, one
//! thread), to the full gRPC path (CalculateBazi through the front port of
//! bazi_core in release; per core = calls per CPU-second of the benchmark
//! process, which holds the client and the supervisor, plus the service's
//! process), and to the original system's library `lunar_python` (four
//! pillars only, one Python process), whose pillars are compared with the
//! library's.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bazi::calendar::{date_of_day_number, day_number, preload};
use bazi::{BirthInput, Gender};
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_core_api::BaziCoreRequest;

use crate::client;
use crate::hist::fmt_count;
use crate::procfs::cpu_secs;
use crate::quiet;
use crate::scenarios::proxy;
use crate::setup::{Env, Running, BAZI_CORE};
use crate::table::Table;

const PYTHON_SCRIPT: &str = include_str!("../lunar_rate.py");
const TARGET_RATIO: f64 = 100.0;

#[derive(Debug, Clone, clap::Args)]
pub struct ChartArgs {
    /// Random inputs for the library.
    #[arg(long, default_value_t = 200_000)]
    pub count: usize,
    /// Inputs (the first ones of the same list) for lunar_python.
    #[arg(long, default_value_t = 3_000)]
    pub python_count: usize,
    /// Seconds of gRPC calls.
    #[arg(long, default_value_t = 6.0)]
    pub grpc_secs: f64,
    /// gRPC calls in flight.
    #[arg(long, default_value_t = 16)]
    pub in_flight: usize,
}

impl Default for ChartArgs {
    fn default() -> Self {
        ChartArgs {
            count: 200_000,
            python_count: 3_000,
            grpc_secs: 6.0,
            in_flight: 16,
        }
    }
}

/// SplitMix64 with a fixed seed, so runs repeat.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn inputs(count: usize) -> anyhow::Result<Vec<BirthInput>> {
    let mut rng = Rng(42);
    let first = day_number(1900, 1, 1);
    let days = (day_number(2100, 12, 31) - first + 1) as u64;
    (0..count)
        .map(|i| {
            let (y, m, d) = date_of_day_number(first + rng.below(days) as i64);
            let gender = if i % 2 == 0 {
                Gender::Male
            } else {
                Gender::Female
            };
            BirthInput::new(y, m, d, rng.below(24) as u32, rng.below(60) as u32, gender)
                .map_err(|e| anyhow::anyhow!("bad generated input: {e}"))
        })
        .collect()
}

/// Library and gRPC results, for the table.
struct Rates {
    /// `bazi::calendar::preload()`, which bazi_core runs before serving.
    preload_ms: f64,
    library: f64,
    grpc_wall: f64,
    grpc_per_core: f64,
    grpc_service_per_core: f64,
    grpc_calls: u64,
    grpc_errors: u64,
}

pub async fn run(env: &Env, args: &ChartArgs) -> anyhow::Result<()> {
    let inputs = inputs(args.count.max(args.python_count).max(1))?;
    let python_ok = python_available().await;

    let running = Running::start(&proxy::plan(env)).await?;
    let quiet = quiet::wait_for_quiet("chart", env.quiet_limit).await;
    let measured = match quiet {
        Ok(quiet) => measure_rust(&running, &inputs, args)
            .await
            .map(|rates| (rates, quiet)),
        Err(error) => Err(error),
    };
    running.shutdown().await;
    let (rates, quiet) = measured?;

    let python = if python_ok {
        Some(run_python(&inputs[..args.python_count.min(inputs.len())]).await?)
    } else {
        println!(
            "lunar_python is not installed for python3; install it with `pip install lunar_python` to compare with the original library."
        );
        None
    };

    println!(
        "\n== chart: {} random birth moments 1900-2100 (SplitMix64 seed 42); gRPC {} in flight for {:.0} s; {quiet}\n",
        fmt_count(args.count as f64),
        args.in_flight,
        args.grpc_secs
    );
    let mut table = Table::new(
        "Charts per second per core",
        &["what", "charts/s per core", "vs lunar_python", "notes"],
    );
    let ratio = |rate: f64| match &python {
        Some(p) if p.rate > 0.0 => format!("{:.0}x", rate / p.rate),
        _ => "-".into(),
    };
    table.row([
        "bazi::chart (full chart, 1 thread)".to_owned(),
        fmt_count(rates.library),
        ratio(rates.library),
        "library only".to_owned(),
    ]);
    table.row([
        "CalculateBazi via front port".to_owned(),
        fmt_count(rates.grpc_per_core),
        ratio(rates.grpc_per_core),
        format!(
            "{} calls/s on 2 cores; per CPU-second of client+supervisor+service; {} errors",
            fmt_count(rates.grpc_wall),
            rates.grpc_errors
        ),
    ]);
    table.row([
        "  of which the service process".to_owned(),
        fmt_count(rates.grpc_service_per_core),
        ratio(rates.grpc_service_per_core),
        format!(
            "{} calls per CPU-second of bazi_core alone",
            fmt_count(rates.grpc_service_per_core)
        ),
    ]);
    if let Some(p) = &python {
        table.row([
            "lunar_python four pillars (1 process)".to_owned(),
            fmt_count(p.rate),
            "1x".to_owned(),
            format!(
                "{} inputs; pillars agree with bazi::chart on {}/{}",
                p.count, p.agree, p.count
            ),
        ]);
    }
    table.print();
    println!(
        "calendar preload (bazi::calendar::preload, run by bazi_core before it serves): {:.1} ms; gRPC calls made: {}",
        rates.preload_ms,
        fmt_count(rates.grpc_calls as f64)
    );
    if let Some(p) = &python {
        let lib = rates.library / p.rate;
        let grpc = rates.grpc_per_core / p.rate;
        println!(
            "target: >= {TARGET_RATIO:.0}x the original per core for the full chart: library {lib:.0}x {}, gRPC path {grpc:.0}x {}",
            if lib >= TARGET_RATIO { "met" } else { "MISSED" },
            if grpc >= TARGET_RATIO { "met" } else { "MISSED" }
        );
        for line in &p.disagreements {
            println!("  disagreement: {line}");
        }
    }
    Ok(())
}

async fn measure_rust(
    running: &Running,
    inputs: &[BirthInput],
    args: &ChartArgs,
) -> anyhow::Result<Rates> {
    // The library, one thread, full charts.
    let preloading = Instant::now();
    preload();
    let preload_ms = preloading.elapsed().as_secs_f64() * 1e3;
    let lib_inputs = &inputs[..args.count.min(inputs.len())];
    let started = Instant::now();
    let mut checksum = 0usize;
    for input in lib_inputs {
        let chart = bazi::chart(black_box(input))?;
        checksum = checksum.wrapping_add(chart.bazi_pillars.hour.cycle_index());
        black_box(&chart);
    }
    let library = lib_inputs.len() as f64 / started.elapsed().as_secs_f64();
    black_box(checksum);

    // The gRPC path through the front port.
    let requests: Arc<Vec<BaziCoreRequest>> = Arc::new(
        inputs
            .iter()
            .map(|i| BaziCoreRequest {
                solar_date: i.solar_date_string(),
                solar_time: i.solar_time_string(),
                gender: i.gender.as_str().to_owned(),
            })
            .collect(),
    );
    let channel = client::front_channel(running.address(BAZI_CORE.name)?).await?;
    let (_, child_pid) = running.child(BAZI_CORE.name)?;
    // Warm up connections and caches.
    client::closed_loop(
        &channel,
        args.in_flight,
        Duration::from_secs(1),
        client::fixed_request(),
    )
    .await;
    let me = std::process::id();
    let (self0, child0) = (cpu_secs(me)?, cpu_secs(child_pid)?);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.grpc_secs);
    let mut tasks = Vec::new();
    for _ in 0..args.in_flight.max(1) {
        let mut client = BaziCoreServiceClient::new(channel.clone());
        let requests = requests.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let (mut calls, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed) % requests.len();
                calls += 1;
                if client.calculate_bazi(requests[i].clone()).await.is_err() {
                    errors += 1;
                }
            }
            (calls, errors)
        }));
    }
    let (mut calls, mut errors) = (0u64, 0u64);
    for task in tasks {
        let (c, e) = task.await.context("a caller panicked")?;
        calls += c;
        errors += e;
    }
    let wall = started.elapsed().as_secs_f64();
    let (self1, child1) = (cpu_secs(me)?, cpu_secs(child_pid)?);
    let cpu_self = (self1 - self0).max(0.0);
    let cpu_child = (child1 - child0).max(0.0);
    let ok = calls.saturating_sub(errors) as f64;
    Ok(Rates {
        preload_ms,
        library,
        grpc_wall: ok / wall,
        grpc_per_core: ok / (cpu_self + cpu_child).max(1e-9),
        grpc_service_per_core: ok / cpu_child.max(1e-9),
        grpc_calls: calls,
        grpc_errors: errors,
    })
}

async fn python_available() -> bool {
    tokio::process::Command::new("python3")
        .args(["-c", "import lunar_python"])
        .output()
        .await
        .is_ok_and(|o| o.status.success())
}

struct Python {
    count: usize,
    rate: f64,
    agree: usize,
    disagreements: Vec<String>,
}

/// Runs the lunar_python script on `inputs` and compares its pillars.
async fn run_python(inputs: &[BirthInput]) -> anyhow::Result<Python> {
    let dir = tempfile::tempdir()?;
    let input_file = dir.path().join("inputs.txt");
    let output_file = dir.path().join("pillars.txt");
    let lines: Vec<String> = inputs
        .iter()
        .map(|i| format!("{} {} {} {} {}", i.year, i.month, i.day, i.hour, i.minute))
        .collect();
    std::fs::write(&input_file, lines.join("\n") + "\n")?;
    eprintln!("lunar_python: {} charts (about 360/s)", inputs.len());
    let output = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(PYTHON_SCRIPT)
        .arg(&input_file)
        .arg(&output_file)
        .output()
        .await
        .context("cannot run python3")?;
    if !output.status.success() {
        bail!(
            "the lunar_python script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut words = stdout.split_whitespace();
    let count: usize = words.next().context("no count from python")?.parse()?;
    let seconds: f64 = words.next().context("no time from python")?.parse()?;
    let theirs = std::fs::read_to_string(&output_file)?;
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (input, line) in inputs.iter().zip(theirs.lines()) {
        let chart = bazi::chart(input)?;
        let p = &chart.bazi_pillars;
        let ours = format!("{} {} {} {}", p.year, p.month, p.day, p.hour);
        if ours == line.trim() {
            agree += 1;
        } else if disagreements.len() < 5 {
            disagreements.push(format!(
                "{}-{:02}-{:02} {:02}:{:02}: bazi {ours} / lunar_python {}",
                input.year,
                input.month,
                input.day,
                input.hour,
                input.minute,
                line.trim()
            ));
        }
    }
    Ok(Python {
        count,
        rate: count as f64 / seconds.max(1e-9),
        agree,
        disagreements,
    })
}
