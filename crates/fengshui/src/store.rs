//! The rule store: one SQLite file that several processes share.
//!
//! * **Sharing.** WAL mode and a busy timeout let the old and the new
//!   process of a service (during a swap) read and write the same file at
//!   once; every write is one `BEGIN IMMEDIATE` transaction, so a second
//!   handle sees it as soon as it commits.
//! * **Rule-set version.** The one-row table `rule_set_version` holds a
//!   counter that every write increments in the same transaction.
//!   [`RuleStore::version`] reads that one row, so a process can poll it
//!   cheaply and reload with [`RuleStore::rule_set`] only when it moved.
//! * **Migrations** are numbered ([`MIGRATIONS`]) and the highest applied is
//!   `PRAGMA user_version`. Opening applies the missing ones in one immediate
//!   transaction (two processes opening a new file at once do not both
//!   migrate). They only add — tables, columns with defaults — so an older
//!   binary keeps working on a file a newer one migrated: it ignores a
//!   `user_version` above what it knows, and its statements name their
//!   columns.
//! * **Corpus.** A file that was never written (no rules, version 0) gets the
//!   built-in corpus when opened, in one transaction.
//! * **Damage.** A row that does not read back as a rule (a kind, item,
//!   priority or element the crate does not know, a condition that is not
//!   JSON, a value of the wrong type) is an error naming the rule's code and
//!   the column, never a panic.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, Row, Transaction};
pub use shared_sqlite::rule_set::DEFAULT_BUSY_TIMEOUT;
use shared_sqlite::rule_set::{change_rules, read_version, Seed};
pub use shared_sqlite::Migration;
use shared_sqlite::{MigrationLog, Migrations, SharedConnection};
use thiserror::Error;

use crate::rule::{CompiledRule, Rule, RuleError, RuleFields, RuleSet};

/// A failed store operation.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite failed: I/O, a lock held past the busy timeout, a file that is
    /// not a database.
    #[error("rule store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The rule was refused; nothing was written.
    #[error("{0}")]
    Invalid(#[from] RuleError),
    /// No rule has this code.
    #[error("no rule {code:?}; list the rules to see the codes")]
    NotFound {
        /// The code asked for.
        code: String,
    },
    /// A rule with this code exists already (creating it again would
    /// silently replace it).
    #[error("rule {code:?} exists already; update it, or choose another code")]
    Duplicate {
        /// The taken code.
        code: String,
    },
    /// A stored row does not read back as a rule (edited by hand, or written
    /// by a newer version that knows more names).
    #[error("rule {code:?}: stored {column} is unreadable: {message}; fix the row with upsert or disable it")]
    CorruptRow {
        /// The row's code.
        code: String,
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

/// Every migration, in order.
pub const MIGRATIONS: [Migration; 2] = [
    Migration {
        version: 1,
        name: "rules and the rule-set version",
        sql: "
            CREATE TABLE rules (
                code TEXT PRIMARY KEY NOT NULL,
                kind TEXT NOT NULL,
                item TEXT NOT NULL,
                condition TEXT NOT NULL,
                ideal_position TEXT NOT NULL,
                reason TEXT NOT NULL,
                priority TEXT NOT NULL,
                element TEXT NOT NULL,
                score_delta INTEGER NOT NULL,
                enabled INTEGER NOT NULL DEFAULT 1
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
        name: "rule source: corpus or user",
        sql: "ALTER TABLE rules ADD COLUMN source TEXT NOT NULL DEFAULT 'user';",
    },
];

/// The migrations, recorded in `PRAGMA user_version` as this store has
/// always recorded them.
const SCHEMA: Migrations = Migrations::new(MigrationLog::UserVersion, &MIGRATIONS);

const COLUMNS: &str =
    "code, kind, item, condition, ideal_position, reason, priority, element, score_delta, enabled";

/// A rule store on one SQLite file. `Send + Sync`: share it behind an `Arc`;
/// calls are serialised on its one connection.
#[derive(Debug)]
pub struct RuleStore {
    conn: SharedConnection,
}

impl RuleStore {
    /// Opens (creating if needed) the store at `path`, waiting up to
    /// [`DEFAULT_BUSY_TIMEOUT`] for other processes' locks.
    pub fn open(path: impl AsRef<Path>) -> Result<RuleStore, StoreError> {
        RuleStore::open_with_timeout(path, DEFAULT_BUSY_TIMEOUT)
    }

    /// Opens the store at `path`, waiting up to `busy_timeout` for locks.
    pub fn open_with_timeout(
        path: impl AsRef<Path>,
        busy_timeout: Duration,
    ) -> Result<RuleStore, StoreError> {
        let conn = SharedConnection::open(path.as_ref(), busy_timeout)?;
        SCHEMA.apply(&conn)?;
        seed_corpus(&conn)?;
        Ok(RuleStore { conn })
    }

    /// The highest applied migration (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(SCHEMA.applied_version(&self.conn.lock())?)
    }

    /// The rule-set version: moved by every write, by any process.
    pub fn version(&self) -> Result<u64, StoreError> {
        Ok(read_version(&self.conn.lock())?)
    }

    /// Every rule, enabled or not, by code.
    pub fn rules(&self) -> Result<Vec<Rule>, StoreError> {
        let conn = self.conn.lock();
        read_rules(&conn, Rows::Every)
    }

    /// Every rule, enabled or not, with the version they were read at (one
    /// read transaction, so the two agree): what a listing shows.
    pub fn rules_at_version(&self) -> Result<(Vec<Rule>, u64), StoreError> {
        self.conn
            .read(|tx| Ok((read_rules(tx, Rows::Every)?, read_version(tx)?)))
    }

    /// The enabled rules compiled, with the version they were read at (one
    /// read transaction, so the two agree).
    pub fn rule_set(&self) -> Result<RuleSet, StoreError> {
        let (version, rules) = self
            .conn
            .read(|tx| Ok::<_, StoreError>((read_version(tx)?, read_rules(tx, Rows::Enabled)?)))?;
        Ok(RuleSet::new(version, &rules)?)
    }

    /// Creates or replaces the rule with this code. The rule is checked and
    /// its condition compiled first; a refused rule writes nothing. Returns
    /// the new rule-set version.
    pub fn upsert(&self, rule: &Rule) -> Result<u64, StoreError> {
        CompiledRule::compile(rule)?;
        self.write(|tx| Ok(write_rule(tx, rule, "user")?))
    }

    /// Adds a rule whose code is not taken ([`StoreError::Duplicate`]
    /// otherwise). The rule is checked and its condition compiled first; a
    /// refused rule writes nothing. Returns the new rule-set version.
    pub fn create(&self, rule: &Rule) -> Result<u64, StoreError> {
        CompiledRule::compile(rule)?;
        self.write(|tx| {
            if exists(tx, &rule.code)? {
                return Err(StoreError::Duplicate {
                    code: rule.code.clone(),
                });
            }
            Ok(write_rule(tx, rule, "user")?)
        })
    }

    /// Replaces every field of the rule with this code
    /// ([`StoreError::NotFound`] if there is none), checked and compiled
    /// first like [`RuleStore::create`]. Returns the new rule-set version.
    pub fn update(&self, rule: &Rule) -> Result<u64, StoreError> {
        CompiledRule::compile(rule)?;
        self.write(|tx| {
            if !exists(tx, &rule.code)? {
                return Err(StoreError::NotFound {
                    code: rule.code.clone(),
                });
            }
            Ok(write_rule(tx, rule, "user")?)
        })
    }

    /// Removes the rule with this code ([`StoreError::NotFound`] if there is
    /// none). Returns the new rule-set version.
    pub fn delete(&self, code: &str) -> Result<u64, StoreError> {
        self.write(|tx| {
            if tx.execute("DELETE FROM rules WHERE code = ?1", params![code])? == 0 {
                return Err(StoreError::NotFound {
                    code: code.to_owned(),
                });
            }
            Ok(())
        })
    }

    /// Runs `change` in one immediate transaction and moves the rule-set
    /// version with it, so another process sees the change and the new
    /// version together or neither. Returns the new version.
    fn write(
        &self,
        change: impl FnOnce(&Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        change_rules(&self.conn, change).map(|((), version)| version)
    }

    /// Takes a rule out of analysis (it stays stored). Returns the new
    /// rule-set version.
    pub fn disable(&self, code: &str) -> Result<u64, StoreError> {
        self.set_enabled(code, false)
    }

    /// Puts a disabled rule back into analysis. Returns the new version.
    pub fn enable(&self, code: &str) -> Result<u64, StoreError> {
        self.set_enabled(code, true)
    }

    fn set_enabled(&self, code: &str, enabled: bool) -> Result<u64, StoreError> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE rules SET enabled = ?2 WHERE code = ?1",
                params![code, enabled],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    code: code.to_owned(),
                });
            }
            Ok(())
        })
    }
}

fn write_rule(tx: &Transaction<'_>, rule: &Rule, source: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO rules ({COLUMNS}, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (code) DO UPDATE SET
            kind = excluded.kind, item = excluded.item, condition = excluded.condition,
            ideal_position = excluded.ideal_position, reason = excluded.reason,
            priority = excluded.priority, element = excluded.element,
            score_delta = excluded.score_delta, enabled = excluded.enabled,
            source = excluded.source"
    ))?
    .execute(params![
        rule.code,
        rule.kind.as_str(),
        rule.item.class(),
        rule.condition.to_string(),
        rule.ideal_position,
        rule.reason,
        rule.priority.as_str(),
        rule.element.as_str(),
        rule.score_delta,
        rule.enabled,
        source,
    ])?;
    Ok(())
}

fn exists(tx: &Transaction<'_>, code: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM rules WHERE code = ?1")?
        .exists(params![code])
}

/// Which rows [`read_rules`] reads.
#[derive(Clone, Copy, Debug)]
enum Rows {
    /// Every rule, for listing.
    Every,
    /// The rules that take part in analysis.
    Enabled,
}

impl Rows {
    const fn filter(self) -> &'static str {
        match self {
            Rows::Every => "",
            Rows::Enabled => "WHERE enabled = 1",
        }
    }
}

fn read_rules(conn: &Connection, rows: Rows) -> Result<Vec<Rule>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM rules {} ORDER BY code",
        rows.filter()
    ))?;
    let raws = stmt
        .query_map([], RawRow::read)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raws.into_iter().map(RawRow::parse).collect()
}

/// A row read without assuming its types, so that damage is reported with
/// the rule's code instead of as a bare type error.
struct RawRow([SqlValue; 10]);

impl RawRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<RawRow> {
        let mut values: [SqlValue; 10] = std::array::from_fn(|_| SqlValue::Null);
        for (i, v) in values.iter_mut().enumerate() {
            *v = row.get_ref(i)?.into();
        }
        Ok(RawRow(values))
    }

    fn parse(self) -> Result<Rule, StoreError> {
        let [code, kind, item, condition, ideal, reason, priority, element, delta, enabled] =
            self.0;
        let code = match code {
            SqlValue::Text(s) => s,
            other => format!("{other:?}"),
        };
        let corrupt = |column: &'static str, message: String| StoreError::CorruptRow {
            code: code.clone(),
            column,
            message,
        };
        let text = |column: &'static str, v: SqlValue| match v {
            SqlValue::Text(s) => Ok(s),
            other => Err(corrupt(column, format!("expected text, found {other:?}"))),
        };
        let int = |column: &'static str, v: SqlValue| match v {
            SqlValue::Integer(i) => Ok(i),
            other => Err(corrupt(
                column,
                format!("expected an integer, found {other:?}"),
            )),
        };
        let delta = int("score_delta", delta)?;
        let score_delta = i32::try_from(delta)
            .map_err(|_| corrupt("score_delta", format!("{delta} is out of range")))?;
        let enabled = match int("enabled", enabled)? {
            0 => false,
            1 => true,
            other => {
                return Err(corrupt(
                    "enabled",
                    format!("expected 0 or 1, found {other}"),
                ))
            }
        };
        RuleFields {
            kind: text("kind", kind)?,
            item: text("item", item)?,
            condition: text("condition", condition)?,
            ideal_position: text("ideal_position", ideal)?,
            reason: text("reason", reason)?,
            priority: text("priority", priority)?,
            element: Some(text("element", element)?),
            score_delta,
            enabled,
            code: code.clone(),
        }
        .parse()
        .map_err(|e| corrupt(e.field, e.message))
    }
}

/// Loads the corpus into a file that was never written.
fn seed_corpus(conn: &SharedConnection) -> Result<usize, StoreError> {
    conn.write(|tx| {
        Seed::NeverWritten.load(tx, |tx| {
            let corpus = crate::corpus::corpus();
            for rule in &corpus {
                CompiledRule::compile(rule)?;
                write_rule(tx, rule, "corpus")?;
            }
            Ok(corpus.len())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::corpus;
    use crate::{ItemKind, Priority, SuggestionKind};
    use serde_json::json;

    fn plant_rule() -> Rule {
        Rule {
            code: "user.plant_far".to_owned(),
            kind: SuggestionKind::Adjustment,
            item: ItemKind::PottedPlant,
            condition: json!({"item_in_cell": {"item": "potted plant", "cell": "上"}}),
            ideal_position: "左侧（青龙位）".to_owned(),
            reason: "绿植挡住前方。".to_owned(),
            priority: Priority::Low,
            element: crate::element::Element::Wood,
            score_delta: -1,
            enabled: true,
        }
    }

    #[test]
    fn a_new_file_gets_the_schema_and_the_corpus() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.db");
        std::fs::write(&path, b"").unwrap(); // an empty file, as a deploy may create it
        let store = RuleStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
        assert_eq!(store.version().unwrap(), 1);
        let rules = store.rules().unwrap();
        let mut expected = corpus();
        expected.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(rules, expected);
        let conn = store.conn.lock();
        let sources: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM rules WHERE source = 'corpus'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sources as usize, rules.len());
        drop(conn);
        // Reopening neither migrates nor seeds again.
        drop(store);
        let again = RuleStore::open(&path).unwrap();
        assert_eq!(again.version().unwrap(), 1);
        assert_eq!(again.rules().unwrap().len(), rules.len());
    }

    #[test]
    fn a_version_one_file_is_migrated_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0].sql).unwrap();
            conn.execute_batch("PRAGMA user_version = 1").unwrap();
            conn.execute(
                "INSERT INTO rules (code, kind, item, condition, ideal_position, reason, priority, element, score_delta)
                 VALUES ('old.cup', 'removal', 'cup', '{\"item\": \"cup\"}', '移出桌面', '旧规则。', 'low', '水', -1)",
                [],
            )
            .unwrap();
            conn.execute("UPDATE rule_set_version SET version = 4", [])
                .unwrap();
        }
        let store = RuleStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 2);
        // A file with rules is not seeded.
        let rules = store.rules().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].code, "old.cup");
        assert_eq!(rules[0].kind, SuggestionKind::Removal);
        assert_eq!(store.version().unwrap(), 4);
        let source: String = store
            .conn
            .lock()
            .query_row("SELECT source FROM rules", [], |r| r.get(0))
            .unwrap();
        assert_eq!(source, "user");
    }

    #[test]
    fn a_file_from_a_newer_version_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.db");
        RuleStore::open(&path).unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "ALTER TABLE rules ADD COLUMN colour TEXT NOT NULL DEFAULT 'red';
                 PRAGMA user_version = 9;",
            )
            .unwrap();
        }
        let store = RuleStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 9);
        store.upsert(&plant_rule()).unwrap();
        assert!(store
            .rules()
            .unwrap()
            .iter()
            .any(|r| r.code == "user.plant_far"));
    }

    #[test]
    fn two_handles_see_each_others_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.db");
        let old = RuleStore::open(&path).unwrap();
        let new = RuleStore::open(&path).unwrap();
        let mode: String = new
            .conn
            .lock()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let v0 = old.version().unwrap();
        assert_eq!(new.version().unwrap(), v0);
        let before = new.rule_set().unwrap().len();

        let v1 = new.upsert(&plant_rule()).unwrap();
        assert_eq!(v1, v0 + 1);
        assert_eq!(old.version().unwrap(), v1);
        let set = old.rule_set().unwrap();
        assert_eq!(set.version(), v1);
        assert_eq!(set.len(), before + 1);

        // Replacing keeps one row and changes it.
        let mut changed = plant_rule();
        changed.priority = Priority::High;
        new.upsert(&changed).unwrap();
        let seen: Vec<Rule> = old
            .rules()
            .unwrap()
            .into_iter()
            .filter(|r| r.code == "user.plant_far")
            .collect();
        assert_eq!(seen, vec![changed]);

        let v3 = old.disable("cup.baihu").unwrap();
        assert_eq!(new.version().unwrap(), v3);
        let set = new.rule_set().unwrap();
        assert!(set.rules().iter().all(|r| r.rule().code != "cup.baihu"));
        assert!(new
            .rules()
            .unwrap()
            .iter()
            .any(|r| r.code == "cup.baihu" && !r.enabled));
        new.enable("cup.baihu").unwrap();
        assert!(old
            .rule_set()
            .unwrap()
            .rules()
            .iter()
            .any(|r| r.rule().code == "cup.baihu"));

        assert!(
            matches!(old.disable("no.such"), Err(StoreError::NotFound { code }) if code == "no.such")
        );
    }

    #[test]
    fn create_update_and_delete_keep_codes_apart_and_move_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.db");
        let store = RuleStore::open(&path).unwrap();
        let other = RuleStore::open(&path).unwrap();
        let v0 = store.version().unwrap();

        let v1 = store.create(&plant_rule()).unwrap();
        assert_eq!(v1, v0 + 1);
        assert!(matches!(
            store.create(&plant_rule()),
            Err(StoreError::Duplicate { code }) if code == "user.plant_far"
        ));
        assert_eq!(
            other.version().unwrap(),
            v1,
            "a refused create writes nothing"
        );

        let mut changed = plant_rule();
        changed.reason = "绿植挡住前方视线。".to_owned();
        let v2 = other.update(&changed).unwrap();
        assert_eq!(v2, v1 + 1);
        let seen = store.rules().unwrap();
        assert!(seen.contains(&changed), "the other handle's update is seen");
        let mut missing = plant_rule();
        missing.code = "user.none".to_owned();
        assert!(matches!(
            store.update(&missing),
            Err(StoreError::NotFound { code }) if code == "user.none"
        ));

        let v3 = store.delete("user.plant_far").unwrap();
        assert_eq!(v3, v2 + 1);
        assert!(other
            .rule_set()
            .unwrap()
            .rules()
            .iter()
            .all(|r| r.rule().code != "user.plant_far"));
        assert!(matches!(
            store.delete("user.plant_far"),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.version().unwrap(), v3);

        // A bad condition is refused before anything is written.
        let mut bad = plant_rule();
        bad.condition = json!({"item_in_cell": {"item": "potted plant", "cell": "天"}});
        let e = store.create(&bad).unwrap_err();
        assert!(e.to_string().contains("$.item_in_cell.cell"), "{e}");
        assert_eq!(store.version().unwrap(), v3);
    }

    #[test]
    fn upsert_refuses_a_bad_condition_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = RuleStore::open(dir.path().join("rules.db")).unwrap();
        let version = store.version().unwrap();
        let mut bad = plant_rule();
        bad.condition = json!({"item_in_cell": {"item": "potted plant", "cell": "上", "when": 1}});
        let e = store.upsert(&bad).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("user.plant_far") && text.contains("$.item_in_cell.when"),
            "{text}"
        );
        assert_eq!(store.version().unwrap(), version);
        assert!(store
            .rules()
            .unwrap()
            .iter()
            .all(|r| r.code != "user.plant_far"));
    }

    #[test]
    fn a_corrupt_row_is_an_error_naming_the_rule() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.db");
        let store = RuleStore::open(&path).unwrap();
        let damage = |sql: &str| {
            Connection::open(&path).unwrap().execute(sql, []).unwrap();
        };
        let column_of = |e: StoreError| match e {
            StoreError::CorruptRow { code, column, .. } => (code, column),
            other => panic!("{other}"),
        };
        damage("UPDATE rules SET kind = 'teleport' WHERE code = 'cup.baihu'");
        let e = store.rules().unwrap_err();
        assert!(e.to_string().contains("cup.baihu"), "{e}");
        assert_eq!(column_of(e), ("cup.baihu".to_owned(), "kind"));
        damage(
            "UPDATE rules SET kind = 'adjustment', condition = '{oops' WHERE code = 'cup.baihu'",
        );
        assert_eq!(
            column_of(store.rule_set().unwrap_err()),
            ("cup.baihu".to_owned(), "condition")
        );
        damage("UPDATE rules SET condition = '{}', score_delta = 'many' WHERE code = 'cup.baihu'");
        assert_eq!(
            column_of(store.rules().unwrap_err()),
            ("cup.baihu".to_owned(), "score_delta")
        );
        // Readable but no longer a valid condition: refused when compiling.
        damage("UPDATE rules SET score_delta = -6 WHERE code = 'cup.baihu'");
        let e = store.rule_set().unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid(RuleError::Condition { code, .. }) if code == "cup.baihu"),
            "{e}"
        );
        // Fixing the row with upsert repairs the store.
        let fixed = corpus()
            .into_iter()
            .find(|r| r.code == "cup.baihu")
            .unwrap();
        store.upsert(&fixed).unwrap();
        assert!(store.rule_set().is_ok());
    }
}
