//! The bearer token that guards state-changing admin endpoints.

use std::path::Path;

/// Environment variable that sets the token (wins over the config).
pub const ENV_TOKEN: &str = crate::config::ADMIN_TOKEN_VAR;
/// File in the state directory holding a generated token.
pub const TOKEN_FILE: &str = "admin-token";

/// The token: from the environment, the config, or the state directory; one
/// is generated there (owner-only) at first start.
pub fn load_or_create(configured: Option<&str>, state_dir: &Path) -> std::io::Result<String> {
    let (token, generated) =
        hifate_sdk::token::load_or_create(ENV_TOKEN, configured, state_dir, TOKEN_FILE)?;
    if generated {
        // The path, never the token: logs travel further than the file.
        tracing::info!(
            "admin token generated into {} (owner-only)",
            state_dir.join(TOKEN_FILE).display()
        );
    }
    Ok(token)
}

pub use hifate_sdk::token::matches;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_owner_only_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.len(), 48);
        let mode = std::fs::metadata(dir.path().join(TOKEN_FILE)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        assert_eq!(load_or_create(None, dir.path()).unwrap(), first);
        assert_eq!(load_or_create(Some("mine"), dir.path()).unwrap(), "mine");
        assert!(matches(&first, &first));
        assert!(!matches("x", &first));
    }
}
