//! Classifications per second on the held-out questions, without embeddings.
//!
//! `cargo run --release -p intent --example throughput`

use std::time::Instant;

use intent::time::Date;
use intent::{dataset, evaluate, Classifier, ModelVersion};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let version = ModelVersion::baseline();
    println!(
        "baseline trained in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let json = serde_json::to_string(&version)?;
    println!("model version as JSON: {} KiB", json.len() / 1024);
    let classifier = Classifier::new(version, None)?;
    let today = Date::from_calendar_date(2026, time::Month::November, 25)?;
    let questions: Vec<String> = dataset::held_out()
        .into_iter()
        .map(|e| e.question)
        .collect();

    let eval = evaluate(&classifier, &dataset::held_out(), today);
    println!(
        "held-out: {} questions, accuracy {:.3}, macro-F1 {:.3}",
        questions.len(),
        eval.accuracy,
        eval.macro_f1
    );

    let rounds = 50;
    let started = Instant::now();
    let mut selected = 0usize;
    for _ in 0..rounds {
        for q in &questions {
            selected += classifier.classify(q, today).intents.len();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let n = rounds * questions.len();
    println!(
        "{n} classifications in {secs:.3} s: {:.0} classifications/s on one thread ({selected} intents selected)",
        n as f64 / secs
    );
    Ok(())
}
