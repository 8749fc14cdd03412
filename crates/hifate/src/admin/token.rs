//! The bearer token that guards state-changing admin endpoints.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// Environment variable that sets the token (wins over the config).
pub const ENV_TOKEN: &str = crate::config::ADMIN_TOKEN_VAR;
/// File in the state directory holding a generated token.
pub const TOKEN_FILE: &str = "admin-token";

/// The token: from the environment, the config, or the state directory; one
/// is generated there (owner-only) at first start and printed once.
pub fn load_or_create(configured: Option<&str>, state_dir: &Path) -> std::io::Result<String> {
    if let Ok(token) = std::env::var(ENV_TOKEN) {
        if !token.trim().is_empty() {
            return Ok(token.trim().to_owned());
        }
    }
    if let Some(token) = configured.filter(|t| !t.trim().is_empty()) {
        return Ok(token.trim().to_owned());
    }
    let path = state_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => return Ok(token.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    writeln!(file, "{token}")?;
    tracing::info!(
        "admin token generated and saved to {} (owner-only): {token}",
        path.display()
    );
    Ok(token)
}

/// Compares without stopping at the first difference.
pub fn matches(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
