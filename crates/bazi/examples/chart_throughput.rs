//! Prints how many full charts per second this machine computes.
//!
//! Run with `cargo run --release -p bazi --example chart_throughput [COUNT]`
//! (default 300000 random birth moments, 1900–2100).

use std::hint::black_box;
use std::time::Instant;

use bazi::calendar::{date_of_day_number, day_number, preload};
use bazi::{chart, BirthInput, Gender};

/// SplitMix64, so runs are reproducible without extra dependencies.
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 300_000,
    };

    let mut rng = Rng(42);
    let first = day_number(1900, 1, 1);
    let days = (day_number(2100, 12, 31) - first + 1) as u64;
    let inputs = (0..count)
        .map(|i| {
            let (y, m, d) = date_of_day_number(first + rng.below(days) as i64);
            let gender = if i % 2 == 0 {
                Gender::Male
            } else {
                Gender::Female
            };
            BirthInput::new(y, m, d, rng.below(24) as u32, rng.below(60) as u32, gender)
        })
        .collect::<Result<Vec<_>, _>>()?;

    let start = Instant::now();
    preload();
    println!(
        "calendar tables for 1899–2101 built in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );

    let start = Instant::now();
    let mut checksum = 0usize;
    for input in &inputs {
        let c = chart(black_box(input))?;
        checksum =
            checksum.wrapping_add(c.bazi_pillars.hour.cycle_index() + c.details.year.deities.len());
        black_box(&c);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "chart():             {count} charts in {:.3} s = {:.0} charts/s ({:.2} µs/chart) [checksum {checksum}]",
        secs,
        count as f64 / secs,
        secs * 1e6 / count as f64
    );

    let start = Instant::now();
    let mut bytes = 0usize;
    let mut buf = Vec::with_capacity(4096);
    for input in &inputs {
        let c = chart(black_box(input))?;
        buf.clear();
        serde_json::to_writer(&mut buf, &c)?;
        bytes += buf.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "chart() + JSON:      {count} charts in {:.3} s = {:.0} charts/s ({:.2} µs/chart, {} bytes avg)",
        secs,
        count as f64 / secs,
        secs * 1e6 / count as f64,
        bytes / count.max(1)
    );

    // For comparison: tyme4rs's own eight-char computation (pillars only).
    let sample = count.min(5_000);
    let start = Instant::now();
    for input in &inputs[..sample] {
        let ec = tyme4rs::tyme::solar::SolarTime::from_ymd_hms(
            input.year as isize,
            input.month as usize,
            input.day as usize,
            input.hour as usize,
            input.minute as usize,
            0,
        )
        .get_lunar_hour()
        .get_eight_char();
        black_box(ec);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "tyme4rs eight-char:  {sample} in {:.3} s = {:.0} /s (pillars only, for comparison)",
        secs,
        sample as f64 / secs
    );
    Ok(())
}
