//! The API of the `fortune_analysis` service: `fortune.analysis.FortuneAnalysisService`, defined in
//! `services/fortune_analysis/api/proto/fortune/analysis/fortune_analysis.proto` (wire-compatible
//! with the original HiFate interface), compiled by `build.rs` without a
//! system `protoc`.
//!
//! The generated code of the `fortune.analysis` package is at the crate root: the
//! messages, the server trait and the client
//! `fortune_analysis_service_client::FortuneAnalysisServiceClient`.
//! Callers depend on this crate only, never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `fortune.analysis` proto package.
mod pb {
    tonic::include_proto!("fortune.analysis");
}

pub use pb::*;
