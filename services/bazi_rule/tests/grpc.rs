//! `bazi.rule.BaziRuleService` over real gRPC: in-process servers on free TCP
//! ports (each on a fresh temporary data directory), two instances sharing
//! one database as during a swap, and the `bazi_rule` binary itself (health,
//! reflection, SIGTERM, data surviving a restart).

use std::net::SocketAddr;
use std::path::Path;

use bazi_rule::BaziRule;
use bazi_rule_api::bazi_rule_service_client::BaziRuleServiceClient;
use bazi_rule_api::bazi_rule_service_server::BaziRuleServiceServer;
use bazi_rule_api::{
    BaziRuleMatchRequest, BaziRuleMatchResponse, DeleteRuleRequest, GetRuleRequest,
    HealthCheckRequest, ListRulesRequest, PutRuleRequest, Rule, RuleTypesRequest,
};
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::Identity;
use serde_json::{json, Value};
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;

type Client = BaziRuleServiceClient<Channel>;

/// The code of the guide example's day-pillar rule.
const GUIDE_RIZHU: &str = "rizhu_gender/庚辰/male";

/// Opens the service on `data_dir`, serves it in-process on
/// 127.0.0.1:<free port> and returns a client and the address.
async fn start_on(data_dir: &Path) -> (Client, SocketAddr) {
    let identity = Identity {
        service: "bazi_rule".to_owned(),
        version: 7,
    };
    let service = BaziRule::open(data_dir, identity).expect("open the rules database");
    let addr = serve_in_process(Routes::new(BaziRuleServiceServer::new(service))).await;
    let client = BaziRuleServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to the in-process server");
    (client, addr)
}

fn match_request(
    date: &str,
    time: &str,
    gender: &str,
    types: &[&str],
    use_cache: bool,
) -> BaziRuleMatchRequest {
    BaziRuleMatchRequest {
        solar_date: date.to_owned(),
        solar_time: time.to_owned(),
        gender: gender.to_owned(),
        rule_types: types.iter().map(|t| (*t).to_owned()).collect(),
        use_cache,
    }
}

/// The guide's example (1990-01-15 12:00 male) for these types.
fn guide(types: &[&str]) -> BaziRuleMatchRequest {
    match_request("1990-01-15", "12:00", "male", types, false)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn matches(client: &mut Client, request: BaziRuleMatchRequest) -> BaziRuleMatchResponse {
    client
        .match_rules(request)
        .await
        .expect("MatchRules")
        .into_inner()
}

/// The codes of `matched_json`, in order.
fn matched_codes(response: &BaziRuleMatchResponse) -> Vec<String> {
    json(&response.matched_json)
        .as_array()
        .expect("matched_json is an array")
        .iter()
        .map(|rule| rule["code"].as_str().expect("a code").to_owned())
        .collect()
}

fn unmatched_codes(response: &BaziRuleMatchResponse) -> Vec<String> {
    json(&response.unmatched_json)
        .as_array()
        .expect("unmatched_json is an array")
        .iter()
        .map(|code| code.as_str().expect("a code").to_owned())
        .collect()
}

fn metadata(response: &BaziRuleMatchResponse) -> Value {
    json(&response.metadata_json)
}

fn rule_set_version(response: &BaziRuleMatchResponse) -> u64 {
    metadata(response)["rule_set_version"]
        .as_u64()
        .expect("rule_set_version is a number")
}

/// A rule to put: type `custom` unless the code says otherwise.
fn rule(code: &str, conditions: &Value, enabled: bool) -> PutRuleRequest {
    PutRuleRequest {
        rule: Some(Rule {
            code: code.to_owned(),
            name: format!("test rule {code}"),
            rule_type: "custom".to_owned(),
            conditions_json: conditions.to_string(),
            content_json: json!({"text": format!("{code} says hello")}).to_string(),
            priority: 5,
            enabled,
            created_at: String::new(),
            updated_at: String::new(),
        }),
    }
}

/// 庚 day master born in winter: true for the guide's example.
fn geng_in_winter() -> Value {
    json!({"all": [{"day_master": "庚"}, {"season": "冬"}]})
}

async fn version_now(client: &mut Client) -> u64 {
    client
        .rule_types(RuleTypesRequest {})
        .await
        .expect("RuleTypes")
        .into_inner()
        .rule_set_version
}

fn assert_invalid(status: &tonic::Status, prefix: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with(prefix),
        "expected a message starting {prefix:?}: {}",
        status.message()
    );
}

#[tokio::test]
async fn guide_example_matches_its_day_pillar_rule() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let response = matches(&mut client, guide(&["rizhu_gender"])).await;

    assert_eq!(matched_codes(&response), [GUIDE_RIZHU]);
    let matched = json(&response.matched_json);
    let first = &matched[0];
    assert_eq!(first["rule_type"], "rizhu_gender");
    assert_eq!(first["priority"], 100);
    assert_eq!(first["content"]["pillar"], "庚辰");
    assert_eq!(first["content"]["gender"], "male");
    assert!(first["name"].as_str().is_some_and(|n| !n.is_empty()));
    let unmatched = unmatched_codes(&response);
    assert_eq!(unmatched.len(), 119, "the other 119 rizhu_gender rules");
    assert!(unmatched.iter().all(|c| c.starts_with("rizhu_gender/")));
    assert!(unmatched.iter().any(|c| c == "rizhu_gender/庚辰/female"));

    let context = json(&response.context_json);
    assert_eq!(context["strength"], "中和");
    assert_eq!(context["season"], "冬");
    assert_eq!(context["day_pillar"], "庚辰");
    assert_eq!(context["gender"], "male");
    assert!(context["favourable"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));
    assert!(context["unfavourable"]
        .as_array()
        .is_some_and(|u| !u.is_empty()));

    let metadata = metadata(&response);
    assert!(rule_set_version(&response) >= 1, "{metadata}");
    assert_eq!(metadata["cache_hit"], false);
    assert_eq!(metadata["service"], "bazi_rule");
    assert_eq!(metadata["service_version"], 7);
    assert_eq!(metadata["skipped"], 0);
    assert!(metadata["rules"].as_u64().is_some_and(|n| n >= 120));

    // The types are trimmed and repeats collapsed.
    let again = matches(&mut client, guide(&[" rizhu_gender ", "rizhu_gender"])).await;
    assert_eq!(matched_codes(&again), [GUIDE_RIZHU]);
}

#[tokio::test]
async fn empty_rule_types_match_every_type() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let response = matches(&mut client, guide(&[])).await;
    let matched = json(&response.matched_json);
    let matched = matched.as_array().expect("matched array");
    let mut types: Vec<&str> = matched
        .iter()
        .map(|r| r["rule_type"].as_str().expect("rule_type"))
        .collect();
    types.sort_unstable();
    types.dedup();
    assert!(types.len() >= 3, "matched types: {types:?}");
    assert!(types.contains(&"rizhu_gender"), "{types:?}");
    assert!(matched.iter().any(|r| r["code"] == GUIDE_RIZHU));
    // Highest priority first.
    let priorities: Vec<i64> = matched
        .iter()
        .map(|r| r["priority"].as_i64().expect("priority"))
        .collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "{priorities:?}"
    );
    // Every enabled rule is either matched or unmatched.
    let total = metadata(&response)["rules"].as_u64().expect("rules");
    let seen = matched.len() + unmatched_codes(&response).len();
    assert_eq!(u64::try_from(seen).expect("fits"), total);
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;

    let status = client
        .match_rules(guide(&["rizhu_gender", "no_such_type"]))
        .await
        .expect_err("an unknown type is refused");
    assert_invalid(&status, "rule_types: ");
    assert!(
        status.message().contains("no_such_type"),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("rizhu_gender"),
        "lists the known types: {}",
        status.message()
    );

    let cases = [
        ("1990-02-30", "12:00", "male", "solar_date: "),
        ("15/01/1990", "12:00", "male", "solar_date: "),
        ("1990-01-15", "25:00", "male", "solar_time: "),
        ("1990-01-15", "noon", "male", "solar_time: "),
        ("1990-01-15", "12:00", "x", "gender: "),
    ];
    for (date, time, gender, prefix) in cases {
        let status = client
            .match_rules(match_request(date, time, gender, &["rizhu_gender"], false))
            .await
            .expect_err("bad input is refused");
        assert_invalid(&status, prefix);
    }
}

#[tokio::test]
async fn rule_administration_changes_matching_live() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    const CODE: &str = "custom/geng_winter";

    // Before: no such type.
    let status = client
        .match_rules(guide(&["custom"]))
        .await
        .expect_err("custom is not a type yet");
    assert_invalid(&status, "rule_types: ");

    // Create.
    let before = version_now(&mut client).await;
    let created = client
        .create_rule(rule(CODE, &geng_in_winter(), true))
        .await
        .expect("CreateRule")
        .into_inner();
    assert_eq!(created.rule_set_version, before + 1);
    let stored = created.rule.expect("the created rule");
    assert_eq!(stored.code, CODE);
    assert_eq!(stored.rule_type, "custom");
    assert_eq!(json(&stored.conditions_json), geng_in_winter());
    assert!(stored.enabled);
    assert!(!stored.created_at.is_empty());

    // Matched at the next call, without a restart.
    let response = matches(&mut client, guide(&["custom"])).await;
    assert_eq!(matched_codes(&response), [CODE]);
    assert_eq!(rule_set_version(&response), before + 1);
    let matched = json(&response.matched_json);
    assert_eq!(matched[0]["content"]["text"], format!("{CODE} says hello"));
    assert_eq!(matched[0]["priority"], 5);
    // Not for a chart born in summer.
    let summer = matches(
        &mut client,
        match_request("1985-07-20", "12:00", "female", &["custom"], false),
    )
    .await;
    assert!(matched_codes(&summer).is_empty());
    assert_eq!(unmatched_codes(&summer), [CODE]);

    // Get and list.
    let got = client
        .get_rule(GetRuleRequest {
            code: CODE.to_owned(),
        })
        .await
        .expect("GetRule")
        .into_inner();
    assert_eq!(got.name, format!("test rule {CODE}"));
    let listed = client
        .list_rules(ListRulesRequest {
            rule_type: "custom".to_owned(),
            include_disabled: false,
        })
        .await
        .expect("ListRules")
        .into_inner();
    assert_eq!(
        listed
            .rules
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>(),
        [CODE]
    );
    assert_eq!(listed.rule_set_version, before + 1);

    // Invalid conditions: refused with the path, nothing written.
    let status = client
        .create_rule(rule(
            "custom/bad",
            &json!({"all": [{"season": "winter"}]}),
            true,
        ))
        .await
        .expect_err("invalid conditions are refused");
    assert_invalid(&status, "conditions: $");
    assert!(
        status.message().contains("$.all[0].season"),
        "the path of the bad node: {}",
        status.message()
    );
    let status = client
        .get_rule(GetRuleRequest {
            code: "custom/bad".to_owned(),
        })
        .await
        .expect_err("nothing was written");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(version_now(&mut client).await, before + 1);

    // Other invalid fields and JSON.
    let mut bad_type = rule("custom/bad_type", &geng_in_winter(), true);
    if let Some(r) = bad_type.rule.as_mut() {
        r.rule_type = "Custom Type".to_owned();
    }
    let status = client.create_rule(bad_type).await.expect_err("bad type");
    assert_invalid(&status, "rule_type: ");
    let mut not_json = rule("custom/not_json", &geng_in_winter(), true);
    if let Some(r) = not_json.rule.as_mut() {
        r.conditions_json = "{all: [".to_owned();
    }
    let status = client.create_rule(not_json).await.expect_err("not JSON");
    assert_invalid(&status, "conditions: ");
    let status = client
        .create_rule(PutRuleRequest { rule: None })
        .await
        .expect_err("no rule");
    assert_invalid(&status, "rule: ");

    // Duplicate.
    let status = client
        .create_rule(rule(CODE, &geng_in_winter(), true))
        .await
        .expect_err("a taken code is refused");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    // Update of an unknown code.
    let status = client
        .update_rule(rule("custom/nobody", &geng_in_winter(), true))
        .await
        .expect_err("no rule to update");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // Update with invalid conditions: refused, the rule unchanged.
    let status = client
        .update_rule(rule(CODE, &json!({"all": [{"season": "winter"}]}), true))
        .await
        .expect_err("invalid conditions are refused");
    assert_invalid(&status, "conditions: $");
    assert!(
        status.message().contains("$.all[0].season"),
        "{}",
        status.message()
    );

    // Disable: stays stored, no longer matched.
    let disabled = client
        .update_rule(rule(CODE, &geng_in_winter(), false))
        .await
        .expect("UpdateRule")
        .into_inner();
    assert_eq!(disabled.rule_set_version, before + 2);
    assert!(!disabled.rule.expect("the updated rule").enabled);
    let response = matches(&mut client, guide(&[])).await;
    assert_eq!(rule_set_version(&response), before + 2);
    assert!(!matched_codes(&response).iter().any(|c| c == CODE));
    assert!(!unmatched_codes(&response).iter().any(|c| c == CODE));
    // A type whose rules are all disabled is still a type: nothing matches.
    let response = matches(&mut client, guide(&["custom"])).await;
    assert!(matched_codes(&response).is_empty());
    assert!(unmatched_codes(&response).is_empty());
    let listed = client
        .list_rules(ListRulesRequest {
            rule_type: "custom".to_owned(),
            include_disabled: true,
        })
        .await
        .expect("ListRules")
        .into_inner();
    assert_eq!(listed.rules.len(), 1);
    assert!(!listed.rules[0].enabled);
    let types = client
        .rule_types(RuleTypesRequest {})
        .await
        .expect("RuleTypes")
        .into_inner();
    let custom = types
        .types
        .iter()
        .find(|t| t.rule_type == "custom")
        .expect("custom listed");
    assert_eq!((custom.enabled, custom.disabled), (0, 1));

    // Enable again with other conditions: matched again.
    let updated = client
        .update_rule(rule(
            CODE,
            &json!({"all": [{"day_master": "庚"}, {"strength": "中和"}]}),
            true,
        ))
        .await
        .expect("UpdateRule")
        .into_inner();
    assert_eq!(updated.rule_set_version, before + 3);
    let response = matches(&mut client, guide(&["custom"])).await;
    assert_eq!(matched_codes(&response), [CODE]);

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
    let response = matches(&mut client, guide(&[])).await;
    assert!(!matched_codes(&response).iter().any(|c| c == CODE));
    assert_eq!(rule_set_version(&response), before + 4);
    // With its last rule gone, the type is unknown again.
    let status = client
        .match_rules(guide(&["custom"]))
        .await
        .expect_err("custom is no longer a type");
    assert_invalid(&status, "rule_types: ");
}

#[tokio::test]
async fn rule_types_lists_the_counts() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let types = client
        .rule_types(RuleTypesRequest {})
        .await
        .expect("RuleTypes")
        .into_inner();
    assert!(types.rule_set_version >= 1);
    let rizhu = types
        .types
        .iter()
        .find(|t| t.rule_type == "rizhu_gender")
        .expect("rizhu_gender listed");
    assert_eq!((rizhu.enabled, rizhu.disabled), (120, 0));
    assert!(types.types.len() >= 3, "{:?}", types.types);
    let names: Vec<&str> = types.types.iter().map(|t| t.rule_type.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "by type name");

    // Counts move with changes.
    client
        .create_rule(rule("custom/one", &geng_in_winter(), true))
        .await
        .expect("CreateRule");
    client
        .create_rule(rule("custom/two", &geng_in_winter(), false))
        .await
        .expect("CreateRule");
    let types = client
        .rule_types(RuleTypesRequest {})
        .await
        .expect("RuleTypes")
        .into_inner();
    let custom = types
        .types
        .iter()
        .find(|t| t.rule_type == "custom")
        .expect("custom listed");
    assert_eq!((custom.enabled, custom.disabled), (1, 1));

    let all = client
        .list_rules(ListRulesRequest {
            rule_type: "rizhu_gender".to_owned(),
            include_disabled: true,
        })
        .await
        .expect("ListRules")
        .into_inner();
    assert_eq!(all.rules.len(), 120);
    assert!(all.rules.iter().any(|r| r.code == GUIDE_RIZHU));
}

#[tokio::test]
async fn cache_hits_until_the_rules_change() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut client, _) = start_on(dir.path()).await;
    let cached = |types: &[&str]| match_request("1990-01-15", "12:00", "male", types, true);

    let first = matches(&mut client, cached(&["rizhu_gender"])).await;
    assert_eq!(metadata(&first)["cache_hit"], false);
    let second = matches(&mut client, cached(&["rizhu_gender"])).await;
    assert_eq!(metadata(&second)["cache_hit"], true);
    assert_eq!(second.matched_json, first.matched_json);
    assert_eq!(second.unmatched_json, first.unmatched_json);
    assert_eq!(second.context_json, first.context_json);
    assert_eq!(rule_set_version(&second), rule_set_version(&first));
    // Without use_cache the answer is computed (and says so).
    let uncached = matches(&mut client, guide(&["rizhu_gender"])).await;
    assert_eq!(metadata(&uncached)["cache_hit"], false);
    assert_eq!(uncached.matched_json, first.matched_json);
    // Another chart is another entry.
    let other = matches(
        &mut client,
        match_request("1990-01-15", "12:00", "female", &["rizhu_gender"], true),
    )
    .await;
    assert_eq!(metadata(&other)["cache_hit"], false);
    assert_eq!(matched_codes(&other), ["rizhu_gender/庚辰/female"]);

    // A rule change (of another type) moves the version: a miss, then hits.
    let change = client
        .create_rule(rule("custom/cache", &geng_in_winter(), true))
        .await
        .expect("CreateRule")
        .into_inner();
    let third = matches(&mut client, cached(&["rizhu_gender"])).await;
    assert_eq!(metadata(&third)["cache_hit"], false);
    assert_eq!(rule_set_version(&third), change.rule_set_version);
    assert!(rule_set_version(&third) > rule_set_version(&first));
    let fourth = matches(&mut client, cached(&["rizhu_gender"])).await;
    assert_eq!(metadata(&fourth)["cache_hit"], true);
    assert_eq!(rule_set_version(&fourth), change.rule_set_version);

    // A change to a matched rule shows at once, not the cached answer.
    let mut retitled = rule(GUIDE_RIZHU, &json!({"day_master": "庚"}), true);
    if let Some(r) = retitled.rule.as_mut() {
        r.rule_type = "rizhu_gender".to_owned();
        r.priority = 100;
    }
    let change = client
        .update_rule(retitled)
        .await
        .expect("UpdateRule")
        .into_inner();
    let fifth = matches(&mut client, cached(&["rizhu_gender"])).await;
    assert_eq!(metadata(&fifth)["cache_hit"], false);
    assert_eq!(rule_set_version(&fifth), change.rule_set_version);
    let matched = json(&fifth.matched_json);
    assert_eq!(
        matched[0]["content"]["text"],
        format!("{GUIDE_RIZHU} says hello")
    );
}

#[tokio::test]
async fn two_instances_on_one_database_see_each_others_changes() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (mut old, _) = start_on(dir.path()).await;
    let (mut new, _) = start_on(dir.path()).await;

    // Both answer, at the same version (the corpus was loaded once).
    let a = matches(&mut old, guide(&["rizhu_gender"])).await;
    let b = matches(&mut new, guide(&["rizhu_gender"])).await;
    assert_eq!(matched_codes(&a), [GUIDE_RIZHU]);
    assert_eq!(matched_codes(&b), [GUIDE_RIZHU]);
    assert_eq!(rule_set_version(&a), rule_set_version(&b));
    let corpus_count = |c: &BaziRuleMatchResponse| metadata(c)["rules"].clone();
    assert_eq!(corpus_count(&a), corpus_count(&b));

    // Warm the cache of the new one too.
    let cached = match_request("1990-01-15", "12:00", "male", &[], true);
    matches(&mut new, cached.clone()).await;

    // Created through the new one: matched by the old one at its next call.
    let change = new
        .create_rule(rule("custom/swap", &geng_in_winter(), true))
        .await
        .expect("CreateRule")
        .into_inner();
    let seen = matches(&mut old, guide(&["custom"])).await;
    assert_eq!(matched_codes(&seen), ["custom/swap"]);
    assert_eq!(rule_set_version(&seen), change.rule_set_version);

    // Disabled through the old one: gone from the new one's (cached) answer.
    old.update_rule(rule("custom/swap", &geng_in_winter(), false))
        .await
        .expect("UpdateRule");
    let after = matches(&mut new, cached).await;
    assert_eq!(metadata(&after)["cache_hit"], false);
    assert!(!matched_codes(&after).iter().any(|c| c == "custom/swap"));

    // Deleted through the new one: NOT_FOUND through the old one.
    new.delete_rule(DeleteRuleRequest {
        code: "custom/swap".to_owned(),
    })
    .await
    .expect("DeleteRule");
    let status = old
        .get_rule(GetRuleRequest {
            code: "custom/swap".to_owned(),
        })
        .await
        .expect_err("deleted");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn binary_serves_health_reflection_and_matches_and_keeps_its_data() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    const CODE: &str = "custom/survivor";

    // First run: serve, create a rule, stop.
    let service = TestService::grpc(env!("CARGO_BIN_EXE_bazi_rule"))
        .env("HIFATE_VERSION", "4")
        .data_dir(dir.path())
        .start()
        .await;
    let channel = service.channel();
    // `start()` returned, so grpc.health.v1 answered SERVING.
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "bazi.rule.BaziRuleService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
    let mut client = BaziRuleServiceClient::new(channel.clone());
    let ok = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(ok.status, "ok");
    let response = matches(&mut client, guide(&["rizhu_gender"])).await;
    assert_eq!(matched_codes(&response), [GUIDE_RIZHU]);
    let metadata = metadata(&response);
    assert_eq!(metadata["service"], "bazi_rule");
    assert_eq!(metadata["service_version"], 4);
    let created = client
        .create_rule(rule(CODE, &geng_in_winter(), true))
        .await
        .expect("CreateRule")
        .into_inner();
    drop(client);
    drop(channel);
    service.stop().await;
    assert!(
        dir.path().join(bazi_rule::DATABASE_FILE).is_file(),
        "the database is in the data directory"
    );

    // Second run on the same directory: the rule is still there.
    let service = TestService::grpc(env!("CARGO_BIN_EXE_bazi_rule"))
        .data_dir(dir.path())
        .start()
        .await;
    let mut client = BaziRuleServiceClient::new(service.channel());
    let got = client
        .get_rule(GetRuleRequest {
            code: CODE.to_owned(),
        })
        .await
        .expect("the rule survived the restart")
        .into_inner();
    assert_eq!(json(&got.conditions_json), geng_in_winter());
    let response = matches(&mut client, guide(&["custom"])).await;
    assert_eq!(matched_codes(&response), [CODE]);
    assert_eq!(rule_set_version(&response), created.rule_set_version);
    // The corpus was not loaded a second time.
    let types = client
        .rule_types(RuleTypesRequest {})
        .await
        .expect("RuleTypes")
        .into_inner();
    let rizhu = types
        .types
        .iter()
        .find(|t| t.rule_type == "rizhu_gender")
        .expect("rizhu_gender listed");
    assert_eq!((rizhu.enabled, rizhu.disabled), (120, 0));
    drop(client);
    service.stop().await;
}
