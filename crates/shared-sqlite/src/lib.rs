//! Opening an SQLite file that several processes use at once: two versions
//! of a service during a swap, or two services that share a data
//! directory. Every store of the project opens its file through [`open`].
//!
//! WAL lets readers go on while one process writes, and the busy timeout
//! makes a writer wait for another instead of failing. One step is not
//! covered by the busy timeout: switching a new file to WAL needs the file
//! to itself, and SQLite answers `SQLITE_BUSY` at once when another process
//! is switching it at the same moment (two processes starting on a fresh
//! data directory). [`open`] tries that step again until the timeout.
//!
//! On top of the file, what every rule store of the project shares:
//! * [`SharedConnection`]: the one connection of a process, its immediate
//!   write transactions and its snapshot reads;
//! * [`Migrations`]: numbered schema migrations applied on opening, recorded
//!   as the store has always recorded them ([`MigrationLog`]);
//! * [`rule_set`]: the rule-set version every write increments, the options
//!   a store is opened with, and loading its built-in corpus.

mod connection;
mod migrations;
pub mod rule_set;

pub use connection::SharedConnection;
pub use migrations::{Migration, MigrationLog, Migrations};

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};

/// The current time in SQL, UTC with milliseconds
/// (`2025-01-02T03:04:05.678Z`): one text form for every timestamp column, so
/// that timestamps written by any process sort as text.
pub const SQL_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// Pause between two tries of the journal-mode switch.
const RETRY_PAUSE: Duration = Duration::from_millis(10);

/// Opens (creating if needed) the database at `path` for concurrent
/// processes: busy timeout `busy_timeout`, WAL, `synchronous = NORMAL`
/// (durable at each checkpoint; a power loss may drop the last commits, not
/// corrupt the file).
pub fn open(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy_timeout)?;
    let deadline = Instant::now() + busy_timeout;
    loop {
        // Returns the new mode: "wal" on a file (":memory:" stays "memory").
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                std::thread::sleep(RETRY_PAUSE);
            }
            Err(error) => return Err(error),
        }
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_processes_opening_a_new_file_at_once_all_get_wal() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("shared.db");
            let modes: Vec<String> = std::thread::scope(|s| {
                let opens: Vec<_> = (0..4)
                    .map(|_| {
                        s.spawn(|| {
                            let conn = open(&path, Duration::from_secs(5)).expect("open");
                            conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                                .expect("mode")
                        })
                    })
                    .collect();
                opens
                    .into_iter()
                    .map(|h| h.join().expect("thread"))
                    .collect()
            });
            assert_eq!(modes, ["wal"; 4]);
        }
    }
}
