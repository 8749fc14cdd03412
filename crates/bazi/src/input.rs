//! Birth input: parsing and validation of the date, time and gender strings.

use thiserror::Error;

/// First supported Gregorian year (inclusive).
pub const MIN_YEAR: i32 = 1900;
/// Last supported Gregorian year (inclusive).
pub const MAX_YEAR: i32 = 2100;
/// Last year the fortune calendar ([`crate::fortune::months_of`],
/// [`crate::fortune::days_of`], [`crate::fortune::hours_of`]) accepts: every
/// year a fortune of a birth in `MIN_YEAR..=MAX_YEAR` lists (at most
/// `MAX_YEAR` + 111) is covered. Defined here, beside the other bounds, so
/// that the calendar's cache needs nothing of the fortune module.
pub const LAST_FORTUNE_YEAR: i32 = MAX_YEAR + 120;

/// Gender of the chart's owner; decides 元男 / 元女 for the day pillar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `"male"`
    Male,
    /// `"female"`
    Female,
}

impl Gender {
    /// `"male"` or `"female"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }

    /// Parses `"male"` / `"female"` (ASCII case-insensitive, surrounding
    /// whitespace ignored) or `"男"` / `"女"`.
    pub fn parse(gender: &str) -> Result<Gender, InputError> {
        let g = gender.trim();
        if g.eq_ignore_ascii_case("male") || g == "男" {
            Ok(Gender::Male)
        } else if g.eq_ignore_ascii_case("female") || g == "女" {
            Ok(Gender::Female)
        } else {
            Err(InputError::InvalidGender {
                value: gender.to_owned(),
            })
        }
    }
}

crate::ganzhi::serialize_as_str!(Gender);

/// A birth moment in Beijing civil time (UTC+8, the time scale of the
/// `tyme4rs` solar-term tables), plus gender.
///
/// Build one with [`BirthInput::parse`] or [`BirthInput::new`]; both validate.
/// The fields are public so callers can read them back; [`crate::chart()`]
/// validates again, so a hand-built invalid value yields an error, not a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BirthInput {
    /// Gregorian year, [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub year: i32,
    /// Month 1..=12.
    pub month: u32,
    /// Day of month, 1..=28/29/30/31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Gender.
    pub gender: Gender,
}

/// Why a birth input (or a fortune-calendar date) was rejected. Every variant
/// names the offending field (see [`InputError::field`]): `"solar_date"`,
/// `"solar_time"` or `"gender"`, or `"year"` for a fortune-calendar year.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InputError {
    /// The date is not of the form `YYYY-MM-DD`.
    #[error("solar_date: {value:?} is not a date; expected YYYY-MM-DD, e.g. \"1990-01-15\"")]
    InvalidDateFormat {
        /// The rejected text.
        value: String,
    },
    /// The year is outside the supported range.
    #[error(
        "solar_date: year {year} is not supported; expected a year from {min} to {max} inclusive",
        min = MIN_YEAR,
        max = MAX_YEAR
    )]
    YearOutOfRange {
        /// The rejected year.
        year: i32,
    },
    /// The month is not 1..=12.
    #[error("solar_date: month {month} does not exist; expected a month from 01 to 12")]
    InvalidMonth {
        /// The rejected month.
        month: u32,
    },
    /// The day does not exist in that month (e.g. 2023-02-30).
    #[error(
        "solar_date: {year:04}-{month:02}-{day:02} does not exist; expected a day from 01 to {days_in_month:02} for {year:04}-{month:02}"
    )]
    ImpossibleDate {
        /// Year of the rejected date.
        year: i32,
        /// Month of the rejected date.
        month: u32,
        /// The rejected day.
        day: u32,
        /// Number of days the month actually has.
        days_in_month: u32,
    },
    /// The time is not of the form `HH:MM`.
    #[error("solar_time: {value:?} is not a time; expected HH:MM in 24-hour form, e.g. \"08:30\"")]
    InvalidTimeFormat {
        /// The rejected text.
        value: String,
    },
    /// The hour or minute is out of range.
    #[error("solar_time: {hour:02}:{minute:02} is not a time of day; expected 00:00 to 23:59")]
    TimeOutOfRange {
        /// The rejected hour.
        hour: u32,
        /// The rejected minute.
        minute: u32,
    },
    /// The gender is not recognised.
    #[error("gender: {value:?} is not a gender; expected \"male\" or \"female\"")]
    InvalidGender {
        /// The rejected text.
        value: String,
    },
    /// A year asked of the fortune calendar ([`crate::fortune::months_of`],
    /// [`crate::fortune::days_of`], [`crate::fortune::hours_of`]) is outside
    /// the years a fortune can list.
    #[error(
        "year: {year} is outside the fortune calendar; expected a year from {min} to {max} inclusive",
        min = MIN_YEAR,
        max = LAST_FORTUNE_YEAR
    )]
    FortuneYearOutOfRange {
        /// The rejected year.
        year: i32,
    },
}

impl InputError {
    /// Name of the offending input field: `"solar_date"`, `"solar_time"`,
    /// `"gender"`, or `"year"` for [`InputError::FortuneYearOutOfRange`].
    pub const fn field(&self) -> &'static str {
        match self {
            InputError::InvalidDateFormat { .. }
            | InputError::YearOutOfRange { .. }
            | InputError::InvalidMonth { .. }
            | InputError::ImpossibleDate { .. } => "solar_date",
            InputError::InvalidTimeFormat { .. } | InputError::TimeOutOfRange { .. } => {
                "solar_time"
            }
            InputError::InvalidGender { .. } => "gender",
            InputError::FortuneYearOutOfRange { .. } => "year",
        }
    }
}

/// Whether `year` is a Gregorian leap year.
pub const fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1..=12) of `year`; 0 for an invalid month.
pub const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses an unsigned decimal of `min_len..=max_len` ASCII digits.
fn parse_digits(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if s.len() < min_len || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.bytes().try_fold(0u32, |acc, b| {
        acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// Parses `YYYY-MM-DD` (month and day may have one digit) into numbers, without range checks.
fn parse_date(solar_date: &str) -> Result<(i32, u32, u32), InputError> {
    let bad = || InputError::InvalidDateFormat {
        value: solar_date.to_owned(),
    };
    let mut parts = solar_date.trim().split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let year = parse_digits(y, 4, 4).ok_or_else(bad)?;
    let month = parse_digits(m, 1, 2).ok_or_else(bad)?;
    let day = parse_digits(d, 1, 2).ok_or_else(bad)?;
    let year = i32::try_from(year).map_err(|_| bad())?;
    Ok((year, month, day))
}

/// Parses `HH:MM` (hour may have one digit) into numbers, without range checks.
fn parse_time(solar_time: &str) -> Result<(u32, u32), InputError> {
    let bad = || InputError::InvalidTimeFormat {
        value: solar_time.to_owned(),
    };
    let (h, m) = solar_time.trim().split_once(':').ok_or_else(bad)?;
    let hour = parse_digits(h, 1, 2).ok_or_else(bad)?;
    let minute = parse_digits(m, 2, 2).ok_or_else(bad)?;
    Ok((hour, minute))
}

impl BirthInput {
    /// Parses the HTTP/gRPC string form.
    ///
    /// * `solar_date`: `"YYYY-MM-DD"` (Gregorian, Beijing time), year
    ///   [`MIN_YEAR`]..=[`MAX_YEAR`]; one-digit month/day are accepted.
    /// * `solar_time`: `"HH:MM"`, 24-hour, `00:00`..=`23:59`.
    /// * `gender`: `"male"` or `"female"` (also `"男"` / `"女"`).
    ///
    /// Fields are checked in the order date, time, gender; the first problem is reported.
    pub fn parse(
        solar_date: &str,
        solar_time: &str,
        gender: &str,
    ) -> Result<BirthInput, InputError> {
        let (year, month, day) = parse_date(solar_date)?;
        let (hour, minute) = parse_time(solar_time)?;
        let gender = Gender::parse(gender)?;
        BirthInput::new(year, month, day, hour, minute, gender)
    }

    /// Builds a validated input from numbers.
    pub fn new(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        gender: Gender,
    ) -> Result<BirthInput, InputError> {
        let input = BirthInput {
            year,
            month,
            day,
            hour,
            minute,
            gender,
        };
        input.validate()?;
        Ok(input)
    }

    /// Checks every field's range, including that the date exists.
    pub fn validate(&self) -> Result<(), InputError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&self.year) {
            return Err(InputError::YearOutOfRange { year: self.year });
        }
        if !(1..=12).contains(&self.month) {
            return Err(InputError::InvalidMonth { month: self.month });
        }
        let dim = days_in_month(self.year, self.month);
        if self.day == 0 || self.day > dim {
            return Err(InputError::ImpossibleDate {
                year: self.year,
                month: self.month,
                day: self.day,
                days_in_month: dim,
            });
        }
        if self.hour > 23 || self.minute > 59 {
            return Err(InputError::TimeOutOfRange {
                hour: self.hour,
                minute: self.minute,
            });
        }
        Ok(())
    }

    /// The date as `YYYY-MM-DD`.
    pub fn solar_date_string(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The time as `HH:MM`.
    pub fn solar_time_string(&self) -> String {
        format!("{:02}:{:02}", self.hour, self.minute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_input() {
        let i = BirthInput::parse("1990-01-15", "12:00", "male").expect("valid");
        assert_eq!(
            i,
            BirthInput {
                year: 1990,
                month: 1,
                day: 15,
                hour: 12,
                minute: 0,
                gender: Gender::Male
            }
        );
        let i = BirthInput::parse(" 2000-2-29 ", "7:05", "Female").expect("valid");
        assert_eq!((i.month, i.day, i.hour, i.minute), (2, 29, 7, 5));
        assert_eq!(i.gender, Gender::Female);
        assert_eq!(i.solar_date_string(), "2000-02-29");
        assert_eq!(i.solar_time_string(), "07:05");
    }

    #[test]
    fn errors_name_their_field() {
        let cases: [(&str, &str, &str, &str); 14] = [
            ("2023-02-30", "12:00", "male", "solar_date"),
            ("1900-02-29", "12:00", "male", "solar_date"),
            ("2023-13-01", "12:00", "male", "solar_date"),
            ("2023-00-10", "12:00", "male", "solar_date"),
            ("1899-12-31", "12:00", "male", "solar_date"),
            ("2101-01-01", "12:00", "male", "solar_date"),
            ("20230101", "12:00", "male", "solar_date"),
            ("", "12:00", "male", "solar_date"),
            ("2023-01-01-01", "12:00", "male", "solar_date"),
            ("2023-01-01", "24:00", "male", "solar_time"),
            ("2023-01-01", "12:60", "male", "solar_time"),
            ("2023-01-01", "noon", "male", "solar_time"),
            ("2023-01-01", "12:00", "x", "gender"),
            ("2023-01-01", "12:00", "", "gender"),
        ];
        for (d, t, g, field) in cases {
            let err = BirthInput::parse(d, t, g).expect_err(d);
            assert_eq!(err.field(), field, "{d} {t} {g}: {err}");
            assert!(
                err.to_string().starts_with(field),
                "message names the field: {err}"
            );
            assert!(err.to_string().contains("expected"), "{err}");
        }
    }

    #[test]
    fn messages_are_specific() {
        let e = BirthInput::parse("2023-02-30", "12:00", "male").expect_err("impossible");
        assert_eq!(
            e.to_string(),
            "solar_date: 2023-02-30 does not exist; expected a day from 01 to 28 for 2023-02"
        );
        let e = BirthInput::parse("1850-01-01", "12:00", "male").expect_err("range");
        assert_eq!(
            e.to_string(),
            "solar_date: year 1850 is not supported; expected a year from 1900 to 2100 inclusive"
        );
        let e = BirthInput::parse("2000-01-01", "12:00", "other").expect_err("gender");
        assert_eq!(
            e.to_string(),
            "gender: \"other\" is not a gender; expected \"male\" or \"female\""
        );
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2100));
        assert!(is_leap_year(2024));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
    }
}
