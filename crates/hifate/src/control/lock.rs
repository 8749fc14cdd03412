//! One supervisor per state directory.
//!
//! Two supervisors on one state directory would number versions from the
//! same counter and overwrite each other's artifacts (a running child's
//! executable replaced under it). The first takes an exclusive `flock` on
//! `<state_dir>/supervisor.lock` and keeps it while it runs; the lock dies
//! with the process, so a killed supervisor never blocks the next one. The
//! file also names the holder's pid (for the refusal) and its private socket
//! directory (removed by the next start if the holder was killed).

use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "supervisor.lock";

/// Why the state directory could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the state directory {dir} is in use by another supervisor ({holder}); \
         stop it, or give this one its own directory with --state-dir"
    )]
    Held { dir: PathBuf, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct StateLock {
    file: Flock<File>,
    path: PathBuf,
}

impl StateLock {
    /// Takes the state directory, or says who holds it. Returns the lock and
    /// the socket directory the previous holder left, if it recorded one.
    pub fn acquire(state_dir: &Path) -> Result<(StateLock, Option<PathBuf>), LockError> {
        let path = state_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(file) => file,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("pid "))
                    .map(|pid| format!("pid {pid}"))
                    .unwrap_or_else(|| "pid unknown".into());
                return Err(LockError::Held {
                    dir: state_dir.to_owned(),
                    holder,
                });
            }
            Err((_, errno)) => return Err(io(std::io::Error::from(errno))),
        };
        let mut previous = String::new();
        file.read_to_string(&mut previous).map_err(io)?;
        let left_behind = previous
            .lines()
            .find_map(|l| l.strip_prefix("sockets "))
            .map(PathBuf::from);
        let lock = StateLock { file, path };
        lock.write(None)?;
        Ok((lock, left_behind))
    }

    /// Records this supervisor's private socket directory.
    pub fn record_socket_dir(&self, dir: &Path) -> Result<(), LockError> {
        self.write(Some(dir))
    }

    fn write(&self, sockets: Option<&Path>) -> Result<(), LockError> {
        let mut text = format!("pid {}\n", std::process::id());
        if let Some(dir) = sockets {
            text.push_str(&format!("sockets {}\n", dir.display()));
        }
        let mut file: &File = &self.file;
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(text.as_bytes()))
            .map_err(|source| LockError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid() {
        let dir = tempfile::tempdir().unwrap();
        let (first, left) = StateLock::acquire(dir.path()).unwrap();
        assert_eq!(left, None);
        first.record_socket_dir(Path::new("/tmp/hifate-x")).unwrap();
        let refused = StateLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            refused.contains(&format!("pid {}", std::process::id())),
            "{refused}"
        );
        drop(first);
        let (_second, left) = StateLock::acquire(dir.path()).unwrap();
        assert_eq!(left, Some(PathBuf::from("/tmp/hifate-x")));
    }
}
