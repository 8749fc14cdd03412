//! The project's own desk rules.
//!
//! The rules read the desk as the classic armchair (太师椅) layout: 左青龙
//! should be the livelier and higher side, 右白虎 low and quiet, 前朱雀 open,
//! 后玄武 steady, and the 明堂 in the middle clear. Elements follow the item
//! table and the cell table: a thing in a cell whose element controls its own
//! (a plant, 木, in 白虎 金) is moved to a cell that supports it.
//!
//! | family | codes | kind |
//! |--------|-------|------|
//! | per item class | `laptop.*` `tv.*` `keyboard.*` `mouse.*` `cup.*` `phone.*` `book.*` `plant.*` `clock.*` `scissors.*` `knife.*` `fork.*` `vase.*` `bottle.*` `remote.*` `wine_glass.*` `bowl.*` `teddy_bear.*` `bag.*` | adjustment / removal; `plant.missing` addition |
//! | sharp objects | `scissors.facing` `knife.desk` `fork.facing` | removal, high |
//! | water on the 白虎 side | `cup.baihu` `bottle.baihu` | adjustment to 青龙 |
//! | electronics | `screens.too_many` `electronics.baihu` `electronics.fire_without_water` | adjustment / addition |
//! | layout | `clutter.*` `tall.baihu_over_qinglong` `qinglong.empty` `baihu.crowded` | adjustment / addition |
//! | favourable elements | `favourable.<element>` | addition of an item of the element in its own cell |
//! | unfavourable elements | `unfavourable.<class>` | removal (decorations) or adjustment (tools one needs) |
//!
//! A favourable rule fires when the person's favourable element has no item
//! in its cell (木 青龙, 火 朱雀, 土 坤/艮, 金 白虎, 水 玄武); the plain
//! `plant.missing` steps aside for people whose favourable or unfavourable
//! elements include 木, so each gets the advice meant for them.

use serde_json::{json, Value};

use crate::item::ItemKind;
use crate::position::{Cell, Palace};
use crate::rule::{Priority, Rule, RuleError, RuleSet, SuggestionKind};

use ItemKind as I;
use Priority::{High, Low, Medium};
use SuggestionKind::{Addition, Adjustment, Removal};

const OFF_DESK: &str = "移出桌面";

#[allow(clippy::too_many_arguments)]
fn rule(
    code: &str,
    kind: SuggestionKind,
    item: ItemKind,
    priority: Priority,
    score_delta: i32,
    condition: Value,
    ideal_position: &str,
    reason: &str,
) -> Rule {
    Rule {
        code: code.to_owned(),
        kind,
        item,
        condition,
        ideal_position: ideal_position.to_owned(),
        reason: reason.to_owned(),
        priority,
        element: item.element(),
        score_delta,
        enabled: true,
    }
}

fn in_cell(item: &str, cell: Value) -> Value {
    json!({"item_in_cell": {"item": item, "cell": cell}})
}

/// The corpus, compiled, at version 0 (no store involved).
pub fn compiled() -> Result<RuleSet, RuleError> {
    RuleSet::new(0, &corpus())
}

/// Every rule of the corpus, in a fixed order.
pub fn corpus() -> Vec<Rule> {
    let qinglong = Palace::QingLong.display();
    let baihu = Palace::BaiHu.display();
    let front = Cell::Far.name();
    let centre = Cell::Centre.name();
    let near = Cell::Near.name();
    let far_row = json!(["左上", "上", "右上"]);
    let near_or_centre = json!(["中", "左下", "下", "右下"]);
    let electronics = json!(["laptop", "tv", "keyboard", "mouse", "cell phone", "remote"]);
    let mut rules = vec![
        // Laptop and monitor.
        rule("laptop.baihu", Adjustment, I::Laptop, Medium, -4, in_cell("laptop", json!("白虎")), centre,
            "笔记本电脑属火，放在右侧白虎位会让本应安静的白虎位躁动，火又克白虎之金；宜移回正中，正对座位。"),
        rule("laptop.qinglong", Adjustment, I::Laptop, Low, -2, in_cell("laptop", json!("青龙")), centre,
            "笔记本电脑偏放青龙位，挤占青龙位，身体也要长期侧转；宜居中摆放，正对座位。"),
        rule("tv.not_front", Adjustment, I::Tv, Medium, -4, in_cell("tv", json!(["左", "中", "右", "左下", "下", "右下"])), front,
            "显示器属火，宜放在正前方的朱雀位（南方离火之位），视线平直、前方开阔；放在别处易使颈背扭转、压住明堂。"),
        rule("screens.too_many", Adjustment, I::Tv, Medium, -4, json!({"count_at_least": {"count": 3, "item": ["tv", "laptop"]}}), "保留一到两块主屏，其余移出桌面",
            "屏幕属火，三块以上屏幕使桌面火气过旺，易心浮气躁、难以专注；宜精简。"),
        // Keyboard and mouse.
        rule("keyboard.far", Adjustment, I::Keyboard, Low, -2, in_cell("keyboard", far_row.clone()), near,
            "键盘放得太远会压住前方朱雀位，手臂也要前伸；宜放在身前近处，前方留出空间。"),
        rule("keyboard.baihu", Adjustment, I::Keyboard, Low, -2, in_cell("keyboard", json!(["右", "右下"])), near,
            "键盘偏在右侧白虎位，身体长期右倾，白虎位宜静宜低；宜正对身前摆放。"),
        rule("mouse.far", Adjustment, I::Mouse, Low, -1, in_cell("mouse", far_row.clone()), "键盘一侧的近身处",
            "鼠标放得太远，手臂长期前伸，也占了前方朱雀位；宜放在键盘一侧、靠近身体。"),
        rule("mouse.mingtang", Adjustment, I::Mouse, Low, -1, in_cell("mouse", json!("中")), "键盘一侧的近身处",
            "鼠标占据明堂中央，明堂不开阔；宜放在键盘一侧。"),
        // Water.
        rule("cup.baihu", Adjustment, I::Cup, High, -6, in_cell("cup", json!("白虎")), qinglong,
            "杯子属水。左青龙宜动、右白虎宜静，水放在白虎位易招口舌是非，也容易被右手碰倒；宜移到左侧青龙位，青龙得水更添生气。"),
        rule("cup.mingtang", Adjustment, I::Cup, Medium, -4, json!({"all": [
                {"item_in_cell": {"item": "cup", "cell": "中"}}, {"item_element": "火"}]}), qinglong,
            "水杯放在明堂中央，桌上又有电子设备，水火相冲，一旦打翻还会泼到设备上；宜移到左侧青龙位。"),
        rule("water.too_much", Removal, I::Cup, Low, -3, json!({"count_at_least": {"count": 3, "item": ["cup", "bottle", "wine glass"]}}), "只留一杯水放在左侧（青龙位）",
            "桌上杯瓶过多，水气过重，易使人懒散、财来财去；宜只留一杯。"),
        rule("bottle.baihu", Adjustment, I::Bottle, Medium, -4, in_cell("bottle", json!("白虎")), qinglong,
            "瓶子属水，右侧白虎位见水主是非口舌；宜移到左侧青龙位。"),
        rule("bottle.mingtang", Adjustment, I::Bottle, Medium, -3, in_cell("bottle", json!("中")), qinglong,
            "瓶装水放在明堂中央，挡住明堂的开阔，也容易碰倒；宜移到左侧青龙位，青龙得水更添生气。"),
        // Phone.
        rule("phone.mingtang", Adjustment, I::CellPhone, Medium, -4, in_cell("cell phone", json!("中")), qinglong,
            "手机放在明堂中央，消息不断、易分心；青龙位宜动，手机放在左侧更合适。"),
        rule("phone.baihu", Adjustment, I::CellPhone, Low, -2, in_cell("cell phone", json!("白虎")), qinglong,
            "手机常响常动，白虎位宜静不宜动，白虎一动易生是非；宜放左侧青龙位。"),
        // Books.
        rule("book.mingtang", Adjustment, I::Book, Medium, -3, in_cell("book", json!("中")), qinglong,
            "书本文件堆在明堂，明堂不开阔，做事易受阻；看完宜收到左侧青龙位。"),
        rule("book.baihu", Adjustment, I::Book, Low, -2, in_cell("book", json!("白虎")), qinglong,
            "书属木，白虎属金，金克木；书籍文件宜放左侧青龙位，青龙木气相助，利于学业文思。"),
        rule("book.pile", Adjustment, I::Book, Low, -3, json!({"count_at_least": {"count": 4, "item": "book"}}), "左侧（青龙位）只留常用几本，其余上架",
            "书本过多堆在桌面，显得杂乱压抑；宜只留常用的几本。"),
        // Plants.
        rule("plant.missing", Addition, I::PottedPlant, Medium, -5, json!({"all": [
                {"missing_item": "potted plant"}, {"not": {"favourable": "木"}}, {"not": {"unfavourable": "木"}}]}), qinglong,
            "桌上没有绿植。绿植属木，放在左侧青龙位（东方震木之位）可以生发青龙之气，带来生机与贵人运。"),
        rule("plant.baihu", Adjustment, I::PottedPlant, Medium, -3, in_cell("potted plant", json!("白虎")), qinglong,
            "绿植属木，放在右侧白虎位受金所克，难以生长，也让白虎位过于热闹；宜移到左侧青龙位。"),
        rule("plant.mingtang", Adjustment, I::PottedPlant, Low, -2, in_cell("potted plant", json!("中")), qinglong,
            "绿植放在明堂中央，遮挡视线、阻碍明堂开阔；宜移到左侧青龙位。"),
        // Clock.
        rule("clock.front", Adjustment, I::Clock, Medium, -3, in_cell("clock", json!("上")), baihu,
            "时钟正对自己，时时催促，易生焦虑，民间也忌“送终”谐音；时钟属金，宜放右侧白虎位，金归金位。"),
        rule("clock.qinglong", Adjustment, I::Clock, Low, -2, in_cell("clock", json!("青龙")), baihu,
            "时钟属金，放在青龙位（东方木位）金克木，损伤青龙生气；宜移到右侧白虎位。"),
        // Sharp objects.
        rule("scissors.facing", Removal, I::Scissors, High, -8, in_cell("scissors", near_or_centre.clone()), "移出桌面，收入抽屉或笔筒（尖口朝下）",
            "剪刀放在明堂或身前近处，尖口容易对着自己，形成尖角煞，易惹口舌与意外；用完宜收入抽屉。"),
        rule("scissors.out", Adjustment, I::Scissors, Low, -2, in_cell("scissors", json!(["左上", "上", "右上", "左", "右"])), "收入笔筒，尖口朝下",
            "剪刀属金带煞，即便不对着自己，也不宜长期外露；宜收进笔筒、尖口朝下。"),
        rule("knife.desk", Removal, I::Knife, High, -8, json!({"item": "knife"}), OFF_DESK,
            "刀是利器，摆在书桌上煞气重，易有损伤与争执；书桌上不宜放刀。"),
        rule("fork.facing", Removal, I::Fork, Low, -2, in_cell("fork", near_or_centre), OFF_DESK,
            "叉子尖头对着自己，也是小小的尖角煞；餐具用完宜收走。"),
        // Earth things.
        rule("vase.mingtang", Adjustment, I::Vase, Low, -2, in_cell("vase", json!("中")), Cell::FarRight.name(),
            "花瓶属土，放在明堂中央挡住前路；宜放右前方坤位（西南土位），土归土位更安稳。"),
        rule("vase.xuanwu", Adjustment, I::Vase, Low, -2, in_cell("vase", json!("玄武")), Cell::FarRight.name(),
            "花瓶属土，放在身前近处的玄武位（北方坎水之位），土克水；宜移到右前方坤位。"),
        rule("bowl.desk", Removal, I::Bowl, Low, -2, json!({"item": "bowl"}), OFF_DESK,
            "碗碟留在书桌上，食物气味与杂乱都会扰乱气场；用完即收。"),
        rule("teddy_bear.desk", Removal, I::TeddyBear, Low, -1, json!({"item": "teddy bear"}), "移出桌面，或只留一个放在左前方",
            "毛绒玩具占位、积灰，使桌面气场松散；宜收走或只留一个放在角落。"),
        rule("bag.desk", Removal, I::Backpack, Medium, -3, json!({"item": ["backpack", "handbag"]}), "移出桌面（挂起或放在椅旁）",
            "背包、手提包放在桌上压住桌面气场，也显得杂乱；宜挂起或放在椅旁。"),
        // Other things that do not belong on a desk.
        rule("remote.desk", Removal, I::Remote, Low, -1, json!({"item": "remote"}), OFF_DESK,
            "遥控器与工作无关，放在桌上分散注意；宜收走。"),
        rule("wine_glass.desk", Removal, I::WineGlass, Low, -2, json!({"item": "wine glass"}), OFF_DESK,
            "酒杯放在书桌上，易使人精神涣散；宜收走。"),
        // Electronics as a group.
        rule("electronics.baihu", Adjustment, I::Electronics, Medium, -4, json!({"count_at_least": {"count": 2, "cell": "白虎", "item": electronics}}), centre,
            "两件以上电子设备挤在右侧白虎位，火气躁动、白虎不静，易惹是非；宜把常用设备移回正中，其余收起。"),
        rule("electronics.fire_without_water", Addition, I::Cup, Low, -2, json!({"all": [
                {"count_at_least": {"count": 3, "element": "火"}}, {"not": {"item_element": "水"}},
                {"not": {"favourable": "水"}}, {"not": {"unfavourable": "水"}}]}), qinglong,
            "桌面电子设备多，火气偏旺而无水调和；可在左侧青龙位放一杯清水，水火既济。"),
        // Layout.
        rule("clutter.mingtang", Adjustment, I::Clutter, High, -8, json!({"count_at_least": {"count": 4, "cell": "明堂"}}), "收纳到两侧或抽屉，明堂留空",
            "明堂宜开阔平整，象征前途宽广；桌面中央堆放四件以上物品，气场闭塞，做事易受阻。"),
        rule("clutter.desk", Adjustment, I::Clutter, Medium, -5, json!({"count_at_least": {"count": 12}}), "只留常用物品，其余收纳",
            "桌面物品过多，杂乱则气散，难以专注；宜只留常用物品。"),
        rule("clutter.front", Adjustment, I::Clutter, Low, -3, json!({"count_at_least": {"count": 3, "cell": "朱雀"}}), "正前方只留显示器，其余移开",
            "前方朱雀位宜开阔，象征视野与前景；前方堆放三件以上物品，前路受阻。"),
        rule("clutter.near", Adjustment, I::Clutter, Low, -2, json!({"count_at_least": {"count": 4, "cell": "玄武"}}), "身前只留键盘鼠标，其余移到两侧",
            "身前近处（玄武位）物品过多，坐下即觉局促，靠山不稳；宜只留键盘鼠标。"),
        rule("tall.baihu_over_qinglong", Adjustment, I::TallObjects, High, -6, json!({"all": [
                {"higher": {"side": "白虎", "than": "青龙"}}, {"count_at_least": {"count": 1, "cell": "青龙"}}]}), qinglong,
            "右侧白虎位的物品高过左侧青龙位，形成“白虎抬头”，主小人是非、压力大；宜把高的物品移到左侧，保持左高右低。"),
        rule("qinglong.empty", Addition, I::Book, Low, -2, json!({"all": [
                {"not": {"count_at_least": {"count": 1, "cell": "青龙"}}}, {"not": {"unfavourable": "木"}}]}), qinglong,
            "左侧青龙位空无一物，青龙无力；宜放书籍、文件或绿植，使左侧略高略满。"),
        rule("baihu.crowded", Adjustment, I::Clutter, Medium, -3, json!({"count_at_least": {"count": 3, "cell": "白虎"}}), qinglong,
            "右侧白虎位宜静宜简，物品一多白虎躁动，易惹是非；宜把部分物品移到左侧青龙位。"),
    ];
    rules.extend(favourable_rules());
    rules.extend(unfavourable_rules());
    rules
}

/// For each element: when it is favourable and its own cell holds nothing of
/// it, add an item of that element there.
fn favourable_rules() -> Vec<Rule> {
    // (code suffix, element, zone, where in words, item, ideal position)
    let table = [
        (
            "wood",
            "木",
            json!("青龙"),
            "左侧青龙位",
            I::PottedPlant,
            Palace::QingLong.display(),
        ),
        (
            "fire",
            "火",
            json!("朱雀"),
            "正前方朱雀位",
            I::DeskLamp,
            Cell::Far.name(),
        ),
        (
            "earth",
            "土",
            json!(["右上", "左下"]),
            "右前方坤位与左近身处艮位",
            I::Vase,
            "右前方（坤位）或左近身处（艮位）",
        ),
        (
            "metal",
            "金",
            json!("白虎"),
            "右侧白虎位",
            I::MetalOrnament,
            Palace::BaiHu.display(),
        ),
        (
            "water",
            "水",
            json!("玄武"),
            "身前近处玄武位",
            I::WaterFeature,
            Cell::Near.name(),
        ),
    ];
    table
        .into_iter()
        .map(|(suffix, element, zone, place, item, ideal)| {
            rule(
                &format!("favourable.{suffix}"),
                Addition,
                item,
                Medium,
                -3,
                json!({"all": [
                    {"favourable": element},
                    {"not": {"cell_has_element": {"cell": zone, "element": element}}}
                ]}),
                ideal,
                &format!(
                    "你的喜用神为{{favourable}}。{place}属{element}，却没有属{element}的物品；宜在此摆放{}，补足{element}气。",
                    item.label()
                ),
            )
        })
        .collect()
}

/// For items of an unfavourable element: remove decorations, tone down the
/// tools one cannot work without.
fn unfavourable_rules() -> Vec<Rule> {
    let e = |item: ItemKind| item.element().as_str();
    let removal = |code: &str, item: ItemKind| {
        rule(
            code,
            Removal,
            item,
            Medium,
            -3,
            json!({"all": [{"unfavourable": e(item)}, {"item": item.class()}]}),
            OFF_DESK,
            &format!(
                "你的忌神为{{unfavourable}}，{}属{}，{}气再旺反而不利；宜移出桌面。",
                item.label(),
                e(item),
                e(item)
            ),
        )
    };
    let adjustment = |code: &str, item: ItemKind, condition: Value, ideal: &str, how: &str| {
        rule(
            code,
            Adjustment,
            item,
            Low,
            -2,
            condition,
            ideal,
            &format!(
                "你的忌神为{{unfavourable}}，{}属{}；{how}",
                item.label(),
                e(item)
            ),
        )
    };
    let has = |item: ItemKind| json!({"all": [{"unfavourable": e(item)}, {"item": item.class()}]});
    vec![
        removal("unfavourable.potted_plant", I::PottedPlant),
        removal("unfavourable.clock", I::Clock),
        removal("unfavourable.vase", I::Vase),
        removal("unfavourable.bottle", I::Bottle),
        adjustment(
            "unfavourable.book",
            I::Book,
            json!({"all": [{"unfavourable": "木"}, {"count_at_least": {"count": 3, "item": "book"}}]}),
            "只留常用书本，其余上架",
            "书本少放几本，可减轻木气。",
        ),
        adjustment(
            "unfavourable.cup",
            I::Cup,
            has(I::Cup),
            "只留一杯，喝完即收",
            "桌上只留一杯水，喝完即收，不让水气久积。",
        ),
        adjustment(
            "unfavourable.laptop",
            I::Laptop,
            has(I::Laptop),
            "不用时合上屏幕",
            "不用时合上屏幕、减少待机，可减轻火气。",
        ),
        adjustment(
            "unfavourable.tv",
            I::Tv,
            has(I::Tv),
            "下班即关闭显示器",
            "下班即关闭显示器，屏幕不长亮，可减轻火气。",
        ),
        adjustment(
            "unfavourable.cell_phone",
            I::CellPhone,
            has(I::CellPhone),
            "收入抽屉或背面朝上",
            "工作时把手机收入抽屉或背面朝上，减少屏幕火气与干扰。",
        ),
        rule(
            "unfavourable.electronics",
            Removal,
            I::Electronics,
            Medium,
            -4,
            json!({"all": [{"unfavourable": "火"}, {"count_at_least": {"count": 4, "element": "火"}}]}),
            "移走不用的电子设备",
            "你的忌神为{unfavourable}，桌上四件以上电子设备火气过重；宜移走不用的设备。",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::CompiledRule;
    use std::collections::HashSet;

    #[test]
    fn corpus_is_large_unique_and_compiles() {
        let rules = corpus();
        assert!(rules.len() >= 45, "{} rules", rules.len());
        let codes: HashSet<&str> = rules.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes.len(), rules.len(), "duplicate codes");
        for r in &rules {
            CompiledRule::compile(r).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(compiled().unwrap().len(), rules.len());
    }

    #[test]
    fn corpus_covers_the_desk_classes_and_every_kind() {
        let rules = corpus();
        for class in [
            "laptop",
            "keyboard",
            "mouse",
            "cup",
            "cell phone",
            "book",
            "potted plant",
            "clock",
            "scissors",
            "vase",
            "bottle",
            "tv",
        ] {
            assert!(
                rules.iter().any(|r| r.item.class() == class),
                "no rule about {class}"
            );
        }
        for kind in SuggestionKind::ALL {
            assert!(rules.iter().any(|r| r.kind == kind), "{kind:?}");
        }
        // Every rule that quotes the person's elements depends on them.
        for r in &rules {
            for (placeholder, key) in [
                ("{favourable}", "favourable"),
                ("{unfavourable}", "unfavourable"),
            ] {
                if r.reason.contains(placeholder) {
                    assert!(
                        r.condition.to_string().contains(&format!("\"{key}\"")),
                        "{}",
                        r.code
                    );
                }
            }
        }
    }
}
