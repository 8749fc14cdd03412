//! Protocol buffer definitions of the HiFate services.
//!
//! Every `.proto` lives under `proto/` in this crate and is compiled by
//! `build.rs` with `protox`, so building needs no system `protoc`.
//! [`FILE_DESCRIPTOR_SET`] holds all of them for gRPC server reflection.

/// The encoded `FileDescriptorSet` of every proto in this crate.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// `bazi.core`: the Four Pillars chart service.
pub mod bazi_core {
    tonic::include_proto!("bazi.core");
}

/// `hifate.fixture.v1`: a tiny echo service that the supervisor's tests and
/// benchmarks run as a stand-in for a real workload.
pub mod fixture {
    tonic::include_proto!("hifate.fixture.v1");
}
