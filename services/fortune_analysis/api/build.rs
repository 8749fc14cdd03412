//! Compiles `proto/fortune/analysis/fortune_analysis.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(
        &["proto/fortune/analysis/fortune_analysis.proto"],
        &["proto"],
    )
}
