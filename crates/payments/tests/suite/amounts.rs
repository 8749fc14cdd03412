//! Amounts, currencies, emails, metadata and the rest of request validation.

use crate::support;

use std::collections::BTreeMap;

use payments::{Amount, Currency, Limits, PaymentError};

fn refused(result: Result<impl std::fmt::Debug, PaymentError>) -> (&'static str, String) {
    match result {
        Err(e @ PaymentError::Invalid { .. }) => {
            let field = e.field().expect("invalid names a field");
            let message = e.to_string();
            assert!(
                message.starts_with(&format!("{field}: ")),
                "message starts with the field: {message}"
            );
            (field, message)
        }
        other => panic!("expected an invalid-argument refusal, got {other:?}"),
    }
}

#[test]
fn jpy_has_no_decimals() {
    let a = Amount::parse("100", "JPY").unwrap();
    assert_eq!(a.minor_units(), 100);
    assert_eq!(a.to_decimal_string(), "100");
    assert_eq!(a.to_string(), "100 JPY");
    let (field, message) = refused(Amount::parse("100.5", "JPY"));
    assert_eq!(field, "amount");
    assert!(message.contains("no decimals"), "{message}");
    refused(Amount::parse("100.0", "jpy"));
}

#[test]
fn usd_has_two_decimals() {
    assert_eq!(Amount::parse("12.34", "USD").unwrap().minor_units(), 1234);
    assert_eq!(Amount::parse("12.3", "usd").unwrap().minor_units(), 1230);
    assert_eq!(Amount::parse("12", "USD").unwrap().minor_units(), 1200);
    assert_eq!(Amount::parse("0.01", "USD").unwrap().minor_units(), 1);
    assert_eq!(Amount::parse(" 7.05 ", "EUR").unwrap().minor_units(), 705);
    assert_eq!(
        Amount::parse("12.3", "USD").unwrap().to_decimal_string(),
        "12.30"
    );
    let (field, message) = refused(Amount::parse("12.345", "USD"));
    assert_eq!(field, "amount");
    assert!(message.contains("at most 2 decimals"), "{message}");
}

#[test]
fn bhd_and_kwd_have_three_decimals() {
    assert_eq!(Amount::parse("1.234", "BHD").unwrap().minor_units(), 1234);
    assert_eq!(Amount::parse("1.5", "KWD").unwrap().minor_units(), 1500);
    assert_eq!(
        Amount::parse("1.5", "KWD").unwrap().to_decimal_string(),
        "1.500"
    );
    refused(Amount::parse("1.2345", "BHD"));
}

#[test]
fn currencies_follow_iso_4217() {
    for (code, exp) in [
        ("JPY", 0),
        ("KRW", 0),
        ("USD", 2),
        ("EUR", 2),
        ("CNY", 2),
        ("GBP", 2),
        ("HKD", 2),
        ("BHD", 3),
        ("KWD", 3),
    ] {
        assert_eq!(Currency::from_code(code).unwrap().exponent(), exp, "{code}");
    }
    assert_eq!(Currency::from_code("usd").unwrap().code(), "USD");
}

#[test]
fn zero_negative_and_non_numbers_are_refused_naming_amount() {
    for text in [
        "0", "0.00", "-1", "-0.01", "1e3", "abc", "", "1,000", "+5", ".5", "5.", "1.2.3", "0x10",
        "١٢", "NaN", "inf",
    ] {
        let (field, message) = refused(Amount::parse(text, "USD"));
        assert_eq!(field, "amount", "{text:?}: {message}");
    }
    assert!(refused(Amount::parse("0", "USD"))
        .1
        .contains("greater than zero"));
    assert!(refused(Amount::parse("-1", "USD"))
        .1
        .contains("greater than zero"));
    assert!(refused(Amount::parse("1e3", "USD"))
        .1
        .contains("not a decimal number"));
}

#[test]
fn above_the_maximum_is_refused_naming_amount() {
    // Default: Stripe's eight digits of minor units.
    assert_eq!(
        Amount::parse("999999.99", "USD").unwrap().minor_units(),
        99_999_999
    );
    let (field, message) = refused(Amount::parse("1000000", "USD"));
    assert_eq!(field, "amount");
    assert!(message.contains("maximum of 999999.99 USD"), "{message}");
    // Configured.
    refused(Amount::parse_with_max("100.01", "USD", 10_000));
    assert!(Amount::parse_with_max("100.00", "USD", 10_000).is_ok());
    // Far beyond i64: refused, never wrapped.
    refused(Amount::parse("123456789012345678901234567890", "USD"));
}

#[test]
fn unknown_currency_is_refused_naming_currency() {
    for code in ["XYZ", "", "dollars", "US"] {
        let (field, _) = refused(Amount::parse("1", code));
        assert_eq!(field, "currency", "{code:?}");
    }
    // The currency is checked before the amount.
    assert_eq!(refused(Amount::parse("abc", "XYZ")).0, "currency");
}

#[test]
fn stripe_units_keep_its_two_decimal_exceptions() {
    let isk = Currency::from_code("ISK").unwrap();
    assert_eq!(isk.exponent(), 0);
    assert_eq!(isk.stripe_unit_amount(500), 50_000);
    assert_eq!(
        Currency::from_code("JPY").unwrap().stripe_unit_amount(500),
        500
    );
}

#[test]
fn emails() {
    for ok in [
        "a@example.com",
        "first.last+tag@sub.example.co.uk",
        "x_y-z@ex-ample.org",
        "o'brien@example.ie",
    ] {
        assert!(payments::checkout::validate_email(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@@example.com",
        "a b@example.com",
        "a@ex ample.com",
        ".a@example.com",
        "a..b@example.com",
        "a@-example.com",
        "a@example..com",
        "a@example.com\n",
    ] {
        let (field, message) = refused(payments::checkout::validate_email(bad));
        assert_eq!(field, "customer_email", "{bad:?}");
        assert!(message.contains("name@example.com"), "{message}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    refused(payments::checkout::validate_email(&long));
}

#[test]
fn metadata_limits_are_stripes() {
    let meta = |n: usize, key_len: usize, value_len: usize| -> BTreeMap<String, String> {
        (0..n)
            .map(|i| {
                let key = format!("{i:0>width$}", width = key_len);
                (key, "v".repeat(value_len))
            })
            .collect()
    };
    assert!(payments::checkout::validate_metadata(&meta(50, 40, 500)).is_ok());
    for bad in [meta(51, 2, 1), meta(1, 41, 1), meta(1, 2, 501)] {
        let (field, _) = refused(payments::checkout::validate_metadata(&bad));
        assert_eq!(field, "metadata");
    }
    // Characters, not bytes.
    let unicode = BTreeMap::from([("命".repeat(40), "八字".repeat(250))]);
    assert!(payments::checkout::validate_metadata(&unicode).is_ok());
    for key in ["", "a[b]"] {
        let bad = BTreeMap::from([(key.to_string(), "v".to_string())]);
        refused(payments::checkout::validate_metadata(&bad));
    }
}

#[test]
fn a_request_is_validated_field_by_field() {
    let limits = Limits::default();
    let ok = support::request(Some("key-1")).validate(&limits).unwrap();
    assert_eq!(ok.amount().minor_units(), 1234);
    assert_eq!(ok.idempotency_key(), Some("key-1"));

    let mut r = support::request(None);
    r.customer_email = Some("  ".into());
    assert!(r.validate(&limits).is_ok(), "blank email means none");

    type Change = Box<dyn Fn(&mut payments::CheckoutRequest)>;
    let cases: Vec<(&str, Change)> = vec![
        ("amount", Box::new(|r| r.amount = "-3".into())),
        ("currency", Box::new(|r| r.currency = "ABC".into())),
        ("product_name", Box::new(|r| r.product_name = " ".into())),
        (
            "customer_email",
            Box::new(|r| r.customer_email = Some("nope".into())),
        ),
        (
            "metadata",
            Box::new(|r| {
                r.metadata.insert("k".repeat(41), "v".into());
            }),
        ),
        (
            "success_url",
            Box::new(|r| r.success_url = "/relative".into()),
        ),
        (
            "cancel_url",
            Box::new(|r| r.cancel_url = "ftp://example.com/x".into()),
        ),
        (
            "idempotency_key",
            Box::new(|r| r.idempotency_key = Some("has space".into())),
        ),
        (
            "idempotency_key",
            Box::new(|r| r.idempotency_key = Some("k".repeat(256))),
        ),
    ];
    for (field, change) in cases {
        let mut r = support::request(None);
        change(&mut r);
        assert_eq!(refused(r.validate(&limits)).0, field);
    }
}

#[test]
fn fingerprint_ignores_the_key_but_not_the_payment() {
    let limits = Limits::default();
    let a = support::request(Some("k1")).validate(&limits).unwrap();
    let b = support::request(Some("k2")).validate(&limits).unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    let mut other = support::request(Some("k1"));
    other.amount = "12.35".into();
    assert_ne!(
        other.validate(&limits).unwrap().fingerprint(),
        a.fingerprint()
    );
}
