//! Load time, per-image latency and memory of the NanoDet detector.
//!
//!     cargo run --release -p vision --example bench [-- ROUNDS]
//!
//! Prints the model load time, then for the 600×400 coffee photo and a
//! 4000×3000 phone-sized photo: images per second and p50/p99 latency of
//! `detect` (resize to 416×416, normalise, network, decoding, NMS), and
//! the network alone. Ends with the process's resident memory (VmRSS) and
//! its peak (VmHWM) from /proc/self/status.

use std::path::Path;
use std::time::{Duration, Instant};

use vision::nanodet::{default_model_path, Detector, INPUT_SIZE, NORMALISATION};
use vision::preprocess::{fit, to_tensor, Layout, ResizeMode};
use vision::RgbImage;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    println!(
        "{label:<34} {:>7.1} images/s   p50 {:>6.1} ms   p99 {:>6.1} ms",
        samples.len() as f64 / total.as_secs_f64(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
    );
}

fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> Vec<Duration> {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect()
}

fn memory_line(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).map(str::to_owned))
        .unwrap_or_else(|| format!("{key} unavailable"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(50), |a| a.parse())?;
    println!("{}   (before loading)", memory_line("VmRSS"));

    let start = Instant::now();
    let detector = Detector::load(default_model_path())?;
    println!(
        "model load (parse, optimise, check run): {:.0} ms",
        start.elapsed().as_secs_f64() * 1e3
    );

    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/coffee.jpg");
    let coffee = vision::decode(&std::fs::read(data)?)?;
    let phone = image::imageops::resize(&coffee, 4000, 3000, image::imageops::FilterType::Nearest);
    detector.detect(&coffee)?; // warm caches

    for (label, image) in [("coffee 600×400", &coffee), ("photo 4000×3000", &phone)] {
        report(
            &format!("detect, {label}"),
            time(rounds, || detector.detect(image)),
        );
    }
    let input: RgbImage = fit(&coffee, INPUT_SIZE, INPUT_SIZE, ResizeMode::Stretch).image;
    report(
        "network only, 416×416",
        time(rounds, || {
            detector.infer(to_tensor(&input, &NORMALISATION, Layout::Nchw))
        }),
    );
    report(
        "resize only, 4000×3000 → 416×416",
        time(rounds, || {
            fit(&phone, INPUT_SIZE, INPUT_SIZE, ResizeMode::Stretch)
        }),
    );

    println!("{}", memory_line("VmRSS"));
    println!("{}", memory_line("VmHWM"));
    Ok(())
}
