//! Structural check of a packed e5 model file before the C engine sees it.
//!
//! The engine's loader (`e5_parse` in csrc/e5.c) only checks the 4-byte
//! signature and then trusts every count, offset and size in the file: a
//! truncated download or a wrong file would make it read past the mapping or
//! allocate absurd amounts. This module walks the same layout in safe Rust and
//! checks every number the engine later relies on, so that a bad file becomes
//! a [`ModelDefect`] instead of a crash. It reads only the header, vocabulary
//! bookkeeping and tensor directory (about 4.6 MB of the 72 MB file); tensor
//! payloads are checked for size and position, not content.
//!
//! Layout (little-endian), as written by upstream's `convert.py`:
//!
//! ```text
//! "E5S1" u32:version
//! i32: hidden layers heads ffn vocab_rows max_positions token_types
//! f32: eps   i32: quant_block
//! i32: pieces bos eos pad unk   u64: blob_len
//! u32[pieces+1]: piece offsets   f32[pieces]: scores   u8[blob_len]: piece bytes
//! i32: norm_entries  u32: norm_bytes  { u32 cp, u8 n, u32[n] } * norm_entries
//! i32: tensors  { u16 name_len, name, u8 type, u32 elements, u64 offset, u64 bytes } * tensors
//! ```

use std::collections::HashMap;
use std::io::{self, BufRead, Seek};

use crate::error::{ModelDefect, NormMapFault, Section, ShapeField, SpecialToken, TensorType};

const MAGIC: &[u8; 4] = b"E5S1";
const VERSION: u32 = 1;
/// Weights per Q4_0 block; the engine hard-codes it (`QK`).
const QUANT_BLOCK: i64 = 32;
/// Bytes per Q4_0 block: fp16 scale + 16 bytes of nibbles.
const Q4_BLOCK_BYTES: u64 = 18;
/// The engine keeps one scale per block on the stack (`float dwf[8][64]`), so
/// matrix inputs may have at most 64 blocks.
const MAX_BLOCKS_PER_ROW: i64 = 64;
/// The engine stores tensor names in 24-byte buffers, cut at 23 bytes.
const NAME_CAPACITY: usize = 23;

/// Hyper-parameters of a model file that passed [`validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModelShape {
    /// Embedding width (384 for multilingual-e5-small).
    pub hidden: usize,
}

/// Failure of [`validate`]: the file is either unreadable or malformed.
#[derive(Debug)]
pub(crate) enum Invalid {
    Io(io::Error),
    Defect(ModelDefect),
}

impl From<ModelDefect> for Invalid {
    fn from(defect: ModelDefect) -> Self {
        Invalid::Defect(defect)
    }
}

/// Checks that `file` (of `len` bytes) is a model the engine can load safely.
pub(crate) fn validate<R: BufRead + Seek>(file: R, len: u64) -> Result<ModelShape, Invalid> {
    let mut r = Reader {
        inner: file,
        pos: 0,
        len,
    };

    let mut magic = [0u8; 4];
    if len < 8 {
        return Err(ModelDefect::NotAnE5Model.into());
    }
    r.bytes(&mut magic, Section::Header)?;
    if &magic != MAGIC {
        return Err(ModelDefect::NotAnE5Model.into());
    }
    let version = r.u32(Section::Header)?;
    if version != VERSION {
        return Err(ModelDefect::UnsupportedVersion {
            found: version,
            expected: VERSION,
        }
        .into());
    }

    let dims = Dims::read(&mut r)?;
    read_vocabulary(&mut r, &dims)?;
    read_normalisation_map(&mut r)?;
    let directory = read_directory(&mut r)?;
    check_tensors(&directory, &dims, len)?;

    Ok(ModelShape {
        hidden: to_usize(dims.hidden),
    })
}

/// Header hyper-parameters, range-checked.
struct Dims {
    hidden: i64,
    layers: i64,
    ffn: i64,
    vocab_rows: i64,
    max_positions: i64,
}

impl Dims {
    fn read<R: BufRead + Seek>(r: &mut Reader<R>) -> Result<Self, Invalid> {
        let s = Section::Header;
        let hidden = i64::from(r.i32(s)?);
        let layers = i64::from(r.i32(s)?);
        let heads = i64::from(r.i32(s)?);
        let ffn = i64::from(r.i32(s)?);
        let vocab_rows = i64::from(r.i32(s)?);
        let max_positions = i64::from(r.i32(s)?);
        let token_types = i64::from(r.i32(s)?);
        let eps = r.f32(s)?;
        let quant_block = i64::from(r.i32(s)?);

        let max_width = QUANT_BLOCK * MAX_BLOCKS_PER_ROW;
        in_range(
            ShapeField::QuantBlock,
            quant_block,
            QUANT_BLOCK,
            QUANT_BLOCK,
        )?;
        in_range(ShapeField::Hidden, hidden, QUANT_BLOCK, max_width)?;
        divisible(ShapeField::Hidden, hidden, QUANT_BLOCK)?;
        in_range(ShapeField::Layers, layers, 1, 256)?;
        in_range(ShapeField::Heads, heads, 1, hidden)?;
        divisible(ShapeField::Hidden, hidden, heads)?;
        in_range(ShapeField::FeedForward, ffn, QUANT_BLOCK, max_width)?;
        divisible(ShapeField::FeedForward, ffn, QUANT_BLOCK)?;
        // Bounded so the engine's int arithmetic (hash table sizing) cannot overflow.
        in_range(ShapeField::VocabularyRows, vocab_rows, 1, 1 << 24)?;
        // Windows hold max_positions - 2 content tokens; fewer than 3 would
        // make the engine divide by zero.
        in_range(ShapeField::MaxPositions, max_positions, 3, 1 << 16)?;
        in_range(ShapeField::TokenTypes, token_types, 1, 1 << 16)?;
        if !(eps.is_finite() && eps > 0.0 && eps < 1.0) {
            return Err(ModelDefect::BadEpsilon {
                bits: eps.to_bits(),
            }
            .into());
        }
        Ok(Dims {
            hidden,
            layers,
            ffn,
            vocab_rows,
            max_positions,
        })
    }
}

fn read_vocabulary<R: BufRead + Seek>(r: &mut Reader<R>, dims: &Dims) -> Result<(), Invalid> {
    let s = Section::Vocabulary;
    let pieces = i64::from(r.i32(s)?);
    in_range(ShapeField::Pieces, pieces, 1, 1 << 24)?;
    if pieces > dims.vocab_rows {
        return Err(ModelDefect::VocabularyLargerThanEmbeddings {
            pieces,
            rows: dims.vocab_rows,
        }
        .into());
    }
    for which in [
        SpecialToken::Bos,
        SpecialToken::Eos,
        SpecialToken::Pad,
        SpecialToken::Unk,
    ] {
        let id = r.i32(s)?;
        if !(0..pieces).contains(&i64::from(id)) {
            return Err(ModelDefect::SpecialTokenOutOfRange { which, id }.into());
        }
    }
    let blob_len = r.u64(s)?;

    // Piece i spans [offs[i], offs[i+1]) of the piece bytes.
    let mut previous = r.u32(s)?;
    for _ in 0..pieces {
        let next = r.u32(s)?;
        if next < previous {
            return Err(ModelDefect::PieceOffsetsInvalid.into());
        }
        previous = next;
    }
    if u64::from(previous) > blob_len {
        return Err(ModelDefect::PieceOffsetsInvalid.into());
    }
    for index in 0..to_usize(pieces) {
        if !r.f32(s)?.is_finite() {
            return Err(ModelDefect::PieceScoreNotFinite { index }.into());
        }
    }
    r.skip(blob_len, s)
}

fn read_normalisation_map<R: BufRead + Seek>(r: &mut Reader<R>) -> Result<(), Invalid> {
    let s = Section::NormalisationMap;
    let entries = i64::from(r.i32(s)?);
    in_range(ShapeField::NormEntries, entries, 0, 1 << 22)?;
    let declared = u64::from(r.u32(s)?);
    let start = r.pos;
    let mut previous: Option<u32> = None;
    for _ in 0..entries {
        let codepoint = r.u32(s)?;
        let outputs = r.u8(s)?;
        r.skip(u64::from(outputs) * 4, s)?;
        if previous.is_some_and(|p| p >= codepoint) {
            return Err(ModelDefect::NormalisationMapInvalid(NormMapFault::Unsorted).into());
        }
        previous = Some(codepoint);
    }
    let used = r.pos - start;
    if used > declared {
        return Err(ModelDefect::NormalisationMapInvalid(NormMapFault::Overrun).into());
    }
    // The engine jumps over the declared length, not over what it parsed.
    r.skip(declared - used, s)
}

/// One row of the tensor directory.
struct TensorEntry {
    type_code: u8,
    offset: u64,
    bytes: u64,
}

fn read_directory<R: BufRead + Seek>(
    r: &mut Reader<R>,
) -> Result<HashMap<Vec<u8>, TensorEntry>, Invalid> {
    let s = Section::TensorDirectory;
    let count = i64::from(r.i32(s)?);
    in_range(ShapeField::Tensors, count, 0, 1 << 16)?;
    let mut directory = HashMap::new();
    for _ in 0..count {
        let name_len = usize::from(r.u16(s)?);
        let mut name = vec![0u8; name_len];
        r.bytes(&mut name, s)?;
        let type_code = r.u8(s)?;
        let _elements = r.u32(s)?;
        let offset = r.u64(s)?;
        let bytes = r.u64(s)?;
        // Mirror the engine's lookup: the name is cut to 23 bytes and compared
        // as a C string, and the first matching entry wins.
        name.truncate(NAME_CAPACITY);
        if let Some(nul) = name.iter().position(|&b| b == 0) {
            name.truncate(nul);
        }
        directory.entry(name).or_insert(TensorEntry {
            type_code,
            offset,
            bytes,
        });
    }
    Ok(directory)
}

fn check_tensors(
    directory: &HashMap<Vec<u8>, TensorEntry>,
    dims: &Dims,
    file_len: u64,
) -> Result<(), Invalid> {
    let h = to_u64(dims.hidden);
    let ffn = to_u64(dims.ffn);
    let f32s = |n: u64| (TensorType::F32, n * 4);
    let q4 = |rows: u64, cols: u64| (TensorType::Q4, rows * (cols / 32) * Q4_BLOCK_BYTES);

    let mut required: Vec<(String, (TensorType, u64))> = vec![
        ("emb.word".into(), q4(to_u64(dims.vocab_rows), h)),
        ("emb.pos".into(), f32s(to_u64(dims.max_positions) * h)),
        // Only token type 0 is ever used.
        ("emb.type".into(), f32s(h)),
        ("emb.ln.w".into(), f32s(h)),
        ("emb.ln.b".into(), f32s(h)),
    ];
    for l in 0..dims.layers {
        for (suffix, need) in [
            ("q.w", q4(h, h)),
            ("q.b", f32s(h)),
            ("k.w", q4(h, h)),
            ("k.b", f32s(h)),
            ("v.w", q4(h, h)),
            ("v.b", f32s(h)),
            ("ao.w", q4(h, h)),
            ("ao.b", f32s(h)),
            ("aln.w", f32s(h)),
            ("aln.b", f32s(h)),
            ("fi.w", q4(ffn, h)),
            ("fi.b", f32s(ffn)),
            ("fo.w", q4(h, ffn)),
            ("fo.b", f32s(h)),
            ("oln.w", f32s(h)),
            ("oln.b", f32s(h)),
        ] {
            required.push((format!("l{l}.{suffix}"), need));
        }
    }

    for (name, (kind, needed)) in required {
        let Some(entry) = directory.get(name.as_bytes()) else {
            return Err(ModelDefect::MissingTensor { name }.into());
        };
        if entry.type_code != kind.code() {
            return Err(ModelDefect::TensorWrongType {
                name,
                expected: kind,
                found: entry.type_code,
            }
            .into());
        }
        if entry.bytes < needed {
            return Err(ModelDefect::TensorTooSmall {
                name,
                needed,
                found: entry.bytes,
            }
            .into());
        }
        match entry.offset.checked_add(entry.bytes) {
            Some(end) if end <= file_len => {}
            _ => return Err(ModelDefect::TensorOutOfBounds { name }.into()),
        }
        if kind == TensorType::F32 && entry.offset % 4 != 0 {
            return Err(ModelDefect::TensorMisaligned { name }.into());
        }
    }
    Ok(())
}

fn in_range(field: ShapeField, value: i64, min: i64, max: i64) -> Result<(), ModelDefect> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ModelDefect::ShapeOutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

fn divisible(field: ShapeField, value: i64, divisor: i64) -> Result<(), ModelDefect> {
    if value % divisor == 0 {
        Ok(())
    } else {
        Err(ModelDefect::ShapeNotDivisible {
            field,
            value,
            divisor,
        })
    }
}

/// Converts a range-checked, non-negative header value.
fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Converts a range-checked, non-negative header value.
fn to_usize(value: i64) -> usize {
    usize::try_from(value).unwrap_or(0)
}

/// Sequential little-endian reader that reports truncation per section.
struct Reader<R> {
    inner: R,
    pos: u64,
    len: u64,
}

impl<R: BufRead + Seek> Reader<R> {
    /// Fails with [`ModelDefect::Truncated`] unless `n` more bytes exist.
    fn reserve(&self, n: u64, section: Section) -> Result<(), Invalid> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(ModelDefect::Truncated(section).into()),
        }
    }

    fn bytes(&mut self, buf: &mut [u8], section: Section) -> Result<(), Invalid> {
        let n = buf.len() as u64;
        self.reserve(n, section)?;
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            // The file shrank after its length was taken.
            io::ErrorKind::UnexpectedEof => Invalid::Defect(ModelDefect::Truncated(section)),
            _ => Invalid::Io(e),
        })?;
        self.pos += n;
        Ok(())
    }

    fn skip(&mut self, n: u64, section: Section) -> Result<(), Invalid> {
        self.reserve(n, section)?;
        let offset = i64::try_from(n).map_err(|_| ModelDefect::Truncated(section))?;
        self.inner.seek_relative(offset).map_err(Invalid::Io)?;
        self.pos += n;
        Ok(())
    }

    fn array<const N: usize>(&mut self, section: Section) -> Result<[u8; N], Invalid> {
        let mut buf = [0u8; N];
        self.bytes(&mut buf, section)?;
        Ok(buf)
    }

    fn u8(&mut self, section: Section) -> Result<u8, Invalid> {
        Ok(self.array::<1>(section)?[0])
    }

    fn u16(&mut self, section: Section) -> Result<u16, Invalid> {
        Ok(u16::from_le_bytes(self.array(section)?))
    }

    fn u32(&mut self, section: Section) -> Result<u32, Invalid> {
        Ok(u32::from_le_bytes(self.array(section)?))
    }

    fn i32(&mut self, section: Section) -> Result<i32, Invalid> {
        Ok(i32::from_le_bytes(self.array(section)?))
    }

    fn u64(&mut self, section: Section) -> Result<u64, Invalid> {
        Ok(u64::from_le_bytes(self.array(section)?))
    }

    fn f32(&mut self, section: Section) -> Result<f32, Invalid> {
        Ok(f32::from_le_bytes(self.array(section)?))
    }
}
