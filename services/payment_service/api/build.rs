//! Compiles `proto/payment/payment.proto` (see `hifate-build`: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    hifate_build::compile_protos(&["proto/payment/payment.proto"], &["proto"])
}
