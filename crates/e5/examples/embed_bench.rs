//! Load time, embedding throughput and memory of the e5 model on short
//! Chinese questions.
//!
//! cargo run --release -p e5 --example embed_bench -- [MODEL_FILE]
//! (default: $HIFATE_E5_MODEL, else .hifate/data/intent/models/e5-small-q4.bin)

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use e5::{DEFAULT_MODEL_DIR, E5, E5_MODEL_FILE};

const QUESTIONS: [&str; 10] = [
    "我今年的事业运怎么样",
    "今年工作上会顺利吗",
    "我什么时候能遇到正缘",
    "我最近财运好不好",
    "我和他合不合适",
    "下个月适合搬家吗",
    "我的八字五行缺什么",
    "明年适合换工作吗",
    "孩子的学业运势如何",
    "最近身体健康要注意什么",
];
const ROUNDS: usize = 20;

fn main() -> ExitCode {
    let path = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("HIFATE_E5_MODEL"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_MODEL_DIR).join(E5_MODEL_FILE));

    println!("model:   {}", path.display());
    println!("rss before load: {}", rss());
    let start = Instant::now();
    let model = match E5::load(&path) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("load:    {:.1} ms", ms(start.elapsed()));
    println!("kernel:  {}   dim: {}", model.kernel(), model.dim());

    let texts: Vec<&str> = (0..ROUNDS).flat_map(|_| QUESTIONS).collect();
    let n = texts.len();

    // Warm the page cache and the allocator once.
    if let Err(e) = model.embed(QUESTIONS[0]) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }

    let start = Instant::now();
    for text in &texts {
        if let Err(e) = model.embed(text) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let elapsed = start.elapsed();
    println!(
        "single:  {:.0} embeddings/s ({:.2} ms each, one thread)",
        n as f64 / elapsed.as_secs_f64(),
        ms(elapsed) / n as f64
    );

    let start = Instant::now();
    if let Err(e) = model.embed_batch(&texts) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let elapsed = start.elapsed();
    println!(
        "batch:   {:.0} embeddings/s (one call of {n})",
        n as f64 / elapsed.as_secs_f64()
    );

    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let start = Instant::now();
    let failures: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let model = &model;
                let texts = &texts;
                scope.spawn(move || {
                    texts
                        .iter()
                        .skip(t)
                        .step_by(threads)
                        .filter(|text| model.embed(text).is_err())
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(1)).sum()
    });
    let elapsed = start.elapsed();
    if failures > 0 {
        eprintln!("error: {failures} embeddings failed");
        return ExitCode::FAILURE;
    }
    println!(
        "shared:  {:.0} embeddings/s ({threads} threads on one instance)",
        n as f64 / elapsed.as_secs_f64()
    );
    println!("rss after:  {}", rss());
    ExitCode::SUCCESS
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Current and peak resident set size, from /proc (Linux).
fn rss() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return "unknown (no /proc)".into();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or("?".to_string(), |v| v.trim().to_string())
    };
    format!("{} (peak {})", field("VmRSS:"), field("VmHWM:"))
}
