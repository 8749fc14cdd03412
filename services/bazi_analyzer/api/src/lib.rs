//! The API of the `bazi_analyzer` service: `bazi.analyzer.BaziAnalyzerService`, defined in
//! `services/bazi_analyzer/api/proto/bazi/analyzer/bazi_analyzer.proto` (wire-compatible
//! with the original HiFate interface), compiled by `build.rs` without a
//! system `protoc`.
//!
//! The generated code of the `bazi.analyzer` package is at the crate root: the
//! messages, the server trait `bazi_analyzer_service_server::BaziAnalyzerService` and the client
//! `bazi_analyzer_service_client::BaziAnalyzerServiceClient`. Callers depend on this crate only,
//! never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `bazi.analyzer` proto package.
mod pb {
    tonic::include_proto!("bazi.analyzer");
}

pub use pb::*;
