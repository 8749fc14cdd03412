//! `proxy`: the front proxy's cost. The same tonic client calls bazi_core's
//! CalculateBazi through the front port and directly on the serving
//! version's private Unix socket, in interleaved rounds of the same run, at
//! several numbers of calls in flight.

use std::time::Duration;

use anyhow::Context as _;

use crate::client::{self, Run};
use crate::hist::{fmt_count, fmt_duration};
use crate::procfs::cpu_secs;
use crate::quiet;
use crate::setup::{Env, Plan, Running, BAZI_CORE};
use crate::table::Table;

/// Throughput ratio (front / direct) below which the proxy is too costly.
pub const MIN_RATIO: f64 = 0.85;
/// Added median latency above which the proxy is too costly.
pub const MAX_ADDED_P50_US: f64 = 50.0;

#[derive(Debug, Clone, clap::Args)]
pub struct ProxyArgs {
    /// Calls in flight (repeatable).
    #[arg(long = "in-flight", default_values_t = [1usize, 16, 64])]
    pub levels: Vec<usize>,
    /// Rounds per path and level (front and direct alternate).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Seconds per round.
    #[arg(long, default_value_t = 3.0)]
    pub round_secs: f64,
    /// Skip the h2load run even if h2load is installed.
    #[arg(long)]
    pub no_h2load: bool,
}

impl Default for ProxyArgs {
    fn default() -> Self {
        ProxyArgs {
            levels: vec![1, 16, 64],
            rounds: 3,
            round_secs: 3.0,
            no_h2load: false,
        }
    }
}

/// CPU seconds used during one path's rounds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// This process: the client, and for the front path the supervisor's proxy.
    pub bench: f64,
    /// The service's process.
    pub service: f64,
}

/// Both paths at one level.
pub struct Level {
    pub in_flight: usize,
    pub front: Run,
    pub direct: Run,
    pub front_cpu: Cpu,
    pub direct_cpu: Cpu,
}

impl Level {
    pub fn ratio(&self) -> f64 {
        let direct = self.direct.rate();
        if direct > 0.0 {
            self.front.rate() / direct
        } else {
            0.0
        }
    }

    pub fn added_p50_us(&self) -> f64 {
        (self.front.latency.p50().as_secs_f64() - self.direct.latency.p50().as_secs_f64()) * 1e6
    }

    pub fn added_p99_us(&self) -> f64 {
        (self.front.latency.p99().as_secs_f64() - self.direct.latency.p99().as_secs_f64()) * 1e6
    }
}

/// bazi_core in release, no watching: what `proxy` and `guard` measure.
pub fn plan(env: &Env) -> Plan {
    Plan {
        workspace: env.workspace.clone(),
        target_dir: env.target_dir.clone(),
        profile: "release",
        watch: "off",
        services: vec![BAZI_CORE],
        extra: Vec::new(),
    }
}

/// Front vs direct at each level, in alternating rounds.
pub async fn compare(
    running: &Running,
    levels: &[usize],
    rounds: usize,
    round: Duration,
) -> anyhow::Result<Vec<Level>> {
    let front_addr = running.address(BAZI_CORE.name)?;
    let (socket, service_pid) = running.child(BAZI_CORE.name)?;
    let me = std::process::id();
    let front = client::front_channel(front_addr).await?;
    let direct = client::unix_channel(socket).await?;
    let request = client::fixed_request();
    let warmup = Duration::from_millis(1000).min(round);
    let mut results = Vec::new();
    for &in_flight in levels {
        client::closed_loop(&front, in_flight, warmup, request.clone()).await;
        client::closed_loop(&direct, in_flight, warmup, request.clone()).await;
        let mut level = Level {
            in_flight,
            front: Run::default(),
            direct: Run::default(),
            front_cpu: Cpu::default(),
            direct_cpu: Cpu::default(),
        };
        for r in 0..rounds {
            // Alternate which path goes first, so neither always follows the other.
            let order = if r % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for through_front in order {
                let channel = if through_front { &front } else { &direct };
                let (bench0, service0) = (cpu_secs(me)?, cpu_secs(service_pid)?);
                let run = client::closed_loop(channel, in_flight, round, request.clone()).await;
                let (bench1, service1) = (cpu_secs(me)?, cpu_secs(service_pid)?);
                let (summary, cpu) = if through_front {
                    (&mut level.front, &mut level.front_cpu)
                } else {
                    (&mut level.direct, &mut level.direct_cpu)
                };
                summary.absorb(&run);
                cpu.bench += bench1 - bench0;
                cpu.service += service1 - service0;
            }
        }
        eprintln!(
            "  {in_flight:>3} in flight: front {:.0}/s, direct {:.0}/s",
            level.front.rate(),
            level.direct.rate()
        );
        results.push(level);
    }
    Ok(results)
}

pub async fn run(env: &Env, args: &ProxyArgs) -> anyhow::Result<()> {
    let running = Running::start(&plan(env)).await?;
    let outcome = measure_and_print(env, &running, args).await;
    running.shutdown().await;
    outcome
}

async fn measure_and_print(env: &Env, running: &Running, args: &ProxyArgs) -> anyhow::Result<()> {
    let quiet = quiet::wait_for_quiet("proxy", env.quiet_limit).await?;
    let round = Duration::from_secs_f64(args.round_secs);
    let levels = compare(running, &args.levels, args.rounds, round).await?;
    println!(
        "\n== proxy: CalculateBazi(1990-01-15 12:00 male), bazi_core release; {} rounds x {:.0} s per path and level, interleaved; {quiet}\n",
        args.rounds, args.round_secs
    );
    let mut table = Table::new(
        "Throughput and latency, same client, through the front port vs. directly on the version's Unix socket",
        &["in flight", "path", "calls", "errors", "req/s", "p50", "p99"],
    );
    for level in &levels {
        for (path, run) in [("front", &level.front), ("direct", &level.direct)] {
            table.row([
                level.in_flight.to_string(),
                path.to_owned(),
                fmt_count(run.calls as f64),
                run.errors.to_string(),
                fmt_count(run.rate()),
                fmt_duration(run.latency.p50()),
                fmt_duration(run.latency.p99()),
            ]);
        }
    }
    table.print();
    print_overhead(&levels);
    print_cpu(&levels);
    for level in &levels {
        for run in [&level.front, &level.direct] {
            if let Some(error) = &run.first_error {
                println!("first error at {} in flight: {error}", level.in_flight);
            }
        }
    }
    if !args.no_h2load {
        h2load(running).await?;
    }
    Ok(())
}

/// The overhead table: ratio, added p50/p99, and whether the targets hold.
pub fn print_overhead(levels: &[Level]) {
    let mut table = Table::new(
        &format!(
            "Proxy overhead (targets: ratio >= {MIN_RATIO} at 16 and 64 in flight, added p50 <= {MAX_ADDED_P50_US} µs)"
        ),
        &[
            "in flight",
            "front/direct req/s",
            "added p50",
            "added p99",
            "ratio target",
            "p50 target",
        ],
    );
    for level in levels {
        let ratio_target = if level.in_flight >= 16 {
            if level.ratio() >= MIN_RATIO {
                "met"
            } else {
                "MISSED"
            }
        } else {
            "-"
        };
        let p50_target = if level.added_p50_us() <= MAX_ADDED_P50_US {
            "met"
        } else {
            "MISSED"
        };
        table.row([
            level.in_flight.to_string(),
            format!("{:.3}", level.ratio()),
            format!("{:+.0} µs", level.added_p50_us()),
            format!("{:+.0} µs", level.added_p99_us()),
            ratio_target.to_owned(),
            p50_target.to_owned(),
        ]);
    }
    table.print();
}

/// CPU time per call on each path; the difference in this process's share
/// is what the proxy costs per call.
pub fn print_cpu(levels: &[Level]) {
    let mut table = Table::new(
        "CPU per call, µs (bench process = client, plus the supervisor's proxy on the front path)",
        &[
            "in flight",
            "front: bench",
            "front: service",
            "direct: bench",
            "direct: service",
            "proxy (front - direct)",
            "total front / direct",
        ],
    );
    let per_call = |secs: f64, run: &Run| secs * 1e6 / (run.calls.max(1) as f64);
    for level in levels {
        let fb = per_call(level.front_cpu.bench, &level.front);
        let fs = per_call(level.front_cpu.service, &level.front);
        let db = per_call(level.direct_cpu.bench, &level.direct);
        let ds = per_call(level.direct_cpu.service, &level.direct);
        table.row([
            level.in_flight.to_string(),
            format!("{fb:.1}"),
            format!("{fs:.1}"),
            format!("{db:.1}"),
            format!("{ds:.1}"),
            format!("{:.1}", fb + fs - db - ds),
            format!("{:.2}", (fb + fs) / (db + ds).max(1e-9)),
        ]);
    }
    table.print();
}

/// h2load through the front port, and against the same binary run by hand
/// (standalone, on TCP), if h2load is installed.
async fn h2load(running: &Running) -> anyhow::Result<()> {
    let installed = tokio::process::Command::new("h2load")
        .arg("--version")
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if !installed {
        println!(
            "h2load is not installed; skipped. Install it with `apt-get install nghttp2-client` to get an independent client's numbers."
        );
        return Ok(());
    }
    let body = grpc_frame(&client::fixed_request());
    let file = tempfile::NamedTempFile::new().context("cannot create the h2load body file")?;
    std::fs::write(file.path(), &body)?;
    let front = running.address(BAZI_CORE.name)?;
    let standalone = Standalone::start(running).await?;
    let mut table = Table::new(
        "h2load (1 connection, 3 s after 1 s warm-up): through the front port, and the same binary run by hand (standalone, TCP)",
        &["streams", "path", "req/s", "succeeded", "failed"],
    );
    for streams in [16usize, 64] {
        for (path, addr) in [("front", front), ("standalone", standalone.addr)] {
            let url = format!("http://{addr}/bazi.core.BaziCoreService/CalculateBazi");
            let (rate, succeeded, failed) = h2load_once(file.path(), &url, streams).await?;
            table.row([
                streams.to_string(),
                path.to_owned(),
                rate.map(fmt_count).unwrap_or_else(|| "?".into()),
                succeeded
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into()),
                failed.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
            ]);
        }
    }
    drop(standalone);
    table.print();
    println!(
        "command: h2load -c 1 -t 1 -m STREAMS -D 3 --warm-up-time=1 -d BODY -H 'content-type: application/grpc' -H 'te: trailers' http://ADDR/bazi.core.BaziCoreService/CalculateBazi\n(BODY: the request as one gRPC frame, {} bytes)",
        body.len()
    );
    Ok(())
}

/// One h2load run: `(req/s, succeeded, failed)`.
async fn h2load_once(
    body: &std::path::Path,
    url: &str,
    streams: usize,
) -> anyhow::Result<(Option<f64>, Option<u64>, Option<u64>)> {
    let output = tokio::process::Command::new("h2load")
        .args(["-c", "1", "-t", "1", "-m", &streams.to_string()])
        .args(["-D", "3", "--warm-up-time=1"])
        .arg("-d")
        .arg(body)
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .arg(url)
        .output()
        .await
        .context("cannot run h2load")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed = parse_h2load(&text);
    if parsed.0.is_none() {
        eprintln!(
            "h2load output:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(parsed)
}

/// The serving bazi_core's own executable, started by hand on a TCP port
/// (the SDK's standalone mode); killed when dropped.
struct Standalone {
    child: std::process::Child,
    addr: std::net::SocketAddr,
}

impl Standalone {
    async fn start(running: &Running) -> anyhow::Result<Standalone> {
        let (_, pid) = running.child(BAZI_CORE.name)?;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
            .context("cannot find the serving version's executable")?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], crate::setup::free_port()?));
        let child = std::process::Command::new(&exe)
            .env(hifate_sdk::ENV_ADDR, addr.to_string())
            .env_remove(hifate_sdk::ENV_SOCKET)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let standalone = Standalone { child, addr };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the standalone bazi_core did not listen on {addr} within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(standalone)
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One uncompressed gRPC message: flag byte, big-endian length, protobuf.
pub fn grpc_frame(message: &impl prost::Message) -> Vec<u8> {
    let payload = message.encode_to_vec();
    let mut frame = Vec::with_capacity(payload.len() + 5);
    frame.push(0);
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    frame
}

/// `(req/s, succeeded, failed)` from h2load's summary.
fn parse_h2load(text: &str) -> (Option<f64>, Option<u64>, Option<u64>) {
    let mut rate = None;
    let mut succeeded = None;
    let mut failed = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("finished in") {
            // "finished in 3.00s, 12345.67 req/s, 1.23MB/s"
            rate = rest
                .split(',')
                .find(|part| part.trim_end().ends_with("req/s"))
                .and_then(|part| part.trim().trim_end_matches("req/s").trim().parse().ok());
        }
        if let Some(rest) = line.strip_prefix("requests:") {
            // "requests: 100 total, 100 started, 100 done, 100 succeeded, 0 failed, ..."
            for part in rest.split(',') {
                let mut words = part.split_whitespace();
                if let (Some(n), Some(what)) = (words.next(), words.next()) {
                    match what {
                        "succeeded" => succeeded = n.parse().ok(),
                        "failed" => failed = n.parse().ok(),
                        _ => {}
                    }
                }
            }
        }
    }
    (rate, succeeded, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_h2load_summary() {
        let text = "finished in 3.00s, 12345.67 req/s, 1.23MB/s\nrequests: 37037 total, 37037 started, 37037 done, 37030 succeeded, 7 failed, 0 errored, 0 timeout\n";
        assert_eq!(parse_h2load(text), (Some(12345.67), Some(37030), Some(7)));
    }

    #[test]
    fn frames_a_grpc_message() {
        let frame = grpc_frame(&client::fixed_request());
        assert_eq!(frame[0], 0);
        let len = u32::from_be_bytes([frame[1], frame[2], frame[3], frame[4]]) as usize;
        assert_eq!(len, frame.len() - 5);
    }
}
