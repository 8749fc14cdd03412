//! Input errors name the offending field and say what is expected.

use bazi::{chart, BirthInput, Gender, InputError};

#[test]
fn parse_errors_name_the_field() {
    let cases = [
        ("2023-02-30", "10:00", "male", "solar_date"),
        ("2023-2-29", "10:00", "male", "solar_date"),
        ("1899-12-31", "10:00", "male", "solar_date"),
        ("2101-01-01", "10:00", "male", "solar_date"),
        ("1990/01/15", "10:00", "male", "solar_date"),
        ("1990-01-15", "10", "male", "solar_time"),
        ("1990-01-15", "10:5", "male", "solar_time"),
        ("1990-01-15", "23:60", "male", "solar_time"),
        ("1990-01-15", "-1:00", "male", "solar_time"),
        ("1990-01-15", "10:00", "unknown", "gender"),
        ("1990-01-15", "10:00", "M", "gender"),
    ];
    for (date, time, gender, field) in cases {
        let err = BirthInput::parse(date, time, gender).expect_err(date);
        assert_eq!(err.field(), field, "{date} {time} {gender}");
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("{field}: ")), "{msg}");
        assert!(msg.contains("expected"), "{msg}");
    }
}

#[test]
fn impossible_date_message() {
    let err = BirthInput::parse("2023-02-30", "12:00", "female").expect_err("impossible");
    assert!(matches!(
        err,
        InputError::ImpossibleDate {
            year: 2023,
            month: 2,
            day: 30,
            days_in_month: 28
        }
    ));
    assert_eq!(err.field(), "solar_date");
}

#[test]
fn chart_rejects_hand_built_invalid_input() {
    let bad = BirthInput {
        year: 2023,
        month: 13,
        day: 1,
        hour: 0,
        minute: 0,
        gender: Gender::Male,
    };
    assert_eq!(chart(&bad).expect_err("invalid").field(), "solar_date");
    let bad = BirthInput { year: 3000, ..bad };
    assert!(matches!(
        chart(&bad),
        Err(InputError::YearOutOfRange { year: 3000 })
    ));
    let bad = BirthInput {
        year: 2000,
        month: 1,
        hour: 24,
        ..bad
    };
    assert_eq!(chart(&bad).expect_err("invalid").field(), "solar_time");
}

#[test]
fn range_edges_work() {
    for (date, time) in [
        ("1900-01-01", "00:00"),
        ("1900-01-01", "23:59"),
        ("2100-12-31", "23:59"),
        ("2100-12-31", "00:00"),
    ] {
        let input = BirthInput::parse(date, time, "male").expect("valid");
        chart(&input).expect("chart");
    }
}
