//! Change detection: OS file events (or polling), filtered and debounced into
//! batches of changed paths.
//!
//! Events are filtered by kind *before* debouncing: inotify also reports
//! files being opened and read, and the supervisor itself (hashing sources)
//! and cargo (compiling them) read every file, so counting reads as changes
//! would reload forever. That is why the debounce is done here rather than
//! with `notify-debouncer-mini`, which discards event kinds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{EventKind, MetadataKind, ModifyKind};
use notify::{PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use super::sources::is_ignored;
use crate::config::WatchMode;

/// How changes are being detected (what a [`WatchMode`] became: file events
/// may be unavailable, and then polling takes over).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// OS file events (inotify).
    FileEvents,
    /// Comparing modification times every `every`.
    Polling { every: Duration },
    /// Only explicit reloads.
    Off,
}

impl Detection {
    /// True unless detection is off.
    pub fn is_running(&self) -> bool {
        *self != Detection::Off
    }

    /// True when polling (by choice, or as the fallback).
    pub fn is_polling(&self) -> bool {
        matches!(self, Detection::Polling { .. })
    }
}

impl std::fmt::Display for Detection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Detection::FileEvents => f.write_str("file events"),
            Detection::Polling { every } => write!(f, "polling every {} s", every.as_secs()),
            Detection::Off => f.write_str("off"),
        }
    }
}

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    _inner: Box<dyn notify::Watcher + Send>,
    pub detection: Detection,
}

/// Watches `roots` recursively, and `files` (single files elsewhere, through
/// their directories, so that editors replacing a file are seen), and sends
/// one batch of changed paths per burst of changes (a burst ends after
/// `debounce` without events). When the OS dropped events, the batch names
/// every root: the content hashes then decide what really changed.
pub fn watch(
    roots: &[PathBuf],
    files: &[PathBuf],
    mode: WatchMode,
    debounce: Duration,
    poll_interval: Duration,
    batches: mpsc::UnboundedSender<Vec<PathBuf>>,
) -> Result<Watcher, notify::Error> {
    let roots = outermost(roots);
    let mut files: Vec<PathBuf> = files
        .iter()
        .filter(|f| !roots.iter().any(|r| f.starts_with(r)))
        .cloned()
        .collect();
    files.sort();
    files.dedup();
    let mut file_dirs: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    file_dirs.sort();
    file_dirs.dedup();
    let (raw_tx, raw_rx) = mpsc::unbounded_channel::<Vec<PathBuf>>();
    let filter_roots = roots.clone();
    let handler = move |result: notify::Result<notify::Event>| match result {
        Ok(event) if event.need_rescan() => {
            let _ = raw_tx.send(filter_roots.iter().chain(&files).cloned().collect());
        }
        Ok(event) if is_change(&event.kind) => {
            let paths: Vec<_> = event
                .paths
                .into_iter()
                .filter(|p| {
                    // Judge only the part below the root: the root itself
                    // may sit in a hidden directory.
                    files.contains(p)
                        || filter_roots
                            .iter()
                            .any(|r| p.strip_prefix(r).is_ok_and(|rel| !is_ignored(rel)))
                })
                .collect();
            if !paths.is_empty() {
                let _ = raw_tx.send(paths);
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "file watcher error"),
    };

    let watcher = match mode {
        WatchMode::Off => {
            return Ok(Watcher {
                _inner: Box::new(notify::NullWatcher),
                detection: Detection::Off,
            })
        }
        WatchMode::Events => match events_watcher(&roots, &file_dirs, handler.clone()) {
            Ok(w) => Watcher {
                _inner: w,
                detection: Detection::FileEvents,
            },
            Err(error) => {
                tracing::warn!(
                    %error,
                    "file events are unavailable; polling every {} s instead",
                    poll_interval.as_secs()
                );
                poll_watcher(&roots, &file_dirs, poll_interval, handler)?
            }
        },
        WatchMode::Poll => poll_watcher(&roots, &file_dirs, poll_interval, handler)?,
    };
    tokio::spawn(debounce_batches(raw_rx, debounce, batches));
    Ok(watcher)
}

fn events_watcher<F>(
    roots: &[PathBuf],
    dirs: &[PathBuf],
    handler: F,
) -> notify::Result<Box<dyn notify::Watcher + Send>>
where
    F: notify::EventHandler,
{
    let mut watcher = RecommendedWatcher::new(handler, notify::Config::default())?;
    add_watches(&mut watcher, roots, dirs)?;
    Ok(Box::new(watcher))
}

fn poll_watcher<F>(
    roots: &[PathBuf],
    dirs: &[PathBuf],
    interval: Duration,
    handler: F,
) -> notify::Result<Watcher>
where
    F: notify::EventHandler,
{
    let mut watcher = PollWatcher::new(
        handler,
        notify::Config::default().with_poll_interval(interval),
    )?;
    add_watches(&mut watcher, roots, dirs)?;
    Ok(Watcher {
        _inner: Box::new(watcher),
        detection: Detection::Polling { every: interval },
    })
}

fn add_watches(
    watcher: &mut dyn notify::Watcher,
    roots: &[PathBuf],
    dirs: &[PathBuf],
) -> notify::Result<()> {
    for root in roots {
        watcher.watch(root, RecursiveMode::Recursive)?;
    }
    for dir in dirs {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    Ok(())
}

/// Writes, creations, removals and renames are changes (polling reports a
/// write as a new modification time); opens, reads and other metadata
/// updates (permissions, access times) are not.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(notify::event::AccessKind::Close(notify::event::AccessMode::Write)) => {
            true
        }
        EventKind::Access(_) | EventKind::Other => false,
        EventKind::Any => true,
    }
}

/// Gathers raw events until `quiet` passes without one, then sends the batch.
async fn debounce_batches(
    mut raw: mpsc::UnboundedReceiver<Vec<PathBuf>>,
    quiet: Duration,
    batches: mpsc::UnboundedSender<Vec<PathBuf>>,
) {
    while let Some(first) = raw.recv().await {
        let mut batch: BTreeSet<PathBuf> = first.into_iter().collect();
        loop {
            match tokio::time::timeout(quiet, raw.recv()).await {
                Ok(Some(more)) => batch.extend(more),
                Ok(None) => {
                    // The watcher was replaced: hand over what was gathered.
                    let _ = batches.send(batch.into_iter().collect());
                    return;
                }
                Err(_) => break,
            }
        }
        if batches.send(batch.into_iter().collect()).is_err() {
            return;
        }
    }
}

/// Drops roots that lie inside other roots (they are watched recursively).
fn outermost(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut sorted: Vec<PathBuf> = roots.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut kept: Vec<PathBuf> = Vec::new();
    for root in sorted {
        if !kept.iter().any(|k| root.starts_with(k)) {
            kept.push(root);
        }
    }
    kept.into_iter().filter(|r| r.exists()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_roots_collapse() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir_all(a.join("b")).unwrap();
        let roots = outermost(&[a.join("b"), a.clone(), a.clone()]);
        assert_eq!(roots, vec![a]);
    }

    #[tokio::test]
    async fn a_burst_of_saves_is_one_batch_and_reads_are_not_changes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("src");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("lib.rs"), "a").unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _watcher = watch(
            std::slice::from_ref(&root),
            &[],
            WatchMode::Events,
            Duration::from_millis(150),
            Duration::from_secs(30),
            tx,
        )
        .unwrap();
        let _ = std::fs::read(root.join("lib.rs")).unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(400), rx.recv())
                .await
                .is_err(),
            "reading a file is not a change"
        );
        for i in 0..5 {
            std::fs::write(root.join("lib.rs"), format!("v{i}")).unwrap();
            std::fs::write(root.join(".lib.rs.swp"), "swap").unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let batch = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(batch, vec![root.join("lib.rs")]);
        assert!(
            tokio::time::timeout(Duration::from_millis(400), rx.recv())
                .await
                .is_err(),
            "one burst, one batch"
        );
    }

    #[tokio::test]
    async fn polling_notices_changes_without_file_events() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("src");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("lib.rs"), "a").unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let watcher = watch(
            std::slice::from_ref(&root),
            &[],
            WatchMode::Poll,
            Duration::from_millis(100),
            Duration::from_secs(1),
            tx,
        )
        .unwrap();
        assert_eq!(watcher.detection.to_string(), "polling every 1 s");
        tokio::time::sleep(Duration::from_millis(1200)).await;
        std::fs::write(root.join("lib.rs"), "changed").unwrap();
        let batch = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a poll notices the change")
            .unwrap();
        assert!(batch.contains(&root.join("lib.rs")), "{batch:?}");
    }
}
