//! The rule store: one SQLite file, shared by every process that opens it.
//!
//! * **Sharing.** The file is opened in WAL mode with a busy timeout, so the
//!   old and the new version of a service (during a hot swap) can read and
//!   write it at once. Every write runs in a `BEGIN IMMEDIATE` transaction.
//! * **Rule-set version.** The one-row table `rule_set_version` holds a
//!   counter that every write (create, update, enable, disable, delete,
//!   corpus load) increments in the same transaction. [`RuleStore::version`]
//!   reads it (one indexed row, microseconds), so a process notices a change
//!   made by another one and calls [`RuleStore::load_rule_set`] again.
//! * **Migrations** are numbered, listed in [`MIGRATIONS`], and recorded in
//!   `schema_migrations (version, name, applied_at)`. Opening applies the
//!   missing ones in one immediate transaction (so two processes opening a
//!   new file at once do not both migrate). They only add (tables, columns
//!   with defaults, indexes), so an older binary still works on a file a
//!   newer one migrated: it ignores versions it does not know, and its
//!   statements name their columns.
//! * **Corpus.** On open, if the database has no rules and its rule-set
//!   version is 0 (nothing was ever written), the built-in corpus
//!   ([`crate::corpus::corpus`]) is loaded in one transaction. A database
//!   whose rules were all deleted on purpose is left empty;
//!   [`RuleStore::load_corpus`] loads the corpus into any empty database.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use serde_json::Value;
pub use shared_sqlite::rule_set::OpenOptions;
use shared_sqlite::rule_set::{change_rules, read_version, Seed};
pub use shared_sqlite::Migration;
use shared_sqlite::{MigrationLog, Migrations, SharedConnection, SQL_NOW as NOW};
use thiserror::Error;

use crate::condition::CompileError;
use crate::rule::{
    validate_content, validate_name, validate_type, CompiledRule, NewRule, Rule, RuleError,
    RuleSet, RuleUpdate, SkippedRule,
};

/// A failed store operation.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite failed (I/O, lock held past the busy timeout, …).
    #[error("rule store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A rule with this code exists already.
    #[error("rule {code:?} exists already")]
    Duplicate {
        /// The code.
        code: String,
    },
    /// No rule has this code.
    #[error("no rule {code:?}")]
    NotFound {
        /// The code.
        code: String,
    },
    /// The rule's condition was refused; nothing was written.
    #[error("rule {code:?}: conditions: {source}")]
    InvalidConditions {
        /// The rule's code.
        code: String,
        /// The refused node and why.
        source: CompileError,
    },
    /// Another field of the rule was refused; nothing was written.
    #[error("rule {code:?}: {field}: {message}")]
    InvalidField {
        /// The rule's code.
        code: String,
        /// `code`, `name`, `type` or `content`.
        field: &'static str,
        /// What was expected.
        message: String,
    },
    /// A stored JSON column does not parse (the file was edited by hand?).
    #[error("rule {code:?}: stored {column} is not JSON: {source}")]
    CorruptJson {
        /// The rule's code.
        code: String,
        /// `conditions` or `content`.
        column: &'static str,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl StoreError {
    fn invalid(code: &str, e: RuleError) -> StoreError {
        match e {
            RuleError::Conditions(source) => StoreError::InvalidConditions {
                code: code.to_owned(),
                source,
            },
            RuleError::Field { field, message } => StoreError::InvalidField {
                code: code.to_owned(),
                field,
                message,
            },
        }
    }
}

/// Every migration, in order.
pub const MIGRATIONS: [Migration; 2] = [
    Migration {
        version: 1,
        name: "rules and rule-set version",
        sql: "
            CREATE TABLE rules (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                conditions TEXT NOT NULL,
                content TEXT NOT NULL,
                priority INTEGER NOT NULL DEFAULT 0,
                enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE TABLE rule_set_version (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                version INTEGER NOT NULL
            );
            INSERT INTO rule_set_version (id, version) VALUES (1, 0);
        ",
    },
    Migration {
        version: 2,
        name: "rule source (corpus or user) and an index by type",
        sql: "
            ALTER TABLE rules ADD COLUMN source TEXT NOT NULL DEFAULT 'user';
            CREATE INDEX rules_type_enabled ON rules (type, enabled);
        ",
    },
];

/// The migrations as this store has always recorded them.
const SCHEMA: Migrations = Migrations::new(MigrationLog::Table, &MIGRATIONS);

/// Rule counts of one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeCount {
    /// The type.
    #[serde(rename = "type")]
    pub rule_type: String,
    /// All rules of the type.
    pub total: u64,
    /// Enabled rules of the type.
    pub enabled: u64,
}

/// Counts over the whole store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// All rules.
    pub total: u64,
    /// Enabled rules.
    pub enabled: u64,
    /// Disabled rules.
    pub disabled: u64,
    /// Per type, by type name.
    pub by_type: Vec<TypeCount>,
    /// The rule-set version.
    pub version: u64,
    /// The highest applied migration.
    pub schema_version: i64,
}

const COLUMNS: &str =
    "id, code, name, type, conditions, content, priority, enabled, source, created_at, updated_at";

/// A rule row as stored, JSON columns not yet parsed.
struct RawRule {
    id: i64,
    code: String,
    name: String,
    rule_type: String,
    conditions: String,
    content: String,
    priority: i64,
    enabled: bool,
    source: String,
    created_at: String,
    updated_at: String,
}

impl RawRule {
    fn read(row: &Row<'_>) -> rusqlite::Result<RawRule> {
        Ok(RawRule {
            id: row.get(0)?,
            code: row.get(1)?,
            name: row.get(2)?,
            rule_type: row.get(3)?,
            conditions: row.get(4)?,
            content: row.get(5)?,
            priority: row.get(6)?,
            enabled: row.get(7)?,
            source: row.get(8)?,
            created_at: row.get(9)?,
            updated_at: row.get(10)?,
        })
    }

    fn parse(self) -> Result<Rule, StoreError> {
        let json = |column: &'static str, text: &str| {
            serde_json::from_str::<Value>(text).map_err(|source| StoreError::CorruptJson {
                code: self.code.clone(),
                column,
                source,
            })
        };
        let conditions = json("conditions", &self.conditions)?;
        let content = json("content", &self.content)?;
        Ok(Rule {
            id: self.id,
            code: self.code,
            name: self.name,
            rule_type: self.rule_type,
            conditions,
            content,
            priority: self.priority,
            enabled: self.enabled,
            source: self.source,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn get_raw(conn: &Connection, code: &str) -> rusqlite::Result<Option<RawRule>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM rules WHERE code = ?1"))?
        .query_row([code], RawRule::read)
        .optional()
}

fn json_text(v: &Value) -> String {
    v.to_string()
}

fn insert(tx: &Transaction<'_>, rule: &NewRule, source: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO rules (code, name, type, conditions, content, priority, enabled, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {NOW}, {NOW})"
    ))?
    .execute(params![
        rule.code,
        rule.name,
        rule.rule_type,
        json_text(&rule.conditions),
        json_text(&rule.content),
        rule.priority,
        rule.enabled,
        source,
    ])?;
    Ok(())
}

/// A rule store on one SQLite file. `Send + Sync`: share it behind an `Arc`;
/// calls are serialised on its one connection.
#[derive(Debug)]
pub struct RuleStore {
    conn: SharedConnection,
}

impl RuleStore {
    /// Opens (creating if needed) the store at `path` with the default
    /// options: WAL, 5 s busy timeout, migrations, corpus on a new database.
    pub fn open(path: impl AsRef<Path>) -> Result<RuleStore, StoreError> {
        RuleStore::open_with(path, &OpenOptions::default())
    }

    /// Opens the store at `path` with `options`.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: &OpenOptions,
    ) -> Result<RuleStore, StoreError> {
        let conn = SharedConnection::open(path.as_ref(), options.busy_timeout)?;
        SCHEMA.apply(&conn)?;
        let store = RuleStore { conn };
        if options.seed_corpus {
            store.seed(Seed::NeverWritten)?;
        }
        Ok(store)
    }

    /// The file this store was opened on.
    pub fn path(&self) -> &Path {
        self.conn.path()
    }

    /// The highest applied migration.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(SCHEMA.applied_version(&self.conn.lock())?)
    }

    /// The rule-set version: incremented by every change, by any process.
    pub fn version(&self) -> Result<u64, StoreError> {
        Ok(read_version(&self.conn.lock())?)
    }

    /// Rules of one type (or all types), enabled only or all, by type then code.
    pub fn list(
        &self,
        rule_type: Option<&str>,
        enabled_only: bool,
    ) -> Result<Vec<Rule>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM rules
             WHERE (?1 IS NULL OR type = ?1) AND (?2 = 0 OR enabled = 1)
             ORDER BY type, code"
        ))?;
        let raws = stmt
            .query_map(params![rule_type, enabled_only], RawRule::read)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(RawRule::parse).collect()
    }

    /// The rule with this code, if any.
    pub fn get(&self, code: &str) -> Result<Option<Rule>, StoreError> {
        get_raw(&self.conn.lock(), code)?
            .map(RawRule::parse)
            .transpose()
    }

    /// Creates a rule. Refuses a duplicate code and any invalid field (the
    /// condition is compiled first); nothing is written then.
    pub fn create(&self, rule: &NewRule) -> Result<Rule, StoreError> {
        CompiledRule::compile(rule).map_err(|e| StoreError::invalid(&rule.code, e))?;
        let (raw, _) = change_rules(&self.conn, |tx| {
            if get_raw(tx, &rule.code)?.is_some() {
                return Err(StoreError::Duplicate {
                    code: rule.code.clone(),
                });
            }
            insert(tx, rule, "user")?;
            Ok(get_raw(tx, &rule.code)?)
        })?;
        raw.ok_or_else(|| StoreError::NotFound {
            code: rule.code.clone(),
        })?
        .parse()
    }

    /// Changes the given fields of a rule (same checks as [`RuleStore::create`]).
    pub fn update(&self, code: &str, change: &RuleUpdate) -> Result<Rule, StoreError> {
        let invalid = |e| StoreError::invalid(code, e);
        if let Some(name) = &change.name {
            validate_name(name).map_err(invalid)?;
        }
        if let Some(t) = &change.rule_type {
            validate_type(t).map_err(invalid)?;
        }
        if let Some(c) = &change.content {
            validate_content(c).map_err(invalid)?;
        }
        if let Some(c) = &change.conditions {
            crate::condition::Condition::compile(c)
                .map_err(|e| invalid(RuleError::Conditions(e)))?;
        }
        let (raw, _) = change_rules(&self.conn, |tx| {
            let changed = tx
                .prepare_cached(&format!(
                    "UPDATE rules SET
                        name = COALESCE(?2, name),
                        type = COALESCE(?3, type),
                        conditions = COALESCE(?4, conditions),
                        content = COALESCE(?5, content),
                        priority = COALESCE(?6, priority),
                        enabled = COALESCE(?7, enabled),
                        updated_at = {NOW}
                     WHERE code = ?1"
                ))?
                .execute(params![
                    code,
                    change.name,
                    change.rule_type,
                    change.conditions.as_ref().map(json_text),
                    change.content.as_ref().map(json_text),
                    change.priority,
                    change.enabled,
                ])?;
            if changed == 0 {
                return Err(StoreError::NotFound {
                    code: code.to_owned(),
                });
            }
            Ok(get_raw(tx, code)?)
        })?;
        raw.ok_or_else(|| StoreError::NotFound {
            code: code.to_owned(),
        })?
        .parse()
    }

    /// Enables or disables a rule.
    pub fn set_enabled(&self, code: &str, enabled: bool) -> Result<Rule, StoreError> {
        self.update(
            code,
            &RuleUpdate {
                enabled: Some(enabled),
                ..RuleUpdate::default()
            },
        )
    }

    /// Enables a rule.
    pub fn enable(&self, code: &str) -> Result<Rule, StoreError> {
        self.set_enabled(code, true)
    }

    /// Disables a rule (it stays stored, out of matching).
    pub fn disable(&self, code: &str) -> Result<Rule, StoreError> {
        self.set_enabled(code, false)
    }

    /// Deletes a rule.
    pub fn delete(&self, code: &str) -> Result<(), StoreError> {
        change_rules(&self.conn, |tx| {
            let n = tx.execute("DELETE FROM rules WHERE code = ?1", [code])?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    code: code.to_owned(),
                });
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Rule types with their counts, by type name.
    pub fn types(&self) -> Result<Vec<TypeCount>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT type, COUNT(*), SUM(enabled) FROM rules GROUP BY type ORDER BY type",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(TypeCount {
                    rule_type: r.get(0)?,
                    total: to_u64(r.get(1)?),
                    enabled: to_u64(r.get::<_, Option<i64>>(2)?.unwrap_or(0)),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Counts by type and state, the rule-set version and the schema version.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let by_type = self.types()?;
        let total: u64 = by_type.iter().map(|t| t.total).sum();
        let enabled: u64 = by_type.iter().map(|t| t.enabled).sum();
        Ok(StoreStats {
            total,
            enabled,
            disabled: total - enabled,
            by_type,
            version: self.version()?,
            schema_version: self.schema_version()?,
        })
    }

    /// Compiles the enabled rules, read together with the rule-set version in
    /// one read transaction. A stored rule that no longer compiles (or whose
    /// JSON does not parse) is left out and listed in [`RuleSet::skipped`].
    pub fn load_rule_set(&self) -> Result<RuleSet, StoreError> {
        let (version, raws) = self.conn.read(|tx| {
            let raws = tx
                .prepare_cached(&format!("SELECT {COLUMNS} FROM rules WHERE enabled = 1"))?
                .query_map([], RawRule::read)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok::<_, rusqlite::Error>((read_version(tx)?, raws))
        })?;
        let mut rules = Vec::with_capacity(raws.len());
        let mut skipped = Vec::new();
        for raw in raws {
            let code = raw.code.clone();
            let compiled = raw
                .parse()
                .map_err(|e| e.to_string())
                .and_then(|r| CompiledRule::from_rule(&r).map_err(|e| e.to_string()));
            match compiled {
                Ok(c) => rules.push(c),
                Err(reason) => skipped.push(SkippedRule { code, reason }),
            }
        }
        Ok(RuleSet::new(version, rules, skipped))
    }

    /// Loads the built-in corpus if the store has no rules; returns how many
    /// rules were written (0 if it had rules). One transaction, one version bump.
    pub fn load_corpus(&self) -> Result<usize, StoreError> {
        self.seed(Seed::NoRules)
    }

    /// Loads the corpus into the files `seed` is for; returns how many rules
    /// were written.
    fn seed(&self, seed: Seed) -> Result<usize, StoreError> {
        self.conn.write(|tx| {
            seed.load(tx, |tx| {
                let corpus = crate::corpus::corpus();
                for rule in &corpus {
                    CompiledRule::compile(rule).map_err(|e| StoreError::invalid(&rule.code, e))?;
                    insert(tx, rule, "corpus")?;
                }
                Ok(corpus.len())
            })
        })
    }
}
