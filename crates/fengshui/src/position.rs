//! Where an item sits on the desk: the 3×3 grid, the four guardians and the
//! 明堂, and the 后天八卦 trigram each cell stands for.
//!
//! The photo is the desk seen from the chair, so the image's left is the
//! sitter's left. Coordinates are normalised (0..1), x to the right, y down:
//! the top of the image is the far edge of the desk.
//!
//! | cell | short | name | palace | bagua | element |
//! |------|-------|------|--------|-------|---------|
//! | far left   | 左上 | 左前方（青龙位） | 青龙 | 东南 巽 | 木 |
//! | far        | 上   | 正前方（朱雀位） | 朱雀 | 南 离   | 火 |
//! | far right  | 右上 | 右前方（白虎位） | 白虎 | 西南 坤 | 土 |
//! | left       | 左   | 左侧（青龙位）   | 青龙 | 东 震   | 木 |
//! | centre     | 中   | 中央（明堂位）   | 明堂 | 中宫    | 土 |
//! | right      | 右   | 右侧（白虎位）   | 白虎 | 西 兑   | 金 |
//! | near left  | 左下 | 左近身处（青龙位） | 青龙 | 东北 艮 | 土 |
//! | near       | 下   | 身前近处（玄武位） | 玄武 | 北 坎   | 水 |
//! | near right | 右下 | 右近身处（白虎位） | 白虎 | 西北 乾 | 金 |
//!
//! The compass is laid on the desk as the 后天八卦 is laid on a map with south
//! at the top: the far edge is 南 (离, 朱雀, fire), the near edge 北 (坎, 玄武,
//! water), the left 东 (震, 青龙, wood), the right 西 (兑, 白虎, metal), and
//! the corners take the trigrams between them. A cell's element is its
//! trigram's (中宫 is earth). The corner cells belong to the column's guardian
//! (青龙 or 白虎), because the left/right contrast is what desk rules read.

use crate::element::Element;

/// One cell of the 3×3 desk grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cell {
    /// 左上: far left.
    FarLeft,
    /// 上: far centre.
    Far,
    /// 右上: far right.
    FarRight,
    /// 左: left.
    Left,
    /// 中: centre (明堂).
    Centre,
    /// 右: right.
    Right,
    /// 左下: near left.
    NearLeft,
    /// 下: near centre.
    Near,
    /// 右下: near right.
    NearRight,
}

/// The grid lines: a centre exactly on a line belongs to the cell to the
/// right of it (or below it), so every point has exactly one cell.
const FIRST_LINE: f32 = 1.0 / 3.0;
const SECOND_LINE: f32 = 2.0 / 3.0;

fn band(v: f32) -> usize {
    // A non-finite coordinate (a broken detection) counts as the middle.
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.5
    };
    if v < FIRST_LINE {
        0
    } else if v < SECOND_LINE {
        1
    } else {
        2
    }
}

impl Cell {
    /// Every cell, far row first, left to right (the index order).
    pub const ALL: [Cell; 9] = [
        Cell::FarLeft,
        Cell::Far,
        Cell::FarRight,
        Cell::Left,
        Cell::Centre,
        Cell::Right,
        Cell::NearLeft,
        Cell::Near,
        Cell::NearRight,
    ];

    /// Position in [`Cell::ALL`] (row × 3 + column).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The cell holding a normalised point. Coordinates outside 0..1 are
    /// clamped; a non-finite one counts as the middle band.
    pub fn of_point(x: f32, y: f32) -> Cell {
        Cell::ALL[band(y) * 3 + band(x)]
    }

    /// The cell holding the centre of a box `[x0, y0, x1, y1]`.
    pub fn of_bbox(bbox: [f32; 4]) -> Cell {
        let [x0, y0, x1, y1] = bbox;
        Cell::of_point((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    }

    /// Grid name: `左上` `上` `右上` `左` `中` `右` `左下` `下` `右下`.
    pub const fn short_name(self) -> &'static str {
        match self {
            Cell::FarLeft => "左上",
            Cell::Far => "上",
            Cell::FarRight => "右上",
            Cell::Left => "左",
            Cell::Centre => "中",
            Cell::Right => "右",
            Cell::NearLeft => "左下",
            Cell::Near => "下",
            Cell::NearRight => "右下",
        }
    }

    /// The cell with this grid name.
    pub fn from_short_name(name: &str) -> Option<Cell> {
        Cell::ALL.into_iter().find(|c| c.short_name() == name)
    }

    /// The name shown to the person, e.g. `左前方（青龙位）`.
    pub const fn name(self) -> &'static str {
        match self {
            Cell::FarLeft => "左前方（青龙位）",
            Cell::Far => "正前方（朱雀位）",
            Cell::FarRight => "右前方（白虎位）",
            Cell::Left => "左侧（青龙位）",
            Cell::Centre => "中央（明堂位）",
            Cell::Right => "右侧（白虎位）",
            Cell::NearLeft => "左近身处（青龙位）",
            Cell::Near => "身前近处（玄武位）",
            Cell::NearRight => "右近身处（白虎位）",
        }
    }

    /// The guardian (or 明堂) the cell belongs to.
    pub const fn palace(self) -> Palace {
        match self {
            Cell::FarLeft | Cell::Left | Cell::NearLeft => Palace::QingLong,
            Cell::FarRight | Cell::Right | Cell::NearRight => Palace::BaiHu,
            Cell::Far => Palace::ZhuQue,
            Cell::Near => Palace::XuanWu,
            Cell::Centre => Palace::MingTang,
        }
    }

    /// The 后天八卦 trigram the cell stands for.
    pub const fn bagua(self) -> Bagua {
        match self {
            Cell::FarLeft => Bagua::Xun,
            Cell::Far => Bagua::Li,
            Cell::FarRight => Bagua::Kun,
            Cell::Left => Bagua::Zhen,
            Cell::Centre => Bagua::Centre,
            Cell::Right => Bagua::Dui,
            Cell::NearLeft => Bagua::Gen,
            Cell::Near => Bagua::Kan,
            Cell::NearRight => Bagua::Qian,
        }
    }

    /// The cell's element: its trigram's.
    pub const fn element(self) -> Element {
        self.bagua().element()
    }

    pub(crate) const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A 后天八卦 trigram with its compass direction, or the centre (中宫).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bagua {
    /// 巽, 东南, wood.
    Xun,
    /// 离, 南, fire.
    Li,
    /// 坤, 西南, earth.
    Kun,
    /// 震, 东, wood.
    Zhen,
    /// 中宫, earth.
    Centre,
    /// 兑, 西, metal.
    Dui,
    /// 艮, 东北, earth.
    Gen,
    /// 坎, 北, water.
    Kan,
    /// 乾, 西北, metal.
    Qian,
}

impl Bagua {
    /// The trigram's character (`巽` …), `中宫` for the centre.
    pub const fn trigram(self) -> &'static str {
        match self {
            Bagua::Xun => "巽",
            Bagua::Li => "离",
            Bagua::Kun => "坤",
            Bagua::Zhen => "震",
            Bagua::Centre => "中宫",
            Bagua::Dui => "兑",
            Bagua::Gen => "艮",
            Bagua::Kan => "坎",
            Bagua::Qian => "乾",
        }
    }

    /// The compass direction (`东南` …), `中` for the centre.
    pub const fn direction(self) -> &'static str {
        match self {
            Bagua::Xun => "东南",
            Bagua::Li => "南",
            Bagua::Kun => "西南",
            Bagua::Zhen => "东",
            Bagua::Centre => "中",
            Bagua::Dui => "西",
            Bagua::Gen => "东北",
            Bagua::Kan => "北",
            Bagua::Qian => "西北",
        }
    }

    /// Direction and trigram as shown to the person: `东南·巽`, `中宫`.
    pub const fn name(self) -> &'static str {
        match self {
            Bagua::Xun => "东南·巽",
            Bagua::Li => "南·离",
            Bagua::Kun => "西南·坤",
            Bagua::Zhen => "东·震",
            Bagua::Centre => "中宫",
            Bagua::Dui => "西·兑",
            Bagua::Gen => "东北·艮",
            Bagua::Kan => "北·坎",
            Bagua::Qian => "西北·乾",
        }
    }

    /// The trigram's element.
    pub const fn element(self) -> Element {
        match self {
            Bagua::Xun | Bagua::Zhen => Element::Wood,
            Bagua::Li => Element::Fire,
            Bagua::Kun | Bagua::Centre | Bagua::Gen => Element::Earth,
            Bagua::Dui | Bagua::Qian => Element::Metal,
            Bagua::Kan => Element::Water,
        }
    }
}

/// The four guardians and the 明堂: the regions desk rules speak of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Palace {
    /// 青龙: the left column (wood); should be the livelier, higher side.
    QingLong,
    /// 白虎: the right column (metal); should stay low and quiet.
    BaiHu,
    /// 朱雀: the far centre (fire); should stay open.
    ZhuQue,
    /// 玄武: the near centre (water); the sitter's support.
    XuanWu,
    /// 明堂: the centre (earth); the working space, should stay clear.
    MingTang,
}

impl Palace {
    /// Every palace.
    pub const ALL: [Palace; 5] = [
        Palace::QingLong,
        Palace::BaiHu,
        Palace::ZhuQue,
        Palace::XuanWu,
        Palace::MingTang,
    ];

    /// `青龙` `白虎` `朱雀` `玄武` `明堂`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Palace::QingLong => "青龙",
            Palace::BaiHu => "白虎",
            Palace::ZhuQue => "朱雀",
            Palace::XuanWu => "玄武",
            Palace::MingTang => "明堂",
        }
    }

    /// The palace with this name.
    pub fn from_name(name: &str) -> Option<Palace> {
        Palace::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The region as shown to the person, e.g. `左侧（青龙位）`.
    pub const fn display(self) -> &'static str {
        match self {
            Palace::QingLong => "左侧（青龙位）",
            Palace::BaiHu => "右侧（白虎位）",
            Palace::ZhuQue => "正前方（朱雀位）",
            Palace::XuanWu => "身前近处（玄武位）",
            Palace::MingTang => "中央（明堂位）",
        }
    }

    /// The palace's element.
    pub const fn element(self) -> Element {
        match self {
            Palace::QingLong => Element::Wood,
            Palace::BaiHu => Element::Metal,
            Palace::ZhuQue => Element::Fire,
            Palace::XuanWu => Element::Water,
            Palace::MingTang => Element::Earth,
        }
    }

    /// The cells of the palace.
    pub fn cells(self) -> impl Iterator<Item = Cell> {
        Cell::ALL.into_iter().filter(move |c| c.palace() == self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bbox_at(x: f32, y: f32) -> [f32; 4] {
        [x - 0.05, y - 0.05, x + 0.05, y + 0.05]
    }

    #[test]
    fn a_box_in_each_cell() {
        let centres = [0.15, 0.5, 0.85];
        let mut seen = Vec::new();
        for (row, y) in centres.iter().enumerate() {
            for (col, x) in centres.iter().enumerate() {
                let cell = Cell::of_bbox(bbox_at(*x, *y));
                assert_eq!(cell.index(), row * 3 + col, "({x}, {y})");
                seen.push(cell);
            }
        }
        assert_eq!(seen, Cell::ALL);
    }

    #[test]
    fn bagua_and_elements_of_each_cell() {
        let expected = [
            (
                "左上",
                "左前方（青龙位）",
                "东南·巽",
                Element::Wood,
                Palace::QingLong,
            ),
            (
                "上",
                "正前方（朱雀位）",
                "南·离",
                Element::Fire,
                Palace::ZhuQue,
            ),
            (
                "右上",
                "右前方（白虎位）",
                "西南·坤",
                Element::Earth,
                Palace::BaiHu,
            ),
            (
                "左",
                "左侧（青龙位）",
                "东·震",
                Element::Wood,
                Palace::QingLong,
            ),
            (
                "中",
                "中央（明堂位）",
                "中宫",
                Element::Earth,
                Palace::MingTang,
            ),
            (
                "右",
                "右侧（白虎位）",
                "西·兑",
                Element::Metal,
                Palace::BaiHu,
            ),
            (
                "左下",
                "左近身处（青龙位）",
                "东北·艮",
                Element::Earth,
                Palace::QingLong,
            ),
            (
                "下",
                "身前近处（玄武位）",
                "北·坎",
                Element::Water,
                Palace::XuanWu,
            ),
            (
                "右下",
                "右近身处（白虎位）",
                "西北·乾",
                Element::Metal,
                Palace::BaiHu,
            ),
        ];
        for (cell, (short, name, bagua, element, palace)) in Cell::ALL.into_iter().zip(expected) {
            assert_eq!(cell.short_name(), short);
            assert_eq!(Cell::from_short_name(short), Some(cell));
            assert_eq!(cell.name(), name);
            assert_eq!(cell.bagua().name(), bagua);
            assert_eq!(cell.element(), element);
            assert_eq!(cell.palace(), palace);
        }
        // The four guardians carry the element of their middle cell.
        for p in [
            Palace::QingLong,
            Palace::BaiHu,
            Palace::ZhuQue,
            Palace::XuanWu,
        ] {
            assert!(p.cells().any(|c| c.element() == p.element()), "{p:?}");
        }
        assert_eq!(Palace::QingLong.cells().count(), 3);
        assert_eq!(Palace::from_name("白虎"), Some(Palace::BaiHu));
        assert_eq!(Palace::from_name("麒麟"), None);
    }

    #[test]
    fn a_centre_on_a_grid_line_goes_right_and_down() {
        let third = 1.0 / 3.0;
        let two_thirds = 2.0 / 3.0;
        assert_eq!(Cell::of_point(third, 0.1), Cell::Far);
        assert_eq!(Cell::of_point(two_thirds, 0.1), Cell::FarRight);
        assert_eq!(Cell::of_point(0.1, third), Cell::Left);
        assert_eq!(Cell::of_point(0.1, two_thirds), Cell::NearLeft);
        assert_eq!(Cell::of_point(third, third), Cell::Centre);
        // Just below a line stays in the earlier band.
        assert_eq!(Cell::of_point(0.333, 0.666), Cell::Left);
        // A box from 0 to 2/3 has its centre exactly on the first line.
        assert_eq!(Cell::of_bbox([0.0, 0.0, two_thirds, 0.2]), Cell::Far);
        // The edges and beyond.
        assert_eq!(Cell::of_point(0.0, 0.0), Cell::FarLeft);
        assert_eq!(Cell::of_point(1.0, 1.0), Cell::NearRight);
        assert_eq!(Cell::of_point(-0.5, 1.7), Cell::NearLeft);
        assert_eq!(Cell::of_point(f32::NAN, f32::INFINITY), Cell::Centre);
    }
}
