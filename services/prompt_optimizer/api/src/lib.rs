//! The API of the `prompt_optimizer` service: `optimizer.PromptOptimizerService`, defined in
//! `services/prompt_optimizer/api/proto/optimizer/optimizer.proto` (wire-compatible
//! with the original HiFate interface), compiled by `build.rs` without a
//! system `protoc`.
//!
//! The generated code of the `optimizer` package is at the crate root: the
//! messages, the server trait and the client `prompt_optimizer_service_client::PromptOptimizerServiceClient`.
//! Callers depend on this crate only, never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `optimizer` proto package.
mod pb {
    tonic::include_proto!("optimizer");
}

pub use pb::*;
