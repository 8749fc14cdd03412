//! The API of the `bazi_rule` service: `bazi.rule.BaziRuleService`, defined in
//! `services/bazi_rule/api/proto/bazi/rule/bazi_rule.proto` (wire-compatible
//! with the original HiFate interface), compiled by `build.rs` without a
//! system `protoc`.
//!
//! The generated code of the `bazi.rule` package is at the crate root: the
//! messages, the server trait `bazi_rule_service_server::BaziRuleService` and the client
//! `bazi_rule_service_client::BaziRuleServiceClient`. Callers depend on this crate only,
//! never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `bazi.rule` proto package.
mod pb {
    tonic::include_proto!("bazi.rule");
}

pub use pb::*;
