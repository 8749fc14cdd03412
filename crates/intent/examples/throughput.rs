//! Held-out quality and classifications per second of each signal
//! combination: lexicon only, lexicon + trained classifier, and with the
//! multilingual-e5-small embeddings when `HIFATE_E5_MODEL` names the model
//! (`crates/e5/fetch-model.sh DIR`).
//!
//! `HIFATE_E5_MODEL=… cargo run --release -p intent --features e5 --example throughput`

use std::sync::Arc;
use std::time::{Duration, Instant};

use intent::time::Date;
use intent::{dataset, evaluate, Classifier, Embedder, ModelVersion};

/// Classifies the held-out questions for at least `budget`; classifications
/// per second on this thread.
fn rate(classifier: &Classifier, questions: &[String], today: Date, budget: Duration) -> f64 {
    let started = Instant::now();
    let mut n = 0usize;
    while started.elapsed() < budget {
        for q in questions {
            std::hint::black_box(classifier.classify(q, today));
            n += 1;
        }
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let baseline = ModelVersion::baseline();
    println!(
        "baseline trained in {:.0} ms; as JSON {} KiB",
        started.elapsed().as_secs_f64() * 1e3,
        serde_json::to_string(&baseline)?.len() / 1024
    );
    let today = Date::from_calendar_date(2026, time::Month::November, 25)?;
    let held_out = dataset::held_out();
    let questions: Vec<String> = held_out.iter().map(|e| e.question.clone()).collect();

    let mut configurations: Vec<(&str, Classifier)> = vec![
        (
            "lexicon only",
            Classifier::new(ModelVersion::lexicon_only(), None)?,
        ),
        (
            "lexicon + classifier",
            Classifier::new(baseline.clone(), None)?,
        ),
    ];
    match std::env::var_os(intent::e5::MODEL_VAR) {
        Some(path) => {
            let loading = Instant::now();
            let e5: Arc<dyn Embedder> = Arc::new(intent::e5::E5Embedder::load(path.as_ref())?);
            let classifier = Classifier::new(baseline, Some(e5))?;
            println!(
                "e5 loaded and prototypes embedded in {:.0} ms",
                loading.elapsed().as_secs_f64() * 1e3
            );
            configurations.push(("lexicon + classifier + e5 embeddings", classifier));
        }
        None => println!("embeddings: set HIFATE_E5_MODEL to measure them"),
    }

    println!(
        "held-out: {} questions (of {})",
        held_out.len(),
        dataset::labeled().len()
    );
    for (name, classifier) in &configurations {
        let eval = evaluate(classifier, &held_out, today);
        let per_second = rate(classifier, &questions, today, Duration::from_secs(2));
        println!(
            "{name:<38} accuracy {:.3}  macro-F1 {:.3}  {per_second:>8.0} classifications/s (one thread)",
            eval.accuracy, eval.macro_f1
        );
    }
    Ok(())
}
