//! The condition language: what each condition means, what is refused
//! (with the path of the bad node), and how a rule set splits and orders
//! its matches.

mod support;

use fortune_rules::{
    ChartFacts, CompileErrorKind, CompiledRule, Condition, Facts, FeatureFacts, NewRule, RuleError,
    RuleKind, RuleSet, Subject,
};
use serde_json::{json, Value};
use support::{chart, face, hand};

fn compiled(condition: &Value, kind: RuleKind) -> Condition {
    Condition::compile(condition, kind).unwrap_or_else(|e| panic!("{condition}: {e}"))
}

fn holds(
    condition: &Value,
    kind: RuleKind,
    features: &FeatureFacts,
    chart: Option<&ChartFacts>,
) -> bool {
    compiled(condition, kind).matches(&Facts { features, chart })
}

fn refused(condition: &Value, kind: RuleKind) -> (String, CompileErrorKind, String) {
    let e = Condition::compile(condition, kind).expect_err("refused");
    (e.path, e.kind, e.message)
}

#[test]
fn shapes_numbers_words_and_marks() {
    let water = hand(
        "水",
        &[("finger_ratios.index_ring", 0.9)],
        &[("finger_lengths.index", "long")],
    );
    let h = RuleKind::Hand;
    assert!(holds(&json!({"hand_shape": "水"}), h, &water, None));
    assert!(holds(&json!({"hand_shape": ["木", "水"]}), h, &water, None));
    assert!(!holds(&json!({"hand_shape": "木"}), h, &water, None));
    assert!(holds(&json!({"shape_element": "水"}), h, &water, None));
    let number = |op: &str, value: f64| json!({"number": {"feature": "finger_ratios.index_ring", "op": op, "value": value}});
    assert!(holds(&number("<", 0.92), h, &water, None));
    assert!(holds(&number("<=", 0.9), h, &water, None));
    assert!(!holds(&number(">", 0.9), h, &water, None));
    assert!(holds(&number(">=", 0.9), h, &water, None));
    let word = |w: &Value| json!({"word": {"feature": "finger_lengths.index", "in": w}});
    assert!(holds(&word(&json!(["long", "short"])), h, &water, None));
    assert!(!holds(&word(&json!(["medium"])), h, &water, None));
    assert!(holds(
        &json!({"word": {"feature": "hand_orientation", "is": "right_palm_up"}}),
        h,
        &water,
        None
    ));
    assert!(holds(
        &json!({"not": {"hand_shape": "火"}}),
        h,
        &water,
        None
    ));
    assert!(holds(
        &json!({"any": [{"hand_shape": "火"}, {"shape_element": "水"}]}),
        h,
        &water,
        None
    ));
    assert!(!holds(
        &json!({"all": [{"hand_shape": "火"}, {"shape_element": "水"}]}),
        h,
        &water,
        None
    ));

    // A face shape has its element: 圆 水, 方 金, 长 木, 瓜子 火, 鹅蛋 土.
    for (shape, element) in [
        ("圆", "水"),
        ("方", "金"),
        ("长", "木"),
        ("瓜子", "火"),
        ("鹅蛋", "土"),
    ] {
        assert!(
            holds(
                &json!({"shape_element": element}),
                RuleKind::Face,
                &face(shape, &[], &[]),
                None
            ),
            "{shape}"
        );
    }

    // Marks: whatever the caller listed.
    let marked =
        FeatureFacts::new(Subject::Hand, "金", [], [], ["川字掌".to_owned()]).expect("features");
    assert!(holds(
        &json!({"mark": ["断掌", "川字掌"]}),
        h,
        &marked,
        None
    ));
    assert!(!holds(&json!({"mark": "断掌"}), h, &marked, None));
}

#[test]
fn an_absent_feature_or_shape_is_false() {
    let bare = FeatureFacts::new(Subject::Hand, "", [], [], []).expect("features");
    let h = RuleKind::Hand;
    assert!(!holds(
        &json!({"hand_shape": ["木", "火", "土", "金", "水"]}),
        h,
        &bare,
        None
    ));
    assert!(!holds(&json!({"shape_element": "木"}), h, &bare, None));
    assert!(!holds(
        &json!({"number": {"feature": "measurements.palm_ratio", "op": ">", "value": 0}}),
        h,
        &bare,
        None
    ));
    assert!(!holds(
        &json!({"word": {"feature": "finger_lengths.ring", "is": "medium"}}),
        h,
        &bare,
        None
    ));
    assert!(holds(
        &json!({"not": {"word": {"feature": "finger_lengths.ring", "is": "medium"}}}),
        h,
        &bare,
        None
    ));
}

#[test]
fn chart_conditions() {
    let water = hand("水", &[], &[]);
    let i = RuleKind::Integrated;
    let c = chart([0, 1, 2, 4, 1], "木", "身弱", &["水", "木"], &["金"]);
    let on = |condition: Value| {
        holds(
            &json!({"all": [{"hand_shape": "水"}, condition]}),
            i,
            &water,
            Some(&c),
        )
    };
    assert!(on(
        json!({"element_count": {"element": "金", "op": "==", "value": 4}})
    ));
    assert!(on(
        json!({"element_count": {"element": "金", "op": "!=", "value": 3}})
    ));
    assert!(on(
        json!({"element_count": {"element": "水", "op": "<", "value": 2}})
    ));
    assert!(!on(
        json!({"element_count": {"element": "土", "op": ">", "value": 2}})
    ));
    assert!(on(json!({"element_missing": "木"})));
    assert!(!on(json!({"element_missing": "水"})));
    assert!(on(json!({"element_dominant": "金"})));
    assert!(!on(json!({"element_dominant": "土"})));
    assert!(on(json!({"day_master_element": ["木", "火"]})));
    assert!(on(json!({"strength": ["身弱", "从弱"]})));
    assert!(on(json!({"strength_at_most": "身弱"})));
    assert!(!on(json!({"strength_at_least": "中和"})));
    assert!(on(json!({"favourable_includes": "木"})));
    assert!(on(json!({"unfavourable_includes": ["金", "土"]})));
    assert!(!on(json!({"unfavourable_includes": "水"})));
    assert!(on(json!({"shape_element_role": "favourable"})));
    assert!(!on(
        json!({"shape_element_role": ["unfavourable", "neutral"]})
    ));
    // 水 generates 木.
    assert!(on(json!({"shape_element_relation": "generate"})));
    assert!(!on(json!({"shape_element_relation": "generated_by"})));

    // 3 is not dominant when another element has as many.
    let tie = chart([3, 0, 0, 3, 2], "金", "中和", &[], &[]);
    assert!(!holds(
        &json!({"all": [{"hand_shape": "水"}, {"element_dominant": "金"}]}),
        i,
        &water,
        Some(&tie)
    ));

    // A chart without analyses (a caller's counts only): every condition on
    // what it does not give is false, the role included.
    let counts_only = ChartFacts {
        element_counts: [1, 1, 1, 1, 4],
        ..ChartFacts::default()
    };
    for condition in [
        json!({"strength": ["从弱", "身弱", "中和", "身强", "从强"]}),
        json!({"day_master_element": ["木", "火", "土", "金", "水"]}),
        json!({"shape_element_role": ["favourable", "unfavourable", "neutral"]}),
        json!({"shape_element_relation": ["same", "generate", "control", "generated_by", "controlled_by"]}),
        json!({"favourable_includes": ["木", "火", "土", "金", "水"]}),
    ] {
        assert!(
            !holds(
                &json!({"all": [{"hand_shape": "水"}, condition.clone()]}),
                i,
                &water,
                Some(&counts_only)
            ),
            "{condition}"
        );
    }
    assert!(holds(
        &json!({"all": [{"hand_shape": "水"}, {"element_dominant": "水"}]}),
        i,
        &water,
        Some(&counts_only)
    ));
    // No chart at all: false.
    assert!(!holds(
        &json!({"all": [{"hand_shape": "水"}, {"element_missing": "木"}]}),
        i,
        &water,
        None
    ));
}

#[test]
fn refusals_name_the_node_and_the_kind() {
    use CompileErrorKind::{ImpossibleValue, MissingKey, UnknownKey, WrongType};
    let h = RuleKind::Hand;
    let cases: Vec<(Value, RuleKind, &str, CompileErrorKind, &str)> = vec![
        (json!("木"), h, "$", WrongType, "one key"),
        (json!({}), h, "$", ImpossibleValue, "exactly one key"),
        (
            json!({"hand_shape": "木", "face_shape": "圆"}),
            RuleKind::Integrated,
            "$",
            ImpossibleValue,
            "exactly one key",
        ),
        (
            json!({"palm": 1}),
            h,
            "$.palm",
            UnknownKey,
            "unknown condition",
        ),
        (json!({"all": []}), h, "$.all", ImpossibleValue, "empty"),
        (
            json!({"all": [{"hand_shape": "木"}, {"hand_shape": "铁"}]}),
            h,
            "$.all[1].hand_shape",
            ImpossibleValue,
            "not a known hand shape",
        ),
        (
            json!({"hand_shape": []}),
            h,
            "$.hand_shape",
            ImpossibleValue,
            "empty",
        ),
        (
            json!({"hand_shape": 3}),
            h,
            "$.hand_shape",
            WrongType,
            "hand shape",
        ),
        (
            json!({"face_shape": "圆"}),
            h,
            "$.face_shape",
            ImpossibleValue,
            "never sees a face",
        ),
        (
            json!({"hand_shape": "木"}),
            RuleKind::Face,
            "$.hand_shape",
            ImpossibleValue,
            "never sees a hand",
        ),
        (
            json!({"number": {"feature": "measurements.palm_ratoi", "op": ">", "value": 1}}),
            h,
            "$.number.feature",
            ImpossibleValue,
            "not a number feature",
        ),
        (
            json!({"number": {"feature": "finger_lengths.index", "op": ">", "value": 1}}),
            h,
            "$.number.feature",
            ImpossibleValue,
            "use \"word\"",
        ),
        (
            json!({"word": {"feature": "measurements.palm_ratio", "is": "long"}}),
            h,
            "$.word.feature",
            ImpossibleValue,
            "use \"number\"",
        ),
        (
            json!({"number": {"feature": "feature_measurements.eye_size", "op": ">", "value": 1}}),
            h,
            "$.number.feature",
            ImpossibleValue,
            "never sees",
        ),
        (
            json!({"number": {"feature": "measurements.palm_ratio", "op": "==", "value": 1.5}}),
            h,
            "$.number.op",
            ImpossibleValue,
            "never exactly",
        ),
        (
            json!({"number": {"feature": "measurements.palm_ratio", "op": "~", "value": 1.5}}),
            h,
            "$.number.op",
            ImpossibleValue,
            "not an operator",
        ),
        (
            json!({"number": {"feature": "measurements.palm_ratio", "op": ">"}}),
            h,
            "$.number.value",
            MissingKey,
            "a number",
        ),
        (
            json!({"number": {"feature": "measurements.palm_ratio", "op": ">", "value": "1.5"}}),
            h,
            "$.number.value",
            WrongType,
            "a number",
        ),
        (
            json!({"number": {"feature": "measurements.palm_ratio", "op": ">", "value": 1, "unit": "cm"}}),
            h,
            "$.number.unit",
            UnknownKey,
            "unknown field",
        ),
        (
            json!({"word": {"feature": "finger_lengths.index", "is": "huge"}}),
            h,
            "$.word.is",
            ImpossibleValue,
            "long medium short",
        ),
        (
            json!({"word": {"feature": "finger_lengths.index", "is": "long", "in": ["short"]}}),
            h,
            "$.word",
            ImpossibleValue,
            "not both",
        ),
        (
            json!({"word": {"feature": "finger_lengths.index"}}),
            h,
            "$.word.is",
            MissingKey,
            "\"is\"",
        ),
        (
            json!({"mark": " "}),
            h,
            "$.mark",
            ImpossibleValue,
            "1 to 64",
        ),
        (
            json!({"element_missing": "水"}),
            h,
            "$.element_missing",
            ImpossibleValue,
            "only integrated rules",
        ),
        (
            json!({"shape_element_role": "favourable"}),
            RuleKind::Face,
            "$.shape_element_role",
            ImpossibleValue,
            "only integrated rules",
        ),
        (
            json!({"all": [{"hand_shape": "水"}, {"element_count": {"element": "水", "op": "<", "value": 9}}]}),
            RuleKind::Integrated,
            "$.all[1].element_count.value",
            ImpossibleValue,
            "eight characters",
        ),
        (
            json!({"all": [{"hand_shape": "水"}, {"element_count": {"element": "水", "op": "<", "value": -1}}]}),
            RuleKind::Integrated,
            "$.all[1].element_count.value",
            ImpossibleValue,
            "0 or more",
        ),
        (
            json!({"all": [{"hand_shape": "水"}, {"element_count": {"element": "氵", "op": "<", "value": 1}}]}),
            RuleKind::Integrated,
            "$.all[1].element_count.element",
            ImpossibleValue,
            "not a known element",
        ),
        (
            json!({"all": [{"hand_shape": "水"}, {"strength": "很强"}]}),
            RuleKind::Integrated,
            "$.all[1].strength",
            ImpossibleValue,
            "strength level",
        ),
        (
            json!({"all": [{"hand_shape": "水"}, {"shape_element_relation": "helps"}]}),
            RuleKind::Integrated,
            "$.all[1].shape_element_relation",
            ImpossibleValue,
            "generated_by",
        ),
        (
            json!({"element_missing": "水"}),
            RuleKind::Integrated,
            "$",
            ImpossibleValue,
            "reads no feature",
        ),
        (
            json!({"hand_shape": "水"}),
            RuleKind::Integrated,
            "$",
            ImpossibleValue,
            "reads no chart fact",
        ),
    ];
    for (condition, kind, path, error_kind, says) in cases {
        let (got_path, got_kind, message) = refused(&condition, kind);
        assert_eq!(
            (got_path.as_str(), got_kind),
            (path, error_kind),
            "{condition}: {message}"
        );
        assert!(
            message.contains(says),
            "{condition}: {message:?} should say {says:?}"
        );
    }
    // Both sides in one condition make an integrated rule.
    compiled(
        &json!({"shape_element_role": "favourable"}),
        RuleKind::Integrated,
    );
}

#[test]
fn reads_lists_features_then_chart_facts_once_each() {
    let c = compiled(
        &json!({"all": [
            {"hand_shape": "水"},
            {"any": [{"element_count": {"element": "水", "op": "<=", "value": 1}}, {"element_missing": "水"}]},
            {"number": {"feature": "finger_ratios.index_ring", "op": "<", "value": 1}},
            {"shape_element_relation": "same"}
        ]}),
        RuleKind::Integrated,
    );
    assert_eq!(
        c.reads(),
        [
            "hand_shape",
            "bazi.element_counts.水",
            "finger_ratios.index_ring",
            "shape_element",
            "bazi.day_master"
        ]
    );
}

fn new_rule(
    code: &str,
    kind: RuleKind,
    priority: i64,
    conditions: Value,
    recommendations: &[&str],
) -> NewRule {
    NewRule {
        code: code.to_owned(),
        kind,
        category: "性格".to_owned(),
        conditions,
        text: format!("{code} 的解读"),
        recommendations: recommendations.iter().map(|r| (*r).to_owned()).collect(),
        confidence: 0.6,
        priority,
        enabled: true,
    }
}

#[test]
fn a_rule_set_orders_splits_and_deduplicates() {
    let rules = vec![
        new_rule(
            "b",
            RuleKind::Hand,
            10,
            json!({"hand_shape": "水"}),
            &["多喝水", "早睡"],
        ),
        new_rule(
            "a",
            RuleKind::Hand,
            10,
            json!({"shape_element": "水"}),
            &["早睡"],
        ),
        new_rule(
            "c",
            RuleKind::Hand,
            50,
            json!({"hand_shape": ["水", "木"]}),
            &[],
        ),
        new_rule("f", RuleKind::Face, 99, json!({"face_shape": "圆"}), &[]),
        new_rule(
            "i",
            RuleKind::Integrated,
            1,
            json!({"all": [{"hand_shape": "水"}, {"strength": "身弱"}]}),
            &["借力"],
        ),
        NewRule {
            enabled: false,
            ..new_rule("off", RuleKind::Hand, 100, json!({"hand_shape": "水"}), &[])
        },
        new_rule(
            "broken",
            RuleKind::Hand,
            100,
            json!({"hand_shape": "铁"}),
            &[],
        ),
    ];
    let set = RuleSet::compile(7, &rules);
    assert_eq!(set.version(), 7);
    assert_eq!(set.len(), 5, "the disabled and the broken rule are out");
    assert_eq!(set.skipped().len(), 1);
    assert_eq!(set.skipped()[0].code, "broken");
    assert!(
        set.skipped()[0].reason.contains("$.hand_shape"),
        "{}",
        set.skipped()[0].reason
    );

    let water = hand("水", &[], &[]);
    let weak = chart([1, 1, 1, 1, 1], "水", "身弱", &["金"], &["土"]);
    let found = set.evaluate(&water, Some(&weak));
    let sources =
        |list: &[fortune_rules::Insight]| list.iter().map(|i| i.source.clone()).collect::<Vec<_>>();
    assert_eq!(
        sources(&found.insights),
        ["c", "a", "b"],
        "priority, then code"
    );
    assert_eq!(sources(&found.integrated), ["i"]);
    assert_eq!(found.recommendations, ["早睡", "多喝水", "借力"]);
    assert!(found.insights.iter().all(|i| i.kind == RuleKind::Hand));
    let without_chart = set.evaluate(&water, None);
    assert!(without_chart.integrated.is_empty());
    assert_eq!(without_chart.recommendations, ["早睡", "多喝水"]);
}

#[test]
fn rule_fields_are_checked() {
    let ok = new_rule("ok", RuleKind::Hand, 1, json!({"hand_shape": "木"}), &[]);
    assert!(CompiledRule::compile(&ok).is_ok());
    let field = |rule: NewRule| match CompiledRule::compile(&rule) {
        Err(RuleError::Field { field, .. }) => field,
        other => panic!("expected a field refusal: {other:?}"),
    };
    assert_eq!(
        field(NewRule {
            code: "a b".to_owned(),
            ..ok.clone()
        }),
        "code"
    );
    assert_eq!(
        field(NewRule {
            code: String::new(),
            ..ok.clone()
        }),
        "code"
    );
    assert_eq!(
        field(NewRule {
            category: " ".to_owned(),
            ..ok.clone()
        }),
        "category"
    );
    assert_eq!(
        field(NewRule {
            text: String::new(),
            ..ok.clone()
        }),
        "text"
    );
    assert_eq!(
        field(NewRule {
            confidence: 1.5,
            ..ok.clone()
        }),
        "confidence"
    );
    assert_eq!(
        field(NewRule {
            confidence: f64::NAN,
            ..ok.clone()
        }),
        "confidence"
    );
    assert_eq!(
        field(NewRule {
            recommendations: vec![String::new()],
            ..ok.clone()
        }),
        "recommendations"
    );
    assert_eq!(
        field(NewRule {
            recommendations: vec!["x".to_owned(); 11],
            ..ok.clone()
        }),
        "recommendations"
    );
    match CompiledRule::compile(&NewRule {
        kind: RuleKind::Face,
        ..ok
    }) {
        Err(RuleError::Conditions(e)) => assert_eq!(e.path, "$.hand_shape"),
        other => panic!("a hand condition in a face rule: {other:?}"),
    }
}
