//! Numbered schema migrations, applied when a file is opened.
//!
//! Migrations only add (tables, columns with defaults, indexes), so the
//! version of a service still serving during a swap keeps working on a file
//! that the new version migrated: it skips migrations it does not know, and
//! its statements name their columns.

use rusqlite::types::FromSql;
use rusqlite::{params, Connection, Transaction};

use crate::{SharedConnection, SQL_NOW};

/// One schema migration.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// Its number, from 1, in the order of the list.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    /// The SQL: additions only. Never edited once released, because files
    /// that already applied it keep what it made then.
    pub sql: &'static str,
}

/// Where a file records the migrations applied to it.
///
/// A store keeps the record it started with: files written by its older
/// versions hold that record only, and under another one they would look
/// unmigrated and get migration 1 again on top of its tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationLog {
    /// The table `schema_migrations (version, name, applied_at)`, one row
    /// per applied migration. Each migration is looked up by its number, so
    /// rows a newer version added are kept and their migrations left alone.
    Table,
    /// `PRAGMA user_version`, the highest applied migration: those above it
    /// are applied. A file above every known migration is left as it is.
    UserVersion,
}

impl MigrationLog {
    /// Makes the record ready to be read and written.
    fn prepare(self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        match self {
            MigrationLog::Table => tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                );",
            ),
            MigrationLog::UserVersion => Ok(()),
        }
    }

    fn is_applied(self, tx: &Transaction<'_>, migration: &Migration) -> rusqlite::Result<bool> {
        match self {
            MigrationLog::Table => tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [migration.version],
                |r| r.get(0),
            ),
            MigrationLog::UserVersion => {
                let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                Ok(migration.version <= current)
            }
        }
    }

    fn record(self, tx: &Transaction<'_>, migration: &Migration) -> rusqlite::Result<()> {
        match self {
            MigrationLog::Table => {
                tx.execute(
                    &format!(
                        "INSERT INTO schema_migrations (version, name, applied_at)
                         VALUES (?1, ?2, {SQL_NOW})"
                    ),
                    params![migration.version, migration.name],
                )?;
                Ok(())
            }
            // PRAGMA takes no parameters; the number is the store's, not input.
            MigrationLog::UserVersion => {
                tx.execute_batch(&format!("PRAGMA user_version = {}", migration.version))
            }
        }
    }

    fn highest_applied<T: FromSql>(self, conn: &Connection) -> rusqlite::Result<T> {
        let sql = match self {
            MigrationLog::Table => "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            MigrationLog::UserVersion => "PRAGMA user_version",
        };
        conn.query_row(sql, [], |r| r.get(0))
    }
}

/// A store's migrations, in order, and where it records them.
#[derive(Clone, Copy, Debug)]
pub struct Migrations {
    log: MigrationLog,
    list: &'static [Migration],
}

impl Migrations {
    /// The migrations `list`, recorded in `log`.
    pub const fn new(log: MigrationLog, list: &'static [Migration]) -> Migrations {
        Migrations { log, list }
    }

    /// Applies the missing migrations in one immediate transaction: two
    /// processes opening a new file at once do not both migrate, the second
    /// waits and then finds them applied.
    pub fn apply(&self, conn: &SharedConnection) -> rusqlite::Result<()> {
        conn.write(|tx| {
            self.log.prepare(tx)?;
            for migration in self.list {
                if !self.log.is_applied(tx, migration)? {
                    tx.execute_batch(migration.sql)?;
                    self.log.record(tx, migration)?;
                }
            }
            Ok(())
        })
    }

    /// The highest applied migration, 0 for none; above the last one in the
    /// list when a newer version migrated the file. Read as `T`, the integer
    /// type the store reports it in.
    pub fn applied_version<T: FromSql>(&self, conn: &Connection) -> rusqlite::Result<T> {
        self.log.highest_applied(conn)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;

    const LIST: [Migration; 2] = [
        Migration {
            version: 1,
            name: "notes",
            sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);",
        },
        Migration {
            version: 2,
            name: "note colour",
            sql: "ALTER TABLE notes ADD COLUMN colour TEXT NOT NULL DEFAULT 'grey';",
        },
    ];

    fn open(path: &Path) -> SharedConnection {
        SharedConnection::open(path, Duration::from_secs(5)).expect("open")
    }

    fn applied_rows(conn: &SharedConnection) -> Vec<(i64, String)> {
        conn.lock()
            .prepare("SELECT version, name FROM schema_migrations ORDER BY version")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .expect("schema_migrations")
    }

    fn colour_of_note_1(conn: &SharedConnection) -> String {
        conn.lock()
            .query_row("SELECT colour FROM notes WHERE id = 1", [], |r| r.get(0))
            .expect("note 1")
    }

    #[test]
    fn table_log_applies_each_migration_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.db");
        let migrations = Migrations::new(MigrationLog::Table, &LIST);
        let conn = open(&path);
        migrations.apply(&conn).expect("migrate");
        migrations.apply(&conn).expect("again: nothing to do");
        assert_eq!(
            applied_rows(&conn),
            [(1, "notes".to_owned()), (2, "note colour".to_owned())]
        );
        assert_eq!(migrations.applied_version::<i64>(&conn.lock()), Ok(2));
        let user_version: i64 = conn
            .lock()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("user_version");
        assert_eq!(user_version, 0, "the table log leaves user_version alone");
    }

    #[test]
    fn table_log_continues_a_file_recorded_by_hand_written_sql() {
        // The record exactly as the stores wrote it before this module
        // existed: migration 1 applied, 2 missing, a row of notes.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.db");
        rusqlite::Connection::open(&path)
            .and_then(|c| {
                c.execute_batch(
                    "CREATE TABLE schema_migrations (
                        version INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at TEXT NOT NULL
                    );
                    CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
                    INSERT INTO notes (id, text) VALUES (1, 'kept');
                    INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (1, 'notes', '2025-01-01T00:00:00.000Z');",
                )
            })
            .expect("old file");
        let conn = open(&path);
        let migrations = Migrations::new(MigrationLog::Table, &LIST);
        migrations
            .apply(&conn)
            .expect("migration 1 is not run again");
        assert_eq!(colour_of_note_1(&conn), "grey");
        assert_eq!(applied_rows(&conn).len(), 2);
    }

    #[test]
    fn table_log_keeps_a_newer_versions_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.db");
        let conn = open(&path);
        let migrations = Migrations::new(MigrationLog::Table, &LIST);
        migrations.apply(&conn).expect("migrate");
        conn.lock()
            .execute_batch(
                "ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
                 INSERT INTO schema_migrations (version, name, applied_at)
                     VALUES (3, 'pinned', 'now');",
            )
            .expect("newer migration");
        migrations.apply(&conn).expect("an older list opens it");
        assert_eq!(migrations.applied_version::<i64>(&conn.lock()), Ok(3));
        assert_eq!(applied_rows(&conn).len(), 3);
    }

    #[test]
    fn user_version_log_applies_the_migrations_above_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.db");
        rusqlite::Connection::open(&path)
            .and_then(|c| {
                c.execute_batch(&format!(
                    "{} INSERT INTO notes (id, text) VALUES (1, 'kept');
                     PRAGMA user_version = 1;",
                    LIST[0].sql
                ))
            })
            .expect("old file");
        let conn = open(&path);
        let migrations = Migrations::new(MigrationLog::UserVersion, &LIST);
        migrations
            .apply(&conn)
            .expect("migration 1 is not run again");
        migrations.apply(&conn).expect("again: nothing to do");
        assert_eq!(colour_of_note_1(&conn), "grey");
        assert_eq!(migrations.applied_version::<u32>(&conn.lock()), Ok(2));
        let tables: i64 = conn
            .lock()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'",
                [],
                |r| r.get(0),
            )
            .expect("tables");
        assert_eq!(tables, 0, "the user_version log adds no table");

        conn.lock()
            .execute_batch("PRAGMA user_version = 9")
            .expect("newer file");
        migrations.apply(&conn).expect("an older list opens it");
        assert_eq!(migrations.applied_version::<u32>(&conn.lock()), Ok(9));
    }

    #[test]
    fn processes_opening_a_new_file_at_once_migrate_it_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.db");
        let migrations = Migrations::new(MigrationLog::Table, &LIST);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| migrations.apply(&open(&path)).expect("migrate"));
            }
        });
        assert_eq!(applied_rows(&open(&path)).len(), 2);
    }
}
