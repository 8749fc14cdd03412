//! Detection on real photos (scikit-image's sample photos, see
//! tests/data/NOTICE): the expected objects are found, with boxes where the
//! objects are.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use vision::nanodet::{default_model_path, Detector};
use vision::{BoundingBox, CocoClass, Detection, RgbImage};

/// One detector for every test in this file: loading costs more than a
/// detection.
fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| Detector::load(default_model_path()).expect("load model"))
}

fn photo(name: &str) -> RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    vision::decode(&std::fs::read(&path).expect("read photo")).expect("decode photo")
}

fn best(detections: &[Detection], class: CocoClass) -> Detection {
    *detections
        .iter()
        .find(|d| d.class == class)
        .unwrap_or_else(|| panic!("no {class} among {detections:#?}"))
}

fn assert_sorted_and_inside(detections: &[Detection], width: u32, height: u32) {
    assert!(detections.windows(2).all(|w| w[0].score >= w[1].score));
    for d in detections {
        let b = d.bbox;
        assert!(b.x0 >= 0.0 && b.y0 >= 0.0, "{d:?}");
        assert!(b.x1 <= width as f32 && b.y1 <= height as f32, "{d:?}");
        assert!(b.area() > 0.0, "{d:?}");
        assert!((0.3..=1.0).contains(&d.score), "{d:?}");
    }
}

#[test]
fn finds_the_coffee_cup() {
    let image = photo("coffee.jpg");
    let detections = detector().detect(&image).expect("detect");
    assert_sorted_and_inside(&detections, 600, 400);
    let cup = best(&detections, CocoClass::Cup);
    assert_eq!(detections[0].class, CocoClass::Cup, "{detections:#?}");
    // The cup and saucer fill the middle of the frame: centre near the
    // middle, box between a third and two thirds of the width.
    let centre = cup.bbox.centre();
    assert!((240.0..360.0).contains(&centre.x), "{cup:?}");
    assert!((140.0..260.0).contains(&centre.y), "{cup:?}");
    assert!((200.0..400.0).contains(&cup.bbox.width()), "{cup:?}");
}

#[test]
fn finds_the_coffee_cup_in_a_lossy_webp() {
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/coffee.webp"))
        .expect("read photo");
    // RIFF/WEBP with a "VP8 " chunk: lossy ("VP8L" would be lossless).
    assert_eq!(&bytes[8..16], b"WEBPVP8 ");
    let image = vision::decode(&bytes).expect("decode webp");
    assert_eq!(image.dimensions(), (600, 400));
    let detections = detector().detect(&image).expect("detect");
    let cup = best(&detections, CocoClass::Cup);
    let from_jpeg = best(
        &detector().detect(&photo("coffee.jpg")).expect("detect"),
        CocoClass::Cup,
    );
    // Two lossy encodings of one photo: the same cup, boxes nearly equal
    // (the left edge, where the saucer fades into the table, moves most).
    assert!(
        cup.bbox.iou(&from_jpeg.bbox) > 0.8,
        "{cup:?} vs {from_jpeg:?}"
    );
}

#[test]
fn finds_the_cat() {
    let image = photo("chelsea.jpg");
    let detections = detector().detect(&image).expect("detect");
    assert_sorted_and_inside(&detections, 451, 300);
    // A close-up: the cat's box covers most of the photo.
    let cat = best(&detections, CocoClass::Cat);
    assert!(cat.bbox.area() > 0.7 * 451.0 * 300.0, "{cat:?}");
}

#[test]
fn finds_the_astronaut() {
    let image = photo("astronaut.jpg");
    let detections = detector().detect(&image).expect("detect");
    assert_sorted_and_inside(&detections, 512, 512);
    let person = best(&detections, CocoClass::Person);
    assert_eq!(detections[0].class, CocoClass::Person);
    assert!(person.score > 0.6, "{person:?}");
    // She stands left of centre, head near the top, cut off at the bottom.
    let b = person.bbox;
    assert!(b.centre().x < 256.0, "{person:?}");
    assert!(b.y0 < 60.0 && b.y1 > 450.0, "{person:?}");
}

/// Pastes `part` into `canvas` with its top-left corner at (x, y).
fn paste(canvas: &mut RgbImage, part: &RgbImage, x: i64, y: i64) {
    image::imageops::replace(canvas, part, x, y);
}

#[test]
fn desk_scene_puts_each_object_in_its_corner() {
    // A 1200×1200 "desk" seen from above: neutral grey, the astronaut photo
    // top-left, the cat top-right and the coffee cup bottom-right.
    let mut desk = RgbImage::from_pixel(1200, 1200, image::Rgb([128, 128, 128]));
    paste(&mut desk, &photo("astronaut.jpg"), 0, 0);
    paste(&mut desk, &photo("chelsea.jpg"), 1200 - 451, 0);
    paste(&mut desk, &photo("coffee.jpg"), 600, 800);
    let detections = detector().detect(&desk).expect("detect");
    assert_sorted_and_inside(&detections, 1200, 1200);

    let cup = best(&detections, CocoClass::Cup);
    let centre = cup.bbox.centre();
    assert!(centre.x > 800.0, "cup in the right third: {cup:?}");
    assert!(centre.y > 800.0, "cup in the bottom third: {cup:?}");
    let pasted = BoundingBox::new(600.0, 800.0, 1200.0, 1200.0);
    assert!(
        cup.bbox.intersection_area(&pasted) > 0.9 * cup.bbox.area(),
        "cup box within the pasted photo: {cup:?}"
    );

    let cat = best(&detections, CocoClass::Cat).bbox.centre();
    assert!(cat.x > 800.0 && cat.y < 400.0, "cat top-right: {cat:?}");
    let person = best(&detections, CocoClass::Person).bbox.centre();
    assert!(
        person.x < 400.0 && person.y < 600.0,
        "person top-left: {person:?}"
    );
}

#[test]
fn detector_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();

    let shared = Arc::new(detector().clone());
    let image = Arc::new(photo("coffee.jpg"));
    let alone = shared.detect(&image).expect("detect");
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (detector, image) = (Arc::clone(&shared), Arc::clone(&image));
            std::thread::spawn(move || detector.detect(&image).expect("detect"))
        })
        .collect();
    for handle in handles {
        assert_eq!(
            handle.join().expect("thread"),
            alone,
            "same result in every thread"
        );
    }
}

#[test]
fn stricter_thresholds_keep_fewer_detections() {
    let image = photo("chelsea.jpg");
    let default = detector().detect(&image).expect("detect");
    let strict = detector()
        .detect_with(
            &image,
            &vision::Thresholds {
                min_score: 0.5,
                ..Default::default()
            },
        )
        .expect("detect");
    assert!(strict.len() < default.len(), "{strict:?} vs {default:?}");
    assert!(strict.iter().all(|d| d.score >= 0.5));
    let one = detector()
        .detect_with(
            &image,
            &vision::Thresholds {
                max_detections: 1,
                ..Default::default()
            },
        )
        .expect("detect");
    assert_eq!(one, default[..1]);
}

#[test]
fn empty_image_is_an_error_not_a_panic() {
    let err = detector().detect(&RgbImage::new(0, 0)).unwrap_err();
    assert!(
        matches!(err, vision::DetectorError::EmptyImage { .. }),
        "{err}"
    );
}

#[cfg(feature = "embedded-model")]
#[test]
fn embedded_model_gives_the_same_detections() {
    let embedded = Detector::embedded().expect("embedded model");
    let image = photo("coffee.jpg");
    assert_eq!(
        embedded.detect(&image).expect("detect"),
        detector().detect(&image).expect("detect")
    );
}
