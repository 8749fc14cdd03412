//! Prints how many times per second one thread runs all five analyses
//! (`analysis::run_all`: 旺衰, 喜忌, 五行, 十神, 日柱) on a ready chart, with a
//! warm calendar cache: on one chart (1990-01-15 12:00 male), over 10,000
//! charts spread across 1900–2100, and with the JSON encoding.
//!
//! ```text
//! cargo run --release -p bazi --example analysis_speed
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use bazi::analysis::run_all;
use bazi::calendar::{date_of_day_number, day_number, preload};
use bazi::{chart, BirthInput, Chart, Gender};

/// Deterministic charts spread over 1900–2100 (a small LCG).
fn charts(n: usize) -> Vec<Chart> {
    let first = day_number(1900, 1, 1);
    let span = (day_number(2100, 12, 31) - first + 1) as u64;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    (0..n)
        .filter_map(|_| {
            let (y, m, d) = date_of_day_number(first + (next() % span) as i64);
            let gender = if next() % 2 == 0 {
                Gender::Male
            } else {
                Gender::Female
            };
            let input =
                BirthInput::new(y, m, d, (next() % 24) as u32, (next() % 60) as u32, gender)
                    .ok()?;
            chart(&input).ok()
        })
        .collect()
}

/// Runs `f` over `charts` repeatedly for at least `min`; returns calls per second.
fn rate(charts: &[Chart], min: Duration, mut f: impl FnMut(&Chart)) -> f64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < min {
        for c in charts {
            f(c);
        }
        calls += charts.len() as u64;
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    preload();
    let input = BirthInput::parse("1990-01-15", "12:00", "male").expect("valid input");
    let one = [chart(&input).expect("chart")];
    let many = charts(10_000);
    let min = Duration::from_secs(2);

    let single = rate(&one, min, |c| {
        black_box(run_all(black_box(c)));
    });
    let spread = rate(&many, min, |c| {
        black_box(run_all(c));
    });
    let json = rate(&many[..1000], min, |c| {
        black_box(serde_json::to_string(&run_all(c)).ok());
    });
    println!(
        "all five analyses, one chart:      {single:>10.0} per second ({:.2} µs each)",
        1e6 / single
    );
    println!(
        "all five analyses, 10,000 charts:  {spread:>10.0} per second ({:.2} µs each)",
        1e6 / spread
    );
    println!(
        "all five + JSON encoding:          {json:>10.0} per second ({:.2} µs each)",
        1e6 / json
    );
}
