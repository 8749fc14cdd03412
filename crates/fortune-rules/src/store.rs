//! The rule store: one SQLite file that every process of the service
//! opens — during a swap, the old version and the new one at once.
//!
//! * **Sharing.** The file is opened by [`shared_sqlite::open`] (WAL, busy
//!   timeout); every write is one `BEGIN IMMEDIATE` transaction.
//! * **Rule-set version.** The one-row table `rule_set_version` counts the
//!   changes; every write (create, update, delete, corpus load) increments
//!   it in its own transaction. [`RuleStore::version`] is one indexed read,
//!   so a process compares it with its compiled [`RuleSet`] on every call
//!   and reloads when another process changed the rules.
//! * **Migrations** are listed in [`MIGRATIONS`] and recorded in
//!   `schema_migrations`; opening applies the missing ones in one immediate
//!   transaction, so two processes opening a new file do not both migrate.
//!   They only ever add (tables, columns with defaults, indexes): the
//!   version still serving during a swap keeps working on a file the new
//!   version migrated, and ignores migrations it does not know.
//! * **Corpus.** A file that was never written (no rules, version 0) gets
//!   the built-in corpus ([`crate::corpus::corpus`]) in one transaction when
//!   opened; a store whose rules were all deleted stays empty.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
pub use shared_sqlite::rule_set::OpenOptions;
use shared_sqlite::rule_set::{change_rules, read_version, Seed};
pub use shared_sqlite::Migration;
use shared_sqlite::{MigrationLog, Migrations, SharedConnection, SQL_NOW as NOW};
use thiserror::Error;

use crate::rule::{CompiledRule, NewRule, Rule, RuleError, RuleKind, RuleSet, SkippedRule};

/// A failed store operation.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite failed (I/O, a lock held past the busy timeout, …).
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
    /// The rule was refused (a field or its condition); nothing was written.
    #[error("rule {code:?}: {source}")]
    Invalid {
        /// The rule's code.
        code: String,
        /// What was wrong.
        source: RuleError,
    },
    /// A stored row this version cannot read (a kind it does not know, a
    /// JSON column that does not parse).
    #[error("rule {code:?}: stored {column} is unreadable: {message}")]
    Unreadable {
        /// The rule's code.
        code: String,
        /// The column.
        column: &'static str,
        /// Why.
        message: String,
    },
}

/// Every migration, in order.
pub const MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    name: "rules and the rule-set version",
    sql: "
        CREATE TABLE rules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            code TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            category TEXT NOT NULL,
            conditions TEXT NOT NULL,
            text TEXT NOT NULL,
            recommendations TEXT NOT NULL DEFAULT '[]',
            confidence REAL NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
            source TEXT NOT NULL DEFAULT 'user',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX rules_kind_enabled ON rules (kind, enabled);
        CREATE TABLE rule_set_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO rule_set_version (id, version) VALUES (1, 0);
    ",
}];

/// The migrations as this store has always recorded them.
const SCHEMA: Migrations = Migrations::new(MigrationLog::Table, &MIGRATIONS);

/// Which rules [`RuleStore::list`] returns.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only this kind.
    pub kind: Option<RuleKind>,
    /// Only this category.
    pub category: Option<String>,
    /// Disabled rules too.
    pub include_disabled: bool,
}

const COLUMNS: &str = "id, code, kind, category, conditions, text, recommendations, confidence, \
                       priority, enabled, source, created_at, updated_at";

/// A row as stored, before its kind and JSON columns are read.
struct StoredRow {
    id: i64,
    code: String,
    kind: String,
    category: String,
    conditions: String,
    text: String,
    recommendations: String,
    confidence: f64,
    priority: i64,
    enabled: bool,
    source: String,
    created_at: String,
    updated_at: String,
}

impl StoredRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<StoredRow> {
        Ok(StoredRow {
            id: row.get(0)?,
            code: row.get(1)?,
            kind: row.get(2)?,
            category: row.get(3)?,
            conditions: row.get(4)?,
            text: row.get(5)?,
            recommendations: row.get(6)?,
            confidence: row.get(7)?,
            priority: row.get(8)?,
            enabled: row.get(9)?,
            source: row.get(10)?,
            created_at: row.get(11)?,
            updated_at: row.get(12)?,
        })
    }

    fn parse(self) -> Result<Rule, StoreError> {
        let unreadable = |column: &'static str, message: String| StoreError::Unreadable {
            code: self.code.clone(),
            column,
            message,
        };
        let kind = RuleKind::parse(&self.kind)
            .ok_or_else(|| unreadable("kind", format!("unknown kind {:?}", self.kind)))?;
        let conditions = serde_json::from_str(&self.conditions)
            .map_err(|e| unreadable("conditions", e.to_string()))?;
        let recommendations = serde_json::from_str(&self.recommendations)
            .map_err(|e| unreadable("recommendations", e.to_string()))?;
        Ok(Rule {
            id: self.id,
            rule: NewRule {
                code: self.code,
                kind,
                category: self.category,
                conditions,
                text: self.text,
                recommendations,
                confidence: self.confidence,
                priority: self.priority,
                enabled: self.enabled,
            },
            source: self.source,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn find(conn: &Connection, code: &str) -> rusqlite::Result<Option<StoredRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM rules WHERE code = ?1"))?
        .query_row([code], StoredRow::read)
        .optional()
}

fn recommendations_json(rule: &NewRule) -> String {
    serde_json::Value::from(rule.recommendations.clone()).to_string()
}

fn insert(tx: &Transaction<'_>, rule: &NewRule, source: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO rules (code, kind, category, conditions, text, recommendations, confidence,
                            priority, enabled, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, {NOW}, {NOW})"
    ))?
    .execute(params![
        rule.code,
        rule.kind.as_str(),
        rule.category,
        rule.conditions.to_string(),
        rule.text,
        recommendations_json(rule),
        rule.confidence,
        rule.priority,
        rule.enabled,
        source,
    ])?;
    Ok(())
}

/// Checks a rule before anything is written.
fn check(rule: &NewRule) -> Result<(), StoreError> {
    CompiledRule::compile(rule)
        .map(drop)
        .map_err(|source| StoreError::Invalid {
            code: rule.code.clone(),
            source,
        })
}

/// A rule store on one SQLite file. `Send + Sync`: share it behind an `Arc`;
/// calls are serialised on its one connection.
#[derive(Debug)]
pub struct RuleStore {
    conn: SharedConnection,
}

impl RuleStore {
    /// Opens (creating if needed) the store at `path` with the default
    /// options.
    pub fn open(path: impl AsRef<Path>) -> Result<RuleStore, StoreError> {
        RuleStore::open_with(path, &OpenOptions::default())
    }

    /// Opens the store at `path`: migrations, then the corpus into a file
    /// that was never written (unless `options` say not to).
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

    /// The rules the filter selects, by kind then code.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<Rule>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM rules
             WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR category = ?2)
               AND (?3 = 1 OR enabled = 1)
             ORDER BY kind, code"
        ))?;
        let rows = stmt
            .query_map(
                params![
                    filter.kind.map(RuleKind::as_str),
                    filter.category,
                    filter.include_disabled
                ],
                StoredRow::read,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(StoredRow::parse).collect()
    }

    /// The rule with this code, if any.
    pub fn get(&self, code: &str) -> Result<Option<Rule>, StoreError> {
        find(&self.conn.lock(), code)?
            .map(StoredRow::parse)
            .transpose()
    }

    /// Creates a rule, refusing a taken code and any invalid field (its
    /// condition compiled for its kind); nothing is written then.
    pub fn create(&self, rule: &NewRule) -> Result<Rule, StoreError> {
        check(rule)?;
        let (row, _) = change_rules(&self.conn, |tx| {
            if find(tx, &rule.code)?.is_some() {
                return Err(StoreError::Duplicate {
                    code: rule.code.clone(),
                });
            }
            insert(tx, rule, "user")?;
            Ok(find(tx, &rule.code)?)
        })?;
        row.ok_or_else(|| StoreError::NotFound {
            code: rule.code.clone(),
        })?
        .parse()
    }

    /// Replaces every field of the rule with this code (checked as by
    /// [`RuleStore::create`]).
    pub fn update(&self, rule: &NewRule) -> Result<Rule, StoreError> {
        check(rule)?;
        let (row, _) = change_rules(&self.conn, |tx| {
            let changed = tx
                .prepare_cached(&format!(
                    "UPDATE rules SET kind = ?2, category = ?3, conditions = ?4, text = ?5,
                            recommendations = ?6, confidence = ?7, priority = ?8, enabled = ?9,
                            updated_at = {NOW}
                     WHERE code = ?1"
                ))?
                .execute(params![
                    rule.code,
                    rule.kind.as_str(),
                    rule.category,
                    rule.conditions.to_string(),
                    rule.text,
                    recommendations_json(rule),
                    rule.confidence,
                    rule.priority,
                    rule.enabled,
                ])?;
            if changed == 0 {
                return Err(StoreError::NotFound {
                    code: rule.code.clone(),
                });
            }
            Ok(find(tx, &rule.code)?)
        })?;
        row.ok_or_else(|| StoreError::NotFound {
            code: rule.code.clone(),
        })?
        .parse()
    }

    /// Deletes a rule.
    pub fn delete(&self, code: &str) -> Result<(), StoreError> {
        change_rules(&self.conn, |tx| {
            if tx.execute("DELETE FROM rules WHERE code = ?1", [code])? == 0 {
                return Err(StoreError::NotFound {
                    code: code.to_owned(),
                });
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Compiles the enabled rules, read with the rule-set version in one
    /// read transaction. A stored rule this version cannot read or compile
    /// is left out and listed in [`RuleSet::skipped`].
    pub fn load_rule_set(&self) -> Result<RuleSet, StoreError> {
        let (version, rows) = self.conn.read(|tx| {
            let rows = tx
                .prepare_cached(&format!("SELECT {COLUMNS} FROM rules WHERE enabled = 1"))?
                .query_map([], StoredRow::read)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok::<_, rusqlite::Error>((read_version(tx)?, rows))
        })?;
        let mut rules = Vec::with_capacity(rows.len());
        let mut skipped = Vec::new();
        for row in rows {
            let code = row.code.clone();
            let compiled = row.parse().map_err(|e| e.to_string()).and_then(|r| {
                CompiledRule::compile(&r.rule).map_err(|e| format!("rule {code:?}: {e}"))
            });
            match compiled {
                Ok(c) => rules.push(c),
                Err(reason) => skipped.push(SkippedRule { code, reason }),
            }
        }
        Ok(RuleSet::new(version, rules, skipped))
    }

    /// Loads the corpus into a store without rules; returns how many rules
    /// were written (0 if it had rules). One transaction, one version bump.
    pub fn load_corpus(&self) -> Result<usize, StoreError> {
        self.seed(Seed::NoRules)
    }

    /// The corpus into the files `seed` is for; returns how many rules were
    /// written.
    fn seed(&self, seed: Seed) -> Result<usize, StoreError> {
        self.conn.write(|tx| {
            seed.load(tx, |tx| {
                let corpus = crate::corpus::corpus();
                for rule in &corpus {
                    check(rule)?;
                    insert(tx, rule, "corpus")?;
                }
                Ok(corpus.len())
            })
        })
    }
}
