//! The version store: numbered, immutable artifacts per service, with history.
//!
//! Layout under the state directory:
//!
//! ```text
//! services/<name>/state.json        numbering, current version, history
//! services/<name>/versions/<N>/<bin> the artifact of version N (never rewritten)
//! services/<name>/versions/<N>/app   a command service's version: a link to …
//! services/<name>/snapshots/<hash>/  … its snapshot, kept once per content hash
//! ```
//!
//! Numbers are per service and monotonic, and survive supervisor restarts. An
//! artifact is copied in before its process starts, so a rollback or a restart
//! never depends on the source tree or the cargo target directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("version store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("version store {path} is corrupt: {source}")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{service} has no version {version}; kept versions: {kept:?}")]
    NoSuchVersion {
        service: String,
        version: u64,
        kept: Vec<u64>,
    },
    #[error("the artifact of {service} version {version} is missing ({path}); it cannot be started again")]
    ArtifactMissing {
        service: String,
        version: u64,
        path: PathBuf,
    },
    #[error("version store {path} is inconsistent: {reason}; fix or remove the file (removing it forgets the kept versions)")]
    Inconsistent { path: PathBuf, reason: String },
    #[error("{service} has no earlier good version to roll back to")]
    NothingToRollBackTo { service: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Removes a version directory that was never recorded (best effort: the
/// error that made it unwanted is the one worth reporting).
fn discard(dir: &Path) {
    if let Err(error) = std::fs::remove_dir_all(dir) {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(
                "cannot remove the unrecorded version directory {}: {error}",
                dir.display()
            );
        }
    }
}

/// Where a version's artifact came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    Build,
    Rollback { artifact_of: u64 },
}

/// Where a version is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Artifact in place; the process has not (yet) been ready.
    Staged,
    /// The route points at it.
    Serving,
    /// It served and was replaced or stopped.
    Retired,
    /// It never became ready; the reason says why.
    Failed,
    /// The supervisor stopped (or was killed) before it was ready; never a
    /// rollback target.
    Abandoned,
    /// It serves a share of new requests beside the current version.
    Canary,
    /// It served (alone or as a canary) and was rolled back within its
    /// window; the reason says why. Not a target of a plain rollback, but its
    /// artifact is kept while the count allows, to be named explicitly.
    RolledBack,
}

/// Everything known about one version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    pub version: u64,
    pub origin: Origin,
    pub source_hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub built_at: OffsetDateTime,
    pub build_ms: u64,
    /// The artifact, while it is kept.
    pub artifact: Option<PathBuf>,
    pub outcome: Outcome,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub started_serving: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub ended_serving: Option<OffsetDateTime>,
    /// Why it stopped serving, or why it failed.
    pub end_reason: Option<String>,
}

impl VersionRecord {
    /// True if it once served and its artifact is still kept: a rollback target.
    pub fn is_rollback_target(&self) -> bool {
        self.artifact.is_some() && matches!(self.outcome, Outcome::Serving | Outcome::Retired)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    next_version: u64,
    current: Option<u64>,
    history: Vec<VersionRecord>,
}

/// One service's versions.
#[derive(Debug)]
pub struct ServiceStore {
    service: String,
    dir: PathBuf,
    kept: usize,
    state: StateFile,
}

impl ServiceStore {
    /// Opens (or creates) the store of `service` under `state_dir`.
    pub fn open(state_dir: &Path, service: &str, kept: usize) -> Result<ServiceStore, StoreError> {
        let dir = state_dir.join("services").join(service);
        std::fs::create_dir_all(dir.join("versions")).map_err(io(&dir))?;
        let path = dir.join("state.json");
        let state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile {
                next_version: 1,
                ..StateFile::default()
            },
            Err(e) => return Err(io(&path)(e)),
        };
        let mut store = ServiceStore {
            service: service.to_owned(),
            dir,
            kept,
            state,
        };
        store
            .check()
            .map_err(|reason| StoreError::Inconsistent { path, reason })?;
        if store.abandon_staged() {
            store.save()?;
        }
        // Snapshots a stopped supervisor was making never became versions.
        discard(&store.dir.join("staging"));
        Ok(store)
    }

    /// A fresh directory to make a snapshot of sources hashing `hash` in
    /// (the store moves it in when it becomes a version).
    pub fn staging(&self, hash: &str) -> Result<PathBuf, StoreError> {
        let parent = self.dir.join("staging");
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let made = tempfile::Builder::new()
            .prefix(&format!("{hash}-"))
            .tempdir_in(&parent)
            .map_err(io(&parent))?;
        Ok(made.keep())
    }

    /// The invariants every write keeps; a hand-edited file may break them,
    /// and then numbers would be reused and kept artifacts overwritten.
    fn check(&self) -> Result<(), String> {
        let history = &self.state.history;
        let mut seen = std::collections::BTreeSet::new();
        for record in history {
            if !seen.insert(record.version) {
                return Err(format!("version {} is recorded twice", record.version));
            }
            if record.version >= self.state.next_version {
                return Err(format!(
                    "next_version is {} but version {} is already recorded",
                    self.state.next_version, record.version
                ));
            }
        }
        if self.state.next_version == 0 {
            return Err("next_version is 0; versions start at 1".into());
        }
        let serving: Vec<u64> = history
            .iter()
            .filter(|r| r.outcome == Outcome::Serving)
            .map(|r| r.version)
            .collect();
        match self.state.current {
            Some(current) if !seen.contains(&current) => Err(format!(
                "current is {current}, which is not in the history (recorded: {:?})",
                seen
            )),
            Some(current) if serving != [current] => Err(format!(
                "current is {current} but the versions recorded as serving are {serving:?}"
            )),
            None if !serving.is_empty() => Err(format!(
                "no current version, but versions {serving:?} are recorded as serving"
            )),
            _ => Ok(()),
        }
    }

    /// Versions left staged by a supervisor that stopped mid-swap never
    /// served: marked abandoned, artifacts removed. A canary it left was
    /// never promoted: rolled back. Returns true if any record changed.
    fn abandon_staged(&mut self) -> bool {
        let mut changed = false;
        for r in &mut self.state.history {
            if r.outcome == Outcome::Canary {
                r.outcome = Outcome::RolledBack;
                r.end_reason = Some("the supervisor stopped during its canary".into());
                changed = true;
            }
            if r.outcome == Outcome::Staged {
                r.outcome = Outcome::Abandoned;
                r.end_reason = Some("the supervisor stopped before this version was ready".into());
                if let Some(dir) = r.artifact.take().as_deref().and_then(Path::parent) {
                    discard(dir);
                }
                changed = true;
            }
        }
        changed
    }

    /// The version that was serving last (persisted), if any.
    pub fn current(&self) -> Option<&VersionRecord> {
        self.state.current.and_then(|v| self.get(v))
    }

    pub fn get(&self, version: u64) -> Option<&VersionRecord> {
        self.state.history.iter().find(|r| r.version == version)
    }

    /// History, oldest first.
    pub fn history(&self) -> &[VersionRecord] {
        &self.state.history
    }

    /// Copies a freshly built binary in as the next version (a snapshot
    /// directory, a command service's build, is moved in instead).
    pub fn stage_build(
        &mut self,
        binary: &Path,
        source_hash: &str,
        build_ms: u64,
    ) -> Result<VersionRecord, StoreError> {
        if binary.is_dir() {
            return self.stage_snapshot(binary, source_hash, build_ms);
        }
        let version = self.state.next_version;
        let file_name = binary.file_name().unwrap_or(self.service.as_ref());
        let dir = self.dir.join("versions").join(version.to_string());
        let artifact = dir.join(file_name);
        let partial = dir.join(".partial");
        let copied = std::fs::create_dir_all(&dir)
            .map_err(io(&dir))
            .and_then(|()| std::fs::copy(binary, &partial).map_err(io(&partial)))
            .and_then(|_| std::fs::rename(&partial, &artifact).map_err(io(&artifact)));
        if let Err(error) = copied {
            // Nothing half-written is left behind (a full disk must not
            // leave a partial artifact that looks like a version).
            discard(&dir);
            return Err(error);
        }
        self.push_build(version, source_hash, build_ms, artifact)
    }

    /// Stages the artifact of `target` (default: the good version before the
    /// current one) as a new version number.
    pub fn stage_rollback(&mut self, target: Option<u64>) -> Result<VersionRecord, StoreError> {
        let source = match target {
            Some(version) => self
                .get(version)
                .filter(|r| r.artifact.is_some())
                .cloned()
                .ok_or_else(|| StoreError::NoSuchVersion {
                    service: self.service.clone(),
                    version,
                    kept: self.kept_versions(),
                })?,
            None => {
                let current = self.state.current.unwrap_or(u64::MAX);
                let current_hash = self.current().map(|r| r.source_hash.clone());
                self.state
                    .history
                    .iter()
                    .rev()
                    .filter(|r| r.version < current && r.is_rollback_target())
                    // "previous" means previous code, not an earlier rollback to the same code
                    .find(|r| Some(&r.source_hash) != current_hash.as_ref())
                    .cloned()
                    .ok_or_else(|| StoreError::NothingToRollBackTo {
                        service: self.service.clone(),
                    })?
            }
        };
        let Some(from) = source.artifact.as_ref() else {
            return Err(StoreError::NoSuchVersion {
                service: self.service.clone(),
                version: source.version,
                kept: self.kept_versions(),
            });
        };
        if !from.exists() {
            return Err(StoreError::ArtifactMissing {
                service: self.service.clone(),
                version: source.version,
                path: from.clone(),
            });
        }
        let version = self.state.next_version;
        let dir = self.dir.join("versions").join(version.to_string());
        let artifact = dir.join(from.file_name().unwrap_or(self.service.as_ref()));
        let linked = std::fs::create_dir_all(&dir)
            .map_err(io(&dir))
            .and_then(|()| match std::fs::hard_link(from, &artifact) {
                Ok(()) => Ok(()),
                Err(_) => std::fs::copy(from, &artifact)
                    .map(|_| ())
                    .map_err(io(&artifact)),
            });
        if let Err(error) = linked {
            discard(&dir);
            return Err(error);
        }
        self.push(VersionRecord {
            version,
            origin: Origin::Rollback {
                artifact_of: source.version,
            },
            source_hash: source.source_hash.clone(),
            built_at: source.built_at,
            build_ms: 0,
            artifact: Some(artifact),
            outcome: Outcome::Staged,
            started_serving: None,
            ended_serving: None,
            end_reason: None,
        })
    }

    /// Moves a snapshot directory in under its content hash (a snapshot of
    /// the same hash already kept is used instead: same sources, same
    /// commands) and stages the next version as a link to it.
    fn stage_snapshot(
        &mut self,
        snapshot: &Path,
        source_hash: &str,
        build_ms: u64,
    ) -> Result<VersionRecord, StoreError> {
        let kept = self.dir.join("snapshots").join(source_hash);
        if kept.exists() {
            discard(snapshot);
        } else {
            let parent = self.dir.join("snapshots");
            std::fs::create_dir_all(&parent).map_err(io(&parent))?;
            std::fs::rename(snapshot, &kept).map_err(io(&kept))?;
        }
        let version = self.state.next_version;
        let dir = self.dir.join("versions").join(version.to_string());
        let artifact = dir.join("app");
        // Relative, so the state directory can move.
        let target = Path::new("../../snapshots").join(source_hash);
        let linked = std::fs::create_dir_all(&dir)
            .map_err(io(&dir))
            .and_then(|()| std::os::unix::fs::symlink(&target, &artifact).map_err(io(&artifact)));
        if let Err(error) = linked {
            discard(&dir);
            return Err(error);
        }
        self.push_build(version, source_hash, build_ms, artifact)
    }

    /// Records a freshly built artifact, in place, as staged `version`.
    fn push_build(
        &mut self,
        version: u64,
        source_hash: &str,
        build_ms: u64,
        artifact: PathBuf,
    ) -> Result<VersionRecord, StoreError> {
        self.push(VersionRecord {
            version,
            origin: Origin::Build,
            source_hash: source_hash.to_owned(),
            built_at: OffsetDateTime::now_utc(),
            build_ms,
            artifact: Some(artifact),
            outcome: Outcome::Staged,
            started_serving: None,
            ended_serving: None,
            end_reason: None,
        })
    }

    /// Removes the snapshots no kept version links to any more.
    fn collect_snapshots(&self) {
        let Ok(entries) = std::fs::read_dir(self.dir.join("snapshots")) else {
            return;
        };
        let linked: std::collections::BTreeSet<std::ffi::OsString> = self
            .state
            .history
            .iter()
            .filter_map(|r| r.artifact.as_deref())
            .filter_map(|a| std::fs::read_link(a).ok())
            .filter_map(|target| target.file_name().map(ToOwned::to_owned))
            .collect();
        for entry in entries.flatten() {
            if !linked.contains(&entry.file_name()) {
                discard(&entry.path());
            }
        }
    }

    /// Records a staged version. If the state file cannot be written, the
    /// version is forgotten again (memory and disk agree), its artifact
    /// removed.
    fn push(&mut self, record: VersionRecord) -> Result<VersionRecord, StoreError> {
        let next_before = self.state.next_version;
        self.state.next_version = record.version + 1;
        self.state.history.push(record.clone());
        if let Err(error) = self.save() {
            self.state.history.pop();
            self.state.next_version = next_before;
            if let Some(dir) = record.artifact.as_deref().and_then(Path::parent) {
                discard(dir);
            }
            return Err(error);
        }
        Ok(record)
    }

    /// `version` now serves; the previous current one is retired.
    pub fn mark_serving(&mut self, version: u64) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        let previous = self.state.current.replace(version);
        for r in &mut self.state.history {
            if r.version == version {
                r.outcome = Outcome::Serving;
                r.started_serving.get_or_insert(now);
            } else if Some(r.version) == previous && previous != Some(version) {
                r.outcome = Outcome::Retired;
                r.ended_serving = Some(now);
                r.end_reason = Some(format!("replaced by version {version}"));
            }
        }
        self.prune(previous.filter(|&p| p != version));
        self.save()
    }

    /// `version` now serves a share of new requests beside the current one.
    pub fn mark_canary(&mut self, version: u64) -> Result<(), StoreError> {
        if let Some(r) = self.state.history.iter_mut().find(|r| r.version == version) {
            r.outcome = Outcome::Canary;
            r.started_serving.get_or_insert(OffsetDateTime::now_utc());
        }
        self.save()
    }

    /// `version` was rolled back within its window for `reason`. When it
    /// was current, `restored` (the warm version that took its place) is
    /// current again; a canary's rollback leaves the current version alone.
    pub fn mark_rolled_back(
        &mut self,
        version: u64,
        restored: Option<u64>,
        reason: &str,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        if let Some(restored) = restored {
            self.state.current = Some(restored);
        }
        for r in &mut self.state.history {
            if r.version == version {
                r.outcome = Outcome::RolledBack;
                r.ended_serving = Some(now);
                r.end_reason = Some(reason.to_owned());
            } else if Some(r.version) == restored {
                r.outcome = Outcome::Serving;
                r.ended_serving = None;
                r.end_reason = None;
            }
        }
        self.save()
    }

    /// `version` failed before serving: recorded with its reason, artifact removed.
    pub fn mark_failed(&mut self, version: u64, reason: &str) -> Result<(), StoreError> {
        if let Some(r) = self.state.history.iter_mut().find(|r| r.version == version) {
            r.outcome = Outcome::Failed;
            r.end_reason = Some(reason.to_owned());
            if let Some(artifact) = r.artifact.take() {
                if let Some(dir) = artifact.parent() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
        }
        self.collect_snapshots();
        self.save()
    }

    /// Version numbers whose artifacts are kept.
    pub fn kept_versions(&self) -> Vec<u64> {
        self.state
            .history
            .iter()
            .filter(|r| r.artifact.is_some())
            .map(|r| r.version)
            .collect()
    }

    /// Keeps the newest `kept` artifacts; older ones are deleted but stay in
    /// the history. The current version's artifact is always kept, and so is
    /// `replaced`'s, the version the current one just replaced: its process
    /// may still run, warm through a bake window or draining, and a rollback
    /// to it, or a restart of it after a crash, needs its artifact. (With
    /// `versions_kept = 1` that makes two for a while; the next switch
    /// prunes it.)
    fn prune(&mut self, replaced: Option<u64>) {
        let live = [self.state.current, replaced];
        let mut with_artifact: Vec<usize> = (0..self.state.history.len())
            .filter(|&i| self.state.history[i].artifact.is_some())
            .collect();
        while with_artifact.len() > self.kept {
            let Some(pos) = with_artifact
                .iter()
                .position(|&i| !live.contains(&Some(self.state.history[i].version)))
            else {
                break;
            };
            let i = with_artifact.remove(pos);
            if let Some(artifact) = self.state.history[i].artifact.take() {
                // Rollback artifacts are hard links: removing one never
                // removes the bytes another kept version still links to.
                if let Some(dir) = artifact.parent() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
        }
        let max_history = self.kept * 10;
        while self.state.history.len() > max_history {
            // The oldest record goes, unless its process may still run.
            let Some(oldest) = self
                .state
                .history
                .iter()
                .position(|r| !live.contains(&Some(r.version)))
            else {
                break;
            };
            let record = self.state.history.remove(oldest);
            if let Some(dir) = record.artifact.as_ref().and_then(|a| a.parent()) {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        self.collect_snapshots();
    }

    fn save(&self) -> Result<(), StoreError> {
        let path = self.dir.join("state.json");
        let partial = self.dir.join("state.json.partial");
        let bytes =
            serde_json::to_vec_pretty(&self.state).map_err(|source| StoreError::Corrupt {
                path: path.clone(),
                source,
            })?;
        let written = std::fs::write(&partial, bytes)
            .map_err(io(&partial))
            .and_then(|()| std::fs::rename(&partial, &path).map_err(io(&path)));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(dir: &Path, content: &str) -> PathBuf {
        let path = dir.join("svc");
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn numbers_persist_and_rollback_uses_kept_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ServiceStore::open(dir.path(), "svc", 3).unwrap();
        for i in 1..=5u64 {
            let v = store
                .stage_build(&binary(dir.path(), &format!("v{i}")), &format!("h{i}"), 10)
                .unwrap();
            assert_eq!(v.version, i);
            store.mark_serving(i).unwrap();
        }
        assert_eq!(store.kept_versions(), vec![3, 4, 5]);
        let rollback = store.stage_rollback(None).unwrap();
        assert_eq!(rollback.version, 6);
        assert_eq!(rollback.origin, Origin::Rollback { artifact_of: 4 });
        let bytes = std::fs::read_to_string(rollback.artifact.as_ref().unwrap()).unwrap();
        assert_eq!(bytes, "v4");
        store.mark_serving(6).unwrap();

        let reopened = ServiceStore::open(dir.path(), "svc", 3).unwrap();
        assert_eq!(reopened.current().unwrap().version, 6);
        assert_eq!(reopened.get(5).unwrap().outcome, Outcome::Retired);
        let err = ServiceStore::open(dir.path(), "svc", 3)
            .unwrap()
            .stage_rollback(Some(1))
            .unwrap_err();
        assert!(err.to_string().contains("no version 1"), "{err}");
    }

    #[test]
    fn the_replaced_version_keeps_its_artifact_until_the_next_switch() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ServiceStore::open(dir.path(), "svc", 1).unwrap();
        for i in 1..=2u64 {
            store
                .stage_build(&binary(dir.path(), &format!("v{i}")), &format!("h{i}"), 1)
                .unwrap();
            store.mark_serving(i).unwrap();
        }
        // Version 1 may still run (warm in version 2's bake window): a
        // rollback to it, or a restart of it, has its artifact.
        assert_eq!(store.kept_versions(), vec![1, 2]);
        let artifact = store.get(1).unwrap().artifact.clone().unwrap();
        assert_eq!(std::fs::read_to_string(artifact).unwrap(), "v1");
        store
            .stage_build(&binary(dir.path(), "v3"), "h3", 1)
            .unwrap();
        store.mark_serving(3).unwrap();
        assert_eq!(store.kept_versions(), vec![2, 3]);
    }

    #[test]
    fn failed_versions_are_recorded_and_not_rollback_targets() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ServiceStore::open(dir.path(), "svc", 10).unwrap();
        store.stage_build(&binary(dir.path(), "a"), "a", 1).unwrap();
        store.mark_serving(1).unwrap();
        store.stage_build(&binary(dir.path(), "b"), "b", 1).unwrap();
        store.mark_failed(2, "exited with status 3").unwrap();
        assert_eq!(store.current().unwrap().version, 1);
        assert_eq!(
            store.get(2).unwrap().end_reason.as_deref(),
            Some("exited with status 3")
        );
        assert!(store.get(2).unwrap().artifact.is_none());
        assert!(matches!(
            store.stage_rollback(None),
            Err(StoreError::NothingToRollBackTo { .. })
        ));
    }

    fn edit_state(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = dir.join("services/svc/state.json");
        let mut value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut value);
        std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
    }

    fn two_versions(dir: &Path) {
        let mut store = ServiceStore::open(dir, "svc", 10).unwrap();
        for i in 1..=2u64 {
            store
                .stage_build(&binary(dir, &format!("v{i}")), &format!("h{i}"), 1)
                .unwrap();
            store.mark_serving(i).unwrap();
        }
    }

    #[test]
    fn hand_edited_numbers_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        two_versions(dir.path());
        edit_state(dir.path(), |v| v["current"] = 99.into());
        let err = ServiceStore::open(dir.path(), "svc", 10)
            .unwrap_err()
            .to_string();
        assert!(err.contains("current is 99"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        two_versions(dir.path());
        edit_state(dir.path(), |v| v["next_version"] = 2.into());
        let err = ServiceStore::open(dir.path(), "svc", 10)
            .unwrap_err()
            .to_string();
        assert!(err.contains("next_version is 2"), "{err}");
    }

    #[test]
    fn versions_left_staged_are_abandoned_and_never_rollback_targets() {
        let dir = tempfile::tempdir().unwrap();
        two_versions(dir.path());
        {
            let mut store = ServiceStore::open(dir.path(), "svc", 10).unwrap();
            store
                .stage_build(&binary(dir.path(), "v3"), "h3", 1)
                .unwrap();
            // The supervisor dies here, before version 3 is ready.
        }
        let mut store = ServiceStore::open(dir.path(), "svc", 10).unwrap();
        let abandoned = store.get(3).unwrap();
        assert_eq!(abandoned.outcome, Outcome::Abandoned);
        assert!(abandoned.artifact.is_none());
        assert!(!dir.path().join("services/svc/versions/3").exists());
        assert!(store.stage_rollback(Some(3)).is_err());
        assert_eq!(store.current().unwrap().version, 2);
        // Numbering goes on past the abandoned version.
        let next = store
            .stage_build(&binary(dir.path(), "v4"), "h4", 1)
            .unwrap();
        assert_eq!(next.version, 4);
    }

    #[test]
    fn a_version_rolled_back_in_its_window_gives_current_back_and_keeps_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        two_versions(dir.path());
        let mut store = ServiceStore::open(dir.path(), "svc", 10).unwrap();
        // Baked version 3 fails: version 2, kept warm, is current again.
        store
            .stage_build(&binary(dir.path(), "v3"), "h3", 1)
            .unwrap();
        store.mark_serving(3).unwrap();
        store
            .mark_rolled_back(3, Some(2), "exited with status 1")
            .unwrap();
        // Canary version 4 fails: version 2 stays current.
        store
            .stage_build(&binary(dir.path(), "v4"), "h4", 1)
            .unwrap();
        store.mark_canary(4).unwrap();
        assert_eq!(store.get(4).unwrap().outcome, Outcome::Canary);
        store
            .mark_rolled_back(4, None, "7 faults in 20 calls")
            .unwrap();
        // A canary the supervisor left behind was never promoted.
        store
            .stage_build(&binary(dir.path(), "v5"), "h5", 1)
            .unwrap();
        store.mark_canary(5).unwrap();

        let reopened = ServiceStore::open(dir.path(), "svc", 10).unwrap();
        assert_eq!(reopened.current().unwrap().version, 2);
        let two = reopened.get(2).unwrap();
        assert_eq!((&two.outcome, &two.end_reason), (&Outcome::Serving, &None));
        for (version, reason) in [
            (3, "exited with status 1"),
            (4, "7 faults in 20 calls"),
            (5, "the supervisor stopped during its canary"),
        ] {
            let record = reopened.get(version).unwrap();
            assert_eq!(record.outcome, Outcome::RolledBack);
            assert_eq!(record.end_reason.as_deref(), Some(reason));
            assert!(!record.is_rollback_target());
            assert!(record.artifact.is_some(), "kept, to be named explicitly");
        }
        // "The previous version" skips the rolled-back ones.
        let mut reopened = reopened;
        let previous = reopened.stage_rollback(None).unwrap();
        assert_eq!(previous.origin, Origin::Rollback { artifact_of: 1 });
    }

    #[test]
    fn snapshots_are_kept_once_per_hash_linked_by_versions_and_collected() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ServiceStore::open(dir.path(), "svc", 2).unwrap();
        let snapshot = |store: &ServiceStore, hash: &str, text: &str| {
            let staged = store.staging(hash).unwrap();
            std::fs::write(staged.join("server.py"), text).unwrap();
            staged
        };
        for (hash, text) in [("h1", "v1"), ("h2", "v2"), ("h1", "v1 again")] {
            let staged = snapshot(&store, hash, text);
            let record = store.stage_build(&staged, hash, 1).unwrap();
            store.mark_serving(record.version).unwrap();
            assert!(!staged.exists(), "moved in, or dropped for the kept one");
        }
        let read = |store: &ServiceStore, v: u64| {
            let artifact = store.get(v).unwrap().artifact.clone().unwrap();
            std::fs::read_to_string(artifact.join("server.py")).unwrap()
        };
        // Version 3 has the hash of version 1: the snapshot kept first.
        assert_eq!(read(&store, 3), "v1");
        assert_eq!(read(&store, 2), "v2");
        let snapshots = || {
            let mut names: Vec<String> =
                std::fs::read_dir(dir.path().join("services/svc/snapshots"))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
            names.sort();
            names
        };
        assert_eq!(snapshots(), ["h1", "h2"]);
        // A rollback links the same snapshot under a new number.
        let rollback = store.stage_rollback(Some(2)).unwrap();
        store.mark_serving(rollback.version).unwrap();
        assert_eq!(read(&store, 4), "v2");
        // Two kept: versions 3 and 4; version 2's link is gone, its
        // snapshot stays for version 4, and both hashes are still linked.
        assert_eq!(store.kept_versions(), [3, 4]);
        assert_eq!(snapshots(), ["h1", "h2"]);
        let staged = snapshot(&store, "h3", "v3");
        let record = store.stage_build(&staged, "h3", 1).unwrap();
        store.mark_failed(record.version, "SyntaxError").unwrap();
        assert_eq!(
            snapshots(),
            ["h1", "h2"],
            "a failed version's snapshot goes"
        );
        // A supervisor that stopped mid-snapshot leaves nothing behind.
        let _left = store.staging("h4").unwrap();
        drop(store);
        ServiceStore::open(dir.path(), "svc", 2).unwrap();
        assert!(!dir.path().join("services/svc/staging").exists());
    }

    #[test]
    fn a_failed_copy_leaves_no_partial_files_and_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        two_versions(dir.path());
        let mut store = ServiceStore::open(dir.path(), "svc", 10).unwrap();
        // The next version's directory cannot be created: a file is in the way.
        let blocker = dir.path().join("services/svc/versions/3");
        std::fs::write(&blocker, "").unwrap();
        let err = store
            .stage_build(&binary(dir.path(), "v3"), "h3", 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("versions/3"), "{err}");
        std::fs::remove_file(&blocker).unwrap();
        assert_eq!(store.history().len(), 2);
        let next = store
            .stage_build(&binary(dir.path(), "v3"), "h3", 1)
            .unwrap();
        assert_eq!(next.version, 3);
        let leftovers: Vec<_> = walkdir::WalkDir::new(dir.path().join("services/svc"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
