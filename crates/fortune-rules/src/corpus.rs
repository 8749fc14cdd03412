//! The project's own rules.
//!
//! The hand rules read the five-element hand types (五行手) and the fingers
//! as palmistry names them (食指 木星指, 中指 土星指, 无名指 太阳指, 小指
//! 水星指); the face rules the face shapes, the three courts (三停) and the
//! features' proportions; the integrated rules put a hand or face beside
//! the chart: the shape's element against the favourable elements and the
//! day master (生克), and a few pairings such as a water hand in a chart
//! short of water. The organ of each element in the health rules is the
//! classical one (木肝 火心 土脾 金肺 水肾). Thresholds on numbers are the
//! feature's documented bands in `physiognomy` or a little further out, so
//! a rule on "very" long fingers says more than the word `long` does.
//!
//! | family | codes | kind |
//! |--------|-------|------|
//! | hand types | `hand.shape.<element>.{character,career,health}`, `hand.shape.{water,fire}.love`, `hand.shape.mixed` | hand |
//! | fingers | `hand.finger.*`, `hand.finger_ratio.*`, `hand.fingers.*` | hand |
//! | thumb, gaps, palm | `hand.thumb.*`, `hand.gaps.*`, `hand.palm.*` | hand |
//! | face shapes | `face.shape.<shape>.{character,health}` and one more each | face |
//! | three courts | `face.san_ting.*` | face |
//! | eyes, nose, mouth, brows | `face.eyes.*` `face.nose.*` `face.mouth.*` `face.brows.*` `face.features.*` | face |
//! | shape and chart | `integrated.shape.*` | integrated |
//! | pairings | `integrated.<feature>.<chart fact>` | integrated |

use serde_json::{json, Value};

use crate::rule::{NewRule, RuleKind};

use RuleKind::{Face, Hand, Integrated};

#[allow(clippy::too_many_arguments)]
fn rule(
    code: &str,
    kind: RuleKind,
    category: &str,
    priority: i64,
    confidence: f64,
    conditions: Value,
    text: &str,
    recommendations: &[&str],
) -> NewRule {
    NewRule {
        code: code.to_owned(),
        kind,
        category: category.to_owned(),
        conditions,
        text: text.to_owned(),
        recommendations: recommendations.iter().map(|r| (*r).to_owned()).collect(),
        confidence,
        priority,
        enabled: true,
    }
}

fn number(feature: &str, op: &str, value: f64) -> Value {
    json!({"number": {"feature": feature, "op": op, "value": value}})
}

fn word(feature: &str, is: &str) -> Value {
    json!({"word": {"feature": feature, "is": is}})
}

fn all(conditions: Vec<Value>) -> Value {
    json!({ "all": conditions })
}

fn hand_rules() -> Vec<NewRule> {
    let shape = |s: &str| json!({"hand_shape": s});
    vec![
        // The five hand types: character.
        rule("hand.shape.wood.character", Hand, "性格", 90, 0.7, shape("木"),
            "木形手：掌长指长，骨节清秀。木主仁，性情温和、重原则，思虑周密而富理想；短处是想得多、动得慢。",
            &["遇事先定时限再动手，免得思虑过久错失时机。"]),
        rule("hand.shape.fire.character", Hand, "性格", 90, 0.7, shape("火"),
            "火形手：掌长而指短。火主礼，热情外向、反应快、行动力强，感染力足；短处是性急、三分钟热度。",
            &["重要的决定隔一夜再拍板。"]),
        rule("hand.shape.earth.character", Hand, "性格", 90, 0.7, shape("土"),
            "土形手：掌方厚、指短粗。土主信，踏实稳重、重信守诺、耐得住辛苦，做事一步一个脚印；短处是变通稍慢、略显固执。",
            &["多听不同意见，给自己留出转弯的余地。"]),
        rule("hand.shape.metal.character", Hand, "性格", 90, 0.7, shape("金"),
            "金形手：掌方正、指修长。金主义，条理分明、讲规矩、有决断，执行力与组织力都强；短处是要求严、待人偏硬。",
            &["对人多一分体谅，刚中带柔更得人心。"]),
        rule("hand.shape.water.character", Hand, "性格", 90, 0.7, shape("水"),
            "水形手：掌圆而宽厚。水主智，心思灵活、善于沟通、适应力强，人缘好；短处是意志易随环境摇摆。",
            &["定下目标后写下来时常对照，免得随波逐流。"]),
        // The five hand types: career.
        rule("hand.shape.wood.career", Hand, "事业", 80, 0.65, shape("木"),
            "木形手宜走专业与学术之路：教育、设计、医疗、咨询等需要积累的领域最能发挥，厚积薄发，中年后渐入佳境。",
            &["选定一个领域长期深耕，比频繁转换更能成事。"]),
        rule("hand.shape.fire.career", Hand, "事业", 80, 0.65, shape("火"),
            "火形手宜做需要开拓与表现的工作：销售、传媒、创业、演艺，冲在前面最能见成效。",
            &["找一位稳重细心的搭档替你把关细节。"]),
        rule("hand.shape.earth.career", Hand, "事业", 80, 0.65, shape("土"),
            "土形手宜做稳扎稳打的事业：实业、工程、农林、行政后勤，守得住、做得久，以信誉积累本钱。",
            &[]),
        rule("hand.shape.metal.career", Hand, "事业", 80, 0.65, shape("金"),
            "金形手宜在有制度的平台发展：金融、法律、技术、管理，凭条理与决断力晋升。",
            &["规矩之外留意人情，升迁之路更顺。"]),
        rule("hand.shape.water.career", Hand, "事业", 80, 0.65, shape("水"),
            "水形手宜做流通与交际的行业：贸易、公关、旅游、策划，善借势、善变通。",
            &["专注一两条主线，避免摊子铺得太大。"]),
        // The five hand types: health (the element's organ).
        rule("hand.shape.wood.health", Hand, "健康", 60, 0.5, shape("木"),
            "木形手五行属木，木应肝胆：思虑多时易肝气郁结，眼睛与筋腱也宜多加保养。",
            &["少熬夜、少动怒，多到户外舒展筋骨。"]),
        rule("hand.shape.fire.health", Hand, "健康", 60, 0.5, shape("火"),
            "火形手五行属火，火应心与小肠：精力旺盛而易透支，宜留意心血管与睡眠。",
            &["作息规律，情绪起伏大时先缓一缓。"]),
        rule("hand.shape.earth.health", Hand, "健康", 60, 0.5, shape("土"),
            "土形手五行属土，土应脾胃：体质多半结实，但饮食不节时脾胃先受累。",
            &["三餐定时定量，少食生冷油腻。"]),
        rule("hand.shape.metal.health", Hand, "健康", 60, 0.5, shape("金"),
            "金形手五行属金，金应肺与大肠：宜护呼吸道与皮肤，秋冬换季时尤要留意。",
            &["秋冬注意保暖，远离烟尘。"]),
        rule("hand.shape.water.health", Hand, "健康", 60, 0.5, shape("水"),
            "水形手五行属水，水应肾与膀胱：宜护腰肾，忌久坐受寒。",
            &["注意腰部保暖，久坐之后起身走动。"]),
        // Two types' love.
        rule("hand.shape.water.love", Hand, "感情", 70, 0.6, shape("水"),
            "水形手重感情、体贴入微，异性缘佳；感情上宜防优柔寡断、难以取舍。",
            &["感情中有话直说，别让对方去猜。"]),
        rule("hand.shape.fire.love", Hand, "感情", 70, 0.6, shape("火"),
            "火形手感情来得快、表达直接，热恋时全情投入；宜给感情留出慢慢经营的时间。",
            &[]),
        rule("hand.shape.mixed", Hand, "性格", 85, 0.6, number("hand_shape_confidence", "<", 0.3),
            "手型介于两类之间（判型把握不足三成）：兼有相邻两种手型的特点，性格弹性较大，以上手型解读宜作参照而非定论。",
            &[]),
        // Fingers.
        rule("hand.finger_ratio.ring_longer", Hand, "性格", 70, 0.6, number("finger_ratios.index_ring", "<", 0.92),
            "无名指明显长于食指（食指与无名指之比低于 0.92）：胆识足，敢于冒险与竞争，临场反应快；理财上宜防冲动。",
            &["大额投资前设好止损线。"]),
        rule("hand.finger_ratio.index_longer", Hand, "性格", 70, 0.6, number("finger_ratios.index_ring", ">", 1.0),
            "食指长于无名指：自信而有主见，重视名誉与地位，做事讲计划，有领导欲；宜防固执己见。",
            &[]),
        rule("hand.finger.index_long", Hand, "事业", 65, 0.6, word("finger_lengths.index", "long"),
            "食指修长（木星指）：有抱负与领导才能，适合带团队、做决策。",
            &["争取独当一面的机会，在带人中成长。"]),
        rule("hand.finger.middle_long", Hand, "性格", 65, 0.6, word("finger_lengths.middle", "long"),
            "中指修长（土星指）：稳重自律、责任心强，做事谨慎，适合研究、财务、管理类工作。",
            &[]),
        rule("hand.finger.middle_short", Hand, "性格", 65, 0.6, word("finger_lengths.middle", "short"),
            "中指偏短：性格随和、不爱受约束，做事凭兴趣；难在持之以恒。",
            &["给自己定个小目标，坚持做满一个周期。"]),
        rule("hand.finger.ring_long", Hand, "事业", 65, 0.6, word("finger_lengths.ring", "long"),
            "无名指修长（太阳指）：审美好、有艺术与创意天分，宜从事设计、艺术、创意类工作。",
            &[]),
        rule("hand.finger.pinky_long", Hand, "事业", 65, 0.6, word("finger_lengths.pinky", "long"),
            "小指修长（水星指）：口才好、善沟通，商业头脑灵活，利于销售、谈判与写作。",
            &[]),
        rule("hand.finger.pinky_short", Hand, "感情", 60, 0.55, word("finger_lengths.pinky", "short"),
            "小指偏短：不善表达，感情含蓄内敛，心意常藏在行动里。",
            &["与亲近的人多说出心里话。"]),
        rule("hand.finger.thumb_long", Hand, "性格", 65, 0.6, word("finger_lengths.thumb", "long"),
            "拇指长而有力：意志坚定、自制力强，认准的事能坚持到底。",
            &[]),
        rule("hand.finger.thumb_short", Hand, "性格", 65, 0.6, word("finger_lengths.thumb", "short"),
            "拇指偏短：性情温和、易受他人影响，做决定时宜多一分主见。",
            &["重要的事先写下自己的想法，再听别人的意见。"]),
        rule("hand.fingers.very_long", Hand, "性格", 60, 0.55, number("finger_ratios.middle_palm", ">=", 1.35),
            "手指特别修长（中指长过手掌三成以上）：心思细腻、重细节，追求完美，宜做精细工作；宜防过度挑剔。",
            &[]),
        rule("hand.fingers.very_short", Hand, "性格", 60, 0.55, number("finger_ratios.middle_palm", "<", 1.0),
            "手指短于手掌：行动快、重结果、看大局，不拘泥细节；宜留意小处的疏漏。",
            &["交付之前留出时间复核细节。"]),
        rule("hand.fingers.even", Hand, "性格", 50, 0.5,
            all(["index", "middle", "ring", "pinky"].iter().map(|f| word(&format!("finger_lengths.{f}"), "medium")).collect()),
            "四指长短匀称：性情平和、处事周全，少走极端。",
            &[]),
        // Thumb and gaps.
        rule("hand.thumb.wide_angle", Hand, "性格", 60, 0.55, number("measurements.thumb_angle", ">", 60.0),
            "拇指张开的角度大：为人大方开朗、不拘小节，乐于助人，花钱也较随性。",
            &["每月留出固定的储蓄，再安排开销。"]),
        rule("hand.thumb.narrow_angle", Hand, "性格", 60, 0.55, number("measurements.thumb_angle", "<", 30.0),
            "拇指紧贴手掌：谨慎保守、戒心较重，守得住秘密也守得住钱财。",
            &[]),
        rule("hand.gaps.closed", Hand, "财运", 65, 0.55,
            all(vec![
                number("measurements.gap_index_middle", "<", 4.0),
                number("measurements.gap_middle_ring", "<", 4.0),
                number("measurements.gap_ring_pinky", "<", 4.0),
            ]),
            "四指并拢、指缝紧密：古称“聚财之手”，理财谨慎、不乱花钱，积蓄稳步增长。",
            &[]),
        rule("hand.gaps.index_middle_wide", Hand, "性格", 55, 0.5, number("measurements.gap_index_middle", ">", 15.0),
            "食指与中指分得开：思想独立、不随大流，有自己的判断。",
            &[]),
        rule("hand.gaps.ring_pinky_wide", Hand, "感情", 55, 0.5, number("measurements.gap_ring_pinky", ">", 20.0),
            "无名指与小指分得开：个性独立，在感情中需要自己的空间，不喜被束缚。",
            &["与伴侣说清彼此需要的空间，反而更亲近。"]),
        // Palm.
        rule("hand.palm.very_long", Hand, "健康", 55, 0.5, number("measurements.palm_ratio", ">=", 1.7),
            "手掌狭长：思虑多、神经较敏感，易疲劳、睡眠浅。",
            &["规律作息，睡前少看屏幕，适度运动。"]),
        rule("hand.palm.broad", Hand, "健康", 55, 0.5, number("measurements.palm_ratio", "<", 1.1),
            "手掌宽厚：体魄强健、精力充沛，恢复力好；宜防饮食过量。",
            &[]),
    ]
}

fn face_rules() -> Vec<NewRule> {
    let shape = |s: &str| json!({"face_shape": s});
    vec![
        // Face shapes: character.
        rule(
            "face.shape.round.character",
            Face,
            "性格",
            90,
            0.7,
            shape("圆"),
            "圆脸（五行属水）：面圆而丰润，性格随和亲切、人缘好，善于协调；宜防优柔寡断。",
            &[],
        ),
        rule(
            "face.shape.square.character",
            Face,
            "性格",
            90,
            0.7,
            shape("方"),
            "方脸（五行属金）：轮廓方正、下颌有力，意志坚定、有魄力，重承诺、讲原则。",
            &["刚直之外多些圆融，合作更顺。"],
        ),
        rule(
            "face.shape.long.character",
            Face,
            "性格",
            90,
            0.7,
            shape("长"),
            "长脸（五行属木）：面形修长，为人正直、有理想，思考周密，重精神生活。",
            &[],
        ),
        rule(
            "face.shape.pointed.character",
            Face,
            "性格",
            90,
            0.7,
            shape("瓜子"),
            "瓜子脸（五行属火）：上宽下尖，聪慧敏感、反应快、审美好，情感细腻。",
            &[],
        ),
        rule(
            "face.shape.oval.character",
            Face,
            "性格",
            90,
            0.7,
            shape("鹅蛋"),
            "鹅蛋脸（五行属土）：轮廓柔和匀称，性情温厚、处事圆融，福气平稳。",
            &[],
        ),
        // Face shapes: one more each.
        rule(
            "face.shape.round.wealth",
            Face,
            "财运",
            80,
            0.6,
            shape("圆"),
            "圆脸人缘即财源：适合靠人脉与服务取财，财来得顺。",
            &["量入为出，人情往来也记一笔账。"],
        ),
        rule(
            "face.shape.square.career",
            Face,
            "事业",
            80,
            0.6,
            shape("方"),
            "方脸有担当，适合管理与执行岗位，中年事业可望独当一面。",
            &[],
        ),
        rule(
            "face.shape.long.career",
            Face,
            "事业",
            80,
            0.6,
            shape("长"),
            "长脸宜走专业与文职路线，靠学识与口碑立身，越做越稳。",
            &[],
        ),
        rule(
            "face.shape.pointed.love",
            Face,
            "感情",
            80,
            0.6,
            shape("瓜子"),
            "瓜子脸感情细腻、重浪漫，宜找沉稳包容的伴侣互补。",
            &["少些猜测，多些直接的沟通。"],
        ),
        rule(
            "face.shape.oval.love",
            Face,
            "感情",
            80,
            0.6,
            shape("鹅蛋"),
            "鹅蛋脸性情温和，婚姻感情多和顺，家庭观念重。",
            &[],
        ),
        // Face shapes: health.
        rule(
            "face.shape.round.health",
            Face,
            "健康",
            60,
            0.5,
            shape("圆"),
            "圆脸属水，水应肾：宜护腰肾，少熬夜、忌受寒。",
            &[],
        ),
        rule(
            "face.shape.square.health",
            Face,
            "健康",
            60,
            0.5,
            shape("方"),
            "方脸属金，金应肺：宜护呼吸道，换季时注意保暖。",
            &[],
        ),
        rule(
            "face.shape.long.health",
            Face,
            "健康",
            60,
            0.5,
            shape("长"),
            "长脸属木，木应肝：思虑多易肝气不舒，宜多舒展、少动怒。",
            &[],
        ),
        rule(
            "face.shape.pointed.health",
            Face,
            "健康",
            60,
            0.5,
            shape("瓜子"),
            "瓜子脸属火，火应心：宜养心安神，保证睡眠。",
            &[],
        ),
        rule(
            "face.shape.oval.health",
            Face,
            "健康",
            60,
            0.5,
            shape("鹅蛋"),
            "鹅蛋脸属土，土应脾胃：饮食定时定量，脾胃安则气色好。",
            &[],
        ),
        // Three courts.
        rule(
            "face.san_ting.balanced",
            Face,
            "事业",
            85,
            0.65,
            word("facial_attributes.san_ting", "balanced"),
            "三停均等：上中下三停匀称，古称“三停平等，一生衣禄无亏”，早年、中年、晚年运势平稳。",
            &[],
        ),
        rule(
            "face.san_ting.upper_long",
            Face,
            "事业",
            75,
            0.6,
            number("san_ting_ratio.upper", ">", 0.36),
            "上停（发际至眉）偏长：额头开阔，主早年运与智慧，少年得志、学业顺利。",
            &[],
        ),
        rule(
            "face.san_ting.middle_long",
            Face,
            "事业",
            75,
            0.6,
            number("san_ting_ratio.middle", ">", 0.36),
            "中停（眉至鼻底）偏长：主中年运，意志坚定，三十五至五十岁是事业的发力期。",
            &["中年前打好专业与人脉的底子。"],
        ),
        rule(
            "face.san_ting.lower_long",
            Face,
            "财运",
            75,
            0.6,
            number("san_ting_ratio.lower", ">", 0.36),
            "下停（鼻底至下巴）偏长：地阁丰满，主晚年福，晚景安稳、家业兴旺。",
            &[],
        ),
        rule(
            "face.san_ting.upper_short",
            Face,
            "事业",
            70,
            0.55,
            number("san_ting_ratio.upper", "<", 0.30),
            "上停偏短：早年运较平淡，多靠后天努力，少年多磨练，中年后见成效。",
            &["把早年的磨练当作积累，不必与人比快。"],
        ),
        rule(
            "face.san_ting.lower_short",
            Face,
            "健康",
            70,
            0.55,
            number("san_ting_ratio.lower", "<", 0.30),
            "下停偏短：晚年宜早做健康与财务的规划。",
            &["及早养成运动习惯，为晚年储备体力。"],
        ),
        // Eyes.
        rule(
            "face.eyes.wide_spacing",
            Face,
            "性格",
            65,
            0.55,
            word("facial_attributes.eye_spacing", "wide"),
            "两眼间距宽：心胸开阔、包容力强，不计较小事；有时略显散漫。",
            &[],
        ),
        rule(
            "face.eyes.close_spacing",
            Face,
            "性格",
            65,
            0.55,
            word("facial_attributes.eye_spacing", "close"),
            "两眼间距近：专注力强、做事认真，但易心急、钻牛角尖。",
            &["遇到卡住的事先放一放，换个角度再看。"],
        ),
        rule(
            "face.eyes.large",
            Face,
            "感情",
            65,
            0.55,
            word("facial_attributes.eye_size", "large"),
            "眼大：感情丰富、表达直接，富同情心，人缘好。",
            &[],
        ),
        rule(
            "face.eyes.small",
            Face,
            "性格",
            65,
            0.55,
            word("facial_attributes.eye_size", "small"),
            "眼形偏小：沉稳内敛、观察细致，做事有分寸。",
            &[],
        ),
        // Nose.
        rule(
            "face.nose.wide",
            Face,
            "财运",
            70,
            0.6,
            word("facial_attributes.nose_width", "wide"),
            "鼻翼宽厚（财帛宫丰隆）：主财运佳，善于聚财，中年后财运渐旺。",
            &[],
        ),
        rule(
            "face.nose.narrow",
            Face,
            "财运",
            70,
            0.6,
            word("facial_attributes.nose_width", "narrow"),
            "鼻翼偏窄：理财谨慎、精打细算，宜稳健投资、不宜冒进。",
            &["以定投、储蓄为主，少碰高风险的买卖。"],
        ),
        // Mouth.
        rule(
            "face.mouth.wide",
            Face,
            "事业",
            65,
            0.55,
            word("facial_attributes.mouth_width", "wide"),
            "嘴宽：口才佳、气度大，善于交际，利于需要表达与谈判的工作。",
            &[],
        ),
        rule(
            "face.mouth.narrow",
            Face,
            "性格",
            65,
            0.55,
            word("facial_attributes.mouth_width", "narrow"),
            "嘴小：言语谨慎、心思细密，守口如瓶，值得信赖。",
            &[],
        ),
        // Brows.
        rule(
            "face.brows.high",
            Face,
            "性格",
            60,
            0.55,
            word("facial_attributes.eyebrow_height", "high"),
            "眉高（眉眼间距宽，田宅宫开阔）：心胸宽广、待人宽厚，家宅安稳。",
            &[],
        ),
        rule(
            "face.brows.low",
            Face,
            "性格",
            60,
            0.55,
            word("facial_attributes.eyebrow_height", "low"),
            "眉低压眼：做事果断、行动快，但易急躁，压力大时宜放慢节奏。",
            &["压力大时先深呼吸，再做决定。"],
        ),
        rule(
            "face.features.even",
            Face,
            "健康",
            50,
            0.5,
            all(vec![
                word("facial_attributes.eye_size", "medium"),
                word("facial_attributes.nose_width", "medium"),
                word("facial_attributes.mouth_width", "medium"),
            ]),
            "五官比例匀称：气血平和，身心较为协调。",
            &[],
        ),
    ]
}

fn integrated_rules() -> Vec<NewRule> {
    vec![
        // The shape's element against the chart.
        rule("integrated.shape.favourable", Integrated, "事业", 85, 0.65, json!({"shape_element_role": "favourable"}),
            "形与喜用相合：手型或脸型的五行正是八字的喜用之神，先天形貌与命局相辅，顺势发展事半功倍。",
            &["多做与喜用五行相应的行业与颜色、方位的选择。"]),
        rule("integrated.shape.unfavourable", Integrated, "性格", 85, 0.65, json!({"shape_element_role": "unfavourable"}),
            "形与忌神同气：形貌的五行正是八字所忌，这一面的性格宜收敛，多借喜用五行调和。",
            &["在穿着、居所与行业上多选喜用五行，以平衡形貌之偏。"]),
        rule("integrated.shape.same", Integrated, "性格", 75, 0.6, json!({"shape_element_relation": "same"}),
            "形与日主同气（比和）：形貌五行与日主相同，个性鲜明、自我意识强；身弱者得助，身强者宜防固执。",
            &[]),
        rule("integrated.shape.generates_day_master", Integrated, "事业", 75, 0.6, json!({"shape_element_relation": "generate"}),
            "形生日主：形貌五行生扶日主，如得贵人相助，做事多有外援。",
            &[]),
        rule("integrated.shape.generated_by_day_master", Integrated, "健康", 75, 0.6, json!({"shape_element_relation": "generated_by"}),
            "日主生形：才华外露、付出多，精力易被消耗。",
            &["量力而行，给自己留出休整的时间。"]),
        rule("integrated.shape.controls_day_master", Integrated, "健康", 75, 0.6, json!({"shape_element_relation": "control"}),
            "形克日主：外在压力与自我要求都大，宜张弛有度。",
            &["每周安排一段完全放松的时间。"]),
        rule("integrated.shape.controlled_by_day_master", Integrated, "财运", 75, 0.6, json!({"shape_element_relation": "controlled_by"}),
            "日主克形：掌控欲与行动力强，善于把握机会求财。",
            &[]),
        // Pairings.
        rule("integrated.water_hand.water_weak", Integrated, "事业", 80, 0.65,
            all(vec![json!({"hand_shape": "水"}), json!({"element_count": {"element": "水", "op": "<=", "value": 1}})]),
            "水形手而八字水弱：命局缺水，手型却得水之灵动，形补命之不足；智慧与变通是你的长处，宜多做与流通、沟通相关的工作。",
            &["从事贸易、物流、传播一类流动的行业更易得力。"]),
        rule("integrated.water_hand.water_heavy", Integrated, "性格", 80, 0.65,
            all(vec![json!({"hand_shape": "水"}), json!({"element_count": {"element": "水", "op": ">=", "value": 4}})]),
            "水形手而八字水旺：水势过盛，易思虑过多、漂泊不定，宜以土为堤，多做踏实稳重之事收束。",
            &["定居、定业，先把根基扎稳。"]),
        rule("integrated.wood_hand.weak", Integrated, "健康", 75, 0.6,
            all(vec![json!({"hand_shape": "木"}), json!({"strength": ["身弱", "从弱"]})]),
            "木形手而日主偏弱：思虑深而精力有限，宜量力而行，多借师长与同伴之力。",
            &[]),
        rule("integrated.fire_hand.strong", Integrated, "事业", 75, 0.6,
            all(vec![json!({"hand_shape": "火"}), json!({"strength_at_least": "身强"})]),
            "火形手而日主偏旺：冲劲十足，宜与稳重之人共事、做需要耐心的事来调和，防过刚易折。",
            &[]),
        rule("integrated.earth_hand.earth_missing", Integrated, "事业", 75, 0.6,
            all(vec![json!({"hand_shape": "土"}), json!({"element_missing": "土"})]),
            "土形手而八字缺土：手型补足命局所缺的稳重与信用，为人可靠，是事业的根基。",
            &[]),
        rule("integrated.metal_hand.metal_dominant", Integrated, "性格", 75, 0.6,
            all(vec![json!({"hand_shape": "金"}), json!({"element_dominant": "金"})]),
            "金形手而八字金旺：刚毅果决更甚，宜以水泄其锋芒，多沟通、多变通。",
            &["说话先听后讲，柔和的语气更有分量。"]),
        rule("integrated.round_face.water_missing", Integrated, "财运", 75, 0.6,
            all(vec![json!({"face_shape": "圆"}), json!({"element_missing": "水"})]),
            "圆脸属水而八字缺水：面相补命局之缺，人缘与智慧是你后天的助力与财源。",
            &[]),
        rule("integrated.square_face.strong", Integrated, "事业", 75, 0.6,
            all(vec![json!({"face_shape": "方"}), json!({"strength_at_least": "身强"})]),
            "方脸而日主身强：主见强、气场足，宜学会倾听、与人合作。",
            &[]),
        rule("integrated.long_face.wood_favourable", Integrated, "事业", 75, 0.6,
            all(vec![json!({"face_shape": "长"}), json!({"favourable_includes": "木"})]),
            "长脸属木而木为喜用：宜往文教、出版、设计等木属行业发展。",
            &[]),
        rule("integrated.long_fingers.weak", Integrated, "健康", 70, 0.55,
            all(vec![number("finger_ratios.middle_palm", ">=", 1.3), json!({"strength": ["身弱", "从弱"]})]),
            "手指修长而日主身弱：心思细、耗神多，宜注意休息、劳逸结合。",
            &["午间小憩片刻，晚上早些入睡。"]),
        rule("integrated.wide_mouth.fire_favourable", Integrated, "事业", 70, 0.55,
            all(vec![word("facial_attributes.mouth_width", "wide"), json!({"favourable_includes": "火"})]),
            "嘴宽善言而火为喜用：宜从事演讲、销售、传媒等以口才见长的火属行业。",
            &[]),
        rule("integrated.wide_nose.strong_enough", Integrated, "财运", 70, 0.55,
            all(vec![word("facial_attributes.nose_width", "wide"), json!({"strength_at_least": "中和"})]),
            "鼻翼丰隆且日主不弱：身能担财，财运可期，宜积极进取。",
            &[]),
        rule("integrated.balanced_face.balanced_chart", Integrated, "事业", 80, 0.6,
            all(vec![word("facial_attributes.san_ting", "balanced"), json!({"strength": "中和"})]),
            "三停均等而八字中和：形与命皆平衡，一生运势平稳，少大起大落。",
            &[]),
    ]
}

/// Every rule of the corpus, in a fixed order: hand, face, integrated.
pub fn corpus() -> Vec<NewRule> {
    let mut rules = hand_rules();
    rules.extend(face_rules());
    rules.extend(integrated_rules());
    rules
}
