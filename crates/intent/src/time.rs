//! Time phrases in a question: which years (months, days) it asks about.
//!
//! [`resolve`] reads the phrase relative to a given `today`, so the result
//! is testable and the caller decides the time zone. Rules:
//!
//! - An absolute year (2026年, 二〇二六年, 二零二六年, 26年) wins. A year
//!   followed by 出生/生 is a birth year, not a target, and is skipped.
//! - Then year ranges (未来三年, 接下来两年, 近五年, 最近五年, 这几年,
//!   三年内) and years counted from now (三年后, 10年后, 5年前); 几 counts
//!   as three.
//! - Then relative years (今年 明年 后年 大后年 去年 前年 大前年). When several
//!   appear, the last one is taken: "去年不顺，今年会好吗" asks about 今年.
//! - 上半年 / 下半年 qualify the year found (or the current year).
//! - Then months (下个月, 这个月, 上个月), weeks (本周, 这周, 下周, 上周) and
//!   days (今天, 明天, 后天, 昨天; 后天 next to 先天 means "acquired", not a day).
//! - Finally 最近 / 近期 / 目前 / 现在 alone give [`TimeKind::Implied`], the
//!   current year.
//! - A question with no time phrase returns `None`: it asks about no
//!   particular time (a life reading), and inventing "this year" would hide
//!   that from the caller, who can still default to the current year.
//!
//! Future ranges start next year (未来三年 on 2026-11-25 is 2027–2029);
//! recent ranges end with the current year (近五年 is 2022–2026); 过去N年
//! ends with last year.

use serde::{Deserialize, Serialize};

pub use ::time::Date;
use ::time::{Duration, Month, OffsetDateTime, UtcOffset};

/// China Standard Time (UTC+8), the users' time: their "today", "this
/// week" and "明年" are counted in it.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Today in China: what time phrases are resolved against when the caller
/// names no date.
pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(CHINA).date()
}

/// The current time in Unix seconds, as stored with versions, deployments
/// and feedback (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp().max(0)
}

/// How the question places itself in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeKind {
    ThisYear,
    NextYear,
    YearAfterNext,
    LastYear,
    YearBeforeLast,
    /// An absolute year, or a year counted from now (大后年, 三年后).
    SpecificYear,
    FutureYears,
    RecentYears,
    HalfYear,
    Month,
    Week,
    Day,
    /// "最近", "目前": no phrase names a time, the current year is meant.
    Implied,
}

impl TimeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeKind::ThisYear => "this_year",
            TimeKind::NextYear => "next_year",
            TimeKind::YearAfterNext => "year_after_next",
            TimeKind::LastYear => "last_year",
            TimeKind::YearBeforeLast => "year_before_last",
            TimeKind::SpecificYear => "specific_year",
            TimeKind::FutureYears => "future_years",
            TimeKind::RecentYears => "recent_years",
            TimeKind::HalfYear => "half_year",
            TimeKind::Month => "month",
            TimeKind::Week => "week",
            TimeKind::Day => "day",
            TimeKind::Implied => "implied",
        }
    }
}

/// The time a question asks about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeIntent {
    pub kind: TimeKind,
    /// Gregorian years covered, ascending.
    pub target_years: Vec<i32>,
    /// Chinese description, e.g. "2027年（明年）".
    pub description: String,
}

impl TimeIntent {
    /// Whether the question names its time ("明年", "2026年", "下个月",
    /// "三年后") rather than implying it ("最近", "目前": the current year
    /// is meant). The meaning of `is_explicit` on the wire.
    pub fn is_explicit(&self) -> bool {
        self.kind != TimeKind::Implied
    }
}

/// Reads the time phrase of a question relative to `today`.
pub fn resolve(question: &str, today: Date) -> Option<TimeIntent> {
    let text = crate::text::normalize(question);
    let chars: Vec<char> = text.chars().collect();
    let mut used = vec![false; chars.len()];
    let year = today.year();

    let ranges = year_ranges(&chars, &mut used, year);
    let absolute = absolute_years(&chars, &mut used, year);
    let relative = relative_year(&chars, &mut used, year);
    let half = find_any(&chars, &mut used, &["上半年", "下半年"]);

    let with_half = |mut t: TimeIntent| {
        if let (Some((_, phrase)), [_]) = (&half, t.target_years.as_slice()) {
            t.description.push_str(phrase);
        }
        t
    };
    if let Some(t) = absolute {
        return Some(with_half(t));
    }
    if let Some(t) = ranges {
        return Some(t);
    }
    if let Some(t) = relative {
        return Some(with_half(t));
    }
    if let Some((_, phrase)) = half {
        return Some(TimeIntent {
            kind: TimeKind::HalfYear,
            target_years: vec![year],
            description: format!("{year}年{phrase}"),
        });
    }
    month(&chars, &mut used, today)
        .or_else(|| week(&chars, &mut used, today))
        .or_else(|| day(&chars, &mut used, today))
        .or_else(|| implied(&chars, &mut used, year))
}

fn matches_at(chars: &[char], at: usize, pat: &str) -> bool {
    (at..)
        .zip(pat.chars())
        .all(|(i, p)| chars.get(i) == Some(&p))
}

fn ends_with_at(chars: &[char], end: usize, pat: &str) -> bool {
    let n = pat.chars().count();
    end >= n && matches_at(chars, end - n, pat)
}

fn mark(used: &mut [bool], from: usize, len: usize) {
    for u in used.iter_mut().skip(from).take(len) {
        *u = true;
    }
}

fn free(used: &[bool], from: usize, len: usize) -> bool {
    used.iter().skip(from).take(len).all(|u| !u)
}

/// First unused occurrence of any pattern (patterns tried longest first).
/// Returns (position, pattern) and marks it used.
fn find_any(chars: &[char], used: &mut [bool], pats: &[&str]) -> Option<(usize, String)> {
    let mut pats: Vec<&str> = pats.to_vec();
    pats.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    for i in 0..chars.len() {
        for p in &pats {
            let n = p.chars().count();
            if free(used, i, n) && matches_at(chars, i, p) {
                mark(used, i, n);
                return Some((i, (*p).to_owned()));
            }
        }
    }
    None
}

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '〇' | '零' => Some(0),
        '一' => Some(1),
        '二' | '两' => Some(2),
        '三' => Some(3),
        '四' => Some(4),
        '五' => Some(5),
        '六' => Some(6),
        '七' => Some(7),
        '八' => Some(8),
        '九' => Some(9),
        _ => None,
    }
}

/// A count (1–99) at `at`: ASCII digits, Chinese numerals with 十, or 几
/// (read as three). Returns (value, length in chars).
fn count_at(chars: &[char], at: usize) -> Option<(u32, usize)> {
    let c = *chars.get(at)?;
    if c.is_ascii_digit() {
        if at > 0 && chars[at - 1].is_ascii_digit() {
            return None;
        }
        let len = chars[at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if len > 2 {
            return None;
        }
        let v: u32 = chars[at..at + len]
            .iter()
            .collect::<String>()
            .parse()
            .ok()?;
        return (v > 0).then_some((v, len));
    }
    if c == '几' {
        return Some((3, 1));
    }
    let cjk = |i: usize| {
        chars.get(i).and_then(|c| {
            (*c != '〇' && *c != '零' && !c.is_ascii_digit())
                .then(|| digit_value(*c))
                .flatten()
        })
    };
    if c == '十' {
        return match cjk(at + 1) {
            Some(u) if u > 0 => Some((10 + u, 2)),
            _ => Some((10, 1)),
        };
    }
    let tens = cjk(at)?;
    if chars.get(at + 1) == Some(&'十') {
        return match cjk(at + 2) {
            Some(u) if u > 0 => Some((tens * 10 + u, 3)),
            _ => Some((tens * 10, 2)),
        };
    }
    (tens > 0).then_some((tens, 1))
}

/// A count in Chinese as people write it: 两年, 十二年, 二十年.
fn chinese_count(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |d: u32| D[(d % 10) as usize];
    match n {
        2 => "两".to_owned(),
        0..=9 => digit(n).to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", digit(n)),
        _ if n % 10 == 0 => format!("{}十", digit(n / 10)),
        _ => format!("{}十{}", digit(n / 10), digit(n)),
    }
}

fn range_description(from: i32, to: i32, phrase: &str) -> String {
    if from == to {
        format!("{from}年（{phrase}）")
    } else {
        format!("{from}年至{to}年（{phrase}）")
    }
}

const FUTURE_PREFIXES: &[&str] = &[
    "未来",
    "接下来",
    "今后",
    "以后",
    "往后",
    "之后",
    "后面",
    "后",
];
const RECENT_PREFIXES: &[&str] = &["最近", "近", "这"];
const PAST_PREFIXES: &[&str] = &["过去", "前"];
const WITHIN_SUFFIXES: &[&str] = &["内", "之内", "以内"];
const LATER_SUFFIXES: &[&str] = &["后", "以后", "之后"];
const EARLIER_SUFFIXES: &[&str] = &["前", "以前", "之前"];
/// After ASCII digits only 前 counts back: "98年以前" and "98年之前" more
/// often mean "before 1998" than "98 years ago".
const EARLIER_AFTER_DIGITS: &[&str] = &["前"];

/// 未来三年, 近五年, 这几年, 三年内, 三年后, 10年后 and the like.
///
/// A count is the same in Chinese numerals and ASCII digits: 10年后 is ten
/// years from now (2036 on 2026-11-25), 5年前 five years ago. A two-digit
/// year stands alone (26年 is 2026, read by [`absolute_years`]).
fn year_ranges(chars: &[char], used: &mut [bool], year: i32) -> Option<TimeIntent> {
    for i in 0..chars.len() {
        if ["这些年", "这些年来"]
            .iter()
            .any(|p| matches_at(chars, i, p))
            && free(used, i, 3)
        {
            mark(used, i, 3);
            return Some(TimeIntent {
                kind: TimeKind::RecentYears,
                target_years: (year - 2..=year).collect(),
                description: range_description(year - 2, year, "这些年，按三年计"),
            });
        }
        let Some((n, len)) = count_at(chars, i) else {
            continue;
        };
        let nian = i + len;
        if chars.get(nian) != Some(&'年') || !free(used, i, len + 1) {
            continue;
        }
        let guessed = chars[i] == '几';
        let approx = if guessed { "，按三年计" } else { "" };
        let n = i32::try_from(n).unwrap_or(1);
        let count_text = if guessed {
            "几".to_owned()
        } else {
            chinese_count(n.unsigned_abs())
        };
        let phrase_of = |p: &str, tail: &str| format!("{p}{count_text}年{tail}{approx}");
        let prefixed = [
            (FUTURE_PREFIXES, TimeKind::FutureYears, year + 1, year + n),
            (PAST_PREFIXES, TimeKind::RecentYears, year - n, year - 1),
            (RECENT_PREFIXES, TimeKind::RecentYears, year - n + 1, year),
        ];
        let earlier = if chars[i].is_ascii_digit() {
            EARLIER_AFTER_DIGITS
        } else {
            EARLIER_SUFFIXES
        };
        let suffixed = [
            (
                WITHIN_SUFFIXES,
                TimeKind::FutureYears,
                year,
                year + n - 1,
                "内",
            ),
            (
                LATER_SUFFIXES,
                TimeKind::SpecificYear,
                year + n,
                year + n,
                "后",
            ),
            (earlier, TimeKind::SpecificYear, year - n, year - n, "前"),
        ];
        let by_prefix = prefixed.iter().find_map(|(list, kind, from, to)| {
            let p = list.iter().find(|p| ends_with_at(chars, i, p))?;
            let p_len = p.chars().count();
            Some((
                *kind,
                *from,
                *to,
                phrase_of(p, ""),
                i - p_len,
                p_len + len + 1,
            ))
        });
        let by_suffix = || {
            suffixed.iter().find_map(|(list, kind, from, to, tail)| {
                let s = list
                    .iter()
                    .filter(|s| matches_at(chars, nian + 1, s))
                    .max_by_key(|s| s.chars().count())?;
                let s_len = s.chars().count();
                // 98年后出生: a birth cohort, not a time asked about.
                if is_birth_year(chars, nian + 1 + s_len) {
                    return None;
                }
                Some((*kind, *from, *to, phrase_of("", tail), i, len + 1 + s_len))
            })
        };
        if let Some((kind, from, to, phrase, at, marked)) = by_prefix.or_else(by_suffix) {
            mark(used, at, marked);
            return Some(TimeIntent {
                kind,
                target_years: (from..=to).collect(),
                description: range_description(from, to, &phrase),
            });
        }
    }
    None
}

fn relative_label(target: i32, year: i32) -> Option<&'static str> {
    match target - year {
        0 => Some("今年"),
        1 => Some("明年"),
        2 => Some("后年"),
        -1 => Some("去年"),
        -2 => Some("前年"),
        _ => None,
    }
}

/// 1990年出生, 96年生的, 98年的人, 98年后出生 (a cohort): a birth year.
fn is_birth_year(chars: &[char], after_nian: usize) -> bool {
    [
        "出生",
        "生",
        "的人",
        "后出生",
        "以后出生",
        "前出生",
        "以前出生",
    ]
    .iter()
    .any(|s| matches_at(chars, after_nian, s))
}

/// 2026年, 26年, 二〇二六年, 二零二六年.
fn absolute_years(chars: &[char], used: &mut [bool], year: i32) -> Option<TimeIntent> {
    let mut years: Vec<i32> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let ascii = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit());
        let is_cjk_digit =
            |c: &char| !c.is_ascii_digit() && digit_value(*c).is_some() && *c != '两';
        let starts_run = i == 0 || !is_cjk_digit(&chars[i - 1]);
        let cjk_run = chars[i..]
            .iter()
            .take_while(|c| !c.is_ascii_digit() && digit_value(**c).is_some() && **c != '两')
            .count();
        let len = if ascii {
            chars[i..].iter().take_while(|c| c.is_ascii_digit()).count()
        } else if starts_run && cjk_run == 4 {
            4
        } else {
            0
        };
        let nian = i + len;
        if (len == 2 || len == 4)
            && chars.get(nian) == Some(&'年')
            && free(used, i, len + 1)
            && !is_birth_year(chars, nian + 1)
        {
            let digits: String = chars[i..nian]
                .iter()
                .filter_map(|c| digit_value(*c))
                .map(|d| char::from(b'0' + d as u8))
                .collect();
            if let Ok(v) = digits.parse::<i32>() {
                let y = if len == 4 {
                    v
                } else if 2000 + v <= year + 30 {
                    2000 + v
                } else {
                    1900 + v
                };
                if !years.contains(&y) {
                    years.push(y);
                }
                mark(used, i, len + 1);
            }
            i = nian + 1;
            continue;
        }
        i += 1;
    }
    if years.is_empty() {
        return None;
    }
    let description = years
        .iter()
        .map(|y| match relative_label(*y, year) {
            Some(l) => format!("{y}年（{l}）"),
            None => format!("{y}年"),
        })
        .collect::<Vec<_>>()
        .join("、");
    years.sort_unstable();
    Some(TimeIntent {
        kind: TimeKind::SpecificYear,
        target_years: years,
        description,
    })
}

/// 今年, 明年, 后年, 大后年, 去年, 前年, 大前年, 明后年; the last one wins.
fn relative_year(chars: &[char], used: &mut [bool], year: i32) -> Option<TimeIntent> {
    const WORDS: [(&str, TimeKind, i32, i32); 9] = [
        ("明后两年", TimeKind::FutureYears, 1, 2),
        ("明后年", TimeKind::FutureYears, 1, 2),
        ("大后年", TimeKind::SpecificYear, 3, 3),
        ("大前年", TimeKind::SpecificYear, -3, -3),
        ("今年", TimeKind::ThisYear, 0, 0),
        ("明年", TimeKind::NextYear, 1, 1),
        ("后年", TimeKind::YearAfterNext, 2, 2),
        ("去年", TimeKind::LastYear, -1, -1),
        ("前年", TimeKind::YearBeforeLast, -2, -2),
    ];
    let mut last: Option<(TimeKind, i32, i32, &str)> = None;
    let mut i = 0;
    while i < chars.len() {
        let found = WORDS.iter().find(|(w, ..)| {
            let n = w.chars().count();
            free(used, i, n) && matches_at(chars, i, w)
        });
        match found {
            Some((w, kind, from, to)) => {
                let n = w.chars().count();
                mark(used, i, n);
                last = Some((*kind, *from, *to, w));
                i += n;
            }
            None => i += 1,
        }
    }
    let (kind, from, to, word) = last?;
    let (from, to) = (year + from, year + to);
    Some(TimeIntent {
        kind,
        target_years: (from..=to).collect(),
        description: range_description(from, to, word),
    })
}

fn month(chars: &[char], used: &mut [bool], today: Date) -> Option<TimeIntent> {
    let (_, phrase) = find_any(
        chars,
        used,
        &[
            "下个月",
            "下月",
            "这个月",
            "本月",
            "这月",
            "当月",
            "上个月",
            "上月",
        ],
    )?;
    let (y, m) = (today.year(), today.month());
    let (y, m) = match phrase.chars().next() {
        Some('下') => (if m == Month::December { y + 1 } else { y }, m.next()),
        Some('上') => (if m == Month::January { y - 1 } else { y }, m.previous()),
        _ => (y, m),
    };
    Some(TimeIntent {
        kind: TimeKind::Month,
        target_years: vec![y],
        description: format!("{y}年{}月（{phrase}）", u8::from(m)),
    })
}

fn week(chars: &[char], used: &mut [bool], today: Date) -> Option<TimeIntent> {
    let (_, phrase) = find_any(
        chars,
        used,
        &[
            "本周",
            "这周",
            "这个星期",
            "这星期",
            "本星期",
            "这个礼拜",
            "下周",
            "下个星期",
            "下星期",
            "下个礼拜",
            "上周",
            "上个星期",
            "上星期",
        ],
    )?;
    let offset = match phrase.chars().next() {
        Some('下') => 7,
        Some('上') => -7,
        _ => 0,
    };
    let monday = today
        .checked_sub(Duration::days(i64::from(
            today.weekday().number_days_from_monday(),
        )))?
        .checked_add(Duration::days(offset))?;
    let sunday = monday.checked_add(Duration::days(6))?;
    let mut years = vec![monday.year()];
    if sunday.year() != monday.year() {
        years.push(sunday.year());
    }
    Some(TimeIntent {
        kind: TimeKind::Week,
        target_years: years,
        description: format!(
            "{}年{}月{}日至{}月{}日（{phrase}）",
            monday.year(),
            u8::from(monday.month()),
            monday.day(),
            u8::from(sunday.month()),
            sunday.day()
        ),
    })
}

fn day(chars: &[char], used: &mut [bool], today: Date) -> Option<TimeIntent> {
    // 先天/后天 in a reading mean "innate"/"acquired"; that 后天 is no day.
    let text: String = chars.iter().collect();
    let acquired = text.contains("先天")
        || [
            "后天努力",
            "后天因素",
            "后天的",
            "后天改",
            "后天补",
            "后天调",
        ]
        .iter()
        .any(|p| text.contains(p));
    let mut words = vec!["今天", "今日", "明天", "明日", "大后天", "昨天", "昨日"];
    if !acquired {
        words.push("后天");
    }
    let (_, phrase) = find_any(chars, used, &words)?;
    let offset = match phrase.as_str() {
        "明天" | "明日" => 1,
        "后天" => 2,
        "大后天" => 3,
        "昨天" | "昨日" => -1,
        _ => 0,
    };
    let d = today.checked_add(Duration::days(offset))?;
    Some(TimeIntent {
        kind: TimeKind::Day,
        target_years: vec![d.year()],
        description: format!(
            "{}年{}月{}日（{phrase}）",
            d.year(),
            u8::from(d.month()),
            d.day()
        ),
    })
}

fn implied(chars: &[char], used: &mut [bool], year: i32) -> Option<TimeIntent> {
    let (_, phrase) = find_any(
        chars,
        used,
        &["最近", "近期", "目前", "现在", "眼下", "当下", "近来"],
    )?;
    Some(TimeIntent {
        kind: TimeKind::Implied,
        target_years: vec![year],
        description: format!("{year}年（{phrase}，按当年计）"),
    })
}
