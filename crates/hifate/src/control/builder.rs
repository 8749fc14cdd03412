//! Builds service binaries with one `cargo build` for any number of packages,
//! reading cargo's JSON messages for the binaries made and the compiler's
//! diagnostics when it fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::Message;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::config::Profile;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot run {cargo}: {source}")]
    Spawn {
        cargo: String,
        source: std::io::Error,
    },
    #[error("cargo build failed:\n{diagnostics}")]
    Failed { diagnostics: String },
    #[error("cargo build made no binary named {bin}; check `bin` in hifate.toml")]
    MissingBinary { bin: String },
}

impl BuildError {
    /// True for failures of the machine rather than of the code (out of file
    /// descriptors or processes): worth trying again shortly.
    pub fn is_transient(&self) -> bool {
        const TRANSIENT_ERRNO: [i32; 3] = [libc::EMFILE, libc::ENFILE, libc::EAGAIN];
        match self {
            BuildError::Spawn { source, .. } => source
                .raw_os_error()
                .is_some_and(|e| TRANSIENT_ERRNO.contains(&e)),
            BuildError::Failed { diagnostics } => {
                diagnostics.contains("Too many open files")
                    || diagnostics.contains("Resource temporarily unavailable")
            }
            BuildError::MissingBinary { .. } => false,
        }
    }

    /// The compiler output (or other reason) to record and show.
    pub fn diagnostics(&self) -> String {
        match self {
            BuildError::Failed { diagnostics } => diagnostics.clone(),
            other => other.to_string(),
        }
    }
}

/// What to build, and where.
#[derive(Debug, Clone)]
pub struct BuildPlan<'a> {
    pub workspace: &'a Path,
    pub target_dir: Option<&'a Path>,
    pub profile: Profile,
    /// `(package, binary)` pairs.
    pub targets: Vec<(&'a str, &'a str)>,
}

/// The binaries a successful build made, by binary name.
#[derive(Debug)]
pub struct Built {
    pub binaries: BTreeMap<String, PathBuf>,
    pub elapsed: Duration,
}

/// The cargo to run: `$CARGO` when set (as under `cargo run`), else `cargo`.
fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Tries of a build that fails for a transient reason, and the pause
/// before the first retry (doubled each time).
const TRANSIENT_TRIES: u32 = 3;
const TRANSIENT_PAUSE: Duration = Duration::from_millis(500);

/// Runs one `cargo build` for every target in `plan`; a failure of the
/// machine (see [`BuildError::is_transient`]) is tried again a few times.
pub async fn build(plan: &BuildPlan<'_>) -> Result<Built, BuildError> {
    let mut pause = TRANSIENT_PAUSE;
    let mut tries = 1;
    loop {
        match build_once(plan).await {
            Err(error) if error.is_transient() && tries < TRANSIENT_TRIES => {
                tracing::warn!(
                    "build failed for a reason of the machine ({}); trying again in {} ms",
                    error.diagnostics().lines().last().unwrap_or_default(),
                    pause.as_millis()
                );
                tokio::time::sleep(pause).await;
                pause *= 2;
                tries += 1;
            }
            result => return result,
        }
    }
}

async fn build_once(plan: &BuildPlan<'_>) -> Result<Built, BuildError> {
    let started = Instant::now();
    let cargo = cargo_program();
    let mut command = tokio::process::Command::new(&cargo);
    command
        .current_dir(plan.workspace)
        .arg("build")
        .arg("--message-format=json")
        .arg("--manifest-path")
        .arg(plan.workspace.join("Cargo.toml"));
    if plan.profile == Profile::Release {
        command.arg("--release");
    }
    if let Some(dir) = plan.target_dir {
        command.arg("--target-dir").arg(dir);
    }
    for (package, _) in &plan.targets {
        command.arg("-p").arg(package);
    }
    // Builds run at a lower CPU priority: on a busy machine the versions
    // that serve traffic come first, the compiler second.
    // SAFETY: setpriority is async-signal-safe and only touches this process.
    unsafe {
        command.pre_exec(|| {
            libc::setpriority(libc::PRIO_PROCESS, 0, 10);
            Ok(())
        });
    }
    command
        .arg("--bins")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|source| BuildError::Spawn {
        cargo: cargo.clone(),
        source,
    })?;

    // Cargo's own progress and errors arrive on stderr.
    let stderr_task = child.stderr.take().map(|stderr| {
        tokio::spawn(async move {
            let mut tail = Vec::new();
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let trimmed = line.trim_start();
                if trimmed.starts_with("Compiling") || trimmed.starts_with("Finished") {
                    tracing::info!("[cargo] {trimmed}");
                }
                tail.push(line);
            }
            tail
        })
    });
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_end(&mut stdout).await;
    }
    let status = child.wait().await.map_err(|source| BuildError::Spawn {
        cargo: cargo.clone(),
        source,
    })?;
    let stderr_lines = match stderr_task {
        Some(task) => task.await.unwrap_or_default(),
        None => Vec::new(),
    };

    let mut binaries = BTreeMap::new();
    let mut errors = Vec::new();
    for message in Message::parse_stream(stdout.as_slice()).flatten() {
        match message {
            Message::CompilerArtifact(artifact) => {
                if let Some(exe) = artifact.executable {
                    if artifact.target.is_bin() {
                        binaries.insert(artifact.target.name.clone(), exe.into_std_path_buf());
                    }
                }
            }
            Message::CompilerMessage(msg) => {
                if matches!(
                    msg.message.level,
                    DiagnosticLevel::Error | DiagnosticLevel::Ice
                ) {
                    if let Some(rendered) = msg.message.rendered {
                        errors.push(rendered);
                    }
                }
            }
            _ => {}
        }
    }
    if !status.success() {
        if errors.is_empty() {
            // Not a compiler error (bad manifest, missing package, ...): cargo's words.
            let tail: Vec<_> = stderr_lines
                .iter()
                .filter(|l| !l.trim_start().starts_with("Compiling"))
                .cloned()
                .collect();
            errors.push(tail.join("\n"));
        }
        return Err(BuildError::Failed {
            diagnostics: errors.join("\n").trim_end().to_owned(),
        });
    }
    for (_, bin) in &plan.targets {
        if !binaries.contains_key(*bin) {
            return Err(BuildError::MissingBinary {
                bin: (*bin).to_owned(),
            });
        }
    }
    Ok(Built {
        binaries,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_machine_failures_are_transient() {
        let spawn = |errno| BuildError::Spawn {
            cargo: "cargo".into(),
            source: std::io::Error::from_raw_os_error(errno),
        };
        assert!(spawn(libc::EMFILE).is_transient());
        assert!(spawn(libc::EAGAIN).is_transient());
        assert!(!spawn(libc::ENOENT).is_transient());
        let failed = |text: &str| BuildError::Failed {
            diagnostics: text.into(),
        };
        assert!(
            failed("error: failed to open file: Too many open files (os error 24)").is_transient()
        );
        assert!(!failed("error[E0308]: mismatched types").is_transient());
        assert!(!BuildError::MissingBinary { bin: "x".into() }.is_transient());
    }
}
