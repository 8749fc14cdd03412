//! The four pillar positions and a small container holding one value per pillar.

use serde::Serialize;

/// Which pillar of the chart: year, month, day or hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PillarPosition {
    /// 年柱
    Year,
    /// 月柱
    Month,
    /// 日柱
    Day,
    /// 时柱
    Hour,
}

impl PillarPosition {
    /// All positions in chart order.
    pub const ALL: [PillarPosition; 4] = [
        PillarPosition::Year,
        PillarPosition::Month,
        PillarPosition::Day,
        PillarPosition::Hour,
    ];

    /// JSON key / machine name: `year`, `month`, `day`, `hour`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PillarPosition::Year => "year",
            PillarPosition::Month => "month",
            PillarPosition::Day => "day",
            PillarPosition::Hour => "hour",
        }
    }

    /// Chinese name: 年柱, 月柱, 日柱, 时柱.
    pub const fn chinese_name(self) -> &'static str {
        match self {
            PillarPosition::Year => "年柱",
            PillarPosition::Month => "月柱",
            PillarPosition::Day => "日柱",
            PillarPosition::Hour => "时柱",
        }
    }

    /// 0 for year … 3 for hour.
    pub const fn index(self) -> usize {
        self as usize
    }
}

crate::ganzhi::serialize_as_str!(PillarPosition);

/// One value per pillar; serialises as `{"year":…,"month":…,"day":…,"hour":…}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
pub struct FourPillars<T> {
    /// Value for the year pillar.
    pub year: T,
    /// Value for the month pillar.
    pub month: T,
    /// Value for the day pillar.
    pub day: T,
    /// Value for the hour pillar.
    pub hour: T,
}

impl<T> FourPillars<T> {
    /// Builds the four values by calling `f` for each position in chart order.
    pub fn from_fn(mut f: impl FnMut(PillarPosition) -> T) -> Self {
        FourPillars {
            year: f(PillarPosition::Year),
            month: f(PillarPosition::Month),
            day: f(PillarPosition::Day),
            hour: f(PillarPosition::Hour),
        }
    }

    /// The value at `position`.
    pub const fn get(&self, position: PillarPosition) -> &T {
        match position {
            PillarPosition::Year => &self.year,
            PillarPosition::Month => &self.month,
            PillarPosition::Day => &self.day,
            PillarPosition::Hour => &self.hour,
        }
    }

    /// `(position, value)` pairs in chart order.
    pub fn iter(&self) -> impl Iterator<Item = (PillarPosition, &T)> {
        PillarPosition::ALL
            .into_iter()
            .map(move |p| (p, self.get(p)))
    }

    /// Applies `f` to each value.
    pub fn map<U>(&self, mut f: impl FnMut(PillarPosition, &T) -> U) -> FourPillars<U> {
        FourPillars::from_fn(|p| f(p, self.get(p)))
    }
}

impl<T: Copy> FourPillars<T> {
    /// The four values as an array in chart order.
    pub const fn to_array(&self) -> [T; 4] {
        [self.year, self.month, self.day, self.hour]
    }
}
