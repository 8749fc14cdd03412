//! Relations between the pillars: the day pillar's own stem–branch relation,
//! stem combinations and clashes, and branch relations.
//!
//! Pair relations are checked for every pair of pillars (year–month,
//! year–day, year–hour, month–day, month–hour, day–hour), not only for
//! neighbours. Group relations (三合, 三会, 三刑) need all three branches of the
//! group somewhere in the chart and list every pillar holding one of them.

use serde::Serialize;

use crate::ganzhi::{serialize_as_str, Branch, Element, ElementRelation, Pillar, Stem};
use crate::pillars::{FourPillars, PillarPosition};

/// All relations found in a chart. See the crate documentation for the JSON shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Relationships {
    /// Day stem against the main qi (本气) of the day branch.
    pub day_pillar: DayPillarRelation,
    /// 天干五合 between pairs of pillars.
    pub stem_combinations: Vec<StemRelation>,
    /// 天干相冲 (甲庚, 乙辛, 丙壬, 丁癸) between pairs of pillars.
    pub stem_clashes: Vec<StemRelation>,
    /// Branch relations, ordered by kind (see [`BranchRelationKind`]) then by pillar.
    pub branch_relations: Vec<BranchRelation>,
}

/// Relation of the day stem (日主) to the element of its own branch's main qi.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DayPillarRelation {
    /// The day stem.
    pub stem: Stem,
    /// Element of the day stem.
    pub stem_element: Element,
    /// The day branch.
    pub branch: Branch,
    /// Main-qi hidden stem of the day branch.
    pub branch_main_qi: Stem,
    /// Element of that main qi.
    pub branch_element: Element,
    /// Read from the stem's side: `generate` means the stem generates the branch's element,
    /// `generated_by` means the branch's element generates the stem, and so on.
    pub relation: ElementRelation,
}

/// A relation between two stems.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StemRelation {
    /// The two stems, in pillar order.
    pub stems: [Stem; 2],
    /// The two pillars, in chart order.
    pub pillars: [PillarPosition; 2],
    /// Element the combination transforms into (五合 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<Element>,
}

/// Kinds of branch relation, in the order they are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BranchRelationKind {
    /// 三合: a complete 申子辰 / 亥卯未 / 寅午戌 / 巳酉丑 frame.
    SanHe,
    /// 三会: a complete 寅卯辰 / 巳午未 / 申酉戌 / 亥子丑 seasonal set.
    SanHui,
    /// 半合: two branches of an incomplete 三合 frame, one of them its 旺 branch (子午卯酉).
    BanHe,
    /// 六合: 子丑, 寅亥, 卯戌, 辰酉, 巳申, 午未.
    LiuHe,
    /// 六冲: branches six apart.
    LiuChong,
    /// 三刑: a complete 寅巳申 or 丑戌未 set.
    SanXing,
    /// 相刑: 子卯, or two different branches of an incomplete 寅巳申 / 丑戌未 set.
    XiangXing,
    /// 自刑: two of the same 辰, 午, 酉 or 亥.
    ZiXing,
    /// 六害: 子未, 丑午, 寅巳, 卯辰, 申亥, 酉戌.
    LiuHai,
    /// 六破: 子酉, 卯午, 辰丑, 未戌, 寅亥, 巳申.
    LiuPo,
}

impl BranchRelationKind {
    /// Chinese name, e.g. `"六合"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BranchRelationKind::SanHe => "三合",
            BranchRelationKind::SanHui => "三会",
            BranchRelationKind::BanHe => "半合",
            BranchRelationKind::LiuHe => "六合",
            BranchRelationKind::LiuChong => "六冲",
            BranchRelationKind::SanXing => "三刑",
            BranchRelationKind::XiangXing => "相刑",
            BranchRelationKind::ZiXing => "自刑",
            BranchRelationKind::LiuHai => "六害",
            BranchRelationKind::LiuPo => "六破",
        }
    }
}

serialize_as_str!(BranchRelationKind);

/// A relation among two or more branches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BranchRelation {
    /// Which relation.
    pub kind: BranchRelationKind,
    /// For pair relations the two branches in pillar order; for group
    /// relations the group's branches in canonical order (e.g. 申子辰).
    pub branches: Vec<Branch>,
    /// The pillars involved, in chart order.
    pub pillars: Vec<PillarPosition>,
    /// Element of the combination (三合, 三会, 半合, 六合 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<Element>,
}

use Branch::{Chen, Chou, Hai, Mao, Shen, Si, Wei, Wu as WuB, Xu, Yin as YinB, You, Zi};

/// 六合 partner and transformed element of each branch (子丑合土, 寅亥合木,
/// 卯戌合火, 辰酉合金, 巳申合水, 午未合土 — 《三命通会》; the same table as
/// `tyme4rs`'s `EarthBranch::combine`).
const LIU_HE: [(Branch, Element); 12] = [
    (Chou, Element::Earth), // 子
    (Zi, Element::Earth),   // 丑
    (Hai, Element::Wood),   // 寅
    (Xu, Element::Fire),    // 卯
    (You, Element::Metal),  // 辰
    (Shen, Element::Water), // 巳
    (Wei, Element::Earth),  // 午
    (WuB, Element::Earth),  // 未
    (Si, Element::Water),   // 申
    (Chen, Element::Metal), // 酉
    (Mao, Element::Fire),   // 戌
    (YinB, Element::Wood),  // 亥
];

/// 六害 partner of each branch (子未, 丑午, 寅巳, 卯辰, 申亥, 酉戌 — 《三命通会》).
const LIU_HAI: [Branch; 12] = [Wei, WuB, Si, Chen, Mao, YinB, Chou, Zi, Hai, Xu, You, Shen];

/// 六破 partner of each branch (子酉, 卯午, 辰丑, 未戌, 寅亥, 巳申 — 《三命通会》).
const LIU_PO: [Branch; 12] = [You, Chen, Hai, WuB, Chou, Shen, Mao, Xu, Si, Zi, Wei, YinB];

/// 三合 frames (长生, 帝旺, 墓) and their element.
const SAN_HE: [([Branch; 3], Element); 4] = [
    ([Shen, Zi, Chen], Element::Water),
    ([Hai, Mao, Wei], Element::Wood),
    ([YinB, WuB, Xu], Element::Fire),
    ([Si, You, Chou], Element::Metal),
];

/// 三会 seasonal sets and their element.
const SAN_HUI: [([Branch; 3], Element); 4] = [
    ([YinB, Mao, Chen], Element::Wood),
    ([Si, WuB, Wei], Element::Fire),
    ([Shen, You, Xu], Element::Metal),
    ([Hai, Zi, Chou], Element::Water),
];

/// 三刑 sets: 寅巳申 (无恩之刑) and 丑戌未 (恃势之刑).
const SAN_XING: [[Branch; 3]; 2] = [[YinB, Si, Shen], [Chou, Xu, Wei]];

/// 自刑 branches: 辰, 午, 酉, 亥.
const ZI_XING: [Branch; 4] = [Chen, WuB, You, Hai];

/// 天干五合 element by the lower stem of the pair (甲己合土, 乙庚合金,
/// 丙辛合水, 丁壬合木, 戊癸合火).
const WU_HE: [Element; 5] = [
    Element::Earth,
    Element::Metal,
    Element::Water,
    Element::Wood,
    Element::Fire,
];

const PAIRS: [(PillarPosition, PillarPosition); 6] = {
    use PillarPosition::*;
    [
        (Year, Month),
        (Year, Day),
        (Year, Hour),
        (Month, Day),
        (Month, Hour),
        (Day, Hour),
    ]
};

fn day_pillar_relation(day: Pillar) -> DayPillarRelation {
    let main_qi = day.branch.main_qi();
    DayPillarRelation {
        stem: day.stem,
        stem_element: day.stem.element(),
        branch: day.branch,
        branch_main_qi: main_qi,
        branch_element: main_qi.element(),
        relation: day.stem.element().relation_to(main_qi.element()),
    }
}

fn stem_relations(chart: &FourPillars<Pillar>) -> (Vec<StemRelation>, Vec<StemRelation>) {
    let mut combinations = Vec::new();
    let mut clashes = Vec::new();
    for (a, b) in PAIRS {
        let (sa, sb) = (chart.get(a).stem, chart.get(b).stem);
        let (lo, hi) = if sa <= sb { (sa, sb) } else { (sb, sa) };
        let gap = hi.index() - lo.index();
        if gap == 5 {
            combinations.push(StemRelation {
                stems: [sa, sb],
                pillars: [a, b],
                element: Some(WU_HE[lo.index()]),
            });
        } else if gap == 6 && lo.index() < 4 {
            clashes.push(StemRelation {
                stems: [sa, sb],
                pillars: [a, b],
                element: None,
            });
        }
    }
    (combinations, clashes)
}

/// Pillars whose branch is one of `group`, in chart order, if every member of `group` occurs.
fn complete_group(chart: &FourPillars<Pillar>, group: &[Branch; 3]) -> Option<Vec<PillarPosition>> {
    let branches = chart.map(|_, p| p.branch).to_array();
    if !group.iter().all(|g| branches.contains(g)) {
        return None;
    }
    Some(
        PillarPosition::ALL
            .into_iter()
            .filter(|p| group.contains(&chart.get(*p).branch))
            .collect(),
    )
}

fn branch_relations(chart: &FourPillars<Pillar>) -> Vec<BranchRelation> {
    let mut out = Vec::new();
    let mut san_he_complete = [false; 4];
    let mut san_xing_complete = [false; 2];

    for (i, (group, element)) in SAN_HE.iter().enumerate() {
        if let Some(pillars) = complete_group(chart, group) {
            san_he_complete[i] = true;
            out.push(BranchRelation {
                kind: BranchRelationKind::SanHe,
                branches: group.to_vec(),
                pillars,
                element: Some(*element),
            });
        }
    }
    for (group, element) in SAN_HUI.iter() {
        if let Some(pillars) = complete_group(chart, group) {
            out.push(BranchRelation {
                kind: BranchRelationKind::SanHui,
                branches: group.to_vec(),
                pillars,
                element: Some(*element),
            });
        }
    }
    for (i, group) in SAN_XING.iter().enumerate() {
        if let Some(pillars) = complete_group(chart, group) {
            san_xing_complete[i] = true;
            out.push(BranchRelation {
                kind: BranchRelationKind::SanXing,
                branches: group.to_vec(),
                pillars,
                element: None,
            });
        }
    }

    for (a, b) in PAIRS {
        let (ba, bb) = (chart.get(a).branch, chart.get(b).branch);
        let mut push = |kind, element| {
            out.push(BranchRelation {
                kind,
                branches: vec![ba, bb],
                pillars: vec![a, b],
                element,
            })
        };
        for (i, (group, element)) in SAN_HE.iter().enumerate() {
            let wang = group[1];
            if !san_he_complete[i]
                && ba != bb
                && group.contains(&ba)
                && group.contains(&bb)
                && (ba == wang || bb == wang)
            {
                push(BranchRelationKind::BanHe, Some(*element));
            }
        }
        let (partner, element) = LIU_HE[ba.index()];
        if partner == bb {
            push(BranchRelationKind::LiuHe, Some(element));
        }
        if ba.add(6) == bb {
            push(BranchRelationKind::LiuChong, None);
        }
        let zi_mao = (ba == Zi && bb == Mao) || (ba == Mao && bb == Zi);
        let in_incomplete_san_xing = SAN_XING
            .iter()
            .zip(san_xing_complete)
            .any(|(g, complete)| !complete && ba != bb && g.contains(&ba) && g.contains(&bb));
        if zi_mao || in_incomplete_san_xing {
            push(BranchRelationKind::XiangXing, None);
        }
        if ba == bb && ZI_XING.contains(&ba) {
            push(BranchRelationKind::ZiXing, None);
        }
        if LIU_HAI[ba.index()] == bb {
            push(BranchRelationKind::LiuHai, None);
        }
        if LIU_PO[ba.index()] == bb {
            push(BranchRelationKind::LiuPo, None);
        }
    }
    // Stable: keeps chart order within each kind.
    out.sort_by_key(|r| r.kind);
    out
}

/// Finds all relations in a chart.
pub fn find_relationships(chart: &FourPillars<Pillar>) -> Relationships {
    let (stem_combinations, stem_clashes) = stem_relations(chart);
    Relationships {
        day_pillar: day_pillar_relation(chart.day),
        stem_combinations,
        stem_clashes,
        branch_relations: branch_relations(chart),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tyme4rs::tyme::sixtycycle::{EarthBranch, HeavenStem};
    use tyme4rs::tyme::Culture;

    fn p(s: &str) -> Pillar {
        let mut it = s.chars().map(String::from);
        let stem = it.next().and_then(|c| Stem::from_name(&c));
        let branch = it.next().and_then(|c| Branch::from_name(&c));
        match (stem, branch) {
            (Some(stem), Some(branch)) => Pillar { stem, branch },
            _ => panic!("bad pillar {s}"),
        }
    }

    fn chart(n: [&str; 4]) -> FourPillars<Pillar> {
        FourPillars {
            year: p(n[0]),
            month: p(n[1]),
            day: p(n[2]),
            hour: p(n[3]),
        }
    }

    fn summary(r: &Relationships) -> Vec<String> {
        r.branch_relations
            .iter()
            .map(|b| {
                let br: String = b.branches.iter().map(|x| x.as_str()).collect();
                let ps: Vec<&str> = b.pillars.iter().map(|x| x.as_str()).collect();
                format!("{}:{}:{}", b.kind.as_str(), br, ps.join(","))
            })
            .collect()
    }

    #[test]
    fn tables_match_tyme4rs() {
        for b in Branch::ALL {
            let t = EarthBranch::from_index(b.index() as isize);
            assert_eq!(t.get_combine().get_name(), LIU_HE[b.index()].0.as_str());
            let partner = EarthBranch::from_index(LIU_HE[b.index()].0.index() as isize);
            let element = t.combine(partner).map(|e| e.get_name());
            assert_eq!(element.as_deref(), Some(LIU_HE[b.index()].1.as_str()));
            assert_eq!(t.get_harm().get_name(), LIU_HAI[b.index()].as_str());
            assert_eq!(LIU_PO[LIU_PO[b.index()].index()], b);
            assert_eq!(LIU_HAI[LIU_HAI[b.index()].index()], b);
        }
        for s in Stem::ALL.into_iter().take(5) {
            let t = HeavenStem::from_index(s.index() as isize);
            let e = t.combine(t.get_combine()).map(|e| e.get_name());
            assert_eq!(e.as_deref(), Some(WU_HE[s.index()].as_str()));
        }
    }

    #[test]
    fn example_1990() {
        // 己巳 丁丑 庚辰 壬午
        let r = find_relationships(&chart(["己巳", "丁丑", "庚辰", "壬午"]));
        assert_eq!(r.day_pillar.relation, ElementRelation::GeneratedBy);
        assert_eq!(r.day_pillar.branch_main_qi, Stem::Wu);
        // 丁壬合木 (month–hour).
        assert_eq!(r.stem_combinations.len(), 1);
        assert_eq!(r.stem_combinations[0].stems, [Stem::Ding, Stem::Ren]);
        assert_eq!(
            r.stem_combinations[0].pillars,
            [PillarPosition::Month, PillarPosition::Hour]
        );
        assert_eq!(r.stem_combinations[0].element, Some(Element::Wood));
        assert!(r.stem_clashes.is_empty());
        // 巳丑 lacks the 旺 branch 酉, so it is no 半合; 丑午 害; 丑辰 破.
        assert_eq!(summary(&r), ["六害:丑午:month,hour", "六破:丑辰:month,day"]);
    }

    #[test]
    fn groups_and_pairs() {
        // 申子辰 三合 water, with 子 twice.
        let r = find_relationships(&chart(["甲申", "丙子", "壬辰", "庚子"]));
        let s = summary(&r);
        assert_eq!(s[0], "三合:申子辰:year,month,day,hour");
        assert!(!s.iter().any(|x| x.starts_with("半合")), "{s:?}");
        // 寅巳申 三刑, plus 寅申 冲, 巳申 合/破, 寅巳 害.
        let r = find_relationships(&chart(["甲寅", "己巳", "壬申", "庚戌"]));
        let s = summary(&r);
        assert!(
            s.contains(&"三刑:寅巳申:year,month,day".to_string()),
            "{s:?}"
        );
        assert!(s.contains(&"六冲:寅申:year,day".to_string()), "{s:?}");
        assert!(s.contains(&"六合:巳申:month,day".to_string()), "{s:?}");
        assert!(s.contains(&"六破:巳申:month,day".to_string()), "{s:?}");
        assert!(s.contains(&"六害:寅巳:year,month".to_string()), "{s:?}");
        assert!(!s.contains(&"半合:寅戌:year,hour".to_string()), "{s:?}");
        assert!(!s.iter().any(|x| x.starts_with("相刑")), "{s:?}");
        // 子卯 相刑, 午午 自刑, 子午 冲, 卯午 破, 半合 子辰? no 辰.
        let r = find_relationships(&chart(["甲子", "丁卯", "庚午", "壬午"]));
        let s = summary(&r);
        assert!(s.contains(&"相刑:子卯:year,month".to_string()), "{s:?}");
        assert!(s.contains(&"自刑:午午:day,hour".to_string()), "{s:?}");
        assert!(s.contains(&"六冲:子午:year,day".to_string()), "{s:?}");
        assert!(s.contains(&"六破:卯午:month,day".to_string()), "{s:?}");
        // 寅午 半合 fire (寅午戌 incomplete) and 甲庚 stem clash.
        let r = find_relationships(&chart(["甲寅", "丙午", "庚申", "戊子"]));
        let s = summary(&r);
        assert!(s.contains(&"半合:寅午:year,month".to_string()), "{s:?}");
        assert!(s.contains(&"半合:申子:day,hour".to_string()), "{s:?}");
        assert_eq!(r.stem_clashes.len(), 1);
        assert_eq!(r.stem_clashes[0].stems, [Stem::Jia, Stem::Geng]);
        // 亥子丑 三会.
        let r = find_relationships(&chart(["癸亥", "甲子", "乙丑", "丙寅"]));
        let s = summary(&r);
        assert!(
            s.contains(&"三会:亥子丑:year,month,day".to_string()),
            "{s:?}"
        );
    }
}
