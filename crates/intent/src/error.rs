//! The crate's error type.

/// What can go wrong outside classification itself (which never fails).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not embed the prototype sentences of version {version}: {source}")]
    Prototypes {
        version: String,
        #[source]
        source: crate::embed::EmbedError,
    },
    /// Versions are immutable: another process (or an earlier call) stored
    /// this id first. Take a fresh id from `next_version_id()` and save again.
    #[error("a model version {version} is already stored; take a fresh id from next_version_id()")]
    VersionTaken { version: String },
    #[error("model version {version} is inconsistent: {reason}; regenerate it with ModelVersion::baseline() or improve::propose()")]
    InvalidVersion { version: String, reason: String },
    #[error("intent database error: {0}; check that the data directory is writable and the file is an intent database")]
    Database(#[from] rusqlite::Error),
    #[error("stored model version {version} cannot be read: {source}; it was written by an incompatible release")]
    StoredVersion {
        version: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("could not serialise model version {version}: {source}")]
    Serialise {
        version: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "no model version {0:?} in the intent database; list them with IntentStore::versions()"
    )]
    UnknownVersion(String),
    #[error("the intent database has no deployed version; deploy one with IntentStore::deploy()")]
    NothingDeployed,
    /// A version named by a caller is not stored.
    #[error("there is no classifier version {version:?} (stored: {})", stored.join(", "))]
    NoSuchVersion {
        version: String,
        stored: Vec<String>,
    },
    /// [`crate::IntentStore::deploy_if_current`]: another deployment landed
    /// since the caller read the deployed version, so `version` was compared
    /// with a version that no longer serves.
    #[error("{version} was compared with {expected}, but {current} has been deployed since; compare {version} with {current} and deploy again")]
    DeploymentMoved {
        version: String,
        expected: String,
        current: String,
    },
}
