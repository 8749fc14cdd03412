//! `fortune.rule.FortuneRuleService` over real gRPC: in-process servers on
//! free TCP ports (each on a fresh temporary data directory), two instances
//! sharing one database as during a swap, and the `fortune_rule` binary
//! itself (health, reflection, SIGTERM, data surviving a restart).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use fortune_rule::FortuneRule;
use fortune_rule_api::fortune_rule_service_client::FortuneRuleServiceClient;
use fortune_rule_api::fortune_rule_service_server::FortuneRuleServiceServer;
use fortune_rule_api::{
    BaziData, BaziInfo, DeleteRuleRequest, FaceFeatures, FaceRuleMatchRequest, GetRuleRequest,
    HandFeatures, HandRuleMatchRequest, HealthCheckRequest, ListRulesRequest, PutRuleRequest, Rule,
    RuleMatchResponse,
};
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::Identity;
use serde_json::{json, Value};
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;

type Client = FortuneRuleServiceClient<Channel>;

/// Opens the service on `data_dir`, serves it in-process on a free port and
/// returns a client and the address.
async fn start_on(data_dir: &Path) -> (Client, SocketAddr) {
    let identity = Identity {
        service: "fortune_rule".to_owned(),
        version: 3,
    };
    let service = FortuneRule::open(data_dir, identity).expect("open the rules database");
    let addr = serve_in_process(Routes::new(FortuneRuleServiceServer::new(service))).await;
    let client = FortuneRuleServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to the in-process server");
    (client, addr)
}

/// A right hand seen from the palm, in pixels: a broad palm (length / width
/// 1.05, a 水 hand), fingers of typical length held together.
fn water_hand_landmarks() -> [[f32; 3]; 21] {
    let mut l = [[0.0f32; 3]; 21];
    let width = 1.0 / 1.05;
    let mcp_x = [-width / 2.0, 0.0, width / 4.0, width / 2.0];
    let lengths = [1.03, 1.15, 1.08, 0.85];
    l[0] = [640.0, 900.0, 0.0];
    for f in 0..4 {
        for (j, along) in [0.0, 0.45, 0.75, 1.0].into_iter().enumerate() {
            l[5 + 4 * f + j] = [
                640.0 + 280.0 * mcp_x[f],
                900.0 - 280.0 * (1.0 + lengths[f] * along),
                0.0,
            ];
        }
    }
    for (j, (x, y)) in [(-0.5, -0.3), (-0.7, -0.5), (-0.9, -0.75), (-1.05, -0.95)]
        .into_iter()
        .enumerate()
    {
        l[1 + j] = [640.0 + 280.0 * x, 900.0 + 280.0 * y, 0.0];
    }
    l
}

/// The proto of measured hand features, filled from physiognomy's maps as
/// a caller fills it.
fn hand_proto(h: &physiognomy::HandFeatures) -> HandFeatures {
    HandFeatures {
        hand_shape: h.hand_shape().to_owned(),
        hand_shape_ratio: h.hand_shape_ratio(),
        hand_shape_confidence: h.hand_shape_confidence(),
        finger_lengths: h
            .finger_lengths()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        finger_ratios: h
            .finger_ratios()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        measurements: h
            .measurements()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        hand_orientation: h.hand_orientation(),
        ..HandFeatures::default()
    }
}

fn water_hand() -> HandFeatures {
    let measured =
        physiognomy::hand_features(&water_hand_landmarks(), physiognomy::Handedness::Right)
            .expect("a measurable hand");
    assert_eq!(measured.hand_shape(), "水");
    hand_proto(&measured)
}

/// An average round face, as a caller's maps.
fn round_face() -> FaceFeatures {
    let text = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let numbers = |pairs: &[(&str, f32)]| -> HashMap<String, f32> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    };
    FaceFeatures {
        san_ting_ratio: numbers(&[("upper", 0.33), ("middle", 0.335), ("lower", 0.335)]),
        facial_attributes: text(&[
            ("face_shape", "圆"),
            ("san_ting", "balanced"),
            ("eye_spacing", "wide"),
            ("eye_size", "medium"),
            ("nose_width", "medium"),
            ("mouth_width", "medium"),
            ("eyebrow_height", "medium"),
        ]),
        feature_measurements: numbers(&[("face_ratio", 0.8), ("eye_spacing", 1.7)]),
        special_features: vec![],
    }
}

/// The guide's birth: 1990-01-15 12:00, male — 己巳 丁丑 庚辰 壬午, a 中和
/// 庚 day master.
fn guide_birth() -> BaziInfo {
    BaziInfo {
        solar_date: "1990-01-15".to_owned(),
        solar_time: "12:00".to_owned(),
        gender: "male".to_owned(),
        use_bazi: true,
    }
}

fn hand_request(
    features: HandFeatures,
    info: Option<BaziInfo>,
    data: Option<BaziData>,
) -> HandRuleMatchRequest {
    HandRuleMatchRequest {
        hand_features: Some(features),
        bazi_info: info,
        bazi_data: data,
    }
}

fn face_request(
    features: FaceFeatures,
    info: Option<BaziInfo>,
    data: Option<BaziData>,
) -> FaceRuleMatchRequest {
    FaceRuleMatchRequest {
        face_features: Some(features),
        bazi_info: info,
        bazi_data: data,
    }
}

async fn match_hand(client: &mut Client, request: HandRuleMatchRequest) -> RuleMatchResponse {
    client
        .match_hand_rules(request)
        .await
        .expect("MatchHandRules")
        .into_inner()
}

async fn match_face(client: &mut Client, request: FaceRuleMatchRequest) -> RuleMatchResponse {
    client
        .match_face_rules(request)
        .await
        .expect("MatchFaceRules")
        .into_inner()
}

fn sources(insights: &[fortune_rule_api::AnalysisInsight]) -> Vec<&str> {
    insights.iter().map(|i| i.source.as_str()).collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn rule_set_version(response: &RuleMatchResponse) -> u64 {
    json(&response.metadata_json)["rule_set_version"]
        .as_u64()
        .expect("rule_set_version is a number")
}

fn assert_invalid(status: &tonic::Status, prefix: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with(prefix),
        "expected a message starting {prefix:?}: {}",
        status.message()
    );
}

/// A rule to put.
fn rule(code: &str, kind: &str, conditions: &Value, enabled: bool) -> PutRuleRequest {
    PutRuleRequest {
        rule: Some(Rule {
            code: code.to_owned(),
            kind: kind.to_owned(),
            category: "性格".to_owned(),
            conditions_json: conditions.to_string(),
            text: format!("{code} 的解读"),
            recommendations: vec![format!("{code} 的建议")],
            confidence: 0.75,
            priority: 1000,
            enabled,
            ..Rule::default()
        }),
    }
}

#[tokio::test]
async fn a_hand_without_a_chart_matches_the_hand_rules() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let response = match_hand(&mut client, hand_request(water_hand(), None, None)).await;

    assert!(response.success);
    assert!(response.error_message.is_empty());
    let hand = sources(&response.hand_insights);
    for code in [
        "hand.shape.water.character",
        "hand.shape.water.career",
        "hand.shape.water.love",
        "hand.palm.broad",
        "hand.gaps.closed",
    ] {
        assert!(hand.contains(&code), "{code} not in {hand:?}");
    }
    assert_eq!(
        hand[0], "hand.shape.water.character",
        "highest priority first"
    );
    assert!(response.face_insights.is_empty());
    assert!(
        response.integrated_insights.is_empty(),
        "no chart, no integrated rule"
    );
    assert!(response.bazi_data.is_none());
    let first = &response.hand_insights[0];
    assert_eq!(first.category, "性格");
    assert_eq!(first.feature, "hand_shape");
    assert!((first.confidence - 0.7).abs() < 1e-6);
    assert!(first.content.starts_with("水形手"));
    assert!(!response.recommendations.is_empty());

    let metadata = json(&response.metadata_json);
    assert_eq!(metadata["chart"], Value::Null);
    assert_eq!(metadata["service"], "fortune_rule");
    assert_eq!(metadata["service_version"], 3);
    assert_eq!(metadata["skipped"], 0);
    assert!(
        metadata["rules"].as_u64().is_some_and(|n| n >= 60),
        "{metadata}"
    );

    // A birth without use_bazi is not a chart, and is not read at all.
    let ignored = BaziInfo {
        use_bazi: false,
        gender: "?".to_owned(),
        ..guide_birth()
    };
    let response = match_hand(&mut client, hand_request(water_hand(), Some(ignored), None)).await;
    assert!(response.integrated_insights.is_empty());
    assert!(response.bazi_data.is_none());
}

#[tokio::test]
async fn a_hand_with_a_birth_gets_the_chart_and_the_integrated_rules() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let response = match_hand(
        &mut client,
        hand_request(water_hand(), Some(guide_birth()), None),
    )
    .await;

    let chart = response.bazi_data.clone().expect("the chart used");
    let pillars: Vec<(&str, &str)> = ["year", "month", "day", "hour"]
        .iter()
        .map(|k| {
            (
                *k,
                chart.bazi_pillars.get(*k).map(String::as_str).unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        pillars,
        [
            ("year", "己巳"),
            ("month", "丁丑"),
            ("day", "庚辰"),
            ("hour", "壬午")
        ]
    );
    let count = |e: &str| chart.element_counts.get(e).copied();
    assert_eq!(
        [
            count("木"),
            count("火"),
            count("土"),
            count("金"),
            count("水")
        ],
        [Some(0), Some(3), Some(3), Some(1), Some(1)]
    );
    assert!(chart.ten_gods_stats.values().all(|n| *n > 0));
    let meta = json(&chart.metadata_json);
    assert_eq!(meta["source"], "bazi_info");
    assert_eq!(meta["strength"], "中和");
    assert_eq!(meta["day_master"], "庚");
    assert_eq!(meta["day_master_element"], "金");
    assert_eq!(meta["solar_date"], "1990-01-15");
    assert_eq!(meta["gender"], "male");
    assert!(meta["favourable"].as_array().is_some_and(|f| !f.is_empty()));
    assert_eq!(json(&response.metadata_json)["chart"], "bazi_info");

    // 水 hand, one 水 in the chart; 庚金 generates 水.
    let integrated = sources(&response.integrated_insights);
    for code in [
        "integrated.water_hand.water_weak",
        "integrated.shape.generated_by_day_master",
    ] {
        assert!(integrated.contains(&code), "{code} not in {integrated:?}");
    }
    let weak = response
        .integrated_insights
        .iter()
        .find(|i| i.source == "integrated.water_hand.water_weak")
        .expect("matched");
    assert_eq!(weak.feature, "hand_shape, bazi.element_counts.水");
    // The hand insights do not change with the chart.
    let alone = match_hand(&mut client, hand_request(water_hand(), None, None)).await;
    assert_eq!(
        sources(&response.hand_insights),
        sources(&alone.hand_insights)
    );
}

#[tokio::test]
async fn a_sent_chart_is_used_as_sent_and_an_answer_round_trips() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let computed = match_hand(
        &mut client,
        hand_request(water_hand(), Some(guide_birth()), None),
    )
    .await;
    let chart = computed.bazi_data.clone().expect("a chart");

    // The answer's chart sent back gives the same facts, and wins over a
    // birth (here one that would be refused).
    let refused_birth = BaziInfo {
        gender: "unknown".to_owned(),
        ..guide_birth()
    };
    let again = match_hand(
        &mut client,
        hand_request(water_hand(), Some(refused_birth), Some(chart.clone())),
    )
    .await;
    assert_eq!(
        sources(&again.integrated_insights),
        sources(&computed.integrated_insights)
    );
    let used = again.bazi_data.expect("the chart used");
    assert_eq!(used.element_counts, chart.element_counts);
    assert_eq!(used.bazi_pillars, chart.bazi_pillars);
    let meta = json(&used.metadata_json);
    assert_eq!(meta["source"], "bazi_data");
    assert_eq!(meta["strength"], "中和");
    assert_eq!(json(&again.metadata_json)["chart"], "bazi_data");

    // Counts alone: the count rules, nothing that needs the analyses.
    let counts_only = BaziData {
        element_counts: [("水", 5), ("金", 1), ("火", 1), ("土", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        ..BaziData::default()
    };
    let response = match_hand(
        &mut client,
        hand_request(water_hand(), None, Some(counts_only)),
    )
    .await;
    assert_eq!(
        sources(&response.integrated_insights),
        ["integrated.water_hand.water_heavy"]
    );
    let used = response.bazi_data.expect("the chart used");
    assert_eq!(used.element_counts.get("木"), Some(&0));
    assert_eq!(json(&used.metadata_json)["strength"], Value::Null);

    // An empty bazi_data (what an original client may send) is no chart.
    let response = match_hand(
        &mut client,
        hand_request(water_hand(), None, Some(BaziData::default())),
    )
    .await;
    assert!(response.bazi_data.is_none());
    assert!(response.integrated_insights.is_empty());
}

#[tokio::test]
async fn a_face_matches_the_face_rules_with_and_without_a_chart() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let alone = match_face(&mut client, face_request(round_face(), None, None)).await;
    let face = sources(&alone.face_insights);
    for code in [
        "face.shape.round.character",
        "face.shape.round.wealth",
        "face.san_ting.balanced",
        "face.eyes.wide_spacing",
        "face.features.even",
    ] {
        assert!(face.contains(&code), "{code} not in {face:?}");
    }
    assert!(alone.hand_insights.is_empty());
    assert!(alone.integrated_insights.is_empty());
    assert!(alone.bazi_data.is_none());

    let with_chart = match_face(
        &mut client,
        face_request(round_face(), Some(guide_birth()), None),
    )
    .await;
    assert_eq!(sources(&with_chart.face_insights), face);
    let integrated = sources(&with_chart.integrated_insights);
    // 圆 is 水, generated by the 金 day master; balanced courts, 中和 chart.
    for code in [
        "integrated.shape.generated_by_day_master",
        "integrated.balanced_face.balanced_chart",
    ] {
        assert!(integrated.contains(&code), "{code} not in {integrated:?}");
    }
    assert!(
        integrated.iter().all(|c| !c.contains("hand")),
        "{integrated:?}"
    );
    assert!(with_chart.bazi_data.is_some());
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;

    let mut hand_cases: Vec<(HandRuleMatchRequest, &str)> = Vec::new();
    hand_cases.push((
        HandRuleMatchRequest {
            hand_features: None,
            bazi_info: None,
            bazi_data: None,
        },
        "hand_features: ",
    ));
    let mut nan = water_hand();
    nan.measurements.insert("palm_ratio".to_owned(), f32::NAN);
    hand_cases.push((
        hand_request(nan, None, None),
        "hand_features.measurements.palm_ratio: ",
    ));
    let mut infinite = water_hand();
    infinite.hand_shape_ratio = f32::INFINITY;
    hand_cases.push((
        hand_request(infinite, None, None),
        "hand_features.hand_shape_ratio: ",
    ));
    let mut shape = water_hand();
    shape.hand_shape = "铁".to_owned();
    hand_cases.push((
        hand_request(shape, None, None),
        "hand_features.hand_shape: ",
    ));
    for (field, value, prefix) in [
        ("gender", "x", "bazi_info.gender: "),
        ("solar_date", "1990-02-30", "bazi_info.solar_date: "),
        ("solar_date", "15/01/1990", "bazi_info.solar_date: "),
        ("solar_time", "25:00", "bazi_info.solar_time: "),
    ] {
        let mut birth = guide_birth();
        match field {
            "gender" => birth.gender = value.to_owned(),
            "solar_date" => birth.solar_date = value.to_owned(),
            _ => birth.solar_time = value.to_owned(),
        }
        hand_cases.push((hand_request(water_hand(), Some(birth), None), prefix));
    }
    let data = |counts: &[(&str, i32)], pillars: &[(&str, &str)], meta: &str| BaziData {
        element_counts: counts.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        bazi_pillars: pillars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        metadata_json: meta.to_owned(),
        ..BaziData::default()
    };
    for (sent, prefix) in [
        (
            data(&[("wood", 1)], &[], ""),
            "bazi_data.element_counts.wood: ",
        ),
        (
            data(&[("水", -1)], &[], ""),
            "bazi_data.element_counts.水: ",
        ),
        (
            data(&[], &[("day", "甲丑")], ""),
            "bazi_data.bazi_pillars.day: ",
        ),
        (
            data(&[], &[("week", "甲子")], ""),
            "bazi_data.bazi_pillars.week: ",
        ),
        (data(&[], &[], "{strength"), "bazi_data.metadata_json: "),
        (data(&[], &[], "[1]"), "bazi_data.metadata_json: "),
        (
            data(&[], &[], r#"{"strength": "很强"}"#),
            "bazi_data.metadata_json.strength: ",
        ),
        (
            data(&[], &[], r#"{"favourable": ["wood"]}"#),
            "bazi_data.metadata_json.favourable: ",
        ),
    ] {
        hand_cases.push((hand_request(water_hand(), None, Some(sent)), prefix));
    }
    for (request, prefix) in hand_cases {
        let status = client
            .match_hand_rules(request)
            .await
            .expect_err("bad input is refused");
        assert_invalid(&status, prefix);
    }

    let status = client
        .match_face_rules(FaceRuleMatchRequest {
            face_features: None,
            bazi_info: None,
            bazi_data: None,
        })
        .await
        .expect_err("no features");
    assert_invalid(&status, "face_features: ");
    let mut nan = round_face();
    nan.san_ting_ratio.insert("upper".to_owned(), f32::NAN);
    let status = client
        .match_face_rules(face_request(nan, None, None))
        .await
        .expect_err("NaN");
    assert_invalid(&status, "face_features.san_ting_ratio.upper: ");
    let mut shape = round_face();
    shape
        .facial_attributes
        .insert("face_shape".to_owned(), "heart".to_owned());
    let status = client
        .match_face_rules(face_request(shape, None, None))
        .await
        .expect_err("unknown shape");
    assert_invalid(&status, "face_features.facial_attributes.face_shape: ");

    // Rule administration.
    let status = client
        .create_rule(rule(
            "hand.bad",
            "hand",
            &json!({"all": [{"hand_shape": "铁"}]}),
            true,
        ))
        .await
        .expect_err("a malformed condition");
    assert_invalid(&status, "conditions: $.all[0].hand_shape: ");
    let status = client
        .create_rule(rule("hand.bad", "palm", &json!({"hand_shape": "水"}), true))
        .await
        .expect_err("an unknown kind");
    assert_invalid(&status, "kind: ");
    let mut not_json = rule("hand.bad", "hand", &json!({}), true);
    if let Some(r) = not_json.rule.as_mut() {
        r.conditions_json = "{hand_shape: ".to_owned();
    }
    let status = client.create_rule(not_json).await.expect_err("not JSON");
    assert_invalid(&status, "conditions: ");
    let mut confident = rule("hand.bad", "hand", &json!({"hand_shape": "水"}), true);
    if let Some(r) = confident.rule.as_mut() {
        r.confidence = 2.0;
    }
    let status = client.create_rule(confident).await.expect_err("confidence");
    assert_invalid(&status, "confidence: ");
    let status = client
        .create_rule(PutRuleRequest { rule: None })
        .await
        .expect_err("no rule");
    assert_invalid(&status, "rule: ");
    let status = client
        .list_rules(ListRulesRequest {
            kind: "palm".to_owned(),
            ..ListRulesRequest::default()
        })
        .await
        .expect_err("an unknown kind");
    assert_invalid(&status, "kind: ");
    let status = client
        .get_rule(GetRuleRequest {
            code: "hand.bad".to_owned(),
        })
        .await
        .expect_err("nothing was written");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn rule_edits_are_used_by_the_next_match() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    const CODE: &str = "hand.test.live";
    let before =
        rule_set_version(&match_hand(&mut client, hand_request(water_hand(), None, None)).await);

    // Create: first among the matches at once.
    let created = client
        .create_rule(rule(CODE, "hand", &json!({"hand_shape": "水"}), true))
        .await
        .expect("CreateRule")
        .into_inner();
    assert_eq!(created.rule_set_version, before + 1);
    let stored = created.rule.expect("the created rule");
    assert_eq!(
        (stored.kind.as_str(), stored.source.as_str()),
        ("hand", "user")
    );
    assert!(!stored.created_at.is_empty());
    let response = match_hand(&mut client, hand_request(water_hand(), None, None)).await;
    assert_eq!(response.hand_insights[0].source, CODE);
    assert_eq!(response.hand_insights[0].content, format!("{CODE} 的解读"));
    assert!(response.recommendations.contains(&format!("{CODE} 的建议")));
    assert_eq!(rule_set_version(&response), before + 1);

    // Get and list.
    let got = client
        .get_rule(GetRuleRequest {
            code: CODE.to_owned(),
        })
        .await
        .expect("GetRule")
        .into_inner();
    assert_eq!(json(&got.conditions_json), json!({"hand_shape": "水"}));
    assert!((got.confidence - 0.75).abs() < 1e-12);
    let listed = client
        .list_rules(ListRulesRequest {
            kind: "hand".to_owned(),
            category: "性格".to_owned(),
            include_disabled: false,
        })
        .await
        .expect("ListRules")
        .into_inner();
    assert!(listed.rules.iter().any(|r| r.code == CODE));
    assert!(listed
        .rules
        .iter()
        .all(|r| r.kind == "hand" && r.category == "性格"));
    assert_eq!(listed.rule_set_version, before + 1);
    let every = client
        .list_rules(ListRulesRequest::default())
        .await
        .expect("ListRules")
        .into_inner();
    assert!(every.rules.len() > 60);
    for kind in ["hand", "face", "integrated"] {
        assert!(every.rules.iter().any(|r| r.kind == kind), "{kind}");
    }

    // Duplicate and unknown codes.
    let status = client
        .create_rule(rule(CODE, "hand", &json!({"hand_shape": "水"}), true))
        .await
        .expect_err("taken");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    let status = client
        .update_rule(rule(
            "hand.nobody",
            "hand",
            &json!({"hand_shape": "水"}),
            true,
        ))
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // Update to an integrated rule: only with a chart, among the integrated.
    let integrated = json!({"all": [{"hand_shape": "水"}, {"element_count": {"element": "水", "op": "<=", "value": 1}}]});
    let updated = client
        .update_rule(rule(CODE, "integrated", &integrated, true))
        .await
        .expect("UpdateRule")
        .into_inner();
    assert_eq!(updated.rule_set_version, before + 2);
    let without = match_hand(&mut client, hand_request(water_hand(), None, None)).await;
    assert!(!sources(&without.hand_insights).contains(&CODE));
    assert!(without.integrated_insights.is_empty());
    let with = match_hand(
        &mut client,
        hand_request(water_hand(), Some(guide_birth()), None),
    )
    .await;
    assert_eq!(with.integrated_insights[0].source, CODE);
    assert_eq!(
        with.integrated_insights[0].feature,
        "hand_shape, bazi.element_counts.水"
    );

    // A refused update changes nothing.
    let status = client
        .update_rule(rule(CODE, "face", &integrated, true))
        .await
        .expect_err("a hand condition in a face rule");
    assert_invalid(&status, "conditions: ");

    // Disable: stored, not matched.
    client
        .update_rule(rule(CODE, "integrated", &integrated, false))
        .await
        .expect("UpdateRule");
    let off = match_hand(
        &mut client,
        hand_request(water_hand(), Some(guide_birth()), None),
    )
    .await;
    assert!(!sources(&off.integrated_insights).contains(&CODE));
    assert_eq!(rule_set_version(&off), before + 3);

    // Delete: gone.
    let deleted = client
        .delete_rule(DeleteRuleRequest {
            code: CODE.to_owned(),
        })
        .await
        .expect("DeleteRule")
        .into_inner();
    assert_eq!(deleted.rule_set_version, before + 4);
    assert!(deleted.rule.is_none());
    let status = client
        .get_rule(GetRuleRequest {
            code: CODE.to_owned(),
        })
        .await
        .expect_err("deleted");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = client
        .delete_rule(DeleteRuleRequest {
            code: CODE.to_owned(),
        })
        .await
        .expect_err("deleted twice");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // A corpus rule edited: its new text at the next match.
    let mut retitled = rule(
        "hand.shape.water.character",
        "hand",
        &json!({"hand_shape": "水"}),
        true,
    );
    if let Some(r) = retitled.rule.as_mut() {
        r.text = "水形手（改）".to_owned();
        r.priority = 90;
    }
    client.update_rule(retitled).await.expect("UpdateRule");
    let response = match_hand(&mut client, hand_request(water_hand(), None, None)).await;
    let character = response
        .hand_insights
        .iter()
        .find(|i| i.source == "hand.shape.water.character")
        .expect("still matched");
    assert_eq!(character.content, "水形手（改）");
}

#[tokio::test]
async fn two_instances_on_one_database_see_each_others_changes() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut old, _) = start_on(dir.path()).await;
    let (mut new, _) = start_on(dir.path()).await;
    let a = match_hand(&mut old, hand_request(water_hand(), None, None)).await;
    let b = match_hand(&mut new, hand_request(water_hand(), None, None)).await;
    assert_eq!(
        rule_set_version(&a),
        rule_set_version(&b),
        "the corpus was loaded once"
    );
    assert_eq!(sources(&a.hand_insights), sources(&b.hand_insights));

    let change = new
        .create_rule(rule(
            "hand.swap",
            "hand",
            &json!({"hand_shape": "水"}),
            true,
        ))
        .await
        .expect("CreateRule")
        .into_inner();
    let seen = match_hand(&mut old, hand_request(water_hand(), None, None)).await;
    assert_eq!(seen.hand_insights[0].source, "hand.swap");
    assert_eq!(rule_set_version(&seen), change.rule_set_version);

    old.delete_rule(DeleteRuleRequest {
        code: "hand.swap".to_owned(),
    })
    .await
    .expect("DeleteRule");
    let gone = match_hand(&mut new, hand_request(water_hand(), None, None)).await;
    assert!(!sources(&gone.hand_insights).contains(&"hand.swap"));
}

#[tokio::test]
async fn binary_serves_health_reflection_and_matches_and_keeps_its_data() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    const CODE: &str = "face.survivor";

    let service = TestService::grpc(env!("CARGO_BIN_EXE_fortune_rule"))
        .env("HIFATE_VERSION", "5")
        .data_dir(dir.path())
        .start()
        .await;
    let channel = service.channel();
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "fortune.rule.FortuneRuleService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
    let mut client = FortuneRuleServiceClient::new(channel.clone());
    let ok = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(ok.status, "ok");
    let response = match_hand(
        &mut client,
        hand_request(water_hand(), Some(guide_birth()), None),
    )
    .await;
    assert!(!response.hand_insights.is_empty());
    assert!(!response.integrated_insights.is_empty());
    assert_eq!(json(&response.metadata_json)["service_version"], 5);
    let corpus_size = client
        .list_rules(ListRulesRequest {
            include_disabled: true,
            ..ListRulesRequest::default()
        })
        .await
        .expect("ListRules")
        .into_inner()
        .rules
        .len();
    let created = client
        .create_rule(rule(CODE, "face", &json!({"face_shape": "圆"}), true))
        .await
        .expect("CreateRule")
        .into_inner();
    drop(client);
    drop(channel);
    service.stop().await;
    assert!(
        dir.path().join(fortune_rule::DATABASE_FILE).is_file(),
        "the database is in the data directory"
    );

    // Restarted on the same directory: the rule is there, the corpus was
    // not loaded again.
    let service = TestService::grpc(env!("CARGO_BIN_EXE_fortune_rule"))
        .data_dir(dir.path())
        .start()
        .await;
    let mut client = FortuneRuleServiceClient::new(service.channel());
    let response = match_face(&mut client, face_request(round_face(), None, None)).await;
    assert_eq!(response.face_insights[0].source, CODE);
    assert_eq!(rule_set_version(&response), created.rule_set_version);
    let listed = client
        .list_rules(ListRulesRequest {
            include_disabled: true,
            ..ListRulesRequest::default()
        })
        .await
        .expect("ListRules")
        .into_inner();
    assert_eq!(listed.rules.len(), corpus_size + 1);
    drop(client);
    service.stop().await;
}
