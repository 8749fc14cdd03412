//! The API of the `bazi_core` service: `bazi.core.BaziCoreService`, defined in
//! `services/bazi_core/api/proto/bazi/core/bazi_core.proto` (wire-compatible
//! with the original HiFate interface), compiled by `build.rs` without a
//! system `protoc`.
//!
//! The generated code of the `bazi.core` package is at the crate root: the
//! messages ([`BaziCoreRequest`], …), the server trait
//! [`bazi_core_service_server::BaziCoreService`] (implemented by the service)
//! and the client [`bazi_core_service_client::BaziCoreServiceClient`].
//!
//! Callers (the gateway) depend on this crate only, never on the `bazi_core`
//! service crate: a change of the service's logic rebuilds and reloads the
//! service alone, a change of this API the service and its callers.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `bazi.core` proto package.
mod pb {
    tonic::include_proto!("bazi.core");
}

pub use pb::*;
