//! Compiles `proto/hifate/fixture/v1/echo.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/hifate/fixture/v1/echo.proto"], &["proto"])
}
