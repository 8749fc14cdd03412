//! A request to create a checkout session, and its validation.
//!
//! Everything a client sends is checked here, once, before anything is
//! written or sent to a provider: a refusal names the field and says what to
//! send instead. The limits are Stripe's where Stripe has one (metadata:
//! 50 keys, 40-character keys, 500-character values; idempotency keys: 255
//! characters), so a request we accept is not refused later by Stripe for
//! its shape.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::amount::{truncate, Amount, DEFAULT_MAX_MINOR_UNITS};
use crate::PaymentError;

/// Stripe: at most 50 metadata keys.
pub const METADATA_MAX_KEYS: usize = 50;
/// Stripe: metadata keys up to 40 characters.
pub const METADATA_MAX_KEY_CHARS: usize = 40;
/// Stripe: metadata values up to 500 characters.
pub const METADATA_MAX_VALUE_CHARS: usize = 500;
/// Stripe: idempotency keys up to 255 characters.
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 255;
/// Our cap on the product name shown on the checkout page.
pub const PRODUCT_NAME_MAX_CHARS: usize = 250;
/// RFC 5321: an address is at most 254 characters.
pub const EMAIL_MAX_CHARS: usize = 254;
/// Our cap on success/cancel URLs (Stripe accepts up to 5000).
pub const URL_MAX_CHARS: usize = 2048;

/// Operator-configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest amount accepted, in minor units of the request's currency.
    pub max_amount_minor_units: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_amount_minor_units: DEFAULT_MAX_MINOR_UNITS,
        }
    }
}

/// A create-checkout request as the client sent it: strings, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// Decimal text, `"12.34"`.
    pub amount: String,
    /// ISO 4217 code, either case.
    pub currency: String,
    /// What is being paid for, shown on the checkout page.
    pub product_name: String,
    /// Prefills the checkout page's email; empty means none.
    pub customer_email: Option<String>,
    /// Free key/values kept with the session and sent to the provider.
    pub metadata: BTreeMap<String, String>,
    /// Where the payer lands after paying.
    pub success_url: String,
    /// Where the payer lands after giving up.
    pub cancel_url: String,
    /// Makes the create idempotent: the same key returns the same session.
    pub idempotency_key: Option<String>,
}

/// A validated request: what the ledger stores and the provider receives.
/// Only [`CheckoutRequest::validate`] makes one, so the ledger never holds
/// unchecked input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub(crate) amount: Amount,
    pub(crate) product_name: String,
    pub(crate) customer_email: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) success_url: String,
    pub(crate) cancel_url: String,
    pub(crate) idempotency_key: Option<String>,
}

impl NewSession {
    /// The amount.
    pub fn amount(&self) -> Amount {
        self.amount
    }

    /// The idempotency key, if the request had one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// A digest of everything but the idempotency key. A repeated create
    /// with the same key must carry the same fingerprint; otherwise the key
    /// is being reused for a different payment, which is refused.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        // Length-prefixed fields: no two different requests concatenate to
        // the same bytes.
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(self.amount.currency().code().as_bytes());
        field(&self.amount.minor_units().to_le_bytes());
        field(self.product_name.as_bytes());
        field(self.customer_email.as_deref().unwrap_or("").as_bytes());
        field(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            field(k.as_bytes());
            field(v.as_bytes());
        }
        field(self.success_url.as_bytes());
        field(self.cancel_url.as_bytes());
        hex::encode(h.finalize())
    }
}

impl CheckoutRequest {
    /// Checks every field; the first refusal names its field.
    pub fn validate(&self, limits: &Limits) -> Result<NewSession, PaymentError> {
        let amount =
            Amount::parse_with_max(&self.amount, &self.currency, limits.max_amount_minor_units)?;
        let product_name = self.product_name.trim();
        if product_name.is_empty() {
            return Err(PaymentError::invalid(
                "product_name",
                "is required: name what is being paid for",
            ));
        }
        if product_name.chars().count() > PRODUCT_NAME_MAX_CHARS {
            return Err(PaymentError::invalid(
                "product_name",
                format!("is longer than {PRODUCT_NAME_MAX_CHARS} characters: shorten it"),
            ));
        }
        let customer_email = match self.customer_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(email) => {
                validate_email(email)?;
                Some(email.to_string())
            }
        };
        validate_metadata(&self.metadata)?;
        let success_url = validate_url("success_url", &self.success_url)?;
        let cancel_url = validate_url("cancel_url", &self.cancel_url)?;
        let idempotency_key = match self.idempotency_key.as_deref() {
            None | Some("") => None,
            Some(key) => {
                validate_idempotency_key(key)?;
                Some(key.to_string())
            }
        };
        Ok(NewSession {
            amount,
            product_name: product_name.to_string(),
            customer_email,
            metadata: self.metadata.clone(),
            success_url,
            cancel_url,
            idempotency_key,
        })
    }
}

/// Checks an email address the way a checkout needs: one `@`, a plausible
/// local part (RFC 5322 dot-atom characters, no leading, trailing or double
/// dots) and a domain of at least two DNS labels. Quoted local parts and IP
/// literals are refused: no payer types them, and the provider refuses
/// them too. Refusals name `customer_email`.
pub fn validate_email(email: &str) -> Result<(), PaymentError> {
    let refuse = |why: &str| {
        Err(PaymentError::invalid(
            "customer_email",
            format!(
                "{:?} is not a valid email address ({why}): give an address such as \"name@example.com\", or leave it empty",
                truncate(email, 64)
            ),
        ))
    };
    if email.chars().count() > EMAIL_MAX_CHARS {
        return refuse("longer than 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return refuse("no @");
    };
    if domain.contains('@') {
        return refuse("more than one @");
    }
    if local.is_empty() || local.len() > 64 {
        return refuse("the part before @ must have 1 to 64 characters");
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    if local
        .split('.')
        .any(|part| part.is_empty() || !part.chars().all(atext))
    {
        return refuse("the part before @ has a character or dot that is not allowed");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return refuse("the domain needs a dot");
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            // Non-ASCII letters allow internationalised domains.
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return refuse("the domain is not a valid host name");
    }
    Ok(())
}

/// Checks metadata against Stripe's limits. Keys may not contain square
/// brackets either: Stripe's form encoding (`metadata[key]=value`) could
/// not carry them. Refusals name `metadata`.
pub fn validate_metadata(metadata: &BTreeMap<String, String>) -> Result<(), PaymentError> {
    if metadata.len() > METADATA_MAX_KEYS {
        return Err(PaymentError::invalid(
            "metadata",
            format!(
                "has {} keys but at most {METADATA_MAX_KEYS} are allowed: drop some",
                metadata.len()
            ),
        ));
    }
    for (key, value) in metadata {
        if key.is_empty() {
            return Err(PaymentError::invalid(
                "metadata",
                "has an empty key: give every value a name",
            ));
        }
        if key.chars().count() > METADATA_MAX_KEY_CHARS {
            return Err(PaymentError::invalid(
                "metadata",
                format!(
                    "key {:?} is longer than {METADATA_MAX_KEY_CHARS} characters: shorten it",
                    truncate(key, 48)
                ),
            ));
        }
        if key.contains(['[', ']']) {
            return Err(PaymentError::invalid(
                "metadata",
                format!("key {key:?} contains a square bracket: remove it"),
            ));
        }
        if value.chars().count() > METADATA_MAX_VALUE_CHARS {
            return Err(PaymentError::invalid(
                "metadata",
                format!(
                    "value of {key:?} is longer than {METADATA_MAX_VALUE_CHARS} characters: shorten it"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks an idempotency key: printable ASCII (it travels in an HTTP
/// header), at most 255 characters (Stripe's limit).
pub fn validate_idempotency_key(key: &str) -> Result<(), PaymentError> {
    if key.len() > IDEMPOTENCY_KEY_MAX_CHARS {
        return Err(PaymentError::invalid(
            "idempotency_key",
            format!("is longer than {IDEMPOTENCY_KEY_MAX_CHARS} characters: use a shorter key, such as a UUID"),
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(PaymentError::invalid(
            "idempotency_key",
            "may contain only printable ASCII without spaces: use a key such as a UUID",
        ));
    }
    Ok(())
}

fn validate_url(field: &'static str, text: &str) -> Result<String, PaymentError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PaymentError::invalid(
            field,
            "is required: give the absolute https URL the payer returns to",
        ));
    }
    if text.len() > URL_MAX_CHARS {
        return Err(PaymentError::invalid(
            field,
            format!("is longer than {URL_MAX_CHARS} characters: shorten it"),
        ));
    }
    // Parsed to check, but the original text is kept: Stripe's template
    // `{CHECKOUT_SESSION_ID}` must reach Stripe unencoded.
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.to_string())
        }
        _ => Err(PaymentError::invalid(
            field,
            format!(
                "{:?} is not an absolute http(s) URL: give one such as \"https://example.com/paid\"",
                truncate(text, 64)
            ),
        )),
    }
}
