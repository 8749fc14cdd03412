//! The rule-set version of a rule store, and loading its built-in corpus.
//!
//! A rule store keeps its rules in the table `rules` and a counter in the
//! one-row table `rule_set_version (id = 1, version)`, both made by the
//! store's first migration. Every write to the rules increments the counter
//! in the same transaction, so another process sees the change and the new
//! version together or neither. Reading the counter is one indexed row: a
//! process compares it with the version its compiled rules were read at on
//! every call, and reloads them only when another process changed them.

use std::time::Duration;

use rusqlite::{Connection, Transaction};

use crate::SharedConnection;

/// How long a rule store waits for another process's lock before failing,
/// unless told otherwise: longer than any one write of a store (a corpus
/// load is the longest), short enough that a stuck process shows as an error.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How to open a rule store.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// How long to wait for another process's lock before failing (default
    /// [`DEFAULT_BUSY_TIMEOUT`]).
    pub busy_timeout: Duration,
    /// Load the built-in corpus into a file that was never written
    /// ([`Seed::NeverWritten`]; default `true`). Off for a store that is to
    /// start empty, such as one a test fills itself.
    pub seed_corpus: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            seed_corpus: true,
        }
    }
}

/// The rule-set version: 0 for a file whose rules were never written.
pub fn read_version(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT version FROM rule_set_version WHERE id = 1")?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|v| u64::try_from(v).unwrap_or(0))
}

/// Increments the rule-set version inside the transaction that changes the
/// rules, and returns the new version.
fn bump_version(tx: &Transaction<'_>) -> rusqlite::Result<u64> {
    tx.execute(
        "UPDATE rule_set_version SET version = version + 1 WHERE id = 1",
        [],
    )?;
    read_version(tx)
}

/// Runs `change` in one IMMEDIATE transaction of `conn` and increments the
/// rule-set version in the same transaction, so another process sees the
/// change and the new version together or neither. Every write to a store's
/// rules goes through here. Returns what `change` returned and the new
/// version; nothing is written (and the version stays) when `change` fails.
pub fn change_rules<T, E>(
    conn: &SharedConnection,
    change: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
) -> Result<(T, u64), E>
where
    E: From<rusqlite::Error>,
{
    conn.write(|tx| {
        let changed = change(tx)?;
        Ok((changed, bump_version(tx)?))
    })
}

/// Which files get a store's built-in corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// A file that was never written: no rules and version 0. What opening
    /// a store does, so that a store whose rules were all deleted on purpose
    /// stays empty when a process starts again.
    NeverWritten,
    /// Any file without rules, whatever its version: what a caller asks for
    /// when it wants the corpus back.
    NoRules,
}

impl Seed {
    /// In `tx`: if the file is one this seed is for, runs `write_corpus`
    /// (which returns how many rules it wrote) and increments the version
    /// once for all of them; otherwise writes nothing and returns 0.
    pub fn load<E>(
        self,
        tx: &Transaction<'_>,
        write_corpus: impl FnOnce(&Transaction<'_>) -> Result<usize, E>,
    ) -> Result<usize, E>
    where
        E: From<rusqlite::Error>,
    {
        let has_rules: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM rules)", [], |r| r.get(0))?;
        let wanted = match self {
            Seed::NeverWritten => !has_rules && read_version(tx)? == 0,
            Seed::NoRules => !has_rules,
        };
        if !wanted {
            return Ok(0);
        }
        let written = write_corpus(tx)?;
        bump_version(tx)?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::SharedConnection;

    /// The two tables as every rule store's first migration makes them.
    const TABLES: &str = "
        CREATE TABLE rules (code TEXT PRIMARY KEY NOT NULL);
        CREATE TABLE rule_set_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO rule_set_version (id, version) VALUES (1, 0);
    ";

    fn new_store(path: &std::path::Path) -> SharedConnection {
        let conn = SharedConnection::open(path, Duration::from_secs(5)).expect("open");
        conn.lock().execute_batch(TABLES).expect("tables");
        conn
    }

    fn add(tx: &Transaction<'_>, code: &str) -> rusqlite::Result<()> {
        tx.execute("INSERT INTO rules (code) VALUES (?1)", [code])
            .map(drop)
    }

    #[test]
    fn a_bump_is_seen_by_another_connection_only_when_committed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rules.db");
        let writer = new_store(&path);
        let reader = SharedConnection::open(&path, Duration::from_secs(5)).expect("open");
        assert_eq!(read_version(&reader.lock()).expect("version"), 0);

        let version = writer
            .write(|tx| {
                add(tx, "a")?;
                bump_version(tx)
            })
            .expect("write");
        assert_eq!(version, 1);
        assert_eq!(read_version(&reader.lock()).expect("version"), 1);

        let refused: rusqlite::Result<()> = writer.write(|tx| {
            add(tx, "b")?;
            bump_version(tx)?;
            add(tx, "a") // taken: the whole transaction rolls back
        });
        assert!(refused.is_err());
        assert_eq!(read_version(&reader.lock()).expect("version"), 1);

        let (version, rules) = reader
            .read(|tx| {
                let rules: i64 = tx.query_row("SELECT COUNT(*) FROM rules", [], |r| r.get(0))?;
                Ok::<_, rusqlite::Error>((read_version(tx)?, rules))
            })
            .expect("read");
        assert_eq!((version, rules), (1, 1));
    }

    #[test]
    fn the_corpus_goes_into_a_new_file_once_and_into_an_emptied_one_on_request() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = new_store(&dir.path().join("rules.db"));
        let corpus = |tx: &Transaction<'_>| -> rusqlite::Result<usize> {
            add(tx, "corpus.1")?;
            add(tx, "corpus.2")?;
            Ok(2)
        };
        let seed = |seed: Seed| store.write(|tx| seed.load(tx, corpus)).expect("seed");

        assert_eq!(seed(Seed::NeverWritten), 2);
        assert_eq!(read_version(&store.lock()).expect("version"), 1);
        assert_eq!(seed(Seed::NeverWritten), 0, "the file has rules");
        assert_eq!(seed(Seed::NoRules), 0, "the file has rules");

        store
            .write(|tx| {
                tx.execute("DELETE FROM rules", [])?;
                bump_version(tx)
            })
            .expect("delete");
        assert_eq!(seed(Seed::NeverWritten), 0, "emptied on purpose");
        assert_eq!(read_version(&store.lock()).expect("version"), 2);
        assert_eq!(seed(Seed::NoRules), 2);
        assert_eq!(read_version(&store.lock()).expect("version"), 3);
    }
}
