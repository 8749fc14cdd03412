//! SSD anchor generation as mediapipe's `SsdAnchorsCalculator` does it.
//!
//! Mediapipe's palm and face detectors predict offsets relative to a fixed
//! list of anchors; the list is not stored in the model, so it has to be
//! rebuilt here exactly (same order, same centres) for the predictions to
//! mean anything.

/// One anchor, in fractions of the network input size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// Horizontal centre in `[0, 1]`.
    pub x_center: f32,
    /// Vertical centre in `[0, 1]`.
    pub y_center: f32,
    /// Width as a fraction of the input width.
    pub width: f32,
    /// Height as a fraction of the input height.
    pub height: f32,
}

/// Whether anchors carry a size of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorSize {
    /// Every anchor is 1 × 1: the model predicts absolute sizes
    /// (mediapipe's `fixed_anchor_size: true`, used by palm and face).
    Unit,
    /// Sizes follow each layer's scale and aspect ratio (classic SSD).
    FromScale,
}

/// What the first layer's anchors look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowestLayer {
    /// Same aspect ratios as every other layer.
    Regular,
    /// Mediapipe's `reduce_boxes_in_lowest_layer`: three predefined anchors
    /// (ratio 1 at scale 0.1, ratios 2 and 0.5 at the layer scale).
    Reduced,
}

/// The options of mediapipe's `SsdAnchorsCalculatorOptions` that its
/// detectors use. Feature-map sizes are derived from the strides.
#[derive(Debug, Clone, PartialEq)]
pub struct SsdAnchorOptions {
    /// Network input width in pixels.
    pub input_width: u32,
    /// Network input height in pixels.
    pub input_height: u32,
    /// Scale of the first layer.
    pub min_scale: f32,
    /// Scale of the last layer.
    pub max_scale: f32,
    /// Anchor centre within its cell, horizontally (0.5 = middle).
    pub anchor_offset_x: f32,
    /// Anchor centre within its cell, vertically (0.5 = middle).
    pub anchor_offset_y: f32,
    /// One stride per output layer; consecutive equal strides share a
    /// feature map and stack their anchors per cell.
    pub strides: Vec<u32>,
    /// Aspect ratios (width / height) of each layer's anchors.
    pub aspect_ratios: Vec<f32>,
    /// An extra anchor per layer at the geometric mean of this and the next
    /// layer's scale, with this aspect ratio; `None` for no extra anchor.
    pub interpolated_scale_aspect_ratio: Option<f32>,
    /// First layer's anchors.
    pub lowest_layer: LowestLayer,
    /// Whether anchors carry a size.
    pub anchor_size: AnchorSize,
}

impl SsdAnchorOptions {
    /// Mediapipe's `palm_detection_full` (192 × 192 input, 2016 anchors).
    pub fn palm_detection_full() -> Self {
        Self::blaze(192)
    }

    /// Mediapipe's `face_detection_short_range` (128 × 128 input, 896
    /// anchors).
    pub fn face_detection_short_range() -> Self {
        Self::blaze(128)
    }

    /// The configuration both BlazePalm and BlazeFace (short range) use.
    fn blaze(input_size: u32) -> Self {
        Self {
            input_width: input_size,
            input_height: input_size,
            min_scale: 0.148_437_5,
            max_scale: 0.75,
            anchor_offset_x: 0.5,
            anchor_offset_y: 0.5,
            strides: vec![8, 16, 16, 16],
            aspect_ratios: vec![1.0],
            interpolated_scale_aspect_ratio: Some(1.0),
            lowest_layer: LowestLayer::Regular,
            anchor_size: AnchorSize::Unit,
        }
    }
}

/// Options that cannot produce anchors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnchorError {
    /// No strides at all.
    #[error("SSD anchor options list no strides: give one stride per output layer")]
    NoStrides,
    /// A zero stride would make an infinite feature map.
    #[error("SSD anchor stride {index} is zero: strides must be at least 1")]
    ZeroStride {
        /// Position of the zero in `strides`.
        index: usize,
    },
    /// A zero-sized input has no feature map.
    #[error("SSD anchor input size is {width}×{height}: both sides must be at least 1")]
    EmptyInput {
        /// Input width.
        width: u32,
        /// Input height.
        height: u32,
    },
}

/// Layer scale, interpolated linearly between `min` and `max`.
fn layer_scale(min: f32, max: f32, index: usize, count: usize) -> f32 {
    if count == 1 {
        (min + max) * 0.5
    } else {
        min + (max - min) * index as f32 / (count - 1) as f32
    }
}

/// All anchors, in mediapipe's order: layer groups by stride, then rows,
/// then columns, then the anchors of one cell.
pub fn ssd_anchors(options: &SsdAnchorOptions) -> Result<Vec<Anchor>, AnchorError> {
    let strides = &options.strides;
    if strides.is_empty() {
        return Err(AnchorError::NoStrides);
    }
    if let Some(index) = strides.iter().position(|&s| s == 0) {
        return Err(AnchorError::ZeroStride { index });
    }
    if options.input_width == 0 || options.input_height == 0 {
        return Err(AnchorError::EmptyInput {
            width: options.input_width,
            height: options.input_height,
        });
    }

    let count = strides.len();
    let scale_at = |i: usize| layer_scale(options.min_scale, options.max_scale, i, count);
    let mut anchors = Vec::new();
    let mut layer = 0;
    while layer < count {
        // (scale, aspect ratio) of every anchor in one cell of this group.
        let mut shapes: Vec<(f32, f32)> = Vec::new();
        let mut last = layer;
        while last < count && strides[last] == strides[layer] {
            let scale = scale_at(last);
            if last == 0 && options.lowest_layer == LowestLayer::Reduced {
                shapes.extend([(0.1, 1.0), (scale, 2.0), (scale, 0.5)]);
            } else {
                shapes.extend(options.aspect_ratios.iter().map(|&ratio| (scale, ratio)));
                if let Some(ratio) = options.interpolated_scale_aspect_ratio {
                    let next = if last == count - 1 {
                        1.0
                    } else {
                        scale_at(last + 1)
                    };
                    shapes.push(((scale * next).sqrt(), ratio));
                }
            }
            last += 1;
        }

        let stride = strides[layer] as f32;
        let rows = (options.input_height as f32 / stride).ceil() as u32;
        let columns = (options.input_width as f32 / stride).ceil() as u32;
        for y in 0..rows {
            for x in 0..columns {
                for &(scale, ratio) in &shapes {
                    let (width, height) = match options.anchor_size {
                        AnchorSize::Unit => (1.0, 1.0),
                        AnchorSize::FromScale => (scale * ratio.sqrt(), scale / ratio.sqrt()),
                    };
                    anchors.push(Anchor {
                        x_center: (x as f32 + options.anchor_offset_x) / columns as f32,
                        y_center: (y as f32 + options.anchor_offset_y) / rows as f32,
                        width,
                        height,
                    });
                }
            }
        }
        layer = last;
    }
    Ok(anchors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palm_detection_full_has_2016_anchors() {
        let anchors = ssd_anchors(&SsdAnchorOptions::palm_detection_full()).expect("anchors");
        // 24×24 cells × 2 anchors + 12×12 cells × 6 anchors.
        assert_eq!(anchors.len(), 2016);
        assert_eq!(
            anchors[0],
            Anchor {
                x_center: 0.5 / 24.0,
                y_center: 0.5 / 24.0,
                width: 1.0,
                height: 1.0
            }
        );
        assert_eq!(anchors[1].x_center, anchors[0].x_center, "two per cell");
        assert_eq!(anchors[2].x_center, 1.5 / 24.0);
        // The first anchor of the 16-stride group: cell (0, 0) of 12×12.
        assert_eq!(anchors[1152].x_center, 0.5 / 12.0);
        assert_eq!(anchors[1152 + 6].x_center, 1.5 / 12.0, "six per cell");
        let last = anchors[2015];
        assert_eq!((last.x_center, last.y_center), (11.5 / 12.0, 11.5 / 12.0));
    }

    #[test]
    fn face_detection_short_range_has_896_anchors() {
        let anchors =
            ssd_anchors(&SsdAnchorOptions::face_detection_short_range()).expect("anchors");
        // 16×16 × 2 + 8×8 × 6.
        assert_eq!(anchors.len(), 896);
        assert_eq!(anchors[512].x_center, 0.5 / 8.0);
        assert!(anchors.iter().all(|a| a.width == 1.0 && a.height == 1.0));
        assert!(anchors
            .iter()
            .all(|a| (0.0..1.0).contains(&a.x_center) && (0.0..1.0).contains(&a.y_center)));
    }

    #[test]
    fn scaled_anchors_follow_layer_scale_and_ratio() {
        let options = SsdAnchorOptions {
            input_width: 64,
            input_height: 32,
            min_scale: 0.2,
            max_scale: 0.8,
            anchor_offset_x: 0.5,
            anchor_offset_y: 0.5,
            strides: vec![16, 32],
            aspect_ratios: vec![1.0, 4.0],
            interpolated_scale_aspect_ratio: None,
            lowest_layer: LowestLayer::Regular,
            anchor_size: AnchorSize::FromScale,
        };
        let anchors = ssd_anchors(&options).expect("anchors");
        // 4×2 cells × 2 + 2×1 cells × 2.
        assert_eq!(anchors.len(), 20);
        assert_eq!((anchors[0].width, anchors[0].height), (0.2, 0.2));
        assert_eq!((anchors[1].width, anchors[1].height), (0.4, 0.1));
        let top = anchors[16];
        assert_eq!((top.width, top.height), (0.8, 0.8));
        assert_eq!((top.x_center, top.y_center), (0.25, 0.5));
    }

    #[test]
    fn interpolated_anchor_uses_geometric_mean_of_scales() {
        let mut options = SsdAnchorOptions::face_detection_short_range();
        options.anchor_size = AnchorSize::FromScale;
        let anchors = ssd_anchors(&options).expect("anchors");
        let expected = (0.148_437_5f32 * layer_scale(0.148_437_5, 0.75, 1, 4)).sqrt();
        assert_eq!(anchors[0].width, 0.148_437_5);
        assert!((anchors[1].width - expected).abs() < 1e-7);
        // The last layer interpolates towards 1.0.
        assert!((anchors[895].width - 0.75f32.sqrt()).abs() < 1e-7);
    }

    #[test]
    fn reduced_lowest_layer_has_three_fixed_shapes() {
        let mut options = SsdAnchorOptions::face_detection_short_range();
        options.lowest_layer = LowestLayer::Reduced;
        options.anchor_size = AnchorSize::FromScale;
        let anchors = ssd_anchors(&options).expect("anchors");
        assert_eq!(anchors.len(), 16 * 16 * 3 + 8 * 8 * 6);
        assert_eq!(anchors[0].width, 0.1);
        assert!((anchors[1].width / anchors[1].height - 2.0).abs() < 1e-6);
        assert!((anchors[2].width / anchors[2].height - 0.5).abs() < 1e-6);
    }

    #[test]
    fn invalid_options_are_refused() {
        let mut options = SsdAnchorOptions::palm_detection_full();
        options.strides = vec![8, 0];
        assert_eq!(
            ssd_anchors(&options),
            Err(AnchorError::ZeroStride { index: 1 })
        );
        options.strides.clear();
        assert_eq!(ssd_anchors(&options), Err(AnchorError::NoStrides));
        let mut options = SsdAnchorOptions::palm_detection_full();
        options.input_width = 0;
        assert!(matches!(
            ssd_anchors(&options),
            Err(AnchorError::EmptyInput { .. })
        ));
    }
}
