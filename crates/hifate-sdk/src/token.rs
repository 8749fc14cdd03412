//! Bearer tokens for endpoints that change state: the supervisor's admin API
//! and a service's own administration (the gateway's rules), one
//! implementation for both.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// The token: from the environment variable `env_var`, else `configured`,
/// else the file `dir/file`; generated there (owner-only, 48 hex digits from
/// `/dev/urandom`) when none exists. The boolean says it was generated now.
pub fn load_or_create(
    env_var: &str,
    configured: Option<&str>,
    dir: &Path,
    file: &str,
) -> std::io::Result<(String, bool)> {
    if let Ok(token) = std::env::var(env_var) {
        if !token.trim().is_empty() {
            return Ok((token.trim().to_owned(), false));
        }
    }
    if let Some(token) = configured.filter(|t| !t.trim().is_empty()) {
        return Ok((token.trim().to_owned(), false));
    }
    let path = dir.join(file);
    // Two processes may start at once: the file is created exclusively
    // (owner-only from its first byte), and a process that finds it being
    // written waits for the other's token rather than writing its own.
    for _ in 0..100 {
        match std::fs::read_to_string(&path) {
            Ok(token) if !token.trim().is_empty() => return Ok((token.trim().to_owned(), false)),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        match created {
            Ok(mut out) => {
                let token = generate()?;
                writeln!(out, "{token}")?;
                out.sync_all()?;
                return Ok((token, true));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{} stays empty; remove it to have a token generated",
        path.display()
    )))
}

/// 48 hex digits from the kernel's random source.
fn generate() -> std::io::Result<String> {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
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
        let dir = std::env::temp_dir().join(format!("hifate-token-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let var = "HIFATE_SDK_TOKEN_TEST_UNSET";
        let (first, generated) = load_or_create(var, None, &dir, "token").unwrap();
        assert!(generated);
        assert_eq!(first.len(), 48);
        let mode = std::fs::metadata(dir.join("token")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        assert_eq!(
            load_or_create(var, None, &dir, "token").unwrap(),
            (first.clone(), false)
        );
        assert_eq!(
            load_or_create(var, Some("mine"), &dir, "token").unwrap().0,
            "mine"
        );
        assert!(matches(&first, &first));
        assert!(!matches("x", &first));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
