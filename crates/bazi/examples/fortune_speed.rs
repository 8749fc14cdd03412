//! Prints how many full fortunes per second one thread computes with a warm
//! calendar cache: for each birth the chart, the fortune (direction, start of
//! luck, 11 luck-pillar entries, ~100 years) and the 12 months of one year.
//!
//! ```text
//! cargo run --release -p bazi --example fortune_speed
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use bazi::calendar::{date_of_day_number, day_number, preload};
use bazi::fortune::months_of;
use bazi::{chart, fortune, BirthInput, Gender};

/// Deterministic births spread over 1900–2100 (a small LCG).
fn births(n: usize) -> Vec<BirthInput> {
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
            BirthInput::new(y, m, d, (next() % 24) as u32, (next() % 60) as u32, gender).ok()
        })
        .collect()
}

/// Runs `f` over `inputs` repeatedly for at least `min`; returns calls per second.
fn rate(inputs: &[BirthInput], min: Duration, mut f: impl FnMut(&BirthInput)) -> f64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < min {
        for input in inputs {
            f(input);
        }
        calls += inputs.len() as u64;
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let t = Instant::now();
    preload();
    println!("calendar cache built in {:.1?}", t.elapsed());
    let inputs = births(10_000);
    let min = Duration::from_secs(2);

    let full = rate(&inputs, min, |input| {
        let c = chart(input);
        let f = fortune(input);
        let m = months_of(input.year + 30);
        let _ = black_box((c, f, m));
    });
    let fortune_only = rate(&inputs, min, |input| {
        let _ = black_box(fortune(input));
    });
    let json = rate(&inputs[..1000], min, |input| {
        if let Ok(f) = fortune(input) {
            black_box(serde_json::to_string(&f).ok());
        }
    });
    println!(
        "chart + fortune + 12 months: {full:>10.0} per second ({:.2} µs each)",
        1e6 / full
    );
    println!(
        "fortune alone:               {fortune_only:>10.0} per second ({:.2} µs each)",
        1e6 / fortune_only
    );
    println!(
        "fortune + JSON encoding:     {json:>10.0} per second ({:.2} µs each)",
        1e6 / json
    );
}
