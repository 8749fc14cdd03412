//! Error types: what went wrong and what to do about it.

use std::fmt;
use std::path::PathBuf;

use crate::Kernel;

/// Script that downloads the model; named in every "no usable model" error.
pub const FETCH_SCRIPT: &str = "crates/e5/fetch-model.sh";

/// Everything that can fail when loading the model or embedding text.
#[derive(Debug, thiserror::Error)]
pub enum E5Error {
    #[error("e5 model file {} does not exist: run {FETCH_SCRIPT} to download it", path.display())]
    ModelMissing { path: PathBuf },

    #[error("e5 model path {} contains a NUL byte and cannot be passed to the engine", path.display())]
    ModelPathHasNul { path: PathBuf },

    #[error("cannot read e5 model file {}: {source}", path.display())]
    ModelUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{} is not a usable e5 model: {defect}; run {FETCH_SCRIPT} to replace it",
        path.display()
    )]
    CorruptModel { path: PathBuf, defect: ModelDefect },

    #[error(
        "the e5 engine refused {} although its layout checked out (was the file replaced \
         while loading, or is memory exhausted?)",
        path.display()
    )]
    EngineRejectedModel { path: PathBuf },

    #[error("this CPU cannot run the {kernel} kernel; use Kernel::best_available()")]
    KernelUnsupported { kernel: Kernel },

    #[error("cannot embed this text: {0}")]
    Text(TextProblem),

    #[error("cannot embed text #{index} of the batch: {problem}")]
    BatchText { index: usize, problem: TextProblem },

    #[error("a batch of {len} texts is more than the engine accepts in one call; split it")]
    BatchTooLarge { len: usize },

    #[error("the e5 engine failed with status {status}")]
    EngineFailed { status: i32 },

    #[error(
        "the e5 engine produced a non-finite or zero embedding; the model weights are \
         damaged: run {FETCH_SCRIPT} to replace them"
    )]
    DegenerateEmbedding,
}

/// Why a text was rejected before reaching the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Empty or whitespace only: its embedding would only encode the
    /// "query: " prefix and match everything a little.
    Empty,
    /// The C engine takes NUL-terminated strings, so the rest would be lost.
    ContainsNul { byte_offset: usize },
    /// Longer than [`crate::MAX_TEXT_BYTES`].
    TooLong { bytes: usize },
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::Empty => f.write_str("it is empty or only whitespace"),
            TextProblem::ContainsNul { byte_offset } => {
                write!(f, "it contains a NUL byte at offset {byte_offset}")
            }
            TextProblem::TooLong { bytes } => write!(
                f,
                "it is {bytes} bytes long, more than the limit of {} bytes; split it",
                crate::MAX_TEXT_BYTES
            ),
        }
    }
}

/// What is wrong inside a model file. The C loader trusts every number in the
/// file, so each of these would otherwise be an out-of-bounds read or a crash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelDefect {
    #[error("it does not start with the E5S1 signature")]
    NotAnE5Model,

    #[error("format version {found} is not supported (expected {expected})")]
    UnsupportedVersion { found: u32, expected: u32 },

    #[error("the file ends inside the {0}")]
    Truncated(Section),

    #[error("{field} = {value} is outside the supported range {min}..={max}")]
    ShapeOutOfRange {
        field: ShapeField,
        value: i64,
        min: i64,
        max: i64,
    },

    #[error("{field} = {value} is not a multiple of {divisor}")]
    ShapeNotDivisible {
        field: ShapeField,
        value: i64,
        divisor: i64,
    },

    #[error("layer-norm epsilon {} is not a small positive number", f32::from_bits(*bits))]
    BadEpsilon { bits: u32 },

    #[error("the vocabulary has {pieces} pieces but the embedding table only {rows} rows")]
    VocabularyLargerThanEmbeddings { pieces: i64, rows: i64 },

    #[error("the {which} token id {id} is not a vocabulary piece")]
    SpecialTokenOutOfRange { which: SpecialToken, id: i32 },

    #[error("vocabulary piece offsets are not increasing within the piece data")]
    PieceOffsetsInvalid,

    #[error("vocabulary piece #{index} has a non-finite score")]
    PieceScoreNotFinite { index: usize },

    #[error("the text normalisation map is malformed ({0})")]
    NormalisationMapInvalid(NormMapFault),

    #[error("tensor {name} is missing")]
    MissingTensor { name: String },

    #[error("tensor {name} has type code {found}, expected {expected}")]
    TensorWrongType {
        name: String,
        expected: TensorType,
        found: u8,
    },

    #[error("tensor {name} holds {found} bytes, its shape needs {needed}")]
    TensorTooSmall {
        name: String,
        needed: u64,
        found: u64,
    },

    #[error("tensor {name} lies (partly) beyond the end of the file")]
    TensorOutOfBounds { name: String },

    #[error("tensor {name} is not 4-byte aligned")]
    TensorMisaligned { name: String },
}

/// Region of the model file, for truncation errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Header,
    Vocabulary,
    NormalisationMap,
    TensorDirectory,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::Header => "header",
            Section::Vocabulary => "vocabulary",
            Section::NormalisationMap => "text normalisation map",
            Section::TensorDirectory => "tensor directory",
        })
    }
}

/// Hyper-parameters recorded in the model header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeField {
    Hidden,
    Layers,
    Heads,
    FeedForward,
    VocabularyRows,
    MaxPositions,
    TokenTypes,
    QuantBlock,
    Pieces,
    NormEntries,
    Tensors,
}

impl fmt::Display for ShapeField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShapeField::Hidden => "hidden size",
            ShapeField::Layers => "layer count",
            ShapeField::Heads => "attention head count",
            ShapeField::FeedForward => "feed-forward size",
            ShapeField::VocabularyRows => "embedding rows",
            ShapeField::MaxPositions => "maximum positions",
            ShapeField::TokenTypes => "token type count",
            ShapeField::QuantBlock => "quantisation block size",
            ShapeField::Pieces => "vocabulary piece count",
            ShapeField::NormEntries => "normalisation entry count",
            ShapeField::Tensors => "tensor count",
        })
    }
}

/// Special token slots in the vocabulary header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialToken {
    Bos,
    Eos,
    Pad,
    Unk,
}

impl fmt::Display for SpecialToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpecialToken::Bos => "begin-of-sequence",
            SpecialToken::Eos => "end-of-sequence",
            SpecialToken::Pad => "padding",
            SpecialToken::Unk => "unknown",
        })
    }
}

/// How the normalisation map is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormMapFault {
    /// Entries run past the byte length the map declares.
    Overrun,
    /// Codepoints are not strictly increasing (the engine binary-searches them).
    Unsorted,
}

impl fmt::Display for NormMapFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NormMapFault::Overrun => "entries run past its declared length",
            NormMapFault::Unsorted => "codepoints are not in increasing order",
        })
    }
}

/// Storage types of tensors in the model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    /// Little-endian `f32` values.
    F32,
    /// Q4_0 blocks: an fp16 scale and 32 four-bit weights (18 bytes).
    Q4,
}

impl TensorType {
    /// Type code stored in the tensor directory.
    pub(crate) fn code(self) -> u8 {
        match self {
            TensorType::F32 => 0,
            TensorType::Q4 => 1,
        }
    }
}

impl fmt::Display for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorType::F32 => write!(f, "{} (f32)", self.code()),
            TensorType::Q4 => write!(f, "{} (4-bit Q4_0)", self.code()),
        }
    }
}
