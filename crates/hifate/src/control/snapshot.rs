//! The build step of a service that is not a cargo package: a snapshot of
//! its source files, with its own `build` command run inside it.
//!
//! A snapshot is a copy, not a reference: the version store keeps it by
//! content hash, and every process of the version runs from it, so a
//! rollback, a restart or a supervisor restart runs exactly the code that
//! was built — never whatever the source tree holds by then.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::config::CommandSpec;

/// Why a snapshot could not be made; the message is the reload's build
/// diagnostics.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot copy {path} into the snapshot: {source}")]
    Copy {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not inside the workspace {workspace}")]
    Outside { path: PathBuf, workspace: PathBuf },
    #[error("cannot run the build command {command:?}: {source}")]
    Spawn {
        command: Vec<String>,
        source: std::io::Error,
    },
    #[error("the build command {command:?} {status}:\n{output}")]
    Failed {
        command: Vec<String>,
        status: String,
        output: String,
    },
}

/// A snapshot ready to become a version.
#[derive(Debug)]
pub struct Snapshot {
    pub dir: PathBuf,
    pub elapsed: Duration,
}

/// Copies `files` (absolute paths inside `workspace`) into `dir` under their
/// workspace-relative paths, then runs the spec's `build` command there (in
/// the copy of the first source path). On failure `dir` is removed.
pub async fn make(
    spec: &CommandSpec<'_>,
    files: &[PathBuf],
    workspace: &Path,
    dir: &Path,
) -> Result<Snapshot, SnapshotError> {
    let started = Instant::now();
    let made = async {
        copy_files(files, workspace, dir)?;
        if let Some(build) = spec.build {
            run_build(build, &spec.workdir(dir, workspace)).await?;
        }
        Ok(())
    }
    .await;
    match made {
        Ok(()) => Ok(Snapshot {
            dir: dir.to_path_buf(),
            elapsed: started.elapsed(),
        }),
        Err(error) => {
            let _ = std::fs::remove_dir_all(dir);
            Err(error)
        }
    }
}

fn copy_files(files: &[PathBuf], workspace: &Path, dir: &Path) -> Result<(), SnapshotError> {
    let copy_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SnapshotError::Copy { path, source }
    };
    std::fs::create_dir_all(dir).map_err(copy_error(dir))?;
    for file in files {
        let relative = file
            .strip_prefix(workspace)
            .map_err(|_| SnapshotError::Outside {
                path: file.clone(),
                workspace: workspace.to_path_buf(),
            })?;
        let target = dir.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(copy_error(parent))?;
        }
        std::fs::copy(file, &target).map_err(copy_error(file))?;
        // Read-only: a version's code is not edited in place.
        let mut permissions = std::fs::metadata(&target)
            .map_err(copy_error(&target))?
            .permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&target, permissions).map_err(copy_error(&target))?;
    }
    Ok(())
}

/// The most output of a failed build command kept in its diagnostics.
const OUTPUT_LIMIT: usize = 16 * 1024;

async fn run_build(command: &[String], workdir: &Path) -> Result<(), SnapshotError> {
    let Some((program, args)) = command.split_first() else {
        return Ok(());
    };
    let output = tokio::process::Command::new(program)
        .args(args)
        .current_dir(workdir)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|source| SnapshotError::Spawn {
            command: command.to_vec(),
            source,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    if text.len() > OUTPUT_LIMIT {
        let mut cut = text.len() - OUTPUT_LIMIT;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        text = format!("…{}", &text[cut..]);
    }
    let status = match output.status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "was killed by a signal".to_owned(),
    };
    Err(SnapshotError::Failed {
        command: command.to_vec(),
        status,
        output: text.trim_end().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_copies_the_files_and_runs_the_build_inside_it() {
        let workspace = tempfile::tempdir().unwrap();
        let app = workspace.path().join("app");
        std::fs::create_dir_all(app.join("lib")).unwrap();
        std::fs::write(app.join("main.py"), "print('v1')").unwrap();
        std::fs::write(app.join("lib/util.py"), "X = 1").unwrap();
        let files = vec![app.join("lib/util.py"), app.join("main.py")];
        let sources = [PathBuf::from("app")];
        let run = ["python3".to_owned(), "main.py".to_owned()];
        let build = [
            "sh".to_owned(),
            "-c".to_owned(),
            "cat main.py > built.txt".to_owned(),
        ];
        let spec = CommandSpec {
            run: &run,
            build: Some(&build),
            sources: &sources,
        };
        let store = tempfile::tempdir().unwrap();
        let dir = store.path().join("snap");
        let snapshot = make(&spec, &files, workspace.path(), &dir).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(snapshot.dir.join("app/built.txt")).unwrap(),
            "print('v1')"
        );
        assert!(std::fs::metadata(dir.join("app/main.py"))
            .unwrap()
            .permissions()
            .readonly());
        // The source changes; the snapshot does not.
        std::fs::write(app.join("main.py"), "print('v2')").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("app/main.py")).unwrap(),
            "print('v1')"
        );

        let failing = [
            "sh".to_owned(),
            "-c".to_owned(),
            "echo broken >&2; exit 3".to_owned(),
        ];
        let spec = CommandSpec {
            build: Some(&failing),
            ..spec
        };
        let dir = store.path().join("failed");
        let error = make(&spec, &files, workspace.path(), &dir)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("exited with status 3") && error.contains("broken"),
            "{error}"
        );
        assert!(!dir.exists(), "a failed snapshot leaves nothing");
    }
}
