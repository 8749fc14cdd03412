//! The API of the `bazi_fortune` service: `bazi.fortune.BaziFortuneService`,
//! defined in `services/bazi_fortune/api/proto/bazi/fortune/bazi_fortune.proto`
//! (wire-compatible with the original HiFate interface), compiled by
//! `build.rs` without a system `protoc`.
//!
//! The generated code of the `bazi.fortune` package is at the crate root: the
//! messages ([`BaziFortuneRequest`], …), the server trait
//! [`bazi_fortune_service_server::BaziFortuneService`] and the client
//! [`bazi_fortune_service_client::BaziFortuneServiceClient`]. Callers (the
//! gateway) depend on this crate only, never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `bazi.fortune` proto package.
mod pb {
    tonic::include_proto!("bazi.fortune");
}

pub use pb::*;
