//! Semantics of the real multilingual-e5-small model. These tests need the
//! model file named by `HIFATE_E5_MODEL` (see crates/e5/fetch-model.sh); when
//! it is unset they print a skip line and pass.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::{cosine, norm, write};
use e5::{E5Error, Kernel, ModelDefect, Section, E5};

/// The model, loaded once and shared by every test (it is `Sync`).
fn model() -> Option<&'static E5> {
    static MODEL: OnceLock<E5> = OnceLock::new();
    let path = model_path()?;
    Some(MODEL.get_or_init(|| E5::load(&path).unwrap_or_else(|e| panic!("HIFATE_E5_MODEL: {e}"))))
}

fn model_path() -> Option<PathBuf> {
    match std::env::var_os("HIFATE_E5_MODEL") {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            println!("skipped: set HIFATE_E5_MODEL (run crates/e5/fetch-model.sh)");
            None
        }
    }
}

fn embed(model: &E5, text: &str) -> Vec<f32> {
    model
        .embed(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn vectors_have_384_unit_length_components() {
    let Some(model) = model() else { return };
    assert_eq!(model.dim(), 384);
    for text in ["我今年的事业运怎么样", "hello world", "ab"] {
        let v = embed(model, text);
        assert_eq!(v.len(), 384);
        assert!((norm(&v) - 1.0).abs() < 1e-4, "{text:?}: norm {}", norm(&v));
    }
}

#[test]
fn chinese_paraphrases_are_closer_than_unrelated_questions() {
    let Some(model) = model() else { return };
    let cases = [
        (
            "我今年的事业运怎么样",
            "今年工作上会顺利吗",
            "明天北京天气如何",
        ),
        (
            "我什么时候能遇到正缘",
            "我的姻缘什么时候到来",
            "这台笔记本电脑多少钱",
        ),
        (
            "我最近财运好不好",
            "这段时间能不能赚到钱",
            "红烧肉怎么做才好吃",
        ),
        ("我和他合不合适", "我们俩八字配不配", "地铁几点停运"),
    ];
    for (question, paraphrase, unrelated) in cases {
        let q = embed(model, question);
        let close = cosine(&q, &embed(model, paraphrase));
        let far = cosine(&q, &embed(model, unrelated));
        println!("{question} ~ {paraphrase}: {close:.3}   ~ {unrelated}: {far:.3}");
        assert!(
            close > far,
            "{question:?}: paraphrase {close:.3} not above unrelated {far:.3}"
        );
    }
}

#[test]
fn same_text_gives_identical_vector() {
    let Some(model) = model() else { return };
    let text = "我下个月适合搬家吗";
    assert_eq!(embed(model, text), embed(model, text));
}

#[test]
fn batch_rows_equal_single_embeddings() {
    let Some(model) = model() else { return };
    let texts = [
        "我今年的事业运怎么样",
        "明天北京天气如何",
        "我最近财运好不好",
    ];
    let batch = model.embed_batch(&texts).expect("batch");
    assert_eq!(batch.len(), texts.len());
    for (text, row) in texts.iter().zip(&batch) {
        assert_eq!(row, &embed(model, text), "{text:?}");
    }
}

#[test]
fn concurrent_calls_on_one_instance_agree_with_sequential_ones() {
    let Some(model) = model() else { return };
    let texts = [
        "我今年的事业运怎么样",
        "今年工作上会顺利吗",
        "明天北京天气如何",
        "我和他合不合适",
    ];
    let expected: Vec<Vec<f32>> = texts.iter().map(|t| embed(model, t)).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|shift| {
                scope.spawn(move || {
                    (0..texts.len())
                        .map(|i| (i + shift) % texts.len())
                        .map(|i| (i, embed(model, texts[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (i, v) in worker.join().expect("worker panicked") {
                assert_eq!(v, expected[i], "{:?} differs under concurrency", texts[i]);
            }
        }
    });
}

#[test]
fn text_longer_than_one_window_keeps_its_meaning() {
    let Some(model) = model() else { return };
    // About 700 tokens: embedded as two windows of at most 510.
    let long = "我今年的事业运怎么样？".repeat(100);
    let v = embed(model, &long);
    assert!((norm(&v) - 1.0).abs() < 1e-4);
    let topic = cosine(&v, &embed(model, "我今年的事业运怎么样"));
    let other = cosine(&v, &embed(model, "明天北京天气如何"));
    assert!(
        topic > other,
        "long text: topic {topic:.3} vs other {other:.3}"
    );
}

#[test]
fn expanding_ligature_does_not_overflow_the_tokenizer() {
    let Some(model) = model() else { return };
    // U+FDFA normalises to 18 codepoints from 3 bytes; upstream's fixed-size
    // buffer overflowed the heap for 16 or more of them in one text.
    let spelled = "صلى الله عليه وسلم";
    let many = embed(model, &"\u{FDFA}".repeat(40));
    assert!((norm(&many) - 1.0).abs() < 1e-4);
    let similarity = cosine(&many, &embed(model, &spelled.repeat(40)));
    assert!(similarity > 0.9, "{similarity}");
    // Short enough to keep every token (the engine keeps at most one token
    // per input byte), the ligature embeds exactly like its spelled-out form.
    assert_eq!(
        embed(model, &"\u{FDFA}".repeat(2)),
        embed(model, &spelled.repeat(2))
    );
}

#[test]
fn portable_kernel_agrees_with_the_default_one() {
    let Some(path) = model_path() else { return };
    let Some(model) = model() else { return };
    if model.kernel() == Kernel::Portable {
        println!("skipped: the default kernel is already the portable one");
        return;
    }
    let portable = E5::load_with_kernel(&path, Kernel::Portable).expect("portable kernel");
    for text in ["我今年的事业运怎么样", "明天北京天气如何"] {
        let similarity = cosine(&embed(model, text), &embed(&portable, text));
        assert!(similarity > 0.999, "{text:?}: {similarity}");
    }
}

#[test]
fn truncated_copies_of_the_real_model_are_rejected() {
    let Some(path) = model_path() else { return };
    let bytes = std::fs::read(&path).expect("read model");
    let dir = tempfile::tempdir().expect("tempdir");
    let defect =
        |len: usize| match E5::load(&write(dir.path(), &format!("cut{len}"), &bytes[..len])) {
            Err(E5Error::CorruptModel { defect, .. }) => defect,
            other => panic!("prefix {len}: expected corrupt-model error, got {other:?}"),
        };
    // Inside the 2.5 MB of vocabulary pieces.
    assert_eq!(
        defect(4_000_000),
        ModelDefect::Truncated(Section::Vocabulary)
    );
    // Header complete, but the 54 MB word-embedding table is cut off.
    assert_eq!(
        defect(10_000_000),
        ModelDefect::TensorOutOfBounds {
            name: "emb.word".into()
        }
    );
    // Only the last bytes missing.
    assert!(matches!(
        defect(bytes.len() - 1),
        ModelDefect::TensorOutOfBounds { .. }
    ));
}
