//! Ten gods (十神): how any stem relates to the day stem (日主).
//!
//! 生我者为印, 我生者为食伤, 克我者为官杀, 我克者为财, 同我者为比劫; a stem of the
//! same polarity as the day stem takes the first name of each pair (偏印, 食神,
//! 七杀, 偏财, 比肩), one of opposite polarity the second (正印, 伤官, 正官, 正财, 劫财).

use crate::ganzhi::{serialize_as_str, ElementRelation, Stem};
use crate::input::Gender;

/// The ten gods, in the conventional order 比肩 … 正印.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TenGod {
    /// 比肩: same element, same polarity.
    BiJian,
    /// 劫财: same element, opposite polarity.
    JieCai,
    /// 食神: produced by the day stem, same polarity.
    ShiShen,
    /// 伤官: produced by the day stem, opposite polarity.
    ShangGuan,
    /// 偏财: controlled by the day stem, same polarity.
    PianCai,
    /// 正财: controlled by the day stem, opposite polarity.
    ZhengCai,
    /// 七杀: controls the day stem, same polarity.
    QiSha,
    /// 正官: controls the day stem, opposite polarity.
    ZhengGuan,
    /// 偏印: produces the day stem, same polarity.
    PianYin,
    /// 正印: produces the day stem, opposite polarity.
    ZhengYin,
}

const TEN_GOD_NAMES: [&str; 10] = [
    "比肩", "劫财", "食神", "伤官", "偏财", "正财", "七杀", "正官", "偏印", "正印",
];

impl TenGod {
    /// All ten gods in conventional order.
    pub const ALL: [TenGod; 10] = [
        TenGod::BiJian,
        TenGod::JieCai,
        TenGod::ShiShen,
        TenGod::ShangGuan,
        TenGod::PianCai,
        TenGod::ZhengCai,
        TenGod::QiSha,
        TenGod::ZhengGuan,
        TenGod::PianYin,
        TenGod::ZhengYin,
    ];

    /// Chinese name, e.g. `"正印"`.
    pub const fn as_str(self) -> &'static str {
        TEN_GOD_NAMES[self as usize]
    }

    /// Position in [`TenGod::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The ten god that `other` is for a chart whose day stem is `day_stem`.
    pub const fn of(day_stem: Stem, other: Stem) -> TenGod {
        let pair = match day_stem.element().relation_to(other.element()) {
            ElementRelation::Same => 0,
            ElementRelation::Generate => 1,
            ElementRelation::Control => 2,
            ElementRelation::ControlledBy => 3,
            ElementRelation::GeneratedBy => 4,
        };
        let opposite = day_stem.is_yang() != other.is_yang();
        Self::ALL[pair * 2 + opposite as usize]
    }
}

/// The `main_star` of a pillar: the ten god of its stem, or — for the day
/// pillar, whose stem is the day master itself — 元男 / 元女 by gender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MainStar {
    /// Ten god of a year, month or hour stem.
    TenGod(TenGod),
    /// The day master (日元): "元男" for male, "元女" for female.
    DayMaster(Gender),
}

impl MainStar {
    /// Chinese name, e.g. `"正印"` or `"元男"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MainStar::TenGod(g) => g.as_str(),
            MainStar::DayMaster(Gender::Male) => "元男",
            MainStar::DayMaster(Gender::Female) => "元女",
        }
    }

    /// The ten god, unless this is the day master.
    pub const fn ten_god(self) -> Option<TenGod> {
        match self {
            MainStar::TenGod(g) => Some(g),
            MainStar::DayMaster(_) => None,
        }
    }
}

serialize_as_str!(TenGod, MainStar);

#[cfg(test)]
mod tests {
    use super::*;
    use tyme4rs::tyme::sixtycycle::HeavenStem;
    use tyme4rs::tyme::Culture;

    #[test]
    fn matches_tyme4rs_for_all_pairs() {
        for d in Stem::ALL {
            for o in Stem::ALL {
                let expected = HeavenStem::from_index(d.index() as isize)
                    .get_ten_star(HeavenStem::from_index(o.index() as isize))
                    .get_name();
                assert_eq!(TenGod::of(d, o).as_str(), expected, "{d} → {o}");
            }
        }
    }

    #[test]
    fn examples() {
        assert_eq!(TenGod::of(Stem::Geng, Stem::Ji), TenGod::ZhengYin);
        assert_eq!(TenGod::of(Stem::Geng, Stem::Ren), TenGod::ShiShen);
        assert_eq!(TenGod::of(Stem::Geng, Stem::Bing), TenGod::QiSha);
        assert_eq!(TenGod::of(Stem::Geng, Stem::Wu), TenGod::PianYin);
        assert_eq!(MainStar::DayMaster(Gender::Female).as_str(), "元女");
    }
}
