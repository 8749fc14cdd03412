//! Compiles `proto/bazi/analyzer/bazi_analyzer.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/bazi/analyzer/bazi_analyzer.proto"], &["proto"])
}
