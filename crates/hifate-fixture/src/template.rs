//! The template of a fixture workspace: a throwaway cargo workspace of tiny
//! echo services ([`EchoService`]) and a `shared` library crate, built on
//! this repository's `hifate-sdk` and `hifate-fixture` by path.
//!
//! Every service's `main.rs` is `examples/echo.rs` of this crate (so the
//! template is compiled by `cargo test -p hifate-fixture`) with the service's
//! name, and — for a service that uses the shared crate — a greeting that
//! starts with `shared::PREFIX`. Its greeting is the line [`GREETING_LINE`];
//! [`STARTUP_MARK`] marks the start of `main`, where tests put start-up code.
//!
//! The functions return text, and [`write()`] puts a whole workspace on disk.

use std::io;
use std::path::{Path, PathBuf};

/// The source of every fixture service, before [`service_main`]'s substitutions.
const ECHO_MAIN: &str = include_str!("../examples/echo.rs");

/// The greeting line of every fresh service's `main.rs`; a reply to `Say` is
/// `"<greeting>: <message>"` (`"hello v1: ping"`).
pub const GREETING_LINE: &str = "const GREETING: &str = \"hello v1\";";
/// A comment at the start of `main` of every service's `main.rs`.
pub const STARTUP_MARK: &str = "// startup hook";
/// The name (and directory) of the library crate every fixture workspace has.
pub const SHARED_CRATE: &str = "shared";
/// The text of `shared/src/lib.rs`: the prefix of the greetings of the
/// services that use the shared crate.
pub const SHARED_LIB: &str = "pub const PREFIX: &str = \"shared v1\";\n";

/// The body of `greeting()` in a service that does not use the shared crate.
const PLAIN_GREETING: &str = "    GREETING.to_string()";
/// The body of `greeting()` in a service that uses the shared crate.
const SHARED_GREETING: &str = "    format!(\"{} {}\", shared::PREFIX, GREETING)";
/// The service name in the template's `main`.
const TEMPLATE_NAME: &str = "hifate_sdk::Service::new(\"echo\", 0)";

/// One echo service of a fixture workspace (a member crate and binary of
/// that name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoService {
    /// Package, binary and directory name.
    pub name: &'static str,
    /// Whether it depends on the `shared` crate (its greeting then starts
    /// with `shared::PREFIX`).
    pub uses_shared: bool,
}

/// The workspace manifest: the services and the shared crate as members,
/// `hifate-sdk` and `hifate-fixture` by path from `repo` (this repository),
/// and the profiles of this repository's own manifest.
pub fn workspace_manifest(repo: &Path, services: &[EchoService]) -> String {
    let members: Vec<String> = services
        .iter()
        .map(|s| s.name)
        .chain([SHARED_CRATE])
        .map(|name| format!("\"{name}\""))
        .collect();
    let repo = repo.display();
    format!(
        r#"[workspace]
resolver = "2"
members = [{members}]

[workspace.dependencies]
hifate-sdk = {{ path = "{repo}/crates/hifate-sdk" }}
hifate-fixture = {{ path = "{repo}/crates/hifate-fixture" }}
{SHARED_CRATE} = {{ path = "{SHARED_CRATE}" }}
tokio = {{ version = "1", features = ["full"] }}
tokio-stream = "0.1"
tonic = "0.14"

[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false

[profile.release]
debug = "line-tables-only"
"#,
        members = members.join(", "),
    )
}

/// A service's `Cargo.toml`. Its dependency list ends with
/// `tonic.workspace = true\n`, or with `shared.workspace = true\n` after that
/// line when it uses the shared crate.
pub fn service_manifest(service: &EchoService) -> String {
    let mut text = format!(
        "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         hifate-sdk.workspace = true\nhifate-fixture.workspace = true\n\
         tokio.workspace = true\ntokio-stream.workspace = true\ntonic.workspace = true\n",
        service.name
    );
    if service.uses_shared {
        text.push_str(&format!("{SHARED_CRATE}.workspace = true\n"));
    }
    text
}

/// A service's `src/main.rs`: the echo service under its own name.
pub fn service_main(service: &EchoService) -> String {
    let text = ECHO_MAIN.replacen(
        TEMPLATE_NAME,
        &format!("hifate_sdk::Service::new({:?}, 0)", service.name),
        1,
    );
    if service.uses_shared {
        text.replacen(PLAIN_GREETING, SHARED_GREETING, 1)
    } else {
        text
    }
}

/// The shared crate's `Cargo.toml`.
pub fn shared_manifest() -> String {
    format!("[package]\nname = \"{SHARED_CRATE}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
}

/// Every file of a fixture workspace with `services`, as paths relative to
/// its root and their text (`Cargo.lock` aside: see [`write()`]).
pub fn files(repo: &Path, services: &[EchoService]) -> Vec<(PathBuf, String)> {
    let mut files = vec![
        (
            PathBuf::from("Cargo.toml"),
            workspace_manifest(repo, services),
        ),
        (
            Path::new(SHARED_CRATE).join("Cargo.toml"),
            shared_manifest(),
        ),
        (
            Path::new(SHARED_CRATE).join("src/lib.rs"),
            SHARED_LIB.to_owned(),
        ),
    ];
    for service in services {
        let dir = Path::new(service.name);
        files.push((dir.join("Cargo.toml"), service_manifest(service)));
        files.push((dir.join("src/main.rs"), service_main(service)));
    }
    files
}

/// Writes a fixture workspace with `services` into `root`, on this
/// repository's crates at `repo` (an absolute path), and copies `repo`'s
/// `Cargo.lock` unless `root` has one (so the fixture resolves the same
/// dependency versions, offline). Files whose text is already right are left
/// untouched, so cargo's fingerprints of a kept fixture stay valid. Returns
/// how many files were written.
pub fn write(root: &Path, repo: &Path, services: &[EchoService]) -> io::Result<usize> {
    let mut written = 0;
    for (relative, text) in files(repo, services) {
        let path = root.join(relative);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        }
        std::fs::write(&path, text).map_err(|e| with_path(e, &path))?;
        written += 1;
    }
    let lock = root.join("Cargo.lock");
    if !lock.exists() {
        let from = repo.join("Cargo.lock");
        std::fs::copy(&from, &lock).map_err(|e| with_path(e, &from))?;
        written += 1;
    }
    Ok(written)
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHA: EchoService = EchoService {
        name: "alpha",
        uses_shared: true,
    };
    const GAMMA: EchoService = EchoService {
        name: "gamma",
        uses_shared: false,
    };

    #[test]
    fn service_main_names_the_service_and_keeps_the_edit_points() {
        let plain = service_main(&GAMMA);
        assert!(plain.contains("hifate_sdk::Service::new(\"gamma\", 0)"));
        assert!(!plain.contains("Service::new(\"echo\""));
        assert!(plain.contains(PLAIN_GREETING));
        let shared = service_main(&ALPHA);
        assert!(shared.contains("Service::new(\"alpha\", 0)"));
        assert!(shared.contains(SHARED_GREETING));
        assert!(!shared.contains(PLAIN_GREETING));
        for text in [&plain, &shared] {
            assert_eq!(text.matches(GREETING_LINE).count(), 1);
            assert_eq!(text.matches("const GREETING").count(), 1);
            assert_eq!(text.matches(STARTUP_MARK).count(), 1);
            let main = text.find("async fn main").expect("main");
            assert!(text.find(STARTUP_MARK).expect("mark") > main);
        }
    }

    #[test]
    fn manifests_reference_the_repository_by_path() {
        let repo = Path::new("/repo");
        let manifest = workspace_manifest(repo, &[ALPHA, GAMMA]);
        assert!(manifest.contains("members = [\"alpha\", \"gamma\", \"shared\"]"));
        assert!(manifest.contains("hifate-sdk = { path = \"/repo/crates/hifate-sdk\" }"));
        assert!(manifest.contains("hifate-fixture = { path = \"/repo/crates/hifate-fixture\" }"));
        assert!(service_manifest(&GAMMA).ends_with("tonic.workspace = true\n"));
        assert!(
            service_manifest(&ALPHA).ends_with("tonic.workspace = true\nshared.workspace = true\n")
        );
    }

    #[test]
    fn write_creates_the_workspace_and_leaves_current_files_alone() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for crate_dir in ["crates/hifate-sdk", "crates/hifate-fixture"] {
            assert!(
                repo.join(crate_dir).join("Cargo.toml").is_file(),
                "{crate_dir}"
            );
        }
        let root = std::env::temp_dir().join(format!("hifate-fixture-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let services = [ALPHA, GAMMA];
        let written = write(&root, &repo, &services).expect("write");
        assert_eq!(written, 3 + 2 * services.len() + 1);
        for (relative, text) in files(&repo, &services) {
            assert_eq!(
                std::fs::read_to_string(root.join(relative)).expect("file"),
                text
            );
        }
        assert!(root.join("Cargo.lock").is_file());
        assert_eq!(write(&root, &repo, &services).expect("write again"), 0);
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}
