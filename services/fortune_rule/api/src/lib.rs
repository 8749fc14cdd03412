//! The API of the `fortune_rule` service: `fortune.rule.FortuneRuleService`,
//! defined in `services/fortune_rule/api/proto/fortune/rule/fortune_rule.proto`
//! (wire-compatible with the original HiFate interface, plus rule
//! administration), compiled by `build.rs` without a system `protoc`.
//!
//! The generated code of the `fortune.rule` package is at the crate root:
//! the messages, the server trait
//! `fortune_rule_service_server::FortuneRuleService` and the client
//! `fortune_rule_service_client::FortuneRuleServiceClient`. Callers depend
//! on this crate only, never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `fortune.rule` proto package.
mod pb {
    tonic::include_proto!("fortune.rule");
}

pub use pb::*;
