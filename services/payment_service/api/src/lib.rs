//! The API of the `payment_service`: `payment.PaymentService`, defined in
//! `services/payment_service/api/proto/payment/payment.proto` (wire-compatible
//! with the original HiFate interface, plus two new RPCs), compiled by
//! `build.rs` without a system `protoc`.
//!
//! The generated code of the `payment` package is at the crate root: the
//! messages, the server trait `payment_service_server::PaymentService` and the
//! client `payment_service_client::PaymentServiceClient`. Callers (the
//! gateway) depend on this crate only, never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `payment` proto package.
mod pb {
    tonic::include_proto!("payment");
}

pub use pb::*;
