//! Rotated crops of a photo, sampled the way mediapipe's
//! `ImageToTensorCalculator` samples them on the CPU.
//!
//! Mediapipe warps the photo with OpenCV (`warpPerspective`, bilinear, on
//! 8-bit pixels) so that the four corners of a [`RotatedRect`] land on the
//! four corners of the output: output pixel (x, y) takes the photo's value
//! at the rectangle fractions `(x / width, y / height)`, with photo pixel
//! `i` centred on coordinate `i`. The result is 8-bit again before it is
//! scaled into the network's float range. [`crop`] does the same with the
//! `image` crate's pixels, no OpenCV, including OpenCV's fixed-point
//! arithmetic (positions rounded to 1/32 pixel, 15-bit weights): the
//! landmark models are sensitive enough to their crop that float weights
//! moved a weak hand's landmarks by pixels.

use image::{Rgb, RgbImage};

use crate::geometry::{Point, RotatedRect};

/// What pixels outside the photo contribute to a crop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Border {
    /// Black (`BORDER_ZERO`): the detectors' letterbox padding.
    Zero,
    /// The nearest edge pixel (`BORDER_REPLICATE`, mediapipe's default): the
    /// landmark models' crops, which often reach past the photo's edge.
    Replicate,
}

/// The square around the whole photo that mediapipe's detectors see: the
/// photo centred, its short side padded to the long one (`keep_aspect_ratio`
/// with no region of interest).
pub fn letterbox_rect(width: u32, height: u32) -> RotatedRect {
    let side = width.max(height) as f32;
    RotatedRect {
        centre: Point {
            x: width as f32 / 2.0,
            y: height as f32 / 2.0,
        },
        width: side,
        height: side,
        rotation: 0.0,
    }
}

/// Samples `rect` of `image` into a new `width × height` image.
///
/// An empty `image` gives a black crop (with [`Border::Zero`]) or, having no
/// edge to replicate, also black.
pub fn crop(
    image: &RgbImage,
    rect: &RotatedRect,
    width: u32,
    height: u32,
    border: Border,
) -> RgbImage {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    // Photo coordinates of output pixel (x, y) = origin + x·step_x + y·step_y,
    // in double precision as OpenCV computes them.
    let corner = |u: f32, v: f32| {
        let p = rect.point_at(u, v);
        (f64::from(p.x), f64::from(p.y))
    };
    let origin = corner(0.0, 0.0);
    let along_u = corner(1.0, 0.0);
    let along_v = corner(0.0, 1.0);
    let step_x = ((along_u.0 - origin.0) / w, (along_u.1 - origin.1) / w);
    let step_y = ((along_v.0 - origin.0) / h, (along_v.1 - origin.1) / h);
    RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (f64::from(x), f64::from(y));
        sample(
            image,
            origin.0 + x * step_x.0 + y * step_y.0,
            origin.1 + x * step_x.1 + y * step_y.1,
            border,
        )
    })
}

/// Sub-pixel positions per pixel: OpenCV's `INTER_TAB_SIZE`.
const SUBPIXELS: f64 = 32.0;
/// Fixed-point weights sum to 2^15 (`INTER_REMAP_COEF_BITS`).
const WEIGHT_BITS: u32 = 15;

/// Bilinear sample at (`sx`, `sy`), pixel `i` centred on coordinate `i`,
/// as OpenCV's `remap` does it for 8-bit images: the position rounded to
/// 1/32 pixel, weights in 15-bit fixed point, the sum rounded to 8 bits.
fn sample(image: &RgbImage, sx: f64, sy: f64, border: Border) -> Rgb<u8> {
    let (width, height) = (i64::from(image.width()), i64::from(image.height()));
    if width == 0 || height == 0 || !sx.is_finite() || !sy.is_finite() {
        return Rgb([0, 0, 0]);
    }
    // Far outside the photo a position only needs to stay outside it.
    let limit = 1e9;
    let fixed_x = (sx * SUBPIXELS).clamp(-limit, limit).round_ties_even() as i64;
    let fixed_y = (sy * SUBPIXELS).clamp(-limit, limit).round_ties_even() as i64;
    let (x0, y0) = (fixed_x >> 5, fixed_y >> 5);
    let (ax, ay) = (fixed_x & 31, fixed_y & 31);
    let pixel = |x: i64, y: i64| -> Option<&Rgb<u8>> {
        let inside = (0..width).contains(&x) && (0..height).contains(&y);
        match (inside, border) {
            (true, _) => Some(image.get_pixel(x as u32, y as u32)),
            (false, Border::Zero) => None,
            (false, Border::Replicate) => {
                Some(image.get_pixel(x.clamp(0, width - 1) as u32, y.clamp(0, height - 1) as u32))
            }
        }
    };
    // (32 - a)(32 - b)·32 and so on: exact, summing to 2^15.
    let taps = [
        (x0, y0, (32 - ax) * (32 - ay) * 32),
        (x0 + 1, y0, ax * (32 - ay) * 32),
        (x0, y0 + 1, (32 - ax) * ay * 32),
        (x0 + 1, y0 + 1, ax * ay * 32),
    ];
    let mut sum = [0i64; 3];
    for (x, y, weight) in taps {
        if weight == 0 {
            continue;
        }
        if let Some(p) = pixel(x, y) {
            for (s, &v) in sum.iter_mut().zip(p.0.iter()) {
                *s += weight * i64::from(v);
            }
        }
    }
    let half = 1i64 << (WEIGHT_BITS - 1);
    Rgb(sum.map(|s| ((s + half) >> WEIGHT_BITS).clamp(0, 255) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> RgbImage {
        // Red grows with x, green with y.
        RgbImage::from_fn(8, 4, |x, y| Rgb([x as u8 * 10, y as u8 * 20, 7]))
    }

    #[test]
    fn whole_image_rect_copies_pixels() {
        let image = ramp();
        let rect = RotatedRect {
            centre: Point { x: 4.0, y: 2.0 },
            width: 8.0,
            height: 4.0,
            rotation: 0.0,
        };
        assert_eq!(crop(&image, &rect, 8, 4, Border::Zero), image);
    }

    #[test]
    fn halving_samples_every_other_pixel_and_interpolates_between() {
        let image = ramp();
        let rect = letterbox_rect(8, 4);
        // An 8×8 square around the 8×4 photo: rows 0-1 and 6-7 of the
        // square are padding.
        let small = crop(&image, &rect, 4, 4, Border::Zero);
        // Output (1, 1) samples the photo at (2, 0): the first photo row.
        assert_eq!(small.get_pixel(1, 1), &Rgb([20, 0, 7]));
        assert_eq!(small.get_pixel(1, 0), &Rgb([0, 0, 0]), "padding is black");
        let replicated = crop(&image, &rect, 4, 4, Border::Replicate);
        assert_eq!(
            replicated.get_pixel(1, 0),
            &Rgb([20, 0, 7]),
            "edge repeated"
        );
        // Between two pixels: half of each.
        let between = RotatedRect {
            centre: Point { x: 4.5, y: 2.0 },
            ..rect
        };
        let shifted = crop(&image, &between, 8, 8, Border::Replicate);
        assert_eq!(shifted.get_pixel(0, 2)[0], 5);
    }

    #[test]
    fn quarter_turn_reads_columns_as_rows() {
        let image = ramp();
        // A 4×4 square turned a quarter clockwise around (4, 2): walking
        // right in the crop walks down in the photo.
        let rect = RotatedRect {
            centre: Point { x: 4.0, y: 2.0 },
            width: 4.0,
            height: 4.0,
            rotation: std::f32::consts::FRAC_PI_2,
        };
        let turned = crop(&image, &rect, 4, 4, Border::Replicate);
        // Output (0, 0) is the rect's top-left corner: photo (6, 0).
        assert_eq!(turned.get_pixel(0, 0), &Rgb([60, 0, 7]));
        // One step right: photo (6, 1); one step down: photo (5, 0).
        assert_eq!(turned.get_pixel(1, 0), &Rgb([60, 20, 7]));
        assert_eq!(turned.get_pixel(0, 1), &Rgb([50, 0, 7]));
    }

    #[test]
    fn empty_image_gives_black() {
        let rect = letterbox_rect(0, 0);
        let out = crop(&RgbImage::new(0, 0), &rect, 2, 2, Border::Replicate);
        assert!(out.pixels().all(|p| p == &Rgb([0, 0, 0])));
    }
}
