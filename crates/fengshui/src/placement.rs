//! A detection, and the same detection placed on the desk's grid: what the
//! rules' conditions read and the report lists.

use crate::element::Element;
use crate::item::{ItemKind, Source};
use crate::position::{Bagua, Cell};

/// One detection as the detector reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectedObject {
    /// COCO English class name, e.g. `cell phone`.
    pub class: String,
    /// Detector confidence, 0..1.
    pub confidence: f32,
    /// `[x0, y0, x1, y1]`, normalised 0..1, x to the right, y down.
    pub bbox: [f32; 4],
}

/// A detection placed on the desk.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The detector's class name.
    pub class: String,
    /// The vocabulary class, `None` for a class the vocabulary lacks.
    pub kind: Option<ItemKind>,
    /// Chinese label; the English class name for an unknown class.
    pub label: String,
    /// Detector confidence.
    pub confidence: f32,
    /// The box as detected.
    pub bbox: [f32; 4],
    /// The cell of the box centre.
    pub cell: Cell,
    /// The cell's trigram.
    pub bagua: Bagua,
    /// The item's element, `None` for an unknown class.
    pub element: Option<Element>,
}

impl Item {
    /// Places a detection.
    pub fn from_detection(object: &DetectedObject) -> Item {
        let kind = ItemKind::from_class(&object.class).filter(|k| k.source() == Source::Detected);
        let cell = Cell::of_bbox(object.bbox);
        Item {
            class: object.class.clone(),
            kind,
            label: kind.map_or_else(|| object.class.clone(), |k| k.label().to_owned()),
            confidence: object.confidence,
            bbox: object.bbox,
            cell,
            bagua: cell.bagua(),
            element: kind.map(ItemKind::element),
        }
    }

    /// Box height as a share of the image (0 for a broken box): how tall
    /// the thing looks from the chair.
    pub fn height(&self) -> f32 {
        let h = (self.bbox[3] - self.bbox[1]).abs();
        if h.is_finite() {
            h.min(1.0)
        } else {
            0.0
        }
    }
}
