//! The corpus: every rule compiles and is exercised — for each rule a
//! feature set (and chart) it matches — and the features measured from
//! landmarks meet the rules end to end.

mod support;

use std::collections::BTreeSet;

use fortune_rules::{corpus, ChartFacts, FeatureFacts, RuleKind, RuleSet};
use support::{chart, face, hand, plain_chart};

const CATEGORIES: [&str; 5] = ["性格", "事业", "财运", "健康", "感情"];

fn rules() -> RuleSet {
    RuleSet::compile(1, &corpus())
}

/// The codes of everything the features (and chart) match.
fn matched(rules: &RuleSet, features: &FeatureFacts, chart: Option<&ChartFacts>) -> Vec<String> {
    let found = rules.evaluate(features, chart);
    found
        .insights
        .iter()
        .chain(&found.integrated)
        .map(|i| i.source.clone())
        .collect()
}

/// One case: features, an optional chart, the codes it must match.
struct Case {
    features: FeatureFacts,
    chart: Option<ChartFacts>,
    expected: &'static [&'static str],
}

fn case(
    features: FeatureFacts,
    chart: Option<ChartFacts>,
    expected: &'static [&'static str],
) -> Case {
    Case {
        features,
        chart,
        expected,
    }
}

fn cases() -> Vec<Case> {
    vec![
        // Hand types.
        case(
            hand("木", &[], &[]),
            None,
            &[
                "hand.shape.wood.character",
                "hand.shape.wood.career",
                "hand.shape.wood.health",
                "hand.fingers.even",
            ],
        ),
        case(
            hand("火", &[], &[]),
            None,
            &[
                "hand.shape.fire.character",
                "hand.shape.fire.career",
                "hand.shape.fire.health",
                "hand.shape.fire.love",
            ],
        ),
        case(
            hand("土", &[], &[]),
            None,
            &[
                "hand.shape.earth.character",
                "hand.shape.earth.career",
                "hand.shape.earth.health",
            ],
        ),
        case(
            hand("金", &[], &[]),
            None,
            &[
                "hand.shape.metal.character",
                "hand.shape.metal.career",
                "hand.shape.metal.health",
            ],
        ),
        case(
            hand("水", &[], &[]),
            None,
            &[
                "hand.shape.water.character",
                "hand.shape.water.career",
                "hand.shape.water.health",
                "hand.shape.water.love",
            ],
        ),
        case(
            hand("木", &[("hand_shape_confidence", 0.2)], &[]),
            None,
            &["hand.shape.mixed"],
        ),
        // Fingers.
        case(
            hand("金", &[("finger_ratios.index_ring", 0.90)], &[]),
            None,
            &["hand.finger_ratio.ring_longer"],
        ),
        case(
            hand("金", &[("finger_ratios.index_ring", 1.02)], &[]),
            None,
            &["hand.finger_ratio.index_longer"],
        ),
        case(
            hand(
                "木",
                &[],
                &[
                    ("finger_lengths.index", "long"),
                    ("finger_lengths.middle", "long"),
                    ("finger_lengths.ring", "long"),
                    ("finger_lengths.pinky", "long"),
                    ("finger_lengths.thumb", "long"),
                ],
            ),
            None,
            &[
                "hand.finger.index_long",
                "hand.finger.middle_long",
                "hand.finger.ring_long",
                "hand.finger.pinky_long",
                "hand.finger.thumb_long",
            ],
        ),
        case(
            hand(
                "土",
                &[],
                &[
                    ("finger_lengths.middle", "short"),
                    ("finger_lengths.pinky", "short"),
                    ("finger_lengths.thumb", "short"),
                ],
            ),
            None,
            &[
                "hand.finger.middle_short",
                "hand.finger.pinky_short",
                "hand.finger.thumb_short",
            ],
        ),
        case(
            hand("木", &[("finger_ratios.middle_palm", 1.4)], &[]),
            None,
            &["hand.fingers.very_long"],
        ),
        case(
            hand("土", &[("finger_ratios.middle_palm", 0.95)], &[]),
            None,
            &["hand.fingers.very_short"],
        ),
        // Thumb, gaps, palm.
        case(
            hand("水", &[("measurements.thumb_angle", 70.0)], &[]),
            None,
            &["hand.thumb.wide_angle"],
        ),
        case(
            hand("金", &[("measurements.thumb_angle", 20.0)], &[]),
            None,
            &["hand.thumb.narrow_angle"],
        ),
        case(
            hand(
                "土",
                &[
                    ("measurements.gap_index_middle", 2.0),
                    ("measurements.gap_middle_ring", 1.5),
                    ("measurements.gap_ring_pinky", 3.0),
                ],
                &[],
            ),
            None,
            &["hand.gaps.closed"],
        ),
        case(
            hand(
                "火",
                &[
                    ("measurements.gap_index_middle", 18.0),
                    ("measurements.gap_ring_pinky", 25.0),
                ],
                &[],
            ),
            None,
            &["hand.gaps.index_middle_wide", "hand.gaps.ring_pinky_wide"],
        ),
        case(
            hand("木", &[("measurements.palm_ratio", 1.8)], &[]),
            None,
            &["hand.palm.very_long"],
        ),
        case(
            hand("水", &[("measurements.palm_ratio", 1.05)], &[]),
            None,
            &["hand.palm.broad"],
        ),
        // Face shapes.
        case(
            face("圆", &[], &[]),
            None,
            &[
                "face.shape.round.character",
                "face.shape.round.wealth",
                "face.shape.round.health",
                "face.san_ting.balanced",
                "face.features.even",
            ],
        ),
        case(
            face("方", &[], &[]),
            None,
            &[
                "face.shape.square.character",
                "face.shape.square.career",
                "face.shape.square.health",
            ],
        ),
        case(
            face("长", &[], &[]),
            None,
            &[
                "face.shape.long.character",
                "face.shape.long.career",
                "face.shape.long.health",
            ],
        ),
        case(
            face("瓜子", &[], &[]),
            None,
            &[
                "face.shape.pointed.character",
                "face.shape.pointed.love",
                "face.shape.pointed.health",
            ],
        ),
        case(
            face("鹅蛋", &[], &[]),
            None,
            &[
                "face.shape.oval.character",
                "face.shape.oval.love",
                "face.shape.oval.health",
            ],
        ),
        // Three courts.
        case(
            face(
                "鹅蛋",
                &[
                    ("san_ting_ratio.upper", 0.40),
                    ("san_ting_ratio.middle", 0.32),
                    ("san_ting_ratio.lower", 0.28),
                ],
                &[("facial_attributes.san_ting", "upper")],
            ),
            None,
            &["face.san_ting.upper_long", "face.san_ting.lower_short"],
        ),
        case(
            face(
                "长",
                &[
                    ("san_ting_ratio.upper", 0.28),
                    ("san_ting_ratio.middle", 0.40),
                    ("san_ting_ratio.lower", 0.32),
                ],
                &[("facial_attributes.san_ting", "middle")],
            ),
            None,
            &["face.san_ting.upper_short", "face.san_ting.middle_long"],
        ),
        case(
            face(
                "方",
                &[
                    ("san_ting_ratio.upper", 0.30),
                    ("san_ting_ratio.middle", 0.31),
                    ("san_ting_ratio.lower", 0.39),
                ],
                &[("facial_attributes.san_ting", "lower")],
            ),
            None,
            &["face.san_ting.lower_long"],
        ),
        // Eyes, nose, mouth, brows.
        case(
            face(
                "圆",
                &[],
                &[
                    ("facial_attributes.eye_spacing", "wide"),
                    ("facial_attributes.eye_size", "large"),
                    ("facial_attributes.nose_width", "wide"),
                    ("facial_attributes.mouth_width", "wide"),
                    ("facial_attributes.eyebrow_height", "high"),
                ],
            ),
            None,
            &[
                "face.eyes.wide_spacing",
                "face.eyes.large",
                "face.nose.wide",
                "face.mouth.wide",
                "face.brows.high",
            ],
        ),
        case(
            face(
                "瓜子",
                &[],
                &[
                    ("facial_attributes.eye_spacing", "close"),
                    ("facial_attributes.eye_size", "small"),
                    ("facial_attributes.nose_width", "narrow"),
                    ("facial_attributes.mouth_width", "narrow"),
                    ("facial_attributes.eyebrow_height", "low"),
                ],
            ),
            None,
            &[
                "face.eyes.close_spacing",
                "face.eyes.small",
                "face.nose.narrow",
                "face.mouth.narrow",
                "face.brows.low",
            ],
        ),
        // Shape and chart. 水 generates 木; 木 day master, 水 favourable.
        case(
            hand("水", &[], &[]),
            Some(chart(
                [3, 1, 2, 1, 1],
                "木",
                "身弱",
                &["水", "木"],
                &["金", "土"],
            )),
            &[
                "integrated.shape.favourable",
                "integrated.shape.generates_day_master",
                "integrated.water_hand.water_weak",
            ],
        ),
        case(
            hand("水", &[], &[]),
            Some(chart(
                [1, 1, 1, 1, 4],
                "水",
                "身强",
                &["火", "土"],
                &["水", "金"],
            )),
            &[
                "integrated.shape.unfavourable",
                "integrated.shape.same",
                "integrated.water_hand.water_heavy",
            ],
        ),
        // 水 day master generates a 木 hand.
        case(
            hand("木", &[("finger_ratios.middle_palm", 1.35)], &[]),
            Some(chart(
                [2, 2, 2, 1, 1],
                "水",
                "身弱",
                &["金", "水"],
                &["木", "火", "土"],
            )),
            &[
                "integrated.wood_hand.weak",
                "integrated.shape.generated_by_day_master",
                "integrated.long_fingers.weak",
            ],
        ),
        // A 火 hand controls a 金 day master.
        case(
            hand("火", &[], &[]),
            Some(chart(
                [1, 1, 2, 3, 1],
                "金",
                "身强",
                &["火", "水", "木"],
                &["土", "金"],
            )),
            &[
                "integrated.fire_hand.strong",
                "integrated.shape.controls_day_master",
            ],
        ),
        // A 木 day master controls a 土 hand; no 土 in the chart.
        case(
            hand("土", &[], &[]),
            Some(chart([3, 2, 0, 1, 2], "木", "中和", &["土", "金"], &["木"])),
            &[
                "integrated.earth_hand.earth_missing",
                "integrated.shape.controlled_by_day_master",
            ],
        ),
        case(
            hand("金", &[], &[]),
            Some(chart([1, 1, 1, 4, 1], "金", "身强", &["火"], &["金", "土"])),
            &["integrated.metal_hand.metal_dominant"],
        ),
        case(
            face("圆", &[], &[]),
            Some(chart([2, 3, 2, 1, 0], "火", "身强", &["水"], &["火"])),
            &["integrated.round_face.water_missing"],
        ),
        case(
            face("方", &[], &[]),
            Some(chart([1, 1, 2, 3, 1], "金", "从强", &["金", "土"], &["火"])),
            &["integrated.square_face.strong"],
        ),
        case(
            face("长", &[], &[]),
            Some(chart([1, 2, 2, 2, 1], "火", "身弱", &["木", "火"], &["水"])),
            &["integrated.long_face.wood_favourable"],
        ),
        case(
            face(
                "鹅蛋",
                &[],
                &[
                    ("facial_attributes.mouth_width", "wide"),
                    ("facial_attributes.nose_width", "wide"),
                ],
            ),
            Some(chart([2, 2, 1, 2, 1], "金", "中和", &["火", "木"], &["金"])),
            &[
                "integrated.wide_mouth.fire_favourable",
                "integrated.wide_nose.strong_enough",
                "integrated.balanced_face.balanced_chart",
            ],
        ),
    ]
}

#[test]
fn the_corpus_is_large_valid_and_in_chinese() {
    let all = corpus();
    assert!(all.len() >= 60, "{} rules", all.len());
    let set = rules();
    assert_eq!(set.len(), all.len(), "skipped: {:?}", set.skipped());
    let codes: BTreeSet<&str> = all.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes.len(), all.len(), "codes are unique");
    for kind in RuleKind::ALL {
        let n = all.iter().filter(|r| r.kind == kind).count();
        assert!(n >= 15, "{n} {kind:?} rules");
    }
    for r in &all {
        assert!(
            CATEGORIES.contains(&r.category.as_str()),
            "{}: {}",
            r.code,
            r.category
        );
        assert!(r.code.starts_with(r.kind.as_str()), "{}", r.code);
        assert!(
            r.text
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}: {}",
            r.code,
            r.text
        );
        assert!((0.3..=0.9).contains(&r.confidence), "{}", r.code);
        assert!(r.enabled);
    }
}

#[test]
fn every_rule_is_exercised_by_a_case() {
    let set = rules();
    let mut covered = BTreeSet::new();
    for (i, c) in cases().iter().enumerate() {
        let got = matched(&set, &c.features, c.chart.as_ref());
        for code in c.expected {
            assert!(
                got.iter().any(|g| g == code),
                "case {i}: {code} not in {got:?}"
            );
            covered.insert(*code);
        }
    }
    let missing: Vec<String> = corpus()
        .into_iter()
        .map(|r| r.code)
        .filter(|code| !covered.contains(code.as_str()))
        .collect();
    assert!(missing.is_empty(), "rules no case exercises: {missing:?}");
}

#[test]
fn rules_keep_to_their_subject_and_need_a_chart_to_integrate() {
    let set = rules();
    // A hand never matches face rules, a face never hand rules.
    let hand_only = matched(&set, &hand("水", &[], &[]), Some(&plain_chart()));
    assert!(
        hand_only.iter().all(|c| !c.starts_with("face.")),
        "{hand_only:?}"
    );
    let face_only = matched(&set, &face("圆", &[], &[]), Some(&plain_chart()));
    assert!(
        face_only.iter().all(|c| !c.starts_with("hand.")),
        "{face_only:?}"
    );
    // Without a chart, no integrated rule.
    for features in [hand("水", &[], &[]), face("圆", &[], &[])] {
        let found = set.evaluate(&features, None);
        assert!(found.integrated.is_empty(), "{:?}", found.integrated);
        assert!(!found.insights.is_empty());
    }
    // With the plain chart, the 水 hand is neither favourable nor in a
    // pairing: 金 day master generates 水.
    let found = set.evaluate(&hand("水", &[], &[]), Some(&plain_chart()));
    let integrated: Vec<&str> = found.integrated.iter().map(|i| i.source.as_str()).collect();
    assert_eq!(integrated, ["integrated.shape.generated_by_day_master"]);
}

#[test]
fn insights_carry_the_rule_and_what_it_read() {
    let set = rules();
    let found = set.evaluate(
        &hand("水", &[], &[]),
        Some(&chart(
            [3, 1, 2, 1, 1],
            "木",
            "身弱",
            &["水", "木"],
            &["金", "土"],
        )),
    );
    let weak = found
        .integrated
        .iter()
        .find(|i| i.source == "integrated.water_hand.water_weak")
        .expect("the water-hand rule matched");
    assert_eq!(weak.category, "事业");
    assert_eq!(weak.feature, "hand_shape, bazi.element_counts.水");
    assert!(weak.content.starts_with("水形手而八字水弱"));
    assert!((weak.confidence - 0.65).abs() < 1e-9);
    let character = &found.insights[0];
    assert_eq!(character.source, "hand.shape.water.character");
    assert_eq!(character.feature, "hand_shape");
    // Highest priority first within each list.
    let priorities = |sources: Vec<&str>| -> Vec<i64> {
        let all = corpus();
        sources
            .iter()
            .map(|s| {
                all.iter()
                    .find(|r| r.code == *s)
                    .map(|r| r.priority)
                    .unwrap_or(0)
            })
            .collect()
    };
    for list in [&found.insights, &found.integrated] {
        let p = priorities(list.iter().map(|i| i.source.as_str()).collect());
        assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
    }
    // Recommendations of the matched rules, each once.
    assert!(found
        .recommendations
        .iter()
        .any(|r| r.contains("贸易、物流")));
    let unique: BTreeSet<&String> = found.recommendations.iter().collect();
    assert_eq!(unique.len(), found.recommendations.len());
}

/// A hand measured from landmarks: a broad palm (水), typical fingers.
fn water_hand_landmarks() -> [[f32; 3]; 21] {
    let mut l = [[0.0f32; 3]; 21];
    let width = 1.0 / 1.05;
    let mcp_x = [-width / 2.0, 0.0, width / 4.0, width / 2.0];
    let lengths = [1.03, 1.15, 1.08, 0.85];
    l[0] = [500.0, 800.0, 0.0];
    for f in 0..4 {
        for (j, along) in [0.0, 0.45, 0.75, 1.0].into_iter().enumerate() {
            let x = 500.0 + 300.0 * mcp_x[f];
            let y = 800.0 - 300.0 * (1.0 + lengths[f] * along);
            l[5 + 4 * f + j] = [x, y, 0.0];
        }
    }
    for (j, (x, y)) in [(-0.5, -0.3), (-0.65, -0.55), (-0.85, -0.8), (-1.0, -1.0)]
        .into_iter()
        .enumerate()
    {
        l[1 + j] = [500.0 + 300.0 * x, 800.0 + 300.0 * y, 0.0];
    }
    l
}

#[test]
fn measured_features_meet_the_rules_end_to_end() {
    let set = rules();
    let measured =
        physiognomy::hand_features(&water_hand_landmarks(), physiognomy::Handedness::Right)
            .expect("a measurable hand");
    assert_eq!(measured.hand_shape(), "水");
    let features = FeatureFacts::from_hand(&measured);
    let input = bazi::BirthInput::parse("1990-01-15", "12:00", "male").expect("input");
    let chart = ChartFacts::from_chart(&bazi::chart(&input).expect("chart"));
    // 庚 day master, 中和 (the guide's example).
    assert_eq!(chart.day_master.map(|e| e.as_str()), Some("金"));
    assert_eq!(chart.strength.map(|s| s.as_str()), Some("中和"));
    let got = matched(&set, &features, Some(&chart));
    for code in [
        "hand.shape.water.character",
        "hand.shape.water.love",
        "hand.palm.broad",
        "hand.gaps.closed",
        "integrated.shape.generated_by_day_master",
    ] {
        assert!(got.iter().any(|g| g == code), "{code} not in {got:?}");
    }
}
