//! Matches the whole corpus against many charts and prints the rate.
//!
//! `cargo run --release -p bazi-rules --example match_speed`
//!
//! The rule set is loaded from a fresh store file (seeded with the corpus);
//! the charts are built beforehand. Timed: building [`Facts`] for a chart and
//! evaluating every rule of every type against it.

use std::hint::black_box;
use std::time::Instant;

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::Element;
use bazi_rules::{Facts, RuleStore};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("bazi-rules-speed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = RuleStore::open(dir.join("rules.db"))?;
    let set = store.load_rule_set()?;
    let n = 10_000;
    let start = Instant::now();
    for _ in 0..n {
        black_box(store.version()?);
    }
    let version_read = start.elapsed().as_secs_f64() / f64::from(n);
    let start = Instant::now();
    let reloaded = store.load_rule_set()?;
    let reload = start.elapsed().as_secs_f64();
    black_box(reloaded);
    drop(store);
    std::fs::remove_dir_all(&dir)?;

    let mut charts = Vec::new();
    for y in 1950..2050 {
        for (m, d, h) in [(1, 9, 3), (4, 18, 11), (7, 27, 17), (11, 5, 22)] {
            let gender = if (y + m) % 2 == 0 { "male" } else { "female" };
            let input = bazi::BirthInput::parse(
                &format!("{y}-{m:02}-{d:02}"),
                &format!("{h:02}:15"),
                gender,
            )?;
            charts.push(bazi::chart(&input)?);
        }
    }

    let run = |rounds: usize| {
        let mut matched = 0usize;
        for _ in 0..rounds {
            for (i, chart) in charts.iter().enumerate() {
                let facts = Facts::with_analysis(
                    chart,
                    Some(StrengthLevel::ALL[i % 5]),
                    &[Element::ALL[i % 5], Element::ALL[(i + 1) % 5]],
                    &[Element::ALL[(i + 3) % 5]],
                );
                let (m, _) = set.matches(black_box(&facts), &[]);
                matched += m.len();
            }
        }
        black_box(matched)
    };
    run(5); // warm up
    let rounds = 50;
    let start = Instant::now();
    let matched = run(rounds);
    let elapsed = start.elapsed();

    let matches = (rounds * charts.len()) as f64;
    let per_chart = elapsed.as_secs_f64() / matches;
    println!(
        "{} rules (version {}), {} charts × {rounds} rounds in {:.3} s",
        set.len(),
        set.version(),
        charts.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "{:.1} µs per chart (facts + all rules), {:.0} chart matches/s, {:.0} rule evaluations/s, {:.1} rules matched per chart",
        per_chart * 1e6,
        1.0 / per_chart,
        set.len() as f64 / per_chart,
        matched as f64 / matches,
    );
    println!(
        "store.version(): {:.2} µs per read; load_rule_set(): {:.2} ms",
        version_read * 1e6,
        reload * 1e3
    );
    Ok(())
}
