//! Compiles `proto/fortune/rule/fortune_rule.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/fortune/rule/fortune_rule.proto"], &["proto"])
}
