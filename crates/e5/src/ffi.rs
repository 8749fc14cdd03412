//! Declarations of the C engine (csrc/e5.h) and run-time kernel selection.
//!
//! build.rs compiles the engine once per [`Kernel`] with a distinct symbol
//! prefix; [`Engine`] is the table of entry points of one such copy. Only the
//! calls this crate needs are declared.

use std::ffi::{c_char, c_int};
use std::fmt;
use std::marker::{PhantomData, PhantomPinned};

/// Opaque `e5_model` owned by the C side.
#[repr(C)]
pub(crate) struct RawModel {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

type LoadFn = unsafe extern "C" fn(path: *const c_char) -> *mut RawModel;
type FreeFn = unsafe extern "C" fn(model: *mut RawModel);
type DimFn = unsafe extern "C" fn(model: *const RawModel) -> c_int;
type EmbedBatchFn = unsafe extern "C" fn(
    model: *mut RawModel,
    texts: *const *const c_char,
    n: c_int,
    is_query: c_int,
    out: *mut f32,
) -> c_int;

extern "C" {
    #[link_name = "e5_portable_load"]
    fn portable_load(path: *const c_char) -> *mut RawModel;
    #[link_name = "e5_portable_free"]
    fn portable_free(model: *mut RawModel);
    #[link_name = "e5_portable_dim"]
    fn portable_dim(model: *const RawModel) -> c_int;
    #[link_name = "e5_portable_embed_batch"]
    fn portable_embed_batch(
        model: *mut RawModel,
        texts: *const *const c_char,
        n: c_int,
        is_query: c_int,
        out: *mut f32,
    ) -> c_int;
}

#[cfg(target_arch = "x86_64")]
extern "C" {
    #[link_name = "e5_avx2_load"]
    fn avx2_load(path: *const c_char) -> *mut RawModel;
    #[link_name = "e5_avx2_free"]
    fn avx2_free(model: *mut RawModel);
    #[link_name = "e5_avx2_dim"]
    fn avx2_dim(model: *const RawModel) -> c_int;
    #[link_name = "e5_avx2_embed_batch"]
    fn avx2_embed_batch(
        model: *mut RawModel,
        texts: *const *const c_char,
        n: c_int,
        is_query: c_int,
        out: *mut f32,
    ) -> c_int;
}

/// Which compiled copy of the engine runs the matrix products.
///
/// Both compute the same model but sum floats in a different order: on the
/// real model their vectors have a cosine similarity above 0.9999 (components
/// differ by up to about 2e-3). Each kernel on its own is deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// x86-64 with AVX2 and FMA: int8 x int4 SIMD dot products.
    Avx2Fma,
    /// Baseline instruction set, auto-vectorised scalar code; runs anywhere.
    Portable,
}

impl Kernel {
    /// The fastest kernel this CPU can run.
    pub fn best_available() -> Kernel {
        if Kernel::Avx2Fma.is_supported() {
            Kernel::Avx2Fma
        } else {
            Kernel::Portable
        }
    }

    /// Whether this CPU (and build target) can run the kernel.
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2Fma => false,
        }
    }

    /// Entry points of this kernel's engine copy, if the CPU supports it.
    pub(crate) fn engine(self) -> Option<Engine> {
        if !self.is_supported() {
            return None;
        }
        match self {
            Kernel::Portable => Some(Engine {
                load: portable_load,
                free: portable_free,
                dim: portable_dim,
                embed_batch: portable_embed_batch,
            }),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => Some(Engine {
                load: avx2_load,
                free: avx2_free,
                dim: avx2_dim,
                embed_batch: avx2_embed_batch,
            }),
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2Fma => None,
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kernel::Avx2Fma => "AVX2+FMA",
            Kernel::Portable => "portable",
        })
    }
}

/// Entry points of one compiled engine copy.
///
/// Calling them is `unsafe`: the caller upholds the C contracts documented
/// at each call site in lib.rs.
#[derive(Clone, Copy)]
pub(crate) struct Engine {
    /// `e5_load`: maps and parses the file; NULL on failure.
    pub load: LoadFn,
    /// `e5_free`: releases everything `load` returned.
    pub free: FreeFn,
    /// `e5_dim`: embedding width.
    pub dim: DimFn,
    /// `e5_embed_batch`: writes `n * dim` floats, L2-normalised rows.
    pub embed_batch: EmbedBatchFn,
}
