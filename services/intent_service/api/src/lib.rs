//! The API of the `intent_service` service: `intent.IntentService`, defined in
//! `services/intent_service/api/proto/intent/intent.proto` (wire-compatible
//! with the original HiFate interface), compiled by `build.rs` without a
//! system `protoc`.
//!
//! The generated code of the `intent` package is at the crate root: the
//! messages, the server trait and the client `intent_service_client::IntentServiceClient`.
//! Callers depend on this crate only, never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `intent` proto package.
mod pb {
    tonic::include_proto!("intent");
}

pub use pb::*;
