//! A detection, and the same detection placed on the desk's grid: what the
//! rules' conditions read and the report lists.
//!
//! Only the desk vocabulary becomes an item ([`Item::from_detection`]): a
//! person leaning into the photo, the sitter's own arm or a cat on the desk
//! is not something to arrange, and counting it would make clutter rules
//! fire and "add a plant" advice appear for a photo with no desk in it.

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
    /// The vocabulary class.
    pub kind: ItemKind,
    /// Chinese label.
    pub label: String,
    /// Detector confidence.
    pub confidence: f32,
    /// The box as detected.
    pub bbox: [f32; 4],
    /// The cell of the box centre.
    pub cell: Cell,
    /// The cell's trigram.
    pub bagua: Bagua,
    /// The item's element.
    pub element: Element,
}

impl Item {
    /// Places a detection of a desk class; `None` for any other class
    /// (see the module documentation).
    pub fn from_detection(object: &DetectedObject) -> Option<Item> {
        let kind =
            ItemKind::from_class(&object.class).filter(|k| k.source() == Source::Detected)?;
        let cell = Cell::of_bbox(object.bbox);
        Some(Item {
            class: object.class.clone(),
            kind,
            label: kind.label().to_owned(),
            confidence: object.confidence,
            bbox: object.bbox,
            cell,
            bagua: cell.bagua(),
            element: kind.element(),
        })
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
