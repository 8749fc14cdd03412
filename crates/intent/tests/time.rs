//! Every supported time phrase, read on a fixed day (Wednesday 2026-11-25).

use intent::time::{resolve, Date, TimeKind};

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
}

fn today() -> Date {
    day(2026, 11, 25)
}

#[track_caller]
fn check(question: &str, kind: TimeKind, years: &[i32], description: &str) {
    let t = resolve(question, today()).unwrap_or_else(|| panic!("no time in {question}"));
    assert_eq!(t.kind, kind, "{question}");
    assert_eq!(t.target_years, years, "{question}");
    assert_eq!(t.description, description, "{question}");
}

#[test]
fn relative_years() {
    check(
        "我今年的事业运怎么样",
        TimeKind::ThisYear,
        &[2026],
        "2026年（今年）",
    );
    check(
        "明年适合跳槽吗",
        TimeKind::NextYear,
        &[2027],
        "2027年（明年）",
    );
    check(
        "后年财运会不会好转",
        TimeKind::YearAfterNext,
        &[2028],
        "2028年（后年）",
    );
    check(
        "去年为什么那么不顺",
        TimeKind::LastYear,
        &[2025],
        "2025年（去年）",
    );
    check(
        "前年破财是命里注定的吗",
        TimeKind::YearBeforeLast,
        &[2024],
        "2024年（前年）",
    );
    check(
        "大后年能结婚吗",
        TimeKind::SpecificYear,
        &[2029],
        "2029年（大后年）",
    );
    // The last relative year carries the question.
    check(
        "去年事业不顺，今年会好吗",
        TimeKind::ThisYear,
        &[2026],
        "2026年（今年）",
    );
}

#[test]
fn absolute_years_are_explicit() {
    check(
        "2026年的婚姻运",
        TimeKind::SpecificYear,
        &[2026],
        "2026年（今年）",
    );
    check("2030年运势如何", TimeKind::SpecificYear, &[2030], "2030年");
    check(
        "二〇二六年的财运",
        TimeKind::SpecificYear,
        &[2026],
        "2026年（今年）",
    );
    check(
        "二零二七年的事业",
        TimeKind::SpecificYear,
        &[2027],
        "2027年（明年）",
    );
    check(
        "26年能不能找到好工作",
        TimeKind::SpecificYear,
        &[2026],
        "2026年（今年）",
    );
    check("98年是什么纳音", TimeKind::SpecificYear, &[1998], "1998年");
    check(
        "2027年和2028年哪年适合结婚",
        TimeKind::SpecificYear,
        &[2027, 2028],
        "2027年（明年）、2028年（后年）",
    );
}

#[test]
fn birth_years_are_not_targets() {
    assert_eq!(resolve("1990年出生的人是什么纳音", today()), None);
    let t = resolve("我是96年生的，明年运势如何", today()).unwrap();
    assert_eq!(t.kind, TimeKind::NextYear);
    assert_eq!(t.target_years, vec![2027]);
}

#[test]
fn year_ranges() {
    check(
        "未来三年事业发展如何",
        TimeKind::FutureYears,
        &[2027, 2028, 2029],
        "2027年至2029年（未来三年）",
    );
    check(
        "接下来两年财运和感情运",
        TimeKind::FutureYears,
        &[2027, 2028],
        "2027年至2028年（接下来两年）",
    );
    check(
        "未来10年的大运",
        TimeKind::FutureYears,
        &(2027..=2036).collect::<Vec<_>>(),
        "2027年至2036年（未来十年）",
    );
    check(
        "今后十二年运势",
        TimeKind::FutureYears,
        &(2027..=2038).collect::<Vec<_>>(),
        "2027年至2038年（今后十二年）",
    );
    check(
        "近五年的事业运走势",
        TimeKind::RecentYears,
        &[2022, 2023, 2024, 2025, 2026],
        "2022年至2026年（近五年）",
    );
    check(
        "最近五年的财运走势",
        TimeKind::RecentYears,
        &[2022, 2023, 2024, 2025, 2026],
        "2022年至2026年（最近五年）",
    );
    check(
        "这几年的财运怎么样",
        TimeKind::RecentYears,
        &[2024, 2025, 2026],
        "2024年至2026年（这几年，按三年计）",
    );
    check(
        "过去两年为什么总破财",
        TimeKind::RecentYears,
        &[2024, 2025],
        "2024年至2025年（过去两年）",
    );
    check(
        "三年内能买房吗",
        TimeKind::FutureYears,
        &[2026, 2027, 2028],
        "2026年至2028年（三年内）",
    );
    check(
        "三年后我会结婚吗",
        TimeKind::SpecificYear,
        &[2029],
        "2029年（三年后）",
    );
}

#[test]
fn ascii_digits_before_years_later_or_earlier_are_a_count() {
    check(
        "10年后我会发财吗",
        TimeKind::SpecificYear,
        &[2036],
        "2036年（十年后）",
    );
    check(
        "5年后我会结婚吗",
        TimeKind::SpecificYear,
        &[2031],
        "2031年（五年后）",
    );
    check(
        "3年以后能买房吗",
        TimeKind::SpecificYear,
        &[2029],
        "2029年（三年后）",
    );
    check(
        "20年之后的财运",
        TimeKind::SpecificYear,
        &[2046],
        "2046年（二十年后）",
    );
    check(
        "5年前为什么破财",
        TimeKind::SpecificYear,
        &[2021],
        "2021年（五年前）",
    );
    check(
        "12年前的那场病",
        TimeKind::SpecificYear,
        &[2014],
        "2014年（十二年前）",
    );
    // A two-digit year alone is still a year, and 以前 after digits names
    // the time before that year rather than counting back.
    check(
        "26年能不能找到好工作",
        TimeKind::SpecificYear,
        &[2026],
        "2026年（今年）",
    );
    check("98年以前的运势", TimeKind::SpecificYear, &[1998], "1998年");
    // A birth cohort is no time asked about.
    assert_eq!(resolve("10年后出生的孩子", today()), None);
}

#[test]
fn half_years() {
    check(
        "下半年工作上会有变动吗",
        TimeKind::HalfYear,
        &[2026],
        "2026年下半年",
    );
    check(
        "上半年身体状况会不会出问题",
        TimeKind::HalfYear,
        &[2026],
        "2026年上半年",
    );
    check(
        "明年上半年适合结婚吗",
        TimeKind::NextYear,
        &[2027],
        "2027年（明年）上半年",
    );
    check(
        "2027年下半年的财运",
        TimeKind::SpecificYear,
        &[2027],
        "2027年（明年）下半年",
    );
}

#[test]
fn months() {
    check(
        "下个月面试能成功吗",
        TimeKind::Month,
        &[2026],
        "2026年12月（下个月）",
    );
    check(
        "这个月的感情运势如何",
        TimeKind::Month,
        &[2026],
        "2026年11月（这个月）",
    );
    check(
        "上个月分手了，还能复合吗",
        TimeKind::Month,
        &[2026],
        "2026年10月（上个月）",
    );
    check("本月财运", TimeKind::Month, &[2026], "2026年11月（本月）");
    // Crossing the year.
    let t = resolve("下个月适合搬家吗", day(2026, 12, 10)).unwrap();
    assert_eq!(
        (t.target_years, t.description.as_str()),
        (vec![2027], "2027年1月（下个月）")
    );
    let t = resolve("上个月为什么破财", day(2027, 1, 5)).unwrap();
    assert_eq!(
        (t.target_years, t.description.as_str()),
        (vec![2026], "2026年12月（上个月）")
    );
}

#[test]
fn weeks() {
    check(
        "本周的财运怎么样",
        TimeKind::Week,
        &[2026],
        "2026年11月23日至11月29日（本周）",
    );
    check(
        "这周感情运势",
        TimeKind::Week,
        &[2026],
        "2026年11月23日至11月29日（这周）",
    );
    check(
        "下周适合签约吗",
        TimeKind::Week,
        &[2026],
        "2026年11月30日至12月6日（下周）",
    );
    // A week across New Year covers both years.
    let t = resolve("这周运势", day(2026, 12, 30)).unwrap();
    assert_eq!(t.target_years, vec![2026, 2027]);
}

#[test]
fn days() {
    check(
        "今天适合做什么",
        TimeKind::Day,
        &[2026],
        "2026年11月25日（今天）",
    );
    check(
        "明天开业好不好",
        TimeKind::Day,
        &[2026],
        "2026年11月26日（明天）",
    );
    check(
        "后天出门办事顺利吗",
        TimeKind::Day,
        &[2026],
        "2026年11月27日（后天）",
    );
    let t = resolve("明天运势", day(2026, 12, 31)).unwrap();
    assert_eq!(
        (t.target_years, t.description.as_str()),
        (vec![2027], "2027年1月1日（明天）")
    );
    // 后天 as "acquired" (先天/后天) is not a day.
    assert_eq!(resolve("后天努力能改变命运吗", today()), None);
    assert_eq!(resolve("先天不足后天补", today()), None);
}

#[test]
fn implied_and_none() {
    check(
        "最近运气很差",
        TimeKind::Implied,
        &[2026],
        "2026年（最近，按当年计）",
    );
    check(
        "目前适合投资吗",
        TimeKind::Implied,
        &[2026],
        "2026年（目前，按当年计）",
    );
    assert_eq!(resolve("我的喜用神是什么", today()), None);
    assert_eq!(resolve("", today()), None);
    assert_eq!(resolve("年年年", today()), None);
}

#[test]
fn named_times_are_explicit_and_implied_ones_are_not() {
    for question in [
        "明年适合跳槽吗",
        "2026年的婚姻运",
        "未来三年事业发展如何",
        "10年后我会发财吗",
        "下个月能签约吗",
        "明天面试顺利吗",
    ] {
        let t = resolve(question, today()).unwrap_or_else(|| panic!("no time in {question}"));
        assert!(t.is_explicit(), "{question}: {t:?}");
    }
    for question in ["最近运气很差", "目前适合投资吗"] {
        let t = resolve(question, today()).unwrap_or_else(|| panic!("no time in {question}"));
        assert!(!t.is_explicit(), "{question}: {t:?}");
    }
}

#[test]
fn kind_names() {
    assert_eq!(TimeKind::ThisYear.as_str(), "this_year");
    assert_eq!(TimeKind::YearAfterNext.as_str(), "year_after_next");
    assert_eq!(TimeKind::YearBeforeLast.as_str(), "year_before_last");
    assert_eq!(TimeKind::FutureYears.as_str(), "future_years");
    assert_eq!(TimeKind::Implied.as_str(), "implied");
}
