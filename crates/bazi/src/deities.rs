//! Auspicious and inauspicious stars (神煞) found on each pillar.
//!
//! Every rule is a lookup: from a *base* (the day stem, the year branch, the
//! month branch, …) a table gives *target* branches or stems, and each of the
//! four pillars whose branch (or stem) is a target carries the star. All four
//! pillars are checked, including the base pillar itself (so a 子 year with a
//! 申子辰 base shows 将星 on the year pillar). A star found through several
//! bases is listed once. Per pillar, stars are listed in [`Deity::ALL`] order.
//!
//! | star | looked up from | table |
//! |------|----------------|-------|
//! | 天乙贵人 | day stem and year stem | [`TIAN_YI`] |
//! | 太极贵人 | day stem and year stem | [`TAI_JI`] |
//! | 文昌贵人 | day stem and year stem | [`WEN_CHANG`] |
//! | 驿马 | year branch and day branch (三合 group) | [`YI_MA`] |
//! | 桃花 (咸池) | year branch and day branch (三合 group) | [`TAO_HUA`] |
//! | 华盖 | year branch and day branch (三合 group) | [`HUA_GAI`] |
//! | 将星 | year branch and day branch (三合 group) | [`JIANG_XING`] |
//! | 禄神 | day stem | [`LU_SHEN`] |
//! | 羊刃 | day stem | [`YANG_REN`] |
//! | 红鸾 | year branch | [`HONG_LUAN`] |
//! | 天喜 | year branch | [`TIAN_XI`] |
//! | 孤辰 | year branch (seasonal group) | [`GU_CHEN`] |
//! | 寡宿 | year branch (seasonal group) | [`GUA_SU`] |
//! | 劫煞 | year branch and day branch (三合 group) | [`JIE_SHA`] |
//! | 亡神 | year branch and day branch (三合 group) | [`WANG_SHEN`] |
//! | 天德贵人 | month branch (target is a stem or a branch) | [`TIAN_DE`] |
//! | 月德贵人 | month branch (三合 group; target is a stem) | [`YUE_DE`] |

use crate::ganzhi::{serialize_as_str, Branch, Pillar, Stem};
use crate::pillars::{FourPillars, PillarPosition};

use Branch::{Chen, Chou, Hai, Mao, Shen, Si, Wei, Wu as WuB, Xu, Yin as YinB, You, Zi};
use Stem::{Bing, Ding, Geng, Gui, Jia, Ren, Xin, Yi};

/// The stars this crate looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Deity {
    /// 天乙贵人
    TianYi,
    /// 太极贵人
    TaiJi,
    /// 文昌贵人
    WenChang,
    /// 驿马
    YiMa,
    /// 桃花 (咸池)
    TaoHua,
    /// 华盖
    HuaGai,
    /// 将星
    JiangXing,
    /// 禄神
    LuShen,
    /// 羊刃
    YangRen,
    /// 红鸾
    HongLuan,
    /// 天喜
    TianXi,
    /// 孤辰
    GuChen,
    /// 寡宿
    GuaSu,
    /// 劫煞
    JieSha,
    /// 亡神
    WangShen,
    /// 天德贵人
    TianDe,
    /// 月德贵人
    YueDe,
}

const DEITY_NAMES: [&str; 17] = [
    "天乙贵人",
    "太极贵人",
    "文昌贵人",
    "驿马",
    "桃花",
    "华盖",
    "将星",
    "禄神",
    "羊刃",
    "红鸾",
    "天喜",
    "孤辰",
    "寡宿",
    "劫煞",
    "亡神",
    "天德贵人",
    "月德贵人",
];

impl Deity {
    /// All stars, in the order they are listed on a pillar.
    pub const ALL: [Deity; 17] = [
        Deity::TianYi,
        Deity::TaiJi,
        Deity::WenChang,
        Deity::YiMa,
        Deity::TaoHua,
        Deity::HuaGai,
        Deity::JiangXing,
        Deity::LuShen,
        Deity::YangRen,
        Deity::HongLuan,
        Deity::TianXi,
        Deity::GuChen,
        Deity::GuaSu,
        Deity::JieSha,
        Deity::WangShen,
        Deity::TianDe,
        Deity::YueDe,
    ];

    /// Chinese name, e.g. `"天乙贵人"`.
    pub const fn as_str(self) -> &'static str {
        DEITY_NAMES[self as usize]
    }

    /// Which part of the chart the rule is looked up from, in words.
    pub const fn looked_up_from(self) -> &'static str {
        match self {
            Deity::TianYi | Deity::TaiJi | Deity::WenChang => "day stem, year stem",
            Deity::YiMa
            | Deity::TaoHua
            | Deity::HuaGai
            | Deity::JiangXing
            | Deity::JieSha
            | Deity::WangShen => "year branch, day branch",
            Deity::LuShen | Deity::YangRen => "day stem",
            Deity::HongLuan | Deity::TianXi | Deity::GuChen | Deity::GuaSu => "year branch",
            Deity::TianDe | Deity::YueDe => "month branch",
        }
    }
}

serialize_as_str!(Deity);

// ---------------------------------------------------------------------------
// Stem-based tables (indexed by stem: 甲 乙 丙 丁 戊 己 庚 辛 壬 癸).
// ---------------------------------------------------------------------------

/// 天乙贵人, 《三命通会》: 甲戊庚牛羊, 乙己鼠猴乡, 丙丁猪鸡位,
/// 壬癸兔蛇藏, 六辛逢马虎, 此是贵人方.
pub const TIAN_YI: [[Branch; 2]; 10] = [
    [Chou, Wei], // 甲
    [Zi, Shen],  // 乙
    [Hai, You],  // 丙
    [Hai, You],  // 丁
    [Chou, Wei], // 戊
    [Zi, Shen],  // 己
    [Chou, Wei], // 庚
    [WuB, YinB], // 辛
    [Mao, Si],   // 壬
    [Mao, Si],   // 癸
];

/// 太极贵人, 《三命通会》: 甲乙生人子午中, 丙丁鸡兔定亨通,
/// 戊己两干临四季, 庚辛寅亥禄丰隆, 壬癸巳申偏喜美.
pub const TAI_JI: [&[Branch]; 10] = [
    &[Zi, WuB],             // 甲
    &[Zi, WuB],             // 乙
    &[Mao, You],            // 丙
    &[Mao, You],            // 丁
    &[Chen, Xu, Chou, Wei], // 戊
    &[Chen, Xu, Chou, Wei], // 己
    &[YinB, Hai],           // 庚
    &[YinB, Hai],           // 辛
    &[Si, Shen],            // 壬
    &[Si, Shen],            // 癸
];

/// 文昌贵人, the traditional verse (quoted in 《三命通会》): 甲乙巳午报君知, 丙戊申宫丁己鸡,
/// 庚猪辛鼠壬逢虎, 癸人见卯入云梯.
pub const WEN_CHANG: [Branch; 10] = [Si, WuB, Shen, You, Shen, You, Hai, Zi, YinB, Mao];

/// 禄神 (临官 of the day stem), 《渊海子平》 / 《三命通会》: 甲禄在寅, 乙禄在卯, 丙戊禄在巳,
/// 丁己禄在午, 庚禄在申, 辛禄在酉, 壬禄在亥, 癸禄在子.
pub const LU_SHEN: [Branch; 10] = [YinB, Mao, Si, WuB, Si, WuB, Shen, You, Hai, Zi];

/// 羊刃 of the day stem. Yang stems take the branch after their 禄 (甲刃在卯,
/// 丙戊刃在午, 庚刃在酉, 壬刃在子); yin stems take the branch before their 禄
/// (乙刃在寅, 丁己刃在巳, 辛刃在申, 癸刃在亥) — the 阳刃/阴刃 table most
/// charting software uses. (The variant that puts every 刃 one step after 禄,
/// e.g. 乙刃在辰, is not used.)
pub const YANG_REN: [Branch; 10] = [Mao, YinB, WuB, Si, WuB, Si, You, Shen, Zi, Hai];

// ---------------------------------------------------------------------------
// Branch-group tables.
// ---------------------------------------------------------------------------

/// 三合 group of each branch: 0 = 申子辰, 1 = 寅午戌, 2 = 巳酉丑, 3 = 亥卯未.
pub const SAN_HE_GROUP: [usize; 12] = [0, 2, 1, 3, 0, 2, 1, 3, 0, 2, 1, 3];

/// 驿马, 《三命通会》: 申子辰马在寅, 寅午戌马在申, 巳酉丑马在亥,
/// 亥卯未马在巳. Indexed by [`SAN_HE_GROUP`].
pub const YI_MA: [Branch; 4] = [YinB, Shen, Hai, Si];

/// 桃花 (咸池), 《三命通会》: 申子辰在酉, 寅午戌在卯, 巳酉丑在午,
/// 亥卯未在子. Indexed by [`SAN_HE_GROUP`].
pub const TAO_HUA: [Branch; 4] = [You, Mao, WuB, Zi];

/// 华盖, 《三命通会》: 申子辰见辰, 寅午戌见戌, 巳酉丑见丑, 亥卯未见未
/// (the 墓 of each 三合). Indexed by [`SAN_HE_GROUP`].
pub const HUA_GAI: [Branch; 4] = [Chen, Xu, Chou, Wei];

/// 将星, 《三命通会》: 申子辰见子, 寅午戌见午, 巳酉丑见酉, 亥卯未见卯
/// (the 帝旺 of each 三合). Indexed by [`SAN_HE_GROUP`].
pub const JIANG_XING: [Branch; 4] = [Zi, WuB, You, Mao];

/// 劫煞, 《三命通会》: 申子辰见巳, 寅午戌见亥, 巳酉丑见寅,
/// 亥卯未见申. Indexed by [`SAN_HE_GROUP`].
pub const JIE_SHA: [Branch; 4] = [Si, Hai, YinB, Shen];

/// 亡神, 《三命通会》: 申子辰见亥, 寅午戌见巳, 巳酉丑见申,
/// 亥卯未见寅. Indexed by [`SAN_HE_GROUP`].
pub const WANG_SHEN: [Branch; 4] = [Hai, Si, Shen, YinB];

/// Seasonal group of each branch: 0 = 亥子丑, 1 = 寅卯辰, 2 = 巳午未, 3 = 申酉戌.
pub const SEASON_GROUP: [usize; 12] = [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0];

/// 孤辰, 《三命通会》: 亥子丑人见寅, 寅卯辰人见巳, 巳午未人见申,
/// 申酉戌人见亥. Indexed by [`SEASON_GROUP`] of the year branch.
pub const GU_CHEN: [Branch; 4] = [YinB, Si, Shen, Hai];

/// 寡宿, 《三命通会》: 亥子丑人见戌, 寅卯辰人见丑, 巳午未人见辰,
/// 申酉戌人见未. Indexed by [`SEASON_GROUP`] of the year branch.
pub const GUA_SU: [Branch; 4] = [Xu, Chou, Chen, Wei];

/// 红鸾 by year branch (子年在卯, counting backwards: 丑寅, 寅丑, 卯子, …), the
/// rule of the traditional 星命 tables.
pub const HONG_LUAN: [Branch; 12] = [Mao, YinB, Chou, Zi, Hai, Xu, You, Shen, Wei, WuB, Si, Chen];

/// 天喜 by year branch: the branch opposite 红鸾 (子年在酉, 丑年在申, …).
pub const TIAN_XI: [Branch; 12] = [You, Shen, Wei, WuB, Si, Chen, Mao, YinB, Chou, Zi, Hai, Xu];

/// A star's target: a stem or a branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Matches a pillar whose stem is this stem.
    Stem(Stem),
    /// Matches a pillar whose branch is this branch.
    Branch(Branch),
}

/// 天德贵人 by month branch, 《三命通会》: 正丁二申宫, 三壬四辛同,
/// 五亥六甲上, 七癸八寅逢, 九丙十居乙, 子巳丑庚中. Indexed by month branch
/// (子 = 十一月 … 亥 = 十月).
pub const TIAN_DE: [Target; 12] = [
    Target::Branch(Si),   // 子 (十一月)
    Target::Stem(Geng),   // 丑 (十二月)
    Target::Stem(Ding),   // 寅 (正月)
    Target::Branch(Shen), // 卯 (二月)
    Target::Stem(Ren),    // 辰 (三月)
    Target::Stem(Xin),    // 巳 (四月)
    Target::Branch(Hai),  // 午 (五月)
    Target::Stem(Jia),    // 未 (六月)
    Target::Stem(Gui),    // 申 (七月)
    Target::Branch(YinB), // 酉 (八月)
    Target::Stem(Bing),   // 戌 (九月)
    Target::Stem(Yi),     // 亥 (十月)
];

/// 月德贵人 by the month branch's 三合 group, 《三命通会》: 寅午戌月在丙,
/// 申子辰月在壬, 亥卯未月在甲, 巳酉丑月在庚. Indexed by [`SAN_HE_GROUP`].
pub const YUE_DE: [Stem; 4] = [Ren, Bing, Geng, Jia];

/// Whether `pillar` carries `deity` in a chart with the given four pillars.
fn has(deity: Deity, chart: &FourPillars<Pillar>, pillar: Pillar) -> bool {
    let b = pillar.branch;
    let ds = chart.day.stem.index();
    let ys = chart.year.stem.index();
    let yb = chart.year.branch.index();
    let db = chart.day.branch.index();
    let by_groups =
        |table: &[Branch; 4]| table[SAN_HE_GROUP[yb]] == b || table[SAN_HE_GROUP[db]] == b;
    match deity {
        Deity::TianYi => TIAN_YI[ds].contains(&b) || TIAN_YI[ys].contains(&b),
        Deity::TaiJi => TAI_JI[ds].contains(&b) || TAI_JI[ys].contains(&b),
        Deity::WenChang => WEN_CHANG[ds] == b || WEN_CHANG[ys] == b,
        Deity::YiMa => by_groups(&YI_MA),
        Deity::TaoHua => by_groups(&TAO_HUA),
        Deity::HuaGai => by_groups(&HUA_GAI),
        Deity::JiangXing => by_groups(&JIANG_XING),
        Deity::LuShen => LU_SHEN[ds] == b,
        Deity::YangRen => YANG_REN[ds] == b,
        Deity::HongLuan => HONG_LUAN[yb] == b,
        Deity::TianXi => TIAN_XI[yb] == b,
        Deity::GuChen => GU_CHEN[SEASON_GROUP[yb]] == b,
        Deity::GuaSu => GUA_SU[SEASON_GROUP[yb]] == b,
        Deity::JieSha => by_groups(&JIE_SHA),
        Deity::WangShen => by_groups(&WANG_SHEN),
        Deity::TianDe => match TIAN_DE[chart.month.branch.index()] {
            Target::Stem(s) => pillar.stem == s,
            Target::Branch(t) => b == t,
        },
        Deity::YueDe => YUE_DE[SAN_HE_GROUP[chart.month.branch.index()]] == pillar.stem,
    }
}

/// Stars found on the pillar at `position`, in [`Deity::ALL`] order.
pub fn deities_on(chart: &FourPillars<Pillar>, position: PillarPosition) -> Vec<Deity> {
    let pillar = *chart.get(position);
    Deity::ALL
        .into_iter()
        .filter(|&d| has(d, chart, pillar))
        .collect()
}

/// Stars found on each of the four pillars.
pub fn find_deities(chart: &FourPillars<Pillar>) -> FourPillars<Vec<Deity>> {
    FourPillars::from_fn(|p| deities_on(chart, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(names: [&str; 4]) -> FourPillars<Pillar> {
        let p = |s: &str| {
            let mut it = s.chars();
            let stem = it
                .next()
                .map(String::from)
                .and_then(|c| Stem::from_name(&c));
            let branch = it
                .next()
                .map(String::from)
                .and_then(|c| Branch::from_name(&c));
            match (stem, branch) {
                (Some(stem), Some(branch)) => Pillar { stem, branch },
                _ => panic!("bad pillar {s}"),
            }
        };
        FourPillars {
            year: p(names[0]),
            month: p(names[1]),
            day: p(names[2]),
            hour: p(names[3]),
        }
    }

    fn names(v: &[Deity]) -> Vec<&'static str> {
        v.iter().map(|d| d.as_str()).collect()
    }

    #[test]
    fn example_chart_1990() {
        // 己巳 丁丑 庚辰 壬午: day stem 庚, year stem 己, year branch 巳 (巳酉丑,
        // 巳午未), day branch 辰 (申子辰), month branch 丑.
        let c = chart(["己巳", "丁丑", "庚辰", "壬午"]);
        let d = find_deities(&c);
        // 巳 is 劫煞 of 申子辰 (day branch 辰).
        assert_eq!(names(&d.year), ["劫煞"]);
        // 丑: 天乙 of 庚 (丑未), 太极 of 己 (辰戌丑未), 华盖 of 巳酉丑.
        assert_eq!(names(&d.month), ["天乙贵人", "太极贵人", "华盖"]);
        // 庚辰: 太极 of 己, 华盖 of 申子辰, 天喜 of 巳年 (辰), 寡宿 of 巳午未 (辰),
        // 天德 of 丑月 (庚), 月德 of 巳酉丑月 (庚).
        assert_eq!(
            names(&d.day),
            ["太极贵人", "华盖", "天喜", "寡宿", "天德贵人", "月德贵人"]
        );
        // 午 is 桃花 of 巳酉丑.
        assert_eq!(names(&d.hour), ["桃花"]);
    }

    #[test]
    fn tian_xi_is_opposite_hong_luan() {
        for b in 0..12 {
            assert_eq!(HONG_LUAN[b].index(), (15 - b) % 12);
            assert_eq!(TIAN_XI[b], HONG_LUAN[b].add(6));
        }
    }

    #[test]
    fn lu_and_ren_follow_life_stages() {
        use crate::life_stages::LifeStage;
        for s in Stem::ALL {
            assert_eq!(
                LifeStage::of(s, LU_SHEN[s.index()]),
                LifeStage::LinGuan,
                "{s}"
            );
            if s.is_yang() {
                assert_eq!(
                    LifeStage::of(s, YANG_REN[s.index()]),
                    LifeStage::DiWang,
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn group_tables_follow_san_he() {
        // 将星 is the 帝旺 (middle) and 华盖 the 墓 (last) branch of each 三合 group.
        for b in Branch::ALL {
            let g = SAN_HE_GROUP[b.index()];
            assert_eq!(SAN_HE_GROUP[JIANG_XING[g].index()], g);
            assert_eq!(SAN_HE_GROUP[HUA_GAI[g].index()], g);
            // 驿马 clashes with the group's 长生 branch.
            assert_eq!(SAN_HE_GROUP[YI_MA[g].add(6).index()], g);
        }
    }
}
