//! Non-maximum suppression: one box per object out of the many overlapping
//! candidates a dense detector proposes.

use std::cmp::Ordering;

use crate::geometry::BoundingBox;

/// Anything with a box and a confidence can be suppressed.
pub trait Scored {
    /// The candidate's box.
    fn bbox(&self) -> BoundingBox;
    /// The candidate's confidence; higher wins.
    fn score(&self) -> f32;
}

/// A bare box with a score, for callers without a richer candidate type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredBox {
    /// The box.
    pub bbox: BoundingBox,
    /// Its confidence.
    pub score: f32,
}

impl Scored for ScoredBox {
    fn bbox(&self) -> BoundingBox {
        self.bbox
    }
    fn score(&self) -> f32 {
        self.score
    }
}

/// Indices of `items` from the highest score down; equal scores keep their
/// input order so that results do not depend on the sort algorithm.
fn by_descending_score<T: Scored>(items: &[T]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        items[b]
            .score()
            .partial_cmp(&items[a].score())
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(&b))
    });
    order
}

/// Greedy NMS: walking from the highest score down, keeps a candidate unless
/// it overlaps an already kept one by more than `iou_threshold`. Returns the
/// kept indices, highest score first.
pub fn nms<T: Scored>(items: &[T], iou_threshold: f32) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    for index in by_descending_score(items) {
        let candidate = items[index].bbox();
        if kept
            .iter()
            .all(|&k| items[k].bbox().iou(&candidate) <= iou_threshold)
        {
            kept.push(index);
        }
    }
    kept
}

/// [`nms`] within each class separately: a cup on a table suppresses other
/// cup boxes, not the table's. Returns the kept indices, highest score first.
pub fn nms_per_class<T: Scored, C: PartialEq>(
    items: &[T],
    iou_threshold: f32,
    class_of: impl Fn(&T) -> C,
) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    for index in by_descending_score(items) {
        let candidate = &items[index];
        let class = class_of(candidate);
        let overlaps_kept = kept.iter().any(|&k| {
            class_of(&items[k]) == class && items[k].bbox().iou(&candidate.bbox()) > iou_threshold
        });
        if !overlaps_kept {
            kept.push(index);
        }
    }
    kept
}

/// One input candidate's share in a [`WeightedCluster`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterMember {
    /// Index into the candidates passed to [`weighted_nms`].
    pub index: usize,
    /// Its score divided by the cluster's total score; weights sum to 1.
    pub weight: f32,
}

/// Overlapping candidates merged into one detection.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedCluster {
    /// Score-weighted average of the members' boxes.
    pub bbox: BoundingBox,
    /// The best member's score.
    pub score: f32,
    /// Who was merged, best first, with the weights used; callers average
    /// their own extras (e.g. palm or face keypoints) with the same weights.
    pub members: Vec<ClusterMember>,
}

impl WeightedCluster {
    /// Averages per-candidate values (e.g. keypoint coordinates) with the
    /// members' weights. `values` is indexed like the candidates.
    pub fn weighted_mean<const N: usize>(&self, values: &[[f32; N]]) -> [f32; N] {
        let mut mean = [0.0; N];
        for member in &self.members {
            if let Some(value) = values.get(member.index) {
                for (m, v) in mean.iter_mut().zip(value) {
                    *m += member.weight * v;
                }
            }
        }
        mean
    }
}

/// Mediapipe's weighted NMS: the best remaining candidate and every other
/// candidate overlapping it by more than `iou_threshold` become one
/// detection whose box is their score-weighted average. Unlike [`nms`] this
/// uses the suppressed boxes, which steadies palm and face boxes that many
/// anchors agree on. Returns clusters from the highest score down.
pub fn weighted_nms<T: Scored>(items: &[T], iou_threshold: f32) -> Vec<WeightedCluster> {
    let mut remaining = by_descending_score(items);
    let mut clusters = Vec::new();
    while let Some(&best) = remaining.first() {
        let best_box = items[best].bbox();
        let (members, rest): (Vec<usize>, Vec<usize>) = remaining
            .iter()
            .partition(|&&i| i == best || items[i].bbox().iou(&best_box) > iou_threshold);
        remaining = rest;

        let total: f32 = members.iter().map(|&i| items[i].score()).sum();
        let weight_of = |i: usize| {
            if total > 0.0 {
                items[i].score() / total
            } else {
                1.0 / members.len() as f32
            }
        };
        let members: Vec<ClusterMember> = members
            .iter()
            .map(|&index| ClusterMember {
                index,
                weight: weight_of(index),
            })
            .collect();
        let mut bbox = BoundingBox::new(0.0, 0.0, 0.0, 0.0);
        for member in &members {
            let b = items[member.index].bbox();
            bbox.x0 += member.weight * b.x0;
            bbox.y0 += member.weight * b.y0;
            bbox.x1 += member.weight * b.x1;
            bbox.y1 += member.weight * b.y1;
        }
        clusters.push(WeightedCluster {
            bbox,
            score: items[best].score(),
            members,
        });
    }
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(x0: f32, y0: f32, x1: f32, y1: f32, score: f32) -> ScoredBox {
        ScoredBox {
            bbox: BoundingBox::new(x0, y0, x1, y1),
            score,
        }
    }

    #[test]
    fn keeps_best_of_overlapping_and_all_separate_boxes() {
        let items = [
            sb(0.0, 0.0, 10.0, 10.0, 0.6),
            sb(1.0, 1.0, 11.0, 11.0, 0.9), // overlaps the first (IoU 0.68)
            sb(50.0, 50.0, 60.0, 60.0, 0.5),
            sb(0.0, 0.0, 10.0, 5.0, 0.7), // IoU 0.32 with the best
        ];
        assert_eq!(nms(&items, 0.5), vec![1, 3, 2]);
        // A stricter threshold also drops index 3.
        assert_eq!(nms(&items, 0.3), vec![1, 2]);
    }

    #[test]
    fn iou_exactly_at_threshold_is_kept() {
        // IoU of these two is exactly 0.5.
        let items = [sb(0.0, 0.0, 10.0, 10.0, 0.9), sb(0.0, 0.0, 10.0, 5.0, 0.8)];
        assert_eq!(nms(&items, 0.5), vec![0, 1]);
    }

    #[test]
    fn equal_scores_keep_input_order() {
        let items = [sb(0.0, 0.0, 10.0, 10.0, 0.5), sb(0.0, 0.0, 10.0, 10.0, 0.5)];
        assert_eq!(nms(&items, 0.5), vec![0]);
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert!(nms::<ScoredBox>(&[], 0.5).is_empty());
        assert!(weighted_nms::<ScoredBox>(&[], 0.5).is_empty());
    }

    #[test]
    fn per_class_nms_does_not_suppress_across_classes() {
        let items = [
            (sb(0.0, 0.0, 10.0, 10.0, 0.9), "cup"),
            (sb(0.0, 0.0, 10.0, 10.0, 0.8), "dining table"),
            (sb(1.0, 0.0, 10.0, 10.0, 0.7), "cup"),
        ];
        struct Item(ScoredBox, &'static str);
        impl Scored for Item {
            fn bbox(&self) -> BoundingBox {
                self.0.bbox
            }
            fn score(&self) -> f32 {
                self.0.score
            }
        }
        let items: Vec<Item> = items.into_iter().map(|(b, c)| Item(b, c)).collect();
        assert_eq!(nms_per_class(&items, 0.5, |i| i.1), vec![0, 1]);
        assert_eq!(nms(&items, 0.5), vec![0], "class-agnostic keeps one");
    }

    #[test]
    fn weighted_nms_averages_overlapping_boxes_by_score() {
        let items = [
            sb(0.0, 0.0, 10.0, 10.0, 0.75),
            sb(2.0, 0.0, 12.0, 10.0, 0.25), // IoU 0.67 with the first
            sb(100.0, 100.0, 110.0, 110.0, 0.5),
        ];
        let clusters = weighted_nms(&items, 0.3);
        assert_eq!(clusters.len(), 2);
        let first = &clusters[0];
        assert_eq!(first.score, 0.75);
        // x0 = 0.75·0 + 0.25·2 = 0.5; x1 = 0.75·10 + 0.25·12 = 10.5.
        assert!((first.bbox.x0 - 0.5).abs() < 1e-6);
        assert!((first.bbox.x1 - 10.5).abs() < 1e-6);
        assert!((first.bbox.y1 - 10.0).abs() < 1e-6);
        assert_eq!(
            first.members,
            vec![
                ClusterMember {
                    index: 0,
                    weight: 0.75
                },
                ClusterMember {
                    index: 1,
                    weight: 0.25
                }
            ]
        );
        assert_eq!(clusters[1].bbox, items[2].bbox);
        assert_eq!(clusters[1].members.len(), 1);
    }

    #[test]
    fn weighted_mean_uses_member_weights() {
        let items = [
            sb(0.0, 0.0, 10.0, 10.0, 0.75),
            sb(2.0, 0.0, 12.0, 10.0, 0.25),
        ];
        let cluster = &weighted_nms(&items, 0.3)[0];
        let keypoints = [[4.0, 8.0], [8.0, 0.0]];
        assert_eq!(cluster.weighted_mean(&keypoints), [5.0, 6.0]);
    }

    #[test]
    fn weighted_nms_with_zero_scores_averages_equally() {
        let items = [sb(0.0, 0.0, 10.0, 10.0, 0.0), sb(2.0, 0.0, 12.0, 10.0, 0.0)];
        let cluster = &weighted_nms(&items, 0.3)[0];
        assert!((cluster.bbox.x0 - 1.0).abs() < 1e-6);
    }
}
