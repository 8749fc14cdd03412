//! Model versions, the deployed version and feedback, in SQLite.
//!
//! Both services (classification and improvement), and during a hot swap two
//! releases of each, open the same file at once. Hence:
//!
//! - WAL mode and a 5 s busy timeout, so readers never block the writer and
//!   a writer waits for another instead of failing.
//! - Every write that reads first (deploy, seeding, migrations) runs in a
//!   `BEGIN IMMEDIATE` transaction, so two processes cannot interleave.
//! - The schema version lives in `PRAGMA user_version`. Migrations are
//!   forward-only and additive (new tables, columns with defaults), so an
//!   older release keeps working on a file a newer release has migrated; a
//!   file newer than this release knows is therefore opened, not refused.
//! - Deployment is a log (`intent_deployments`); the deployed version is the
//!   latest row, found by one primary-key lookup, cheap enough for
//!   [`IntentStore::deployed_id`] to run on every request. A deployment that
//!   depends on what was deployed before
//!   ([`IntentStore::deploy_if_current`]) re-reads it inside its
//!   transaction.
//! - Tables are prefixed `intent_` so the file could share a database with
//!   other stores without name clashes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::feedback::{Correction, Feedback};
use crate::intents::{join, parse_list_lenient};
use crate::time::unix_now;
use crate::version::ModelVersion;

/// Schema migrations; entry `k` brings `user_version` from `k` to `k + 1`.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE IF NOT EXISTS intent_versions (
        id TEXT PRIMARY KEY,
        parent TEXT,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS intent_deployments (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        version_id TEXT NOT NULL REFERENCES intent_versions(id),
        deployed_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS intent_feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        question TEXT NOT NULL,
        predicted TEXT NOT NULL,
        corrected TEXT NOT NULL,
        confidence REAL NOT NULL,
        satisfied INTEGER NOT NULL,
        comment TEXT NOT NULL,
        user_id TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS intent_feedback_at ON intent_feedback(at);
"];

/// The name of the data directory the services of this database share
/// (`data = "intent"` in `hifate.toml`; `data/intent` when run by hand).
pub const DATA_NAME: &str = "intent";

/// The database's file name in a data directory, the same for every process
/// that shares it (intent_service and prompt_optimizer).
pub const DATABASE_FILE: &str = "intent.sqlite3";

/// The schema version this release writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A stored version, without its (large) body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSummary {
    pub id: String,
    pub parent: Option<String>,
    pub created_at: i64,
    pub deployed: bool,
}

/// One connection to the intent database. `Send`, not `Sync`: share it
/// behind a mutex, or open one per thread (SQLite handles the rest).
#[derive(Debug)]
pub struct IntentStore {
    conn: Connection,
    path: PathBuf,
}

fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (k, sql) in MIGRATIONS.iter().enumerate() {
        if current <= k as i64 {
            tx.execute_batch(sql)?;
        }
    }
    if current < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

/// The newest deployment's version id, if any: one lookup by primary key.
fn latest_deployment(conn: &rusqlite::Connection) -> Result<Option<String>, Error> {
    let mut stmt =
        conn.prepare_cached("SELECT version_id FROM intent_deployments ORDER BY seq DESC LIMIT 1")?;
    Ok(stmt.query_row([], |r| r.get(0)).optional()?)
}

/// Appends `id` to the deployment log inside `tx`; the new row's sequence
/// number.
fn insert_deployment(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<i64, Error> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM intent_versions WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(Error::UnknownVersion(id.to_owned()));
    }
    tx.execute(
        "INSERT INTO intent_deployments (version_id, deployed_at) VALUES (?1, ?2)",
        params![id, unix_now()],
    )?;
    Ok(tx.last_insert_rowid())
}

impl IntentStore {
    /// Opens (creating if needed) the database at `path`: WAL, busy timeout,
    /// migrations, and — on a database without versions — the baseline
    /// stored as "v1" and deployed.
    pub fn open(path: impl AsRef<Path>) -> Result<IntentStore, Error> {
        let path = path.as_ref().to_path_buf();
        let mut conn = shared_sqlite::open(&path, Duration::from_secs(5))?;
        migrate(&mut conn)?;
        let mut store = IntentStore { conn, path };
        store.seed()?;
        Ok(store)
    }

    /// Stores and deploys the baseline when there are no versions. The
    /// baseline is trained outside the transaction (it takes a moment) and
    /// the emptiness check repeated inside, so two processes opening a new
    /// file at once store it once.
    fn seed(&mut self) -> Result<(), Error> {
        if self.count_versions()? > 0 {
            return Ok(());
        }
        let baseline = ModelVersion::baseline().renamed("v1".to_owned(), None, unix_now());
        let body = serde_json::to_string(&baseline).map_err(|source| Error::Serialise {
            version: baseline.id.clone(),
            source,
        })?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n: i64 = tx.query_row("SELECT COUNT(*) FROM intent_versions", [], |r| r.get(0))?;
        if n == 0 {
            tx.execute(
                "INSERT INTO intent_versions (id, parent, created_at, body) VALUES (?1, ?2, ?3, ?4)",
                params![baseline.id, baseline.parent, baseline.created_at, body],
            )?;
            insert_deployment(&tx, &baseline.id)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn count_versions(&self) -> Result<i64, Error> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM intent_versions", [], |r| r.get(0))?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's `user_version` (may exceed [`SCHEMA_VERSION`] when a newer
    /// release migrated it).
    pub fn schema_version(&self) -> Result<i64, Error> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Stores a new version. Versions are immutable: storing an id that
    /// exists is an error, so a proposal can never overwrite a deployed
    /// version.
    pub fn save_version(&self, version: &ModelVersion) -> Result<(), Error> {
        let body = serde_json::to_string(version).map_err(|source| Error::Serialise {
            version: version.id.clone(),
            source,
        })?;
        let inserted = self.conn.execute(
            "INSERT INTO intent_versions (id, parent, created_at, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
            params![version.id, version.parent, version.created_at, body],
        )?;
        if inserted == 0 {
            return Err(Error::VersionTaken {
                version: version.id.clone(),
            });
        }
        Ok(())
    }

    /// A stored version, or [`Error::NoSuchVersion`] naming the stored ones
    /// (for a caller to pass on to whoever named the missing version).
    pub fn require_version(&self, id: &str) -> Result<ModelVersion, Error> {
        match self.version(id)? {
            Some(version) => Ok(version),
            None => Err(Error::NoSuchVersion {
                version: id.to_owned(),
                stored: self.versions()?.into_iter().map(|v| v.id).collect(),
            }),
        }
    }

    /// A stored version, or `None`. It is known by the id of its row,
    /// whatever its body says: the deployment log names rows, and a
    /// classifier whose id differed from the deployed one would look
    /// out of date on every call.
    pub fn version(&self, id: &str) -> Result<Option<ModelVersion>, Error> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM intent_versions WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b)
                .map(|version| ModelVersion {
                    id: id.to_owned(),
                    ..version
                })
                .map_err(|source| Error::StoredVersion {
                    version: id.to_owned(),
                    source,
                })
        })
        .transpose()
    }

    /// Every stored version, oldest first.
    pub fn versions(&self) -> Result<Vec<VersionSummary>, Error> {
        let deployed = self.deployed_id().ok();
        let mut stmt = self
            .conn
            .prepare("SELECT id, parent, created_at FROM intent_versions ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, parent, created_at) = row?;
            out.push(VersionSummary {
                deployed: deployed.as_deref() == Some(id.as_str()),
                id,
                parent,
                created_at,
            });
        }
        Ok(out)
    }

    /// The id of the deployed version: one lookup of the newest deployment
    /// row by primary key. Cheap enough to call on every request to notice
    /// a deployment made by another process.
    pub fn deployed_id(&self) -> Result<String, Error> {
        latest_deployment(&self.conn)?.ok_or(Error::NothingDeployed)
    }

    /// The deployed version.
    pub fn deployed(&self) -> Result<ModelVersion, Error> {
        let id = self.deployed_id()?;
        self.version(&id)?.ok_or(Error::UnknownVersion(id))
    }

    /// Deploys a stored version (the previous one stops being deployed; the
    /// log keeps when each was deployed). Returns the deployment's sequence
    /// number, unique in this database.
    pub fn deploy(&mut self, id: &str) -> Result<i64, Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = insert_deployment(&tx, id)?;
        tx.commit()?;
        Ok(seq)
    }

    /// Deploys `id` only if the deployed version is still `expected_current`,
    /// the one the caller compared it with. The check and the insert run in
    /// one `IMMEDIATE` transaction, so a deployment another process made
    /// in between (a swap runs two optimizers) is refused with
    /// [`Error::DeploymentMoved`] instead of silently replaced by a version
    /// never compared with it. Returns the deployment's sequence number.
    pub fn deploy_if_current(&mut self, id: &str, expected_current: &str) -> Result<i64, Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = latest_deployment(&tx)?;
        if current.as_deref() != Some(expected_current) {
            return Err(Error::DeploymentMoved {
                version: id.to_owned(),
                expected: expected_current.to_owned(),
                current: current.unwrap_or_default(),
            });
        }
        let seq = insert_deployment(&tx, id)?;
        tx.commit()?;
        Ok(seq)
    }

    /// When each deployment happened, newest first: (version id, unix s).
    pub fn deployments(&self) -> Result<Vec<(String, i64)>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT version_id, deployed_at FROM intent_deployments ORDER BY seq DESC")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// "v" followed by one more than the highest "vN" stored.
    pub fn next_version_id(&self) -> Result<String, Error> {
        let mut stmt = self.conn.prepare("SELECT id FROM intent_versions")?;
        let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut max = 0u64;
        for id in ids {
            if let Some(n) = id?.strip_prefix('v').and_then(|n| n.parse::<u64>().ok()) {
                max = max.max(n);
            }
        }
        Ok(format!("v{}", max + 1))
    }

    /// Stores one piece of feedback; its id.
    pub fn add_feedback(&self, f: &Feedback) -> Result<i64, Error> {
        self.conn.execute(
            "INSERT INTO intent_feedback
                (question, predicted, corrected, confidence, satisfied, comment, user_id, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                f.question,
                join(&f.predicted),
                f.corrected
                    .as_ref()
                    .map(Correction::to_stored)
                    .unwrap_or_default(),
                f64::from(f.confidence),
                f.satisfied,
                f.comment,
                f.user_id,
                f.at
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// How much feedback is stored.
    pub fn feedback_count(&self) -> Result<i64, Error> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM intent_feedback", [], |row| row.get(0))?)
    }

    /// Feedback with `from <= at < to`, oldest first.
    pub fn feedback_between(&self, from: i64, to: i64) -> Result<Vec<Feedback>, Error> {
        self.query_feedback(
            "SELECT question, predicted, corrected, confidence, satisfied, comment, user_id, at
             FROM intent_feedback WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            params![from, to],
        )
    }

    /// All feedback, oldest first.
    pub fn all_feedback(&self) -> Result<Vec<Feedback>, Error> {
        self.query_feedback(
            "SELECT question, predicted, corrected, confidence, satisfied, comment, user_id, at
             FROM intent_feedback ORDER BY at, id",
            params![],
        )
    }

    fn query_feedback(
        &self,
        sql: &str,
        p: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Feedback>, Error> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(p, |r| {
            Ok(Feedback {
                question: r.get(0)?,
                predicted: parse_list_lenient(&r.get::<_, String>(1)?),
                corrected: Correction::from_stored(&r.get::<_, String>(2)?),
                confidence: r.get::<_, f64>(3)? as f32,
                satisfied: r.get(4)?,
                comment: r.get(5)?,
                user_id: r.get(6)?,
                at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
