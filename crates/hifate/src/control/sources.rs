//! Which files make up each service: its cargo package plus every path
//! (non-registry) package it depends on, from `cargo metadata`.
//!
//! A service's code is a whole build — the binary and its dependency closure —
//! so a change to a shared crate belongs to every service that depends on it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};

use crate::config::{Config, Program, ServiceConfig};

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("cargo metadata failed in {workspace}: {source}")]
    Metadata {
        workspace: PathBuf,
        source: Box<cargo_metadata::Error>,
    },
    #[error(
        "service {service}: cargo package {package:?} is not a member of the workspace {workspace}"
    )]
    UnknownPackage {
        service: String,
        package: String,
        workspace: PathBuf,
    },
}

/// The directories whose files belong to one service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSet {
    /// Package directories (the service's own first) and extra watch paths.
    pub roots: Vec<PathBuf>,
    /// Single files outside the roots that also shape the build: the
    /// workspace manifest (shared dependencies, profiles).
    pub files: Vec<PathBuf>,
    /// Paths never considered part of the sources (state and target dirs).
    pub excluded: Vec<PathBuf>,
    /// Text that belongs to the version besides the files (a command
    /// service's `run` and `build` lines); empty for cargo services.
    pub salt: Vec<String>,
}

impl SourceSet {
    /// True if `path` lies under one of the roots and is not ignored.
    pub fn contains(&self, path: &Path) -> bool {
        if self.files.iter().any(|f| f == path) {
            return true;
        }
        !self.excluded.iter().any(|e| path.starts_with(e))
            && self.roots.iter().any(|root| {
                // Only the part below the root counts: the root itself may
                // live in a hidden directory (a temp dir, say).
                path.strip_prefix(root).is_ok_and(|relative| {
                    !is_ignored(relative)
                        && !relative
                            .components()
                            .next()
                            .filter(|_| relative.components().count() > 1)
                            .is_some_and(|top| is_not_in_binary(&top.as_os_str().to_string_lossy()))
                })
            })
    }

    /// Every source file, sorted, without duplicates.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: BTreeSet<PathBuf> =
            self.files.iter().filter(|f| f.is_file()).cloned().collect();
        for root in &self.roots {
            let walker = walkdir::WalkDir::new(root)
                .follow_links(false)
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !self.skips(e));
            for entry in walker.flatten() {
                if entry.file_type().is_file() {
                    files.insert(entry.into_path());
                }
            }
        }
        files.into_iter().collect()
    }

    /// True for a walked entry below a root that is not source.
    fn skips(&self, entry: &walkdir::DirEntry) -> bool {
        let name = entry.file_name().to_string_lossy();
        let is_dir = entry.file_type().is_dir();
        is_ignored_name(&name, is_dir)
            || (entry.depth() == 1 && is_dir && is_not_in_binary(&name))
            || self.excluded.iter().any(|x| entry.path().starts_with(x))
    }

    /// A content hash over every source file's path and bytes: two builds
    /// from the same hash are the same code.
    pub fn hash(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        for line in &self.salt {
            hasher.update(line.as_bytes());
            hasher.update(&[0]);
        }
        for file in self.files() {
            hasher.update(file.as_os_str().as_encoded_bytes());
            hasher.update(&[0]);
            match std::fs::read(&file) {
                Ok(bytes) => {
                    hasher.update(&(bytes.len() as u64).to_le_bytes());
                    hasher.update(&bytes);
                }
                Err(_) => {
                    hasher.update(b"<unreadable>");
                }
            }
        }
        hasher.finalize().to_hex()[..16].to_owned()
    }
}

/// Directory names and file names that never count as source: build output,
/// VCS data, hidden files, and the temporary files editors write while saving.
pub fn is_ignored_name(name: &str, is_dir: bool) -> bool {
    if name.starts_with('.') {
        return true;
    }
    if is_dir {
        return matches!(name, "target" | "node_modules" | "__pycache__");
    }
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.ends_with(".orig")
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
}

/// Package subdirectories that never go into a service's binary: editing a
/// test or an example does not reload anything.
fn is_not_in_binary(top_level_dir: &str) -> bool {
    matches!(top_level_dir, "tests" | "benches" | "examples")
}

/// True if any component of `path` is an ignored name.
pub fn is_ignored(path: &Path) -> bool {
    let components: Vec<_> = path.components().collect();
    components.iter().enumerate().any(|(i, c)| match c {
        std::path::Component::Normal(name) => {
            is_ignored_name(&name.to_string_lossy(), i + 1 < components.len())
        }
        _ => false,
    })
}

/// Resolves each service's [`SourceSet`]: a cargo service's with `cargo
/// metadata` (run only when there is one), a command service's from its
/// `sources`.
pub fn discover(config: &Config) -> Result<BTreeMap<String, SourceSet>, SourcesError> {
    let workspace = &config.settings.workspace;
    let has_cargo = config
        .services
        .iter()
        .any(|s| matches!(s.program(), Program::Cargo { .. }));
    let metadata = if has_cargo {
        let metadata = MetadataCommand::new()
            .current_dir(workspace)
            .manifest_path(workspace.join("Cargo.toml"))
            .exec()
            .map_err(|source| SourcesError::Metadata {
                workspace: workspace.clone(),
                source: Box::new(source),
            })?;
        Some(metadata)
    } else {
        None
    };
    let mut excluded = vec![config.settings.state_dir.clone()];
    match (&config.settings.target_dir, &metadata) {
        (Some(target), _) => excluded.push(target.clone()),
        (None, Some(metadata)) => {
            excluded.push(metadata.target_directory.clone().into_std_path_buf())
        }
        (None, None) => {}
    }

    let mut sets = BTreeMap::new();
    for service in &config.services {
        let set = match (service.program(), &metadata) {
            (Program::Command(spec), _) => {
                // Directories are watched as trees; single files through
                // their directories, so an editor replacing one is seen.
                let (roots, files): (Vec<PathBuf>, Vec<PathBuf>) = spec
                    .sources
                    .iter()
                    .chain(&service.watch)
                    .map(|p| workspace.join(p))
                    .partition(|p| p.is_dir());
                SourceSet {
                    roots,
                    files,
                    excluded: excluded.clone(),
                    // The commands are part of what a version is: the same files
                    // run or built another way are another version.
                    salt: spec
                        .build
                        .into_iter()
                        .chain([spec.run])
                        .map(|command| command.join("\u{1f}"))
                        .collect(),
                }
            }
            (Program::Cargo { package, .. }, Some(metadata)) => {
                cargo_sources(service, package, metadata, workspace, &excluded)?
            }
            (Program::Cargo { package, .. }, None) => {
                return Err(SourcesError::UnknownPackage {
                    service: service.name.clone(),
                    package: package.to_owned(),
                    workspace: workspace.clone(),
                })
            }
        };
        sets.insert(service.name.clone(), set);
    }
    Ok(sets)
}

/// A cargo service's package directory, every path package it depends on
/// (normal and build dependencies), its extra watch paths and the workspace
/// manifest.
fn cargo_sources(
    service: &ServiceConfig,
    package: &str,
    metadata: &cargo_metadata::Metadata,
    workspace: &Path,
    excluded: &[PathBuf],
) -> Result<SourceSet, SourcesError> {
    let packages: BTreeMap<&PackageId, &cargo_metadata::Package> =
        metadata.packages.iter().map(|p| (&p.id, p)).collect();
    let nodes: BTreeMap<&PackageId, &cargo_metadata::Node> = metadata
        .resolve
        .as_ref()
        .map(|r| r.nodes.iter().map(|n| (&n.id, n)).collect())
        .unwrap_or_default();
    let root_pkg = metadata
        .workspace_packages()
        .into_iter()
        .find(|p| p.name.as_str() == package)
        .ok_or_else(|| SourcesError::UnknownPackage {
            service: service.name.clone(),
            package: package.to_owned(),
            workspace: workspace.to_path_buf(),
        })?;
    let mut roots = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([&root_pkg.id]);
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        let Some(pkg) = packages.get(id) else {
            continue;
        };
        if pkg.source.is_some() {
            continue; // registry or git: not edited in place
        }
        if let Some(dir) = pkg.manifest_path.parent() {
            roots.push(dir.to_path_buf().into_std_path_buf());
        }
        if let Some(node) = nodes.get(id) {
            for dep in &node.deps {
                let runtime = dep
                    .dep_kinds
                    .iter()
                    .any(|k| matches!(k.kind, DependencyKind::Normal | DependencyKind::Build));
                if runtime {
                    queue.push_back(&dep.pkg);
                }
            }
        }
    }
    roots.extend(service.watch.iter().map(|p| workspace.join(p)));
    // Cargo.lock is left out on purpose: cargo itself rewrites it during
    // builds, which would make every build look like a change.
    let manifest = metadata
        .workspace_root
        .join("Cargo.toml")
        .into_std_path_buf();
    let files = if roots.iter().any(|r| manifest.starts_with(r)) {
        Vec::new()
    } else {
        vec![manifest]
    };
    Ok(SourceSet {
        roots,
        files,
        excluded: excluded.to_vec(),
        salt: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_and_build_files_are_ignored() {
        for p in [
            "/w/svc/src/.main.rs.swp",
            "/w/svc/src/main.rs~",
            "/w/svc/target/debug/x",
            "/w/.git/index",
            "/w/svc/src/#main.rs#",
            "/w/svc/src/4913",
        ] {
            assert!(is_ignored(Path::new(p)), "{p}");
        }
        assert!(!is_ignored(Path::new("/w/svc/src/main.rs")));
        assert!(!is_ignored(Path::new("/w/svc/Cargo.toml")));
    }

    #[test]
    fn files_and_hash_follow_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("svc");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join("src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("src/main.rs~"), "old").unwrap();
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::write(root.join("tests/it.rs"), "#[test] fn t() {}").unwrap();
        std::fs::write(root.join("target/junk"), "x").unwrap();
        let set = SourceSet {
            roots: vec![root.clone()],
            files: vec![],
            excluded: vec![],
            salt: vec![],
        };
        assert_eq!(set.files(), vec![root.join("src/main.rs")]);
        let before = set.hash();
        std::fs::write(root.join("target/junk"), "y").unwrap();
        assert_eq!(set.hash(), before, "ignored files do not change the hash");
        std::fs::write(root.join("src/main.rs"), "fn main() { }").unwrap();
        assert_ne!(set.hash(), before);
        assert!(set.contains(&root.join("src/main.rs")));
        assert!(!set.contains(&root.join("src/.x.swp")));
        assert!(
            !set.contains(&root.join("tests/it.rs")),
            "tests are not in the binary"
        );
    }
}
