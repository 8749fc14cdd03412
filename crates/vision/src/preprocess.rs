//! From a photo of any size to the fixed-size, normalised tensor a network
//! expects, remembering how to map the network's coordinates back.

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};
use tract_onnx::prelude::{tract_ndarray::Array4, Tensor};

use crate::geometry::{BoundingBox, Point};

/// How a photo is fitted into the network's square (or fixed) input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeMode {
    /// Scale each axis independently to fill the input; shapes are
    /// distorted but no input pixel is wasted. NanoDet's TF.js pipeline
    /// does this.
    Stretch,
    /// Scale both axes by the same factor and centre the result on black;
    /// shapes are kept. Mediapipe's detectors expect this.
    Letterbox,
}

/// Which colour comes first in the tensor's channel axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelOrder {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red: models trained on OpenCV-loaded images.
    Bgr,
}

/// Memory layout of a single-image tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `[1, channels, height, width]` (PyTorch, ONNX).
    Nchw,
    /// `[1, height, width, channels]` (TensorFlow, TFLite).
    Nhwc,
}

/// Per-channel `(pixel - mean) / std` on 0–255 pixel values, with `mean`
/// and `std` listed in the tensor's channel order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    /// Channel order of the tensor (and of `mean` and `std`).
    pub order: ChannelOrder,
    /// Subtracted from each channel.
    pub mean: [f32; 3],
    /// Divides each channel after the mean is subtracted.
    pub std: [f32; 3],
}

impl Normalisation {
    /// Pixels scaled to `[0, 1]`.
    pub const fn unit_range(order: ChannelOrder) -> Self {
        Self {
            order,
            mean: [0.0; 3],
            std: [255.0; 3],
        }
    }

    /// Pixels scaled to `[-1, 1]`, as mediapipe's face detectors take (its
    /// palm detector and landmark models take `[0, 1]`).
    pub const fn signed_unit_range(order: ChannelOrder) -> Self {
        Self {
            order,
            mean: [127.5; 3],
            std: [127.5; 3],
        }
    }

    /// The normalised value of tensor channel `channel` for an RGB pixel.
    fn apply(&self, pixel: &Rgb<u8>, channel: usize) -> f32 {
        let source = match self.order {
            ChannelOrder::Rgb => channel,
            ChannelOrder::Bgr => 2 - channel,
        };
        (f32::from(pixel[source]) - self.mean[channel]) / self.std[channel]
    }
}

/// How network-input pixel coordinates relate to the original photo:
/// `input = source × scale + pad` on each axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputTransform {
    /// Input pixels per source pixel, horizontally.
    pub scale_x: f32,
    /// Input pixels per source pixel, vertically.
    pub scale_y: f32,
    /// Blank columns left of the photo in the input.
    pub pad_x: f32,
    /// Blank rows above the photo in the input.
    pub pad_y: f32,
    /// Width of the original photo.
    pub source_width: u32,
    /// Height of the original photo.
    pub source_height: u32,
}

impl InputTransform {
    /// A point in the network input mapped into the original photo.
    pub fn point_to_source(&self, p: Point) -> Point {
        Point {
            x: (p.x - self.pad_x) / self.scale_x,
            y: (p.y - self.pad_y) / self.scale_y,
        }
    }

    /// A box in the network input mapped into the original photo and
    /// clipped to it (a box reaching into letterbox padding ends at the
    /// photo's edge).
    pub fn box_to_source(&self, b: BoundingBox) -> BoundingBox {
        let top_left = self.point_to_source(Point { x: b.x0, y: b.y0 });
        let bottom_right = self.point_to_source(Point { x: b.x1, y: b.y1 });
        BoundingBox::new(top_left.x, top_left.y, bottom_right.x, bottom_right.y)
            .clipped(self.source_width as f32, self.source_height as f32)
    }
}

/// A photo fitted to the network's input size, with the mapping back.
#[derive(Debug, Clone)]
pub struct FittedImage {
    /// Exactly the requested input size.
    pub image: RgbImage,
    /// From input coordinates back to the original photo.
    pub transform: InputTransform,
}

/// Fits `image` into `width × height` pixels.
pub fn fit(image: &RgbImage, width: u32, height: u32, mode: ResizeMode) -> FittedImage {
    let (source_width, source_height) = image.dimensions();
    let (sw, sh) = (source_width.max(1) as f32, source_height.max(1) as f32);
    match mode {
        ResizeMode::Stretch => FittedImage {
            image: resize(image, width, height),
            transform: InputTransform {
                scale_x: width as f32 / sw,
                scale_y: height as f32 / sh,
                pad_x: 0.0,
                pad_y: 0.0,
                source_width,
                source_height,
            },
        },
        ResizeMode::Letterbox => {
            let scale = (width as f32 / sw).min(height as f32 / sh);
            let inner_width = ((sw * scale).round() as u32).clamp(1, width);
            let inner_height = ((sh * scale).round() as u32).clamp(1, height);
            let pad_x = (width - inner_width) / 2;
            let pad_y = (height - inner_height) / 2;
            let mut canvas = RgbImage::new(width, height);
            imageops::replace(
                &mut canvas,
                &resize(image, inner_width, inner_height),
                i64::from(pad_x),
                i64::from(pad_y),
            );
            FittedImage {
                image: canvas,
                transform: InputTransform {
                    // The rounded inner size, so that the photo's far edge
                    // maps exactly onto the source's far edge.
                    scale_x: inner_width as f32 / sw,
                    scale_y: inner_height as f32 / sh,
                    pad_x: pad_x as f32,
                    pad_y: pad_y as f32,
                    source_width,
                    source_height,
                },
            }
        }
    }
}

/// Resizes to exactly `width × height`. Shrinking averages whole source
/// areas (fast even for 8000-pixel photos, and free of aliasing);
/// enlarging interpolates bilinearly.
fn resize(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    if image.dimensions() == (width, height) {
        image.clone()
    } else if image.width() >= width && image.height() >= height {
        imageops::thumbnail(image, width, height)
    } else {
        imageops::resize(image, width, height, FilterType::Triangle)
    }
}

/// The image as a normalised single-image float tensor.
pub fn to_tensor(image: &RgbImage, normalisation: &Normalisation, layout: Layout) -> Tensor {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let array = match layout {
        Layout::Nchw => Array4::from_shape_fn((1, 3, height, width), |(_, c, y, x)| {
            normalisation.apply(image.get_pixel(x as u32, y as u32), c)
        }),
        Layout::Nhwc => Array4::from_shape_fn((1, height, width, 3), |(_, y, x, c)| {
            normalisation.apply(image.get_pixel(x as u32, y as u32), c)
        }),
    };
    array.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RgbImage {
        RgbImage::from_fn(4, 2, |x, y| Rgb([x as u8 * 10, y as u8 * 100, 255]))
    }

    #[test]
    fn nchw_bgr_puts_blue_first_and_normalises() {
        let norm = Normalisation {
            order: ChannelOrder::Bgr,
            mean: [5.0, 50.0, 10.0],
            std: [2.0, 10.0, 5.0],
        };
        let tensor = to_tensor(&sample(), &norm, Layout::Nchw);
        assert_eq!(tensor.shape(), &[1, 3, 2, 4]);
        let view = tensor.to_plain_array_view::<f32>().expect("f32 tensor");
        // Pixel (x=3, y=1) is RGB (30, 100, 255).
        assert_eq!(view[[0, 0, 1, 3]], (255.0 - 5.0) / 2.0, "blue");
        assert_eq!(view[[0, 1, 1, 3]], (100.0 - 50.0) / 10.0, "green");
        assert_eq!(view[[0, 2, 1, 3]], (30.0 - 10.0) / 5.0, "red");
    }

    #[test]
    fn nhwc_rgb_unit_range() {
        let tensor = to_tensor(
            &sample(),
            &Normalisation::unit_range(ChannelOrder::Rgb),
            Layout::Nhwc,
        );
        assert_eq!(tensor.shape(), &[1, 2, 4, 3]);
        let view = tensor.to_plain_array_view::<f32>().expect("f32 tensor");
        assert_eq!(view[[0, 1, 3, 0]], 30.0 / 255.0);
        assert_eq!(view[[0, 1, 3, 1]], 100.0 / 255.0);
        assert_eq!(view[[0, 1, 3, 2]], 1.0);
    }

    #[test]
    fn signed_unit_range_spans_minus_one_to_one() {
        let image = RgbImage::from_fn(2, 1, |x, _| Rgb([x as u8 * 255; 3]));
        let tensor = to_tensor(
            &image,
            &Normalisation::signed_unit_range(ChannelOrder::Rgb),
            Layout::Nhwc,
        );
        let view = tensor.to_plain_array_view::<f32>().expect("f32 tensor");
        assert_eq!(view[[0, 0, 0, 0]], -1.0);
        assert_eq!(view[[0, 0, 1, 0]], 1.0);
    }

    #[test]
    fn stretch_maps_corners_back_to_source_corners() {
        let source = RgbImage::new(600, 400);
        let fitted = fit(&source, 416, 416, ResizeMode::Stretch);
        assert_eq!(fitted.image.dimensions(), (416, 416));
        let back = fitted
            .transform
            .box_to_source(BoundingBox::new(0.0, 0.0, 416.0, 416.0));
        assert!((back.x1 - 600.0).abs() < 1e-3 && (back.y1 - 400.0).abs() < 1e-3);
        let centre = fitted
            .transform
            .point_to_source(Point { x: 208.0, y: 104.0 });
        assert!((centre.x - 300.0).abs() < 1e-3 && (centre.y - 100.0).abs() < 1e-3);
    }

    #[test]
    fn letterbox_pads_the_short_side_and_maps_back() {
        // A white 200×100 photo in a 100×100 input: 100×50, 25 rows of
        // black above and below.
        let source = RgbImage::from_pixel(200, 100, Rgb([255, 255, 255]));
        let fitted = fit(&source, 100, 100, ResizeMode::Letterbox);
        let t = fitted.transform;
        assert_eq!((t.pad_x, t.pad_y), (0.0, 25.0));
        assert_eq!(fitted.image.get_pixel(50, 10), &Rgb([0, 0, 0]));
        assert_eq!(fitted.image.get_pixel(50, 50), &Rgb([255, 255, 255]));
        assert_eq!(fitted.image.get_pixel(50, 80), &Rgb([0, 0, 0]));
        // The photo's area in the input maps onto the whole photo; a box
        // spilling into the padding is clipped to the photo.
        let back = t.box_to_source(BoundingBox::new(10.0, 0.0, 60.0, 75.0));
        assert_eq!(back, BoundingBox::new(20.0, 0.0, 120.0, 100.0));
    }

    #[test]
    fn shrinking_averages_and_enlarging_interpolates() {
        // Alternating black and white columns shrink to mid grey.
        let stripes = RgbImage::from_fn(64, 64, |x, _| Rgb([if x % 2 == 0 { 0 } else { 255 }; 3]));
        let small = fit(&stripes, 16, 16, ResizeMode::Stretch).image;
        for p in small.pixels() {
            assert!((100..=155).contains(&p[0]), "{p:?}");
        }
        let tiny = RgbImage::from_fn(2, 1, |x, _| Rgb([x as u8 * 200; 3]));
        let big = fit(&tiny, 8, 4, ResizeMode::Stretch).image;
        assert_eq!(big.dimensions(), (8, 4));
        assert!(big.get_pixel(0, 0)[0] < big.get_pixel(4, 0)[0]);
        assert!(big.get_pixel(4, 0)[0] <= big.get_pixel(7, 0)[0]);
    }

    #[test]
    fn same_size_is_copied_unchanged() {
        let source = sample();
        assert_eq!(fit(&source, 4, 2, ResizeMode::Stretch).image, source);
    }
}
