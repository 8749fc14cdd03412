//! Money: decimal strings on the wire, integer minor units inside.
//!
//! Floating point cannot hold 0.1 exactly, and a payment that is off by one
//! cent is wrong, so an amount is parsed once, from its decimal text, into
//! an `i64` count of the currency's minor unit (cents, fils, yen), and never
//! touches a float. How many decimals a currency has is its ISO 4217
//! exponent, from [`CURRENCIES`]; text with more decimals than that is
//! refused rather than rounded (rounding money silently is the caller's
//! decision, not ours).

use std::fmt;

use crate::PaymentError;

/// The largest amount accepted by default, in minor units: 99,999,999, the
/// eight digits Stripe's `unit_amount` accepts for most currencies
/// (999,999.99 USD, 99,999,999 JPY). A service configures its own with
/// [`Amount::parse_with_max`].
pub const DEFAULT_MAX_MINOR_UNITS: i64 = 99_999_999;

/// ISO 4217 currencies with their exponent (digits after the decimal point).
///
/// Not every ISO currency, but every one a checkout is likely to be asked
/// for; the exponents are ISO's (so ISK and UGX are 0, as ISO says — see
/// [`Currency::stripe_unit_amount`] for Stripe's exceptions).
pub const CURRENCIES: &[(&str, u32)] = &[
    // Zero decimals.
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    // Three decimals.
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    // Two decimals.
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("KES", 2),
    ("KZT", 2),
    ("LKR", 2),
    ("MAD", 2),
    ("MOP", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PEN", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("ZAR", 2),
];

/// A currency from [`CURRENCIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

impl Currency {
    /// The currency with this ISO code, in either case (Stripe writes `usd`,
    /// ISO `USD`). Refusals name the field `currency`.
    pub fn from_code(code: &str) -> Result<Currency, PaymentError> {
        let upper = code.trim().to_ascii_uppercase();
        if upper.is_empty() {
            return Err(PaymentError::invalid(
                "currency",
                "is required: give an ISO 4217 code such as \"USD\"",
            ));
        }
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| {
                PaymentError::invalid(
                    "currency",
                    format!(
                        "{:?} is not a supported currency: give an ISO 4217 code such as \"USD\", \"EUR\" or \"JPY\"",
                        truncate(code, 16)
                    ),
                )
            })
    }

    /// The upper-case ISO code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (ISO 4217 exponent).
    pub fn exponent(&self) -> u32 {
        self.exponent
    }

    /// The `unit_amount` Stripe expects for `minor` ISO minor units.
    ///
    /// Stripe keeps ISK and UGX as two-decimal currencies for backward
    /// compatibility (the fractional part must be 00), although ISO made
    /// them zero-decimal; everything else is ISO's minor unit.
    pub fn stripe_unit_amount(&self, minor: i64) -> i64 {
        match self.code {
            "ISK" | "UGX" => minor.saturating_mul(100),
            _ => minor,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// A positive amount of money in a currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    minor: i64,
    currency: Currency,
}

impl Amount {
    /// Parses a decimal string (`"12.34"`) in `currency` with the default
    /// maximum [`DEFAULT_MAX_MINOR_UNITS`].
    pub fn parse(text: &str, currency: &str) -> Result<Amount, PaymentError> {
        Amount::parse_with_max(text, currency, DEFAULT_MAX_MINOR_UNITS)
    }

    /// Parses a decimal string in `currency`, refusing more than
    /// `max_minor_units`.
    ///
    /// Accepted: digits, optionally a point and at most the currency's
    /// number of decimals (`"100"`, `"12.3"`, `"12.34"`). Refused, naming
    /// `amount`: signs, exponents (`"1e3"`), separators, zero, too many
    /// decimals, and anything above the maximum. An unknown currency is
    /// refused first, naming `currency`.
    pub fn parse_with_max(
        text: &str,
        currency: &str,
        max_minor_units: i64,
    ) -> Result<Amount, PaymentError> {
        let currency = Currency::from_code(currency)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(PaymentError::invalid(
                "amount",
                "is required: give a decimal number such as \"12.34\"",
            ));
        }
        if let Some(rest) = text.strip_prefix('-') {
            if split_decimal(rest).is_some() {
                return Err(PaymentError::invalid(
                    "amount",
                    "must be greater than zero: give a positive amount such as \"12.34\"",
                ));
            }
        }
        let (int, frac) = split_decimal(text).ok_or_else(|| {
            PaymentError::invalid(
                "amount",
                format!(
                    "{:?} is not a decimal number: use digits with an optional point, such as \"12.34\" (no signs, exponents or separators)",
                    truncate(text, 32)
                ),
            )
        })?;
        let exponent = currency.exponent as usize;
        if frac.len() > exponent {
            let allowed = match exponent {
                0 => format!("{currency} has no decimals: give a whole number"),
                1 => format!("{currency} allows 1 decimal: round to it"),
                n => format!("{currency} allows at most {n} decimals: round to {n}"),
            };
            return Err(PaymentError::invalid(
                "amount",
                format!("has {} decimals but {allowed}", frac.len()),
            ));
        }
        let too_large = || {
            PaymentError::invalid(
                "amount",
                format!(
                    "is above the maximum of {}: ask for a smaller amount",
                    format_minor(max_minor_units, currency)
                ),
            )
        };
        // int * 10^exponent + frac padded to `exponent` digits, all checked:
        // a 30-digit amount is refused as too large, never wrapped.
        let mut minor: i64 = 0;
        for digit in int.bytes().chain(frac.bytes()) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .ok_or_else(too_large)?;
        }
        for _ in frac.len()..exponent {
            minor = minor.checked_mul(10).ok_or_else(too_large)?;
        }
        if minor == 0 {
            return Err(PaymentError::invalid(
                "amount",
                "must be greater than zero: give a positive amount such as \"12.34\"",
            ));
        }
        if minor > max_minor_units {
            return Err(too_large());
        }
        Ok(Amount { minor, currency })
    }

    /// An amount already in minor units (as stored in the ledger). Refuses
    /// zero and negative counts, naming `amount`.
    pub fn from_minor_units(minor: i64, currency: Currency) -> Result<Amount, PaymentError> {
        if minor <= 0 {
            return Err(PaymentError::invalid(
                "amount",
                "must be greater than zero: give a positive amount",
            ));
        }
        Ok(Amount { minor, currency })
    }

    /// The amount in minor units (1234 for 12.34 USD).
    pub fn minor_units(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The decimal text, with exactly the currency's decimals (`"12.30"`),
    /// the form the wire uses.
    pub fn to_decimal_string(&self) -> String {
        decimal(self.minor, self.currency.exponent)
    }
}

impl fmt::Display for Amount {
    /// `12.34 USD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// `"12.34"` → `("12", "34")`; `"12"` → `("12", "")`; `None` for anything
/// that is not digits with an optional point between digits.
fn split_decimal(text: &str) -> Option<(&str, &str)> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => {
            if frac.is_empty() {
                return None;
            }
            (int, frac)
        }
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() && digits(int) && digits(frac)).then_some((int, frac))
}

fn decimal(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(exponent);
    format!(
        "{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = exponent as usize
    )
}

fn format_minor(minor: i64, currency: Currency) -> String {
    format!("{} {}", decimal(minor, currency.exponent), currency)
}

/// At most `max` characters of untrusted input, for error messages.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
