//! `desk.fengshui.DeskFengshuiService` over real gRPC: in-process servers
//! on free ports with the real detector (scikit-image's sample photos, see
//! crates/vision/tests/data/NOTICE, alone and composed into desk scenes),
//! bazi_analyzer and bazi_rule in-process for `use_bazi`, every bad-input
//! case, rule administration, and the binary itself.

use std::io::Cursor;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use desk_fengshui::DeskFengshui;
use desk_fengshui_api::desk_fengshui_service_client::DeskFengshuiServiceClient;
use desk_fengshui_api::{
    DeleteRuleRequest, DeskAnalysisRequest, DeskAnalysisResponse, DeskRule, HealthCheckRequest,
    ListRulesRequest, PutRuleRequest, Suggestion,
};
use fengshui::analysis::{NO_DESK_ITEMS, PHOTO_ADVICE};
use fengshui::Cell;
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::{Identity, Peer};
use image::{Rgb, RgbImage};
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;
use vision::nanodet::Detector;

type Client = DeskFengshuiServiceClient<Channel>;

/// One detector for the whole file: loading costs more than a detection.
fn detector() -> Arc<Detector> {
    static DETECTOR: OnceLock<Arc<Detector>> = OnceLock::new();
    DETECTOR
        .get_or_init(|| Arc::new(Detector::embedded().expect("the embedded model loads")))
        .clone()
}

fn photo_bytes(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/vision/tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn encode_png(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encode PNG");
    bytes
}

/// A 1200×1200 grey desk with the coffee cup photo in its near-right corner
/// (bottom right of the image: the 白虎 side, close to the chair).
fn desk_with_cup_near_right() -> Vec<u8> {
    let cup = image::load_from_memory(&photo_bytes("coffee.jpg"))
        .expect("decode coffee")
        .to_rgb8();
    let mut desk = RgbImage::from_pixel(1200, 1200, Rgb([128, 128, 128]));
    image::imageops::replace(&mut desk, &cup, 600, 800);
    encode_png(&desk)
}

/// The service on a fresh data directory, bazi_analyzer at `analyzer`.
async fn start(dir: &Path, analyzer: &str) -> Client {
    let identity = Identity {
        service: "desk_fengshui".to_owned(),
        version: 3,
    };
    let service = DeskFengshui::open(
        dir,
        identity,
        detector(),
        &Peer::new("bazi_analyzer").at(analyzer),
    )
    .expect("open the service");
    let addr = serve_in_process(Routes::new(desk_fengshui::server(service))).await;
    DeskFengshuiServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
        .max_encoding_message_size(usize::MAX)
}

/// An address nothing listens on.
fn unused_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr.to_string()
}

/// bazi_rule and bazi_analyzer in-process; the analyzer's address.
async fn start_analyzer(dir: &Path) -> SocketAddr {
    let rules = bazi_rule::BaziRule::open(dir, Identity::from_env("bazi_rule")).expect("rules");
    let rules = serve_in_process(Routes::new(
        bazi_rule_api::bazi_rule_service_server::BaziRuleServiceServer::new(rules),
    ))
    .await;
    let analyzer = bazi_analyzer::BaziAnalyzer::connect_lazy(
        Identity::from_env("bazi_analyzer"),
        &Peer::new("bazi_rule").at(rules.to_string()),
    )
    .expect("peer");
    serve_in_process(Routes::new(
        bazi_analyzer_api::bazi_analyzer_service_server::BaziAnalyzerServiceServer::new(analyzer),
    ))
    .await
}

fn request(image_data: Vec<u8>) -> DeskAnalysisRequest {
    DeskAnalysisRequest {
        image_data,
        ..DeskAnalysisRequest::default()
    }
}

async fn analyze(client: &mut Client, request: DeskAnalysisRequest) -> DeskAnalysisResponse {
    client
        .analyze_desk(request)
        .await
        .expect("AnalyzeDesk")
        .into_inner()
}

async fn refused(client: &mut Client, request: DeskAnalysisRequest) -> tonic::Status {
    client.analyze_desk(request).await.expect_err("refused")
}

#[tokio::test]
async fn a_cup_on_the_right_near_the_chair_is_found_placed_and_advised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let answer = analyze(&mut client, request(desk_with_cup_near_right())).await;
    assert!(answer.success, "{answer:?}");
    let cup = answer
        .items
        .iter()
        .find(|item| item.name == "cup")
        .unwrap_or_else(|| panic!("no cup among {:?}", answer.items));
    assert_eq!(cup.label, "杯子");
    assert_eq!(cup.relative_position, fengshui::Cell::NearRight.name());
    assert_eq!(
        cup.bagua_direction,
        fengshui::Cell::NearRight.bagua().name()
    );
    // The box is in the photo's pixels, inside the pasted cup photo.
    assert_eq!(cup.bbox.len(), 4);
    assert!(
        cup.bbox[0] >= 600.0 && cup.bbox[1] >= 800.0,
        "{:?}",
        cup.bbox
    );
    assert!(
        cup.bbox[2] <= 1200.0 && cup.bbox[3] <= 1200.0,
        "{:?}",
        cup.bbox
    );
    assert!(cup.confidence >= 0.3);
    // Water on the 白虎 side is moved to the 青龙 side.
    let moved = answer
        .adjustments
        .iter()
        .find(|s| s.item == "cup")
        .unwrap_or_else(|| panic!("no cup adjustment among {:?}", answer.adjustments));
    assert_eq!(moved.action, "move");
    assert!(moved.ideal_position.contains("青龙"), "{moved:?}");
    assert!(!moved.reason.is_empty());
    assert!((0..=100).contains(&answer.score));
    assert!(answer.summary.contains("杯子"), "{}", answer.summary);
    assert!(answer.xishen.is_empty() && answer.jishen.is_empty());
}

/// The corpus rule `code`'s reason (one without placeholders), to tell
/// which rule gave a suggestion.
fn corpus_reason(code: &str) -> String {
    fengshui::corpus()
        .into_iter()
        .find(|rule| rule.code == code)
        .unwrap_or_else(|| panic!("no corpus rule {code}"))
        .reason
}

/// Every suggestion of an answer.
fn advice(answer: &DeskAnalysisResponse) -> impl Iterator<Item = &Suggestion> {
    answer
        .adjustments
        .iter()
        .chain(&answer.additions)
        .chain(&answer.removals)
}

/// The suggestion the corpus rule `code` gave, if it fired.
fn fired<'a>(answer: &'a DeskAnalysisResponse, code: &str) -> Option<&'a Suggestion> {
    let reason = corpus_reason(code);
    advice(answer).find(|s| s.reason == reason)
}

/// A 1200×1200 grey desk with the coffee cup photo, scaled to 360×240,
/// pasted so that the cup's centre is in the middle of each named cell.
fn desk_with_cups_in(cells: &[Cell]) -> Vec<u8> {
    let cup = image::load_from_memory(&photo_bytes("coffee.jpg"))
        .expect("decode coffee")
        .resize_exact(360, 240, image::imageops::FilterType::Triangle)
        .to_rgb8();
    // Where the cup is in the scaled photo (its box centre, measured).
    let (cup_x, cup_y) = (171, 123);
    let mut desk = RgbImage::from_pixel(1200, 1200, Rgb([128, 128, 128]));
    for cell in cells {
        let (row, col) = (cell.index() / 3, cell.index() % 3);
        let x = 200 + 400 * col as i64 - cup_x;
        let y = 200 + 400 * row as i64 - cup_y;
        image::imageops::replace(&mut desk, &cup, x, y);
    }
    encode_png(&desk)
}

#[tokio::test]
async fn a_cup_is_placed_in_each_cell_it_stands_in_and_the_cells_rules_fire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    // (cell, on the 白虎 side, on the 青龙 side)
    let cases = [
        (Cell::Left, false, true),
        (Cell::Centre, false, false),
        (Cell::Far, false, false),
        (Cell::Right, true, false),
        (Cell::NearLeft, false, true),
    ];
    for (cell, baihu, qinglong) in cases {
        let answer = analyze(&mut client, request(desk_with_cups_in(&[cell]))).await;
        let cups: Vec<_> = answer.items.iter().filter(|i| i.name == "cup").collect();
        assert_eq!(cups.len(), 1, "{cell:?}: {:?}", answer.items);
        assert_eq!(cups[0].relative_position, cell.name(), "{cell:?}");
        assert_eq!(cups[0].bagua_direction, cell.bagua().name(), "{cell:?}");
        // Water on the 白虎 side is moved to 青龙, from where it stands.
        match fired(&answer, "cup.baihu") {
            Some(moved) => {
                assert!(baihu, "{cell:?}: {moved:?}");
                assert_eq!(moved.current_position, cell.name());
                assert_eq!(moved.action, "move");
            }
            None => assert!(!baihu, "{cell:?}: no cup.baihu in {answer:?}"),
        }
        // An empty 青龙 side gets something added.
        assert_eq!(
            fired(&answer, "qinglong.empty").is_some(),
            !qinglong,
            "{cell:?}: {answer:?}"
        );
        assert!(
            answer.summary.contains(&format!("杯子在{}", cell.name())),
            "{cell:?}: {}",
            answer.summary
        );
    }
}

#[tokio::test]
async fn three_cups_on_one_desk_are_each_placed_and_too_much_water_is_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let cells = [Cell::Left, Cell::Centre, Cell::Right];
    let answer = analyze(&mut client, request(desk_with_cups_in(&cells))).await;
    let mut found: Vec<&str> = answer
        .items
        .iter()
        .filter(|i| i.name == "cup")
        .map(|i| i.relative_position.as_str())
        .collect();
    found.sort_unstable();
    let mut expected: Vec<&str> = cells.iter().map(|c| c.name()).collect();
    expected.sort_unstable();
    assert_eq!(found, expected, "{:?}", answer.items);
    let removed = fired(&answer, "water.too_much").expect("water.too_much");
    assert_eq!(removed.action, "remove");
    let moved = fired(&answer, "cup.baihu").expect("cup.baihu");
    assert_eq!(moved.current_position, Cell::Right.name());
    assert!(fired(&answer, "qinglong.empty").is_none());
}

#[tokio::test]
async fn a_lossy_webp_photo_is_analysed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let webp = photo_bytes("coffee.webp");
    assert_eq!(&webp[8..16], b"WEBPVP8 ", "lossy WebP");
    let answer = analyze(&mut client, request(webp)).await;
    let cup = answer
        .items
        .iter()
        .find(|item| item.name == "cup")
        .unwrap_or_else(|| panic!("no cup among {:?}", answer.items));
    // The cup fills the middle of the 600×400 photo.
    assert_eq!(cup.relative_position, Cell::Centre.name());
    assert!(
        cup.bbox[2] <= 600.0 && cup.bbox[3] <= 400.0,
        "{:?}",
        cup.bbox
    );
}

#[tokio::test]
async fn photos_of_a_cat_and_a_person_have_no_items_no_advice_and_say_what_they_show() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    for (photo, seen) in [("chelsea.jpg", "cat"), ("astronaut.jpg", "person")] {
        let answer = analyze(&mut client, request(photo_bytes(photo))).await;
        assert!(answer.success, "{photo}");
        assert!(answer.items.is_empty(), "{photo}: {:?}", answer.items);
        assert_eq!(advice(&answer).count(), 0, "{photo}: {answer:?}");
        assert_eq!(answer.score, 0, "{photo}");
        assert!(
            answer
                .summary
                .starts_with(&format!("{NO_DESK_ITEMS}（画面中有：")),
            "{photo}: {}",
            answer.summary
        );
        assert!(answer.summary.contains(seen), "{photo}: {}", answer.summary);
        // NanoDet also reads part of the cat as a phone, and part of the
        // spacesuit as a chair: neither is on a desk.
        assert!(
            !answer.summary.contains("手机") && !answer.summary.contains("cell phone"),
            "{photo}: {}",
            answer.summary
        );
        assert!(
            answer.summary.ends_with(&format!("）。{PHOTO_ADVICE}")),
            "{photo}: {}",
            answer.summary
        );
    }
}

#[tokio::test]
async fn a_photo_without_desk_objects_succeeds_with_no_items_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let blank = encode_png(&RgbImage::from_pixel(640, 480, Rgb([200, 200, 200])));
    let answer = analyze(&mut client, request(blank)).await;
    assert!(answer.success);
    assert!(answer.items.is_empty(), "{:?}", answer.items);
    assert_eq!(answer.summary, format!("{NO_DESK_ITEMS}。{PHOTO_ADVICE}"));
    assert!(answer.adjustments.is_empty() && answer.removals.is_empty());
}

#[tokio::test]
async fn every_bad_image_is_invalid_argument_naming_image_data_and_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let too_wide = encode_png(&RgbImage::new(9000, 1));
    let png_of_size = |bytes: usize| {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.resize(bytes, 0);
        png
    };
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let mut truncated = photo_bytes("coffee_416.png");
    truncated.truncate(truncated.len() / 3);
    let allowed = format!("more than the {} allowed", vision::MAX_IMAGE_BYTES);
    let cases: [(&str, Vec<u8>, &str); 7] = [
        ("empty", Vec::new(), "empty"),
        (
            "text",
            b"hello, this is not a photo".to_vec(),
            "not an image",
        ),
        ("gif", gif, "gif images are not accepted"),
        ("9000 px wide", too_wide, "more than 8000 on a side"),
        (
            "one byte over 10 MB",
            png_of_size(vision::MAX_IMAGE_BYTES + 1),
            &allowed,
        ),
        // A phone photo well over the rule still reaches the decoder's
        // check, rather than the transport's limit.
        ("12 MB", png_of_size(12_000_000), &allowed),
        ("truncated PNG", truncated, "damaged or truncated"),
    ];
    for (what, bytes, reason) in cases {
        let status = refused(&mut client, request(bytes)).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        assert!(
            status.message().starts_with("image_data: ") && status.message().contains(reason),
            "{what}: {}",
            status.message()
        );
    }
}

fn with_birth(image_data: Vec<u8>, date: &str) -> DeskAnalysisRequest {
    DeskAnalysisRequest {
        image_data,
        solar_date: date.to_owned(),
        solar_time: "12:00".to_owned(),
        gender: "male".to_owned(),
        use_bazi: true,
    }
}

#[tokio::test]
async fn with_use_bazi_a_bad_image_is_refused_before_bazi_analyzer_matters() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nothing listens at the analyzer's address: asking it is UNAVAILABLE.
    let mut client = start(dir.path(), &unused_addr()).await;
    let status = refused(
        &mut client,
        with_birth(photo_bytes("coffee.jpg"), "1990-01-15"),
    )
    .await;
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("bazi_analyzer"), "{status:?}");

    let mut truncated = photo_bytes("coffee_416.png");
    truncated.truncate(truncated.len() / 3);
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("empty", Vec::new(), "empty"),
        ("text", b"not a photo".to_vec(), "not an image"),
        (
            "9000 px wide",
            encode_png(&RgbImage::new(9000, 1)),
            "more than 8000 on a side",
        ),
        // Its header is whole: found when decoding, still reported first.
        ("truncated PNG", truncated, "damaged or truncated"),
    ];
    for (what, bytes, reason) in cases {
        for date in ["1990-01-15", "1990-13-45"] {
            let status = refused(&mut client, with_birth(bytes.clone(), date)).await;
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{what}, {date}: {status:?}"
            );
            assert!(
                status.message().starts_with("image_data: ") && status.message().contains(reason),
                "{what}, {date}: {}",
                status.message()
            );
        }
    }
}

#[tokio::test]
async fn rules_are_created_updated_and_deleted_and_the_next_analysis_uses_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let photo = desk_with_cups_in(&[Cell::Left]);
    let rule = |reason: &str| DeskRule {
        code: "user.cup_qinglong".to_owned(),
        kind: "adjustment".to_owned(),
        item: "cup".to_owned(),
        condition_json: r#"{"item_in_cell": {"item": "cup", "cell": "青龙"}}"#.to_owned(),
        ideal_position: "左近身处（青龙位）".to_owned(),
        reason: reason.to_owned(),
        priority: "low".to_owned(),
        element: String::new(),
        score_delta: -1,
        enabled: true,
    };
    let put = |rule: DeskRule| PutRuleRequest { rule: Some(rule) };
    let before = client
        .list_rules(ListRulesRequest {})
        .await
        .expect("ListRules")
        .into_inner();
    let with = |answer: &DeskAnalysisResponse, reason: &str| {
        answer.adjustments.iter().any(|s| s.reason == reason)
    };
    assert!(!with(
        &analyze(&mut client, request(photo.clone())).await,
        "杯子离手太远。"
    ));

    let created = client
        .create_rule(put(rule("杯子离手太远。")))
        .await
        .expect("CreateRule")
        .into_inner();
    assert_eq!(created.version, before.version + 1);
    let stored = created.rule.expect("the rule");
    assert_eq!(stored.element, "水", "an empty element is the item's");
    let answer = analyze(&mut client, request(photo.clone())).await;
    let s = answer
        .adjustments
        .iter()
        .find(|s| s.reason == "杯子离手太远。")
        .unwrap_or_else(|| panic!("the new rule did not fire: {answer:?}"));
    assert_eq!(
        (s.item.as_str(), s.current_position.as_str()),
        ("cup", Cell::Left.name())
    );
    let status = client
        .create_rule(put(rule("again")))
        .await
        .expect_err("a taken code");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    let updated = client
        .update_rule(put(rule("杯子宜放在左手边近处。")))
        .await
        .expect("UpdateRule")
        .into_inner();
    assert_eq!(updated.version, created.version + 1);
    let answer = analyze(&mut client, request(photo.clone())).await;
    assert!(with(&answer, "杯子宜放在左手边近处。"), "{answer:?}");
    assert!(!with(&answer, "杯子离手太远。"), "{answer:?}");

    // Refusals name the field; a bad condition node its JSON path.
    let mut bad = rule("x");
    bad.condition_json =
        r#"{"all": [{"item": "cup"}, {"item_in_cell": {"item": "cup", "cell": "天"}}]}"#.to_owned();
    let mut unknown_kind = rule("x");
    unknown_kind.kind = "teleport".to_owned();
    let mut unknown_item = rule("x");
    unknown_item.item = "giraffe".to_owned();
    let mut not_json = rule("x");
    not_json.condition_json = "{".to_owned();
    let mut far_too_bad = rule("x");
    far_too_bad.score_delta = -99;
    let mut unknown_element = rule("x");
    unknown_element.element = "风".to_owned();
    for (what, refused_rule, start) in [
        (
            "condition",
            bad,
            "condition_json: $.all[1].item_in_cell.cell",
        ),
        ("kind", unknown_kind, "kind: "),
        ("item", unknown_item, "item: "),
        ("not JSON", not_json, "condition_json: is not JSON"),
        ("score", far_too_bad, "score_delta: "),
        ("element", unknown_element, "element: "),
    ] {
        let status = client.update_rule(put(refused_rule)).await.expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        assert!(
            status.message().starts_with(start),
            "{what}: {}",
            status.message()
        );
    }
    let status = client
        .update_rule(PutRuleRequest { rule: None })
        .await
        .expect_err("no rule");
    assert!(status.message().starts_with("rule: "), "{status:?}");
    let mut missing = rule("x");
    missing.code = "user.none".to_owned();
    let status = client.update_rule(put(missing)).await.expect_err("missing");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    let deleted = client
        .delete_rule(DeleteRuleRequest {
            code: "user.cup_qinglong".to_owned(),
        })
        .await
        .expect("DeleteRule")
        .into_inner();
    assert_eq!(
        deleted.version,
        updated.version + 1,
        "refusals wrote nothing"
    );
    assert!(deleted.rule.is_none());
    let answer = analyze(&mut client, request(photo.clone())).await;
    assert!(!with(&answer, "杯子宜放在左手边近处。"), "{answer:?}");
    let status = client
        .delete_rule(DeleteRuleRequest {
            code: "user.cup_qinglong".to_owned(),
        })
        .await
        .expect_err("deleted already");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // Another handle on the same file (another process during a swap, an
    // administrator's tool): the next call sees its change.
    let cup_right = desk_with_cups_in(&[Cell::Right]);
    assert!(fired(
        &analyze(&mut client, request(cup_right.clone())).await,
        "cup.baihu"
    )
    .is_some());
    let other = fengshui::RuleStore::open(dir.path().join(desk_fengshui::DATABASE_FILE))
        .expect("second handle");
    let version = other.disable("cup.baihu").expect("disable");
    let answer = analyze(&mut client, request(cup_right)).await;
    assert!(fired(&answer, "cup.baihu").is_none(), "{answer:?}");
    let health = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(
        health.rules_version,
        i64::try_from(version).expect("version")
    );
}

#[tokio::test]
async fn use_bazi_takes_the_elements_from_bazi_analyzer_and_checks_the_birth_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let analyzer = start_analyzer(dir.path()).await;
    let mut client = start(dir.path(), &analyzer.to_string()).await;
    let answer = analyze(
        &mut client,
        with_birth(desk_with_cup_near_right(), "1990-01-15"),
    )
    .await;
    assert!(answer.success);
    assert!(!answer.xishen.is_empty(), "favourable elements: {answer:?}");
    assert!(
        !answer.jishen.is_empty(),
        "unfavourable elements: {answer:?}"
    );
    // The advice names the person's elements somewhere.
    let all: Vec<&str> = answer
        .additions
        .iter()
        .chain(&answer.removals)
        .chain(&answer.adjustments)
        .map(|s| s.reason.as_str())
        .collect();
    let first = answer.xishen.split('、').next().expect("an element");
    assert!(
        all.iter().any(|reason| reason.contains(first)),
        "no reason mentions {first}: {all:?}"
    );
    // The same photo without the birth date gets other additions or
    // removals: the elements steer them.
    let plain = analyze(&mut client, request(desk_with_cup_near_right())).await;
    assert!(plain.xishen.is_empty());
    let advice = |r: &DeskAnalysisResponse| -> Vec<(String, String, String)> {
        r.additions
            .iter()
            .chain(&r.removals)
            .map(|s| (s.item.clone(), s.action.clone(), s.reason.clone()))
            .collect()
    };
    assert_ne!(
        advice(&answer),
        advice(&plain),
        "elements steer additions or removals"
    );

    let status = refused(
        &mut client,
        with_birth(desk_with_cup_near_right(), "1990-13-45"),
    )
    .await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with("solar_date"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn rules_and_health_are_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let rules = client
        .list_rules(ListRulesRequest {})
        .await
        .expect("ListRules")
        .into_inner();
    let listed: serde_json::Value = serde_json::from_str(&rules.rules_json).expect("JSON");
    let listed = listed.as_array().expect("an array");
    assert!(listed.len() >= 40, "{} rules", listed.len());
    for class in [
        "laptop",
        "keyboard",
        "mouse",
        "cup",
        "cell phone",
        "book",
        "potted plant",
        "clock",
        "scissors",
        "vase",
        "bottle",
        "tv",
    ] {
        assert!(
            listed.iter().any(|rule| rule["item"] == class),
            "no rule for {class}"
        );
    }
    let health = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(health.status, "healthy");
    assert_eq!(health.version, "3");
    assert_eq!(health.rules_version, rules.version);
    assert!(health.model.contains("nanodet"));
}

#[tokio::test]
async fn binary_answers_with_reflection_and_detects_with_the_embedded_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let service = TestService::grpc(env!("CARGO_BIN_EXE_desk_fengshui"))
        .data_dir(dir.path())
        .env("HIFATE_SERVICE_ADDR_BAZI_ANALYZER", unused_addr())
        .ready_timeout(std::time::Duration::from_secs(60))
        .start()
        .await;
    let channel = service.channel();
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "desk.fengshui.DeskFengshuiService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
    let mut client = DeskFengshuiServiceClient::new(channel).max_encoding_message_size(usize::MAX);
    let answer = analyze(&mut client, request(photo_bytes("coffee.jpg"))).await;
    assert!(
        answer.items.iter().any(|item| item.name == "cup"),
        "{answer:?}"
    );
    assert!(
        !answer.items.iter().any(|item| item.name == "toilet"),
        "the detector's known false class is dropped: {answer:?}"
    );
    assert!(
        !answer.items.iter().any(|item| item.name == "dining table"),
        "the desk itself is not an item: {answer:?}"
    );
    drop(client);
    service.stop().await;
    assert!(dir.path().join(desk_fengshui::DATABASE_FILE).is_file());
}
