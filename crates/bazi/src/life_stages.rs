//! Twelve life stages (十二长生): the phase a stem is in on a given branch.
//!
//! Convention: **阳顺阴逆** with 火土同宫. Each stem is 长生 on a fixed branch
//! (甲亥, 乙午, 丙寅, 丁酉, 戊寅, 己酉, 庚巳, 辛子, 壬申, 癸卯); from there a yang
//! stem counts the stages forwards through the branches and a yin stem counts
//! them backwards. So 己 (yin, 长生 in 酉) is 帝旺 in 巳, and 庚 is 长生 in 巳.
//! This is the convention of 《渊海子平》 and of most charting software, and the
//! one `tyme4rs` implements (`HeavenStem::get_terrain`).

use crate::ganzhi::{serialize_as_str, Branch, Stem};

/// The twelve stages, in order from 长生 to 养.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LifeStage {
    /// 长生
    ChangSheng,
    /// 沐浴
    MuYu,
    /// 冠带
    GuanDai,
    /// 临官 (建禄)
    LinGuan,
    /// 帝旺
    DiWang,
    /// 衰
    Shuai,
    /// 病
    Bing,
    /// 死
    Si,
    /// 墓
    Mu,
    /// 绝
    Jue,
    /// 胎
    Tai,
    /// 养
    Yang,
}

const LIFE_STAGE_NAMES: [&str; 12] = [
    "长生", "沐浴", "冠带", "临官", "帝旺", "衰", "病", "死", "墓", "绝", "胎", "养",
];

/// Branch on which each stem is 长生 (甲亥 乙午 丙寅 丁酉 戊寅 己酉 庚巳 辛子 壬申 癸卯).
const CHANG_SHENG_BRANCH: [Branch; 10] = {
    use Branch::*;
    [Hai, Wu, Yin, You, Yin, You, Si, Zi, Shen, Mao]
};

impl LifeStage {
    /// All stages in order.
    pub const ALL: [LifeStage; 12] = [
        LifeStage::ChangSheng,
        LifeStage::MuYu,
        LifeStage::GuanDai,
        LifeStage::LinGuan,
        LifeStage::DiWang,
        LifeStage::Shuai,
        LifeStage::Bing,
        LifeStage::Si,
        LifeStage::Mu,
        LifeStage::Jue,
        LifeStage::Tai,
        LifeStage::Yang,
    ];

    /// Chinese name, e.g. `"帝旺"`.
    pub const fn as_str(self) -> &'static str {
        LIFE_STAGE_NAMES[self as usize]
    }

    /// Stage of `stem` on `branch` (阳顺阴逆).
    pub const fn of(stem: Stem, branch: Branch) -> LifeStage {
        let start = CHANG_SHENG_BRANCH[stem.index()].index();
        let b = branch.index();
        let steps = if stem.is_yang() {
            b + 12 - start
        } else {
            start + 12 - b
        };
        Self::ALL[steps % 12]
    }
}

serialize_as_str!(LifeStage);

#[cfg(test)]
mod tests {
    use super::*;
    use tyme4rs::tyme::sixtycycle::{EarthBranch, HeavenStem};
    use tyme4rs::tyme::Culture;

    #[test]
    fn matches_tyme4rs_for_all_pairs() {
        for s in Stem::ALL {
            for b in Branch::ALL {
                let expected = HeavenStem::from_index(s.index() as isize)
                    .get_terrain(EarthBranch::from_index(b.index() as isize))
                    .get_name();
                assert_eq!(LifeStage::of(s, b).as_str(), expected, "{s} on {b}");
            }
        }
    }

    #[test]
    fn examples() {
        assert_eq!(LifeStage::of(Stem::Ji, Branch::Si), LifeStage::DiWang);
        assert_eq!(LifeStage::of(Stem::Geng, Branch::Si), LifeStage::ChangSheng);
        assert_eq!(LifeStage::of(Stem::Jia, Branch::Yin), LifeStage::LinGuan);
        assert_eq!(LifeStage::of(Stem::Yi, Branch::Mao), LifeStage::LinGuan);
    }
}
