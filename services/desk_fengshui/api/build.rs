//! Compiles `proto/desk/fengshui/desk_fengshui.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/desk/fengshui/desk_fengshui.proto"], &["proto"])
}
