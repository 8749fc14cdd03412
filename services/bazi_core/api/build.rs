//! Compiles `proto/bazi/core/bazi_core.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/bazi/core/bazi_core.proto"], &["proto"])
}
