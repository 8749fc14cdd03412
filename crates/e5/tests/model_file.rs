//! Loading and input checks that need no downloaded model: missing, foreign,
//! truncated and corrupted files must give clear errors, never a crash.

mod common;

use std::path::Path;

use common::{at, cosine, norm, patch_i32, write, Lcg, TinyModel, HIDDEN};
use e5::{
    E5Error, Kernel, ModelDefect, Section, ShapeField, SpecialToken, TextProblem, E5,
    MAX_TEXT_BYTES,
};

fn defect_of(result: Result<E5, E5Error>) -> ModelDefect {
    match result {
        Err(E5Error::CorruptModel { defect, .. }) => defect,
        Err(other) => panic!("expected a corrupt-model error, got {other}"),
        Ok(model) => panic!("corrupt file loaded: {model:?}"),
    }
}

fn load_bytes(bytes: &[u8]) -> Result<E5, E5Error> {
    let dir = tempfile::tempdir().expect("tempdir");
    E5::load(&write(dir.path(), "model.bin", bytes))
}

#[test]
fn missing_file_names_the_fetch_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(e5::E5_MODEL_FILE);
    let err = E5::load(&path).expect_err("no file there");
    assert!(matches!(err, E5Error::ModelMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("crates/e5/fetch-model.sh"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn directory_is_unreadable_not_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = E5::load(dir.path()).expect_err("a directory is no model");
    assert!(matches!(err, E5Error::ModelUnreadable { .. }), "{err:?}");
}

#[test]
fn garbage_and_empty_files_are_not_models() {
    let mut rng = Lcg(99);
    let garbage: Vec<u8> = (0..65_536).map(|_| rng.next_u32() as u8).collect();
    assert_eq!(defect_of(load_bytes(&garbage)), ModelDefect::NotAnE5Model);
    assert_eq!(defect_of(load_bytes(&[])), ModelDefect::NotAnE5Model);
    assert_eq!(defect_of(load_bytes(b"E5S1")), ModelDefect::NotAnE5Model);

    let err = load_bytes(&garbage).expect_err("garbage");
    assert!(err.to_string().contains("fetch-model.sh"), "{err}");
}

#[test]
fn random_bytes_behind_a_valid_signature_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    for seed in 0..200 {
        let mut rng = Lcg(seed);
        let mut bytes = b"E5S1\x01\0\0\0".to_vec();
        bytes.extend((0..4096).map(|_| rng.next_u32() as u8));
        let path = write(dir.path(), "model.bin", &bytes);
        defect_of(E5::load(&path));
    }
}

#[test]
fn tiny_model_loads_and_embeds_unit_vectors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = E5::load(&write(dir.path(), "tiny.bin", &TinyModel::build().bytes))
        .expect("the tiny model is well formed");
    assert_eq!(model.dim(), HIDDEN);
    assert_eq!(model.kernel(), Kernel::best_available());

    let a = model.embed("ab ab").expect("embed");
    let b = model.embed("c b a").expect("embed");
    assert_eq!(a.len(), HIDDEN);
    assert!((norm(&a) - 1.0).abs() < 1e-4, "norm {}", norm(&a));
    assert!((norm(&b) - 1.0).abs() < 1e-4, "norm {}", norm(&b));
    assert_ne!(a, b);
    assert_eq!(a, model.embed("ab ab").expect("embed"), "not deterministic");
    // Longer than one 8-position window: embedded window by window.
    let long = model.embed(&"ab c ".repeat(50)).expect("embed long text");
    assert!((norm(&long) - 1.0).abs() < 1e-4);
    // The normalisation map folds 'A' to 'a'.
    assert_eq!(
        model.embed("AB").expect("embed"),
        model.embed("ab").expect("embed")
    );
}

#[test]
fn every_truncation_is_reported_without_crashing() {
    let full = TinyModel::build().bytes;
    let dir = tempfile::tempdir().expect("tempdir");
    for len in 0..full.len() {
        // A fresh name per prefix: rewriting one file in place makes the
        // filesystem flush it on every iteration.
        let path = write(dir.path(), &format!("cut-{len}.bin"), &full[..len]);
        match defect_of(E5::load(&path)) {
            ModelDefect::NotAnE5Model
            | ModelDefect::Truncated(_)
            | ModelDefect::TensorOutOfBounds { .. } => {}
            other => panic!("prefix of {len} bytes: unexpected {other}"),
        }
    }
    assert_eq!(
        defect_of(load_bytes(&full[..100])),
        ModelDefect::Truncated(Section::Vocabulary)
    );
}

#[test]
fn hostile_header_values_are_rejected() {
    let tiny = TinyModel::build();
    let corrupt = |at: usize, value: i32| {
        let mut bytes = tiny.bytes.clone();
        patch_i32(&mut bytes, at, value);
        defect_of(load_bytes(&bytes))
    };
    assert_eq!(
        corrupt(at::VERSION, 2),
        ModelDefect::UnsupportedVersion {
            found: 2,
            expected: 1
        }
    );
    assert!(matches!(
        corrupt(at::HEADS, 0),
        ModelDefect::ShapeOutOfRange {
            field: ShapeField::Heads,
            ..
        }
    ));
    assert!(matches!(
        corrupt(at::HIDDEN, 48),
        ModelDefect::ShapeNotDivisible {
            field: ShapeField::Hidden,
            divisor: 32,
            ..
        }
    ));
    // The engine keeps per-row scales in a 64-entry stack array.
    assert!(matches!(
        corrupt(at::FFN, 4096),
        ModelDefect::ShapeOutOfRange {
            field: ShapeField::FeedForward,
            ..
        }
    ));
    // Two positions leave no room for content: the engine would divide by zero.
    assert!(matches!(
        corrupt(at::MAX_POSITIONS, 2),
        ModelDefect::ShapeOutOfRange {
            field: ShapeField::MaxPositions,
            ..
        }
    ));
    assert!(matches!(
        corrupt(at::EPS, f32::NAN.to_bits() as i32),
        ModelDefect::BadEpsilon { .. }
    ));
    assert!(matches!(
        corrupt(at::VOCAB_ROWS, 5),
        ModelDefect::VocabularyLargerThanEmbeddings {
            pieces: 12,
            rows: 5
        }
    ));
    assert_eq!(
        corrupt(at::UNK, 12),
        ModelDefect::SpecialTokenOutOfRange {
            which: SpecialToken::Unk,
            id: 12
        }
    );
    assert!(matches!(
        corrupt(at::PIECES, -1),
        ModelDefect::ShapeOutOfRange {
            field: ShapeField::Pieces,
            ..
        }
    ));
}

#[test]
fn broken_tensor_directory_is_rejected() {
    let tiny = TinyModel::build();

    let mut renamed = tiny.bytes.clone();
    let at = tiny.name_offset("l0.fo.w");
    renamed[at] = b'x';
    assert_eq!(
        defect_of(load_bytes(&renamed)),
        ModelDefect::MissingTensor {
            name: "l0.fo.w".into()
        }
    );

    // The type code follows the name.
    let mut retyped = tiny.bytes.clone();
    let at = tiny.name_offset("emb.word") + "emb.word".len();
    retyped[at] = 0;
    assert!(matches!(
        defect_of(load_bytes(&retyped)),
        ModelDefect::TensorWrongType { ref name, found: 0, .. } if name == "emb.word"
    ));

    // Offset past the end of the file (offset follows type and element count).
    let mut moved = tiny.bytes.clone();
    let at = tiny.name_offset("emb.pos") + "emb.pos".len() + 1 + 4;
    moved[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        defect_of(load_bytes(&moved)),
        ModelDefect::TensorOutOfBounds {
            name: "emb.pos".into()
        }
    );
}

#[test]
fn unsupported_texts_are_rejected_before_the_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model =
        E5::load(&write(dir.path(), "tiny.bin", &TinyModel::build().bytes)).expect("tiny model");

    for blank in ["", " ", "\n\t", "\u{3000}"] {
        assert!(
            matches!(model.embed(blank), Err(E5Error::Text(TextProblem::Empty))),
            "{blank:?} accepted"
        );
    }
    assert!(matches!(
        model.embed("ab\0c"),
        Err(E5Error::Text(TextProblem::ContainsNul { byte_offset: 2 }))
    ));
    let huge = "a".repeat(MAX_TEXT_BYTES + 1);
    assert!(matches!(
        model.embed(&huge),
        Err(E5Error::Text(TextProblem::TooLong { bytes })) if bytes == MAX_TEXT_BYTES + 1
    ));
    assert!(model.embed(&"a".repeat(MAX_TEXT_BYTES)).is_ok());

    let err = model
        .embed_batch(&["ab", ""])
        .expect_err("blank second text");
    assert!(
        matches!(
            err,
            E5Error::BatchText {
                index: 1,
                problem: TextProblem::Empty
            }
        ),
        "{err:?}"
    );
    assert!(model
        .embed_batch::<&str>(&[])
        .expect("empty batch")
        .is_empty());
}

#[test]
fn portable_kernel_matches_the_simd_kernel() {
    if !Kernel::Avx2Fma.is_supported() {
        println!("skipped: this CPU has no AVX2+FMA, only the portable kernel exists");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "tiny.bin", &TinyModel::build().bytes);
    let simd = E5::load_with_kernel(&path, Kernel::Avx2Fma).expect("simd");
    let portable = E5::load_with_kernel(&path, Kernel::Portable).expect("portable");
    assert_eq!(portable.kernel(), Kernel::Portable);
    for text in ["ab", "c b a", "query about b"] {
        let a = simd.embed(text).expect("simd embed");
        let b = portable.embed(text).expect("portable embed");
        assert!(cosine(&a, &b) > 0.999, "{text:?}: {}", cosine(&a, &b));
    }
}

#[test]
fn path_with_nul_is_rejected() {
    let err = E5::load(Path::new("model\0.bin")).expect_err("NUL in path");
    assert!(matches!(err, E5Error::ModelPathHasNul { .. }), "{err:?}");
}
