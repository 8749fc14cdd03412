//! The API of the `desk_fengshui` service: `desk.fengshui.DeskFengshuiService`, defined in
//! `services/desk_fengshui/api/proto/desk/fengshui/desk_fengshui.proto` (wire-compatible
//! with the original HiFate interface), compiled by `build.rs` without a
//! system `protoc`.
//!
//! The generated code of the `desk.fengshui` package is at the crate root: the
//! messages, the server trait and the client `desk_fengshui_service_client::DeskFengshuiServiceClient`.
//! Callers depend on this crate only, never on the service crate.

/// The encoded `FileDescriptorSet` of this crate's proto files only, for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `desk.fengshui` proto package.
mod pb {
    tonic::include_proto!("desk.fengshui");
}

pub use pb::*;
