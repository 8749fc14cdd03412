//! Compiles `proto/optimizer/optimizer.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/optimizer/optimizer.proto"], &["proto"])
}
