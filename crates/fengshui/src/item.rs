//! The item vocabulary: the COCO classes that matter on a desk, with a
//! Chinese label and an element, plus a few things advice may name that a
//! detector never reports.
//!
//! | class | label | element | why that element |
//! |-------|-------|---------|------------------|
//! | `laptop` | 笔记本电脑 | 火 | electronics: heat, light, activity |
//! | `tv` | 显示器 | 火 | electronics (a desk "tv" is a monitor) |
//! | `keyboard` | 键盘 | 火 | electronics |
//! | `mouse` | 鼠标 | 火 | electronics |
//! | `cell phone` | 手机 | 火 | electronics |
//! | `remote` | 遥控器 | 火 | electronics |
//! | `cup` | 杯子 | 水 | holds water |
//! | `bottle` | 瓶子 | 水 | holds water |
//! | `wine glass` | 酒杯 | 水 | holds liquid |
//! | `potted plant` | 绿植 | 木 | living wood |
//! | `book` | 书 | 木 | paper is wood |
//! | `clock` | 时钟 | 金 | metal works, the cutting of time |
//! | `scissors` | 剪刀 | 金 | blade (sharp) |
//! | `knife` | 刀 | 金 | blade (sharp) |
//! | `fork` | 叉子 | 金 | metal, pointed (sharp) |
//! | `spoon` | 勺子 | 金 | metal |
//! | `vase` | 花瓶 | 土 | ceramic |
//! | `bowl` | 碗 | 土 | ceramic |
//! | `teddy bear` | 毛绒玩具 | 土 | soft, heavy, still |
//! | `backpack` | 背包 | 土 | bags hold and store (earth) |
//! | `handbag` | 手提包 | 土 | as backpack |
//! | `desk lamp` | 台灯 | 火 | advice only (not a COCO class) |
//! | `metal ornament` | 金属摆件 | 金 | advice only |
//! | `water feature` | 小水景 | 水 | advice only |
//! | `electronics` | 电子设备 | 火 | advice only: screens and devices as a group |
//! | `clutter` | 杂物 | 土 | advice only: a crowd of things, not one |
//! | `tall objects` | 高大物品 | 土 | advice only: whatever stands highest |
//!
//! A detection of any other class (a person, a cat, the desk itself) is not
//! an item: the analysis names it at most in its summary, and no rule sees it.
//! That includes `chair`: the photo is taken from the chair, so a chair in
//! it stands around the desk, not on it (NanoDet also reads parts of other
//! things as chairs).

use crate::element::Element;

/// A class of the item vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// `laptop`
    Laptop,
    /// `tv`
    Tv,
    /// `keyboard`
    Keyboard,
    /// `mouse`
    Mouse,
    /// `cell phone`
    CellPhone,
    /// `remote`
    Remote,
    /// `cup`
    Cup,
    /// `bottle`
    Bottle,
    /// `wine glass`
    WineGlass,
    /// `potted plant`
    PottedPlant,
    /// `book`
    Book,
    /// `clock`
    Clock,
    /// `scissors`
    Scissors,
    /// `knife`
    Knife,
    /// `fork`
    Fork,
    /// `spoon`
    Spoon,
    /// `vase`
    Vase,
    /// `bowl`
    Bowl,
    /// `teddy bear`
    TeddyBear,
    /// `backpack`
    Backpack,
    /// `handbag`
    Handbag,
    /// `desk lamp` (advice only)
    DeskLamp,
    /// `metal ornament` (advice only)
    MetalOrnament,
    /// `water feature` (advice only)
    WaterFeature,
    /// `electronics` (advice only)
    Electronics,
    /// `clutter` (advice only)
    Clutter,
    /// `tall objects` (advice only)
    TallObjects,
}

/// Whether a detector can report the item or only advice names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A COCO class: it can be on the desk.
    Detected,
    /// Named by advice only (something to add, or a group of things).
    AdviceOnly,
}

impl ItemKind {
    /// Every class, in table order.
    pub const ALL: [ItemKind; 27] = [
        ItemKind::Laptop,
        ItemKind::Tv,
        ItemKind::Keyboard,
        ItemKind::Mouse,
        ItemKind::CellPhone,
        ItemKind::Remote,
        ItemKind::Cup,
        ItemKind::Bottle,
        ItemKind::WineGlass,
        ItemKind::PottedPlant,
        ItemKind::Book,
        ItemKind::Clock,
        ItemKind::Scissors,
        ItemKind::Knife,
        ItemKind::Fork,
        ItemKind::Spoon,
        ItemKind::Vase,
        ItemKind::Bowl,
        ItemKind::TeddyBear,
        ItemKind::Backpack,
        ItemKind::Handbag,
        ItemKind::DeskLamp,
        ItemKind::MetalOrnament,
        ItemKind::WaterFeature,
        ItemKind::Electronics,
        ItemKind::Clutter,
        ItemKind::TallObjects,
    ];

    /// Position in [`ItemKind::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The class name (COCO's English name for detected classes).
    pub const fn class(self) -> &'static str {
        self.row().0
    }

    /// The Chinese label.
    pub const fn label(self) -> &'static str {
        self.row().1
    }

    /// The item's element.
    pub const fn element(self) -> Element {
        self.row().2
    }

    /// Whether a detector can report it.
    pub const fn source(self) -> Source {
        match self {
            ItemKind::DeskLamp
            | ItemKind::MetalOrnament
            | ItemKind::WaterFeature
            | ItemKind::Electronics
            | ItemKind::Clutter
            | ItemKind::TallObjects => Source::AdviceOnly,
            _ => Source::Detected,
        }
    }

    /// The class with this name (exact, as the detector spells it).
    pub fn from_class(class: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.class() == class)
    }

    pub(crate) const fn bit(self) -> u32 {
        1 << self as u32
    }

    const fn row(self) -> (&'static str, &'static str, Element) {
        use Element::{Earth, Fire, Metal, Water, Wood};
        match self {
            ItemKind::Laptop => ("laptop", "笔记本电脑", Fire),
            ItemKind::Tv => ("tv", "显示器", Fire),
            ItemKind::Keyboard => ("keyboard", "键盘", Fire),
            ItemKind::Mouse => ("mouse", "鼠标", Fire),
            ItemKind::CellPhone => ("cell phone", "手机", Fire),
            ItemKind::Remote => ("remote", "遥控器", Fire),
            ItemKind::Cup => ("cup", "杯子", Water),
            ItemKind::Bottle => ("bottle", "瓶子", Water),
            ItemKind::WineGlass => ("wine glass", "酒杯", Water),
            ItemKind::PottedPlant => ("potted plant", "绿植", Wood),
            ItemKind::Book => ("book", "书", Wood),
            ItemKind::Clock => ("clock", "时钟", Metal),
            ItemKind::Scissors => ("scissors", "剪刀", Metal),
            ItemKind::Knife => ("knife", "刀", Metal),
            ItemKind::Fork => ("fork", "叉子", Metal),
            ItemKind::Spoon => ("spoon", "勺子", Metal),
            ItemKind::Vase => ("vase", "花瓶", Earth),
            ItemKind::Bowl => ("bowl", "碗", Earth),
            ItemKind::TeddyBear => ("teddy bear", "毛绒玩具", Earth),
            ItemKind::Backpack => ("backpack", "背包", Earth),
            ItemKind::Handbag => ("handbag", "手提包", Earth),
            ItemKind::DeskLamp => ("desk lamp", "台灯", Fire),
            ItemKind::MetalOrnament => ("metal ornament", "金属摆件", Metal),
            ItemKind::WaterFeature => ("water feature", "小水景", Water),
            ItemKind::Electronics => ("electronics", "电子设备", Fire),
            ItemKind::Clutter => ("clutter", "杂物", Earth),
            ItemKind::TallObjects => ("tall objects", "高大物品", Earth),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows() {
        let cases = [
            ("laptop", "笔记本电脑", Element::Fire),
            ("tv", "显示器", Element::Fire),
            ("cell phone", "手机", Element::Fire),
            ("cup", "杯子", Element::Water),
            ("potted plant", "绿植", Element::Wood),
            ("book", "书", Element::Wood),
            ("clock", "时钟", Element::Metal),
            ("scissors", "剪刀", Element::Metal),
            ("vase", "花瓶", Element::Earth),
        ];
        for (class, label, element) in cases {
            let kind = ItemKind::from_class(class).unwrap();
            assert_eq!(kind.class(), class);
            assert_eq!(kind.label(), label);
            assert_eq!(kind.element(), element);
            assert_eq!(kind.source(), Source::Detected);
        }
        assert_eq!(
            ItemKind::from_class("desk lamp").map(ItemKind::source),
            Some(Source::AdviceOnly)
        );
        assert_eq!(ItemKind::from_class("Laptop"), None);
        assert_eq!(ItemKind::from_class("giraffe"), None);
    }

    #[test]
    fn classes_and_labels_are_unique_and_indexed() {
        for (i, k) in ItemKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(ItemKind::from_class(k.class()), Some(k));
            let same_label = ItemKind::ALL
                .iter()
                .filter(|o| o.label() == k.label())
                .count();
            assert_eq!(same_label, 1, "{}", k.label());
        }
        // Every element has at least one detectable item, so favourable
        // additions and unfavourable removals can speak of each.
        for e in Element::ALL {
            assert!(ItemKind::ALL
                .iter()
                .any(|k| k.element() == e && k.source() == Source::Detected));
        }
    }
}
