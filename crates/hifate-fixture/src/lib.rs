//! The echo service that the hifate supervisor's tests and benchmarks run as a
//! stand-in for a real workload — never a dependency of a production service.
//!
//! * The proto `hifate.fixture.v1` (`proto/hifate/fixture/v1/echo.proto`),
//!   compiled by `build.rs` without a system `protoc`: messages, the client
//!   [`echo_client::EchoClient`] and the server trait [`echo_server::Echo`]
//!   are at the crate root; [`FILE_DESCRIPTOR_SET`] holds that one file for
//!   reflection.
//! * [`template`]: the one template of a throwaway cargo workspace of echo
//!   services (manifests with path dependencies on this repository's crates,
//!   and the services' `main.rs`), written by the supervisor's tests and the
//!   benchmarks.

pub mod template;

/// The encoded `FileDescriptorSet` of `hifate/fixture/v1/echo.proto` only.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The generated code of the `hifate.fixture.v1` proto package.
mod pb {
    tonic::include_proto!("hifate.fixture.v1");
}

pub use pb::*;
