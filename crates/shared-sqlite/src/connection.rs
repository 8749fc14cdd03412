//! One connection to a shared file for all the threads of a process.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

/// A connection opened by [`crate::open`], used by the threads of a process
/// in turn. `Send + Sync`: share it behind an `Arc` or inside a type that is.
///
/// One connection rather than a pool: SQLite lets one writer in at a time
/// anyway, and the stores' reads are short, so a pool would mostly add
/// connections waiting on the same file lock.
#[derive(Debug)]
pub struct SharedConnection {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SharedConnection {
    /// Opens (creating if needed) the file at `path` with [`crate::open`].
    pub fn open(path: &Path, busy_timeout: Duration) -> rusqlite::Result<SharedConnection> {
        Ok(SharedConnection {
            conn: Mutex::new(crate::open(path, busy_timeout)?),
            path: path.to_path_buf(),
        })
    }

    /// The file this connection was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the caller's own statements; other threads wait
    /// until the guard is dropped.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held leaves the connection usable: an
        // open transaction rolls back when it is dropped.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction, committed when
    /// `work` succeeds and rolled back when it fails.
    ///
    /// Immediate, because the write lock is then taken at `BEGIN`, where the
    /// busy timeout makes it wait for another process's writer. A deferred
    /// transaction that reads and then writes would instead fail at once with
    /// `SQLITE_BUSY` when another process wrote in between, since its
    /// snapshot is stale and waiting cannot help.
    pub fn write<T, E>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        self.transaction(TransactionBehavior::Immediate, work)
    }

    /// Runs `work` in one read transaction, so that all it reads comes from
    /// one snapshot of the file (a counter and the rows it counts agree even
    /// while another process writes).
    pub fn read<T, E>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        self.transaction(TransactionBehavior::Deferred, work)
    }

    fn transaction<T, E>(
        &self,
        behavior: TransactionBehavior,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(behavior)?;
        let output = work(&tx)?;
        tx.commit()?;
        Ok(output)
    }
}
