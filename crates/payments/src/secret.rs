//! Secrets (the Stripe API key, the webhook signing secret) and where they
//! come from.
//!
//! A [`Secret`] cannot be printed: `Debug` and `Display` both write
//! `[redacted]`, so a secret that ends up in a struct that is logged with
//! `{:?}`, or in an error message, leaks nothing. The value is reachable only
//! through [`Secret::expose`], which is easy to find in a review.

use std::fmt;
use std::path::Path;

use crate::PaymentError;

/// Environment variable of the Stripe API key (`sk_live_…`, `sk_test_…`, or a
/// restricted `rk_…` key). `STRIPE_SECRET_KEY_FILE` names a file instead.
pub const STRIPE_SECRET_KEY: &str = "STRIPE_SECRET_KEY";
/// Environment variable of the webhook signing secret (`whsec_…`).
/// `STRIPE_WEBHOOK_SECRET_FILE` names a file instead.
pub const STRIPE_WEBHOOK_SECRET: &str = "STRIPE_WEBHOOK_SECRET";

/// A secret string that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads the secret named `var` from the environment: the variable
    /// itself, or the file named by `{var}_FILE` (the form container
    /// orchestrators mount secrets in). `Ok(None)` when neither is set.
    pub fn from_env(var: &str) -> Result<Option<Secret>, PaymentError> {
        Secret::from_lookup(var, |name| std::env::var(name).ok())
    }

    /// [`Secret::from_env`] over any lookup, so tests need not mutate the
    /// process environment (which other threads may be reading).
    ///
    /// Refuses both forms set at once (which one wins would be a guess), an
    /// empty value, and an unreadable file; the errors name the variable and
    /// the file, never the content.
    pub fn from_lookup(
        var: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Secret>, PaymentError> {
        let file_var = format!("{var}_FILE");
        let direct = lookup(var).filter(|v| !v.is_empty());
        let file = lookup(&file_var).filter(|v| !v.is_empty());
        let value = match (direct, file) {
            (Some(_), Some(_)) => {
                return Err(PaymentError::Config(format!(
                    "both {var} and {file_var} are set: keep one of them"
                )))
            }
            (Some(value), None) => value,
            (None, Some(path)) => read_secret_file(&file_var, Path::new(&path))?,
            (None, None) => return Ok(None),
        };
        // Secrets pasted into a variable or a file often carry a newline;
        // no Stripe secret contains whitespace.
        let value = value.trim();
        if value.is_empty() {
            return Err(PaymentError::Config(format!(
                "{var} is empty: set it to the secret, or unset it"
            )));
        }
        Ok(Some(Secret::new(value)))
    }
}

fn read_secret_file(file_var: &str, path: &Path) -> Result<String, PaymentError> {
    std::fs::read_to_string(path).map_err(|e| {
        PaymentError::Config(format!(
            "{file_var} names {}, which cannot be read ({}): fix the path or its permissions",
            path.display(),
            e.kind()
        ))
    })
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The two Stripe secrets, as configured.
#[derive(Debug, Clone, Default)]
pub struct StripeSecrets {
    /// The API key; `None` means the sandbox provider is used.
    pub api_key: Option<Secret>,
    /// The webhook signing secret; `None` means webhooks are refused.
    pub webhook_secret: Option<Secret>,
}

impl StripeSecrets {
    /// Reads [`STRIPE_SECRET_KEY`] and [`STRIPE_WEBHOOK_SECRET`] (or their
    /// `_FILE` forms) from the environment.
    pub fn from_env() -> Result<StripeSecrets, PaymentError> {
        StripeSecrets::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`StripeSecrets::from_env`] over any lookup.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<StripeSecrets, PaymentError> {
        Ok(StripeSecrets {
            api_key: Secret::from_lookup(STRIPE_SECRET_KEY, &lookup)?,
            webhook_secret: Secret::from_lookup(STRIPE_WEBHOOK_SECRET, &lookup)?,
        })
    }
}
