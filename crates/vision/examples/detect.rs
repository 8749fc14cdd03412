//! Prints the objects found in each photo given on the command line.
//!
//!     cargo run --release -p vision --example detect -- photo.jpg [...]

use vision::nanodet::{default_model_path, Detector};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let detector = Detector::load(default_model_path())?;
    for path in std::env::args().skip(1) {
        let image = vision::decode(&std::fs::read(&path)?)?;
        let (width, height) = image.dimensions();
        println!("{path} ({width}×{height})");
        for d in detector.detect(&image)? {
            let b = d.bbox;
            println!(
                "  {:<14} {:.3}  [{:.0}, {:.0}, {:.0}, {:.0}]",
                d.class.name(),
                d.score,
                b.x0,
                b.y0,
                b.x1,
                b.y1
            );
        }
    }
    Ok(())
}
