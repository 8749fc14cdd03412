//! Compiles `proto/bazi/fortune/bazi_fortune.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/bazi/fortune/bazi_fortune.proto"], &["proto"])
}
