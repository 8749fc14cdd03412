#![allow(dead_code)] // each test binary uses a different subset

//! A tiny but complete model file in the engine's format (hidden size 32,
//! one layer), so loading, validation and embedding can be tested without the
//! 72 MB real model.

use std::path::{Path, PathBuf};

pub const HIDDEN: usize = 32;
const LAYERS: usize = 1;
const HEADS: i32 = 2;
const FFN: usize = 64;
/// Short windows (6 content tokens) so that windowing is exercised too.
const MAX_POSITIONS: usize = 8;

/// Byte offsets of header fields, for targeted corruption.
pub mod at {
    pub const VERSION: usize = 4;
    pub const HIDDEN: usize = 8;
    pub const HEADS: usize = 16;
    pub const FFN: usize = 20;
    pub const VOCAB_ROWS: usize = 24;
    pub const MAX_POSITIONS: usize = 28;
    pub const EPS: usize = 36;
    pub const PIECES: usize = 44;
    pub const UNK: usize = 60;
}

/// Vocabulary in XLM-R order: specials first.
const PIECES: [&str; 12] = [
    "<s>",
    "<pad>",
    "</s>",
    "<unk>",
    "\u{2581}",
    "\u{2581}a",
    "a",
    "b",
    "\u{2581}b",
    "c",
    "ab",
    "\u{2581}query:",
];

/// Deterministic pseudo-random numbers (64-bit LCG).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }

    /// Uniform in [-scale, scale).
    fn next_f32(&mut self, scale: f32) -> f32 {
        (self.next_u32() as f32 / (1u64 << 31) as f32 - 1.0) * scale
    }
}

/// A built model file plus where its tensor directory entries are.
pub struct TinyModel {
    pub bytes: Vec<u8>,
    /// Byte offset of each directory entry's name, by tensor name.
    pub names: Vec<(String, usize)>,
}

impl TinyModel {
    pub fn build() -> TinyModel {
        let mut rng = Lcg(7);
        let h = HIDDEN;
        let mut tensors: Vec<(String, u8, Vec<u8>)> = Vec::new();
        let mut f32s = |name: &str, n: usize, fill: &mut dyn FnMut() -> f32| {
            let data: Vec<u8> = (0..n).flat_map(|_| fill().to_le_bytes()).collect();
            tensors.push((name.to_string(), 0, data));
        };
        let mut r = Lcg(11);
        f32s("emb.pos", MAX_POSITIONS * h, &mut || r.next_f32(0.5));
        f32s("emb.type", h, &mut || r.next_f32(0.1));
        f32s("emb.ln.w", h, &mut || 1.0);
        f32s("emb.ln.b", h, &mut || 0.0);
        let mut layer_f32 = Vec::new();
        for l in 0..LAYERS {
            for (suffix, n, one) in [
                ("q.b", h, false),
                ("k.b", h, false),
                ("v.b", h, false),
                ("ao.b", h, false),
                ("aln.w", h, true),
                ("aln.b", h, false),
                ("fi.b", FFN, false),
                ("fo.b", h, false),
                ("oln.w", h, true),
                ("oln.b", h, false),
            ] {
                layer_f32.push((format!("l{l}.{suffix}"), n, one));
            }
        }
        for (name, n, one) in layer_f32 {
            f32s(&name, n, &mut || if one { 1.0 } else { r.next_f32(0.1) });
        }
        let mut q4 = |name: String, rows: usize, cols: usize| {
            let mut data = Vec::new();
            for _ in 0..rows * cols / 32 {
                data.extend_from_slice(&0x2C00u16.to_le_bytes()); // fp16 0.0625
                for _ in 0..16 {
                    data.push(rng.next_u32() as u8);
                }
            }
            tensors.push((name, 1, data));
        };
        q4("emb.word".into(), PIECES.len(), h);
        for l in 0..LAYERS {
            for (suffix, rows, cols) in [
                ("q.w", h, h),
                ("k.w", h, h),
                ("v.w", h, h),
                ("ao.w", h, h),
                ("fi.w", FFN, h),
                ("fo.w", h, FFN),
            ] {
                q4(format!("l{l}.{suffix}"), rows, cols);
            }
        }

        let mut out = Vec::new();
        out.extend_from_slice(b"E5S1");
        put_u32(&mut out, 1);
        for v in [
            h as i32,
            LAYERS as i32,
            HEADS,
            FFN as i32,
            PIECES.len() as i32,
            MAX_POSITIONS as i32,
            1,
        ] {
            put_i32(&mut out, v);
        }
        out.extend_from_slice(&1e-5f32.to_le_bytes());
        put_i32(&mut out, 32);

        // vocabulary: pieces, bos, eos, pad, unk, blob length, offsets, scores, blob
        put_i32(&mut out, PIECES.len() as i32);
        for id in [0, 2, 1, 3] {
            put_i32(&mut out, id);
        }
        let blob: Vec<u8> = PIECES.iter().flat_map(|p| p.bytes()).collect();
        out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
        let mut offset = 0u32;
        put_u32(&mut out, 0);
        for p in PIECES {
            offset += p.len() as u32;
            put_u32(&mut out, offset);
        }
        for i in 0..PIECES.len() {
            out.extend_from_slice(&(-1.0f32 - i as f32 * 0.5).to_le_bytes());
        }
        out.extend_from_slice(&blob);

        // normalisation map: 'A' -> 'a', 'B' -> 'b'
        let mut map = Vec::new();
        for (from, to) in [('A', 'a'), ('B', 'b')] {
            map.extend_from_slice(&(from as u32).to_le_bytes());
            map.push(1);
            map.extend_from_slice(&(to as u32).to_le_bytes());
        }
        put_i32(&mut out, 2);
        put_u32(&mut out, map.len() as u32);
        out.extend_from_slice(&map);

        // tensor directory, then 32-byte aligned payloads
        let dir_len: usize = 4 + tensors
            .iter()
            .map(|(name, _, _)| 2 + name.len() + 1 + 4 + 8 + 8)
            .sum::<usize>();
        let mut cursor = (out.len() + dir_len).next_multiple_of(32);
        let mut placed = Vec::new();
        put_i32(&mut out, tensors.len() as i32);
        let mut names = Vec::new();
        for (name, kind, data) in &tensors {
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            names.push((name.clone(), out.len()));
            out.extend_from_slice(name.as_bytes());
            out.push(*kind);
            let elements = if *kind == 0 {
                data.len() / 4
            } else {
                data.len() / 18 * 32
            };
            put_u32(&mut out, elements as u32);
            out.extend_from_slice(&(cursor as u64).to_le_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
            placed.push((cursor, data));
            cursor = (cursor + data.len()).next_multiple_of(32);
        }
        for (at, data) in placed {
            out.resize(at, 0);
            out.extend_from_slice(data);
        }
        TinyModel { bytes: out, names }
    }

    /// Offset of a tensor's directory entry name.
    pub fn name_offset(&self, tensor: &str) -> usize {
        self.names
            .iter()
            .find(|(name, _)| name == tensor)
            .map(|(_, at)| *at)
            .unwrap_or_else(|| panic!("no tensor {tensor} in the tiny model"))
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Overwrites 4 little-endian bytes at `at`.
pub fn patch_i32(bytes: &mut [u8], at: usize, v: i32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Writes `bytes` to `name` inside `dir`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test model");
    path
}

/// Dot product; vectors are unit length, so this is the cosine.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}
