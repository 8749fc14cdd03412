//! Every relation the chart library can report, found by asking it.
//!
//! The condition compiler refuses a relation that cannot exist (六冲 of 子 and
//! 丑, a 三合 of earth …) and the corpus writes one rule per possible relation.
//! Both read this atlas, which is built once by running
//! [`bazi::relations::find_relationships`] on probe charts made of every pair
//! and every triple of branches (and every pair of stems), so the engine never
//! keeps a second copy of the library's relation tables.

use std::sync::OnceLock;

use bazi::ganzhi::{Branch, Element, Pillar, Stem};
use bazi::pillars::FourPillars;
use bazi::relations::{find_relationships, BranchRelationKind, Relationships};

/// Relation kinds in the condition language, by index: the ten branch kinds
/// of [`BranchRelationKind`] in its order, then the two stem kinds.
pub(crate) const KIND_NAMES: [&str; 12] = [
    "三合", "三会", "半合", "六合", "六冲", "三刑", "相刑", "自刑", "六害", "六破", "五合", "相冲",
];

/// Index of the first stem kind (五合); kinds below it are branch kinds.
pub(crate) const FIRST_STEM_KIND: u8 = 10;
/// 天干五合.
pub(crate) const STEM_COMBINATION: u8 = 10;
/// 天干相冲.
pub(crate) const STEM_CLASH: u8 = 11;

/// Index of a branch relation kind in [`KIND_NAMES`].
pub(crate) const fn branch_kind_index(kind: BranchRelationKind) -> u8 {
    match kind {
        BranchRelationKind::SanHe => 0,
        BranchRelationKind::SanHui => 1,
        BranchRelationKind::BanHe => 2,
        BranchRelationKind::LiuHe => 3,
        BranchRelationKind::LiuChong => 4,
        BranchRelationKind::SanXing => 5,
        BranchRelationKind::XiangXing => 6,
        BranchRelationKind::ZiXing => 7,
        BranchRelationKind::LiuHai => 8,
        BranchRelationKind::LiuPo => 9,
    }
}

/// Members of a relation as a sorted key: branch or stem indices, unused
/// slots `u8::MAX`.
pub(crate) type Key = [u8; 3];

/// Sorted key of up to three member indices.
pub(crate) fn key_of(members: &[u8]) -> Key {
    let mut k = [u8::MAX; 3];
    for (slot, m) in k.iter_mut().zip(members) {
        *slot = *m;
    }
    k.sort_unstable();
    k
}

/// One relation found in a chart, in compact form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RelFact {
    /// Index into [`KIND_NAMES`].
    pub kind: u8,
    /// Sorted member indices (branches for kinds < 10, stems otherwise).
    pub key: Key,
    /// Pillars involved, bit `i` = position index `i`.
    pub positions: u8,
    /// Element of the combination, if the kind has one.
    pub element: Option<Element>,
}

/// The relations of a chart in compact form.
pub(crate) fn facts_of(rel: &Relationships) -> Vec<RelFact> {
    let mut out = Vec::with_capacity(rel.branch_relations.len() + 2);
    for r in &rel.branch_relations {
        let members: Vec<u8> = r.branches.iter().map(|b| b.index() as u8).collect();
        out.push(RelFact {
            kind: branch_kind_index(r.kind),
            key: key_of(&members),
            positions: r.pillars.iter().fold(0, |m, p| m | 1 << p.index()),
            element: r.element,
        });
    }
    for (kind, list) in [
        (STEM_COMBINATION, &rel.stem_combinations),
        (STEM_CLASH, &rel.stem_clashes),
    ] {
        for r in list {
            out.push(RelFact {
                kind,
                key: key_of(&[r.stems[0].index() as u8, r.stems[1].index() as u8]),
                positions: r.pillars.iter().fold(0, |m, p| m | 1 << p.index()),
                element: r.element,
            });
        }
    }
    out
}

/// A relation that can occur: its kind, members and element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Instance {
    /// Index into [`KIND_NAMES`].
    pub kind: u8,
    /// Sorted member indices.
    pub key: Key,
    /// Members in the library's order (pillar order for pairs, canonical
    /// order for groups such as 申子辰), unused slots `u8::MAX`.
    pub members: Key,
    /// Number of members (2 or 3).
    pub len: u8,
    /// Element of the combination, if any.
    pub element: Option<Element>,
}

/// A pillar with stem `stem` and some branch of the same polarity.
fn with_stem(stem: Stem) -> Pillar {
    Pillar {
        stem,
        branch: Branch::from_index(stem.index() % 2),
    }
}

/// A pillar with branch `branch` and some stem of the same polarity.
fn with_branch(branch: Branch) -> Pillar {
    Pillar {
        stem: Stem::from_index(branch.index() % 2),
        branch,
    }
}

fn probe(p: [Pillar; 4]) -> Relationships {
    find_relationships(&FourPillars {
        year: p[0],
        month: p[1],
        day: p[2],
        hour: p[3],
    })
}

/// The relations of a probe chart as instances, keeping those with `len` members.
fn instances(rel: &Relationships, len: usize) -> Vec<Instance> {
    let mut out = Vec::new();
    let mut push = |kind: u8, members: Vec<u8>, element: Option<Element>| {
        if members.len() == len {
            let mut ordered = [u8::MAX; 3];
            ordered[..len].copy_from_slice(&members);
            out.push(Instance {
                kind,
                key: key_of(&members),
                members: ordered,
                len: len as u8,
                element,
            });
        }
    };
    for r in &rel.branch_relations {
        let members = r.branches.iter().map(|b| b.index() as u8).collect();
        push(branch_kind_index(r.kind), members, r.element);
    }
    for (kind, list) in [
        (STEM_COMBINATION, &rel.stem_combinations),
        (STEM_CLASH, &rel.stem_clashes),
    ] {
        for r in list {
            let members = r.stems.iter().map(|s| s.index() as u8).collect();
            push(kind, members, r.element);
        }
    }
    out
}

fn build() -> Vec<Instance> {
    let mut out: Vec<Instance> = Vec::new();
    let mut add = |found: Vec<Instance>| {
        for i in found {
            if !out.iter().any(|o| o.kind == i.kind && o.key == i.key) {
                out.push(i);
            }
        }
    };
    let b = Branch::ALL;
    // Pairs (including a branch with itself, for 自刑): probe a, b, a, b.
    for i in 0..12 {
        for j in i..12 {
            let (x, y) = (with_branch(b[i]), with_branch(b[j]));
            let found = instances(&probe([x, y, x, y]), 2);
            add(found
                .into_iter()
                .filter(|f| f.kind < FIRST_STEM_KIND)
                .collect());
        }
    }
    // Triples of distinct branches: probe a, b, c, a.
    for i in 0..12 {
        for j in i + 1..12 {
            for k in j + 1..12 {
                let (x, y, z) = (with_branch(b[i]), with_branch(b[j]), with_branch(b[k]));
                add(instances(&probe([x, y, z, x]), 3));
            }
        }
    }
    // Pairs of stems.
    let s = Stem::ALL;
    for i in 0..10 {
        for j in i..10 {
            let (x, y) = (with_stem(s[i]), with_stem(s[j]));
            let found = instances(&probe([x, y, x, y]), 2);
            add(found
                .into_iter()
                .filter(|f| f.kind >= FIRST_STEM_KIND)
                .collect());
        }
    }
    out.sort_by_key(|i| (i.kind, i.key));
    out
}

/// Every relation that can occur, by kind then members.
pub(crate) fn atlas() -> &'static [Instance] {
    static ATLAS: OnceLock<Vec<Instance>> = OnceLock::new();
    ATLAS.get_or_init(build)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(kind: &str) -> usize {
        atlas()
            .iter()
            .filter(|i| KIND_NAMES[i.kind as usize] == kind)
            .count()
    }

    #[test]
    fn kind_names_follow_the_library() {
        use BranchRelationKind::*;
        for k in [
            SanHe, SanHui, BanHe, LiuHe, LiuChong, SanXing, XiangXing, ZiXing, LiuHai, LiuPo,
        ] {
            assert_eq!(KIND_NAMES[branch_kind_index(k) as usize], k.as_str());
        }
    }

    #[test]
    fn atlas_has_every_relation() {
        assert_eq!(count("三合"), 4);
        assert_eq!(count("三会"), 4);
        assert_eq!(count("半合"), 8);
        assert_eq!(count("六合"), 6);
        assert_eq!(count("六冲"), 6);
        assert_eq!(count("三刑"), 2);
        assert_eq!(count("相刑"), 7);
        assert_eq!(count("自刑"), 4);
        assert_eq!(count("六害"), 6);
        assert_eq!(count("六破"), 6);
        assert_eq!(count("五合"), 5);
        assert_eq!(count("相冲"), 4);
    }
}
