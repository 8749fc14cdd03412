//! The build script of every HiFate API crate (`services/<name>/api`,
//! `crates/hifate-fixture`), in one place.
//!
//! [`compile_protos`] compiles `.proto` files with `protox` (pure Rust, so no
//! system `protoc` is needed), generates the tonic client and server with
//! `tonic-prost-build`, and writes the encoded `FileDescriptorSet` of exactly
//! those files (plus what they import) to `$OUT_DIR/descriptors.bin`, for
//! gRPC server reflection. An API crate's `build.rs` is then one call:
//!
//! ```no_run
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     hifate_build::compile_protos(&["proto/bazi/core/bazi_core.proto"], &["proto"])
//! }
//! ```
//!
//! and its `lib.rs` includes the results:
//!
//! ```ignore
//! pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));
//! pub mod core { tonic::include_proto!("bazi.core"); }
//! ```

use std::path::PathBuf;

use protox::prost::Message as _;

/// Name of the descriptor set file written to `$OUT_DIR` (`include_bytes!`
/// needs it spelled out as a literal: `"/descriptors.bin"`).
pub const DESCRIPTOR_FILE: &str = "descriptors.bin";

/// Compiles `protos` (paths relative to the crate root, each under one of
/// `includes`) into `$OUT_DIR`: the generated Rust modules (one per proto
/// package, for `tonic::include_proto!`) and [`DESCRIPTOR_FILE`]. Tells cargo
/// to run the build script again whenever anything under `includes` changes.
pub fn compile_protos(
    protos: &[&str],
    includes: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    for include in includes {
        println!("cargo:rerun-if-changed={include}");
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptors = protox::compile(protos, includes)?;
    let descriptor_path = out_dir.join(DESCRIPTOR_FILE);
    std::fs::write(&descriptor_path, descriptors.encode_to_vec())?;

    let mut config = prost_build::Config::new();
    config
        .file_descriptor_set_path(&descriptor_path)
        .skip_protoc_run();
    tonic_prost_build::configure().compile_with_config(config, protos, includes)?;
    Ok(())
}
