//! Helpers shared by the integration tests.
#![allow(dead_code)]

use tyme4rs::tyme::solar::SolarTime;
use tyme4rs::tyme::Culture;

/// Small deterministic generator (SplitMix64), so test runs are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
}

/// The four pillars `tyme4rs` computes for a moment, as `["己巳","丁丑","庚辰","壬午"]`.
pub fn tyme_pillars(y: i32, m: u32, d: u32, h: u32, mi: u32) -> [String; 4] {
    let ec = SolarTime::from_ymd_hms(
        y as isize,
        m as usize,
        d as usize,
        h as usize,
        mi as usize,
        0,
    )
    .get_lunar_hour()
    .get_eight_char();
    [
        ec.get_year().get_name(),
        ec.get_month().get_name(),
        ec.get_day().get_name(),
        ec.get_hour().get_name(),
    ]
}

/// Our four pillars for a moment.
pub fn our_pillars(y: i32, m: u32, d: u32, h: u32, mi: u32) -> [String; 4] {
    let input = bazi::BirthInput::new(y, m, d, h, mi, bazi::Gender::Male).expect("valid input");
    let c = bazi::chart(&input).expect("chart");
    c.bazi_pillars.to_array().map(|p| p.name())
}
