//! The ledger: every payment session, its status history, and the webhook
//! events already applied — on SQLite (a file in the service's data
//! directory) or PostgreSQL (a URL).
//!
//! Why it is built the way it is:
//!
//! - **Two processes at once.** During a hot swap the old and the new
//!   version of the service run together against the same ledger. SQLite is
//!   opened in WAL mode with a busy timeout, and every write transaction
//!   starts with `BEGIN IMMEDIATE`, so writers queue instead of failing; on
//!   PostgreSQL rows are locked (`FOR UPDATE`) and migrations take an
//!   advisory lock.
//! - **Idempotency is the database's job.** `sessions.idempotency_key` is
//!   `UNIQUE` and a create is `INSERT … ON CONFLICT (idempotency_key) DO
//!   NOTHING`: whichever process or retry comes second finds the first one's
//!   row. No check-then-insert race exists to lose.
//! - **Nothing is answered before it is committed.** Each method commits
//!   before it returns; SQLite runs with `synchronous = FULL`, so a commit
//!   survives a power cut too (a ledger of money is worth the fsync).
//! - **History is append-only.** `session_events` gets one row per status
//!   change, and triggers refuse `UPDATE` and `DELETE` on it.
//! - **Migrations only add.** The version still serving must keep working
//!   on the schema the new one migrated, so a migration adds tables,
//!   columns or indexes and never drops or renames; a newer schema than
//!   this version knows is used as it is. The SQL is the same on both
//!   engines except where their types differ (the event sequence, the
//!   trigger syntax).
//! - **No compile-time database.** Queries are plain `sqlx::query` strings
//!   with `$n` placeholders, which both engines accept.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::amount::{Amount, Currency};
use crate::checkout::NewSession;
use crate::provider::ProviderSession;
use crate::webhook::WebhookEvent;
use crate::PaymentError;

/// How long a SQLite writer waits for another process's transaction before
/// giving up with "database is locked". Generous: a swap's two versions may
/// both be writing, and each transaction is short.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per process on SQLite (writes serialise anyway; a few let
/// reads go on beside a write).
const SQLITE_MAX_CONNECTIONS: u32 = 4;
/// Connections per process on PostgreSQL.
const POSTGRES_MAX_CONNECTIONS: u32 = 8;
/// How long to wait for a pooled connection before failing the call.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);
/// The key of the PostgreSQL advisory lock that serialises migrations of
/// two processes starting at once ("payments" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x7061_796d_656e_7473;
/// File name of the ledger in a service's data directory.
pub const DEFAULT_FILE_NAME: &str = "payments.sqlite3";

pub use crate::session::{
    CreateOutcome, Session, SessionEvent, Status, StatusChange, WebhookOutcome,
};

/// Which database a [`Ledger`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Engine {
    /// How a write transaction begins. SQLite's `IMMEDIATE` takes the write
    /// lock up front, so a transaction that reads before it writes cannot
    /// fail half-way with `SQLITE_BUSY` when another process writes.
    fn begin(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
    }

    /// Row lock for a read that precedes a write (SQLite's transaction
    /// already holds the database's write lock).
    fn for_update(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }
}

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool and `$engine` to
/// its [`Engine`]: the body is written once and compiled for both drivers.
macro_rules! on_db {
    ($db:expr, $pool:ident, $engine:ident => $body:block) => {
        match $db {
            Db::Sqlite($pool) => {
                let $engine = Engine::Sqlite;
                let _ = $engine;
                $body
            }
            Db::Postgres($pool) => {
                let $engine = Engine::Postgres;
                let _ = $engine;
                $body
            }
        }
    };
}

/// Appends one status event inside transaction `$tx`.
macro_rules! append_event {
    ($tx:ident, $id:expr, $status:expr, $source:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO session_events (session_id, status, source, at_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind($id)
        .bind($status.as_str())
        .bind($source)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    };
}

/// Sets a session's status and appends its event inside transaction `$tx`.
macro_rules! set_status {
    ($tx:ident, $id:expr, $status:expr, $source:expr, $now:expr) => {
        sqlx::query("UPDATE sessions SET status = $2, updated_at_ms = $3 WHERE id = $1")
            .bind($id)
            .bind($status.as_str())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        append_event!($tx, $id, $status, $source, $now);
    };
}

/// Records a webhook event id inside `$tx`; false if it was already there
/// (the insert waits for a concurrent one to commit, then skips).
macro_rules! insert_webhook_event {
    ($tx:ident, $event:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO webhook_events (event_id, event_type, provider_session_id, outcome, \
             received_at_ms) VALUES ($1, $2, $3, 'pending', $4) \
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&$event.id)
        .bind(&$event.event_type)
        .bind(&$event.provider_session_id)
        .bind($now)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1
    };
}

/// Stores what a webhook event did, for whoever audits the table later.
macro_rules! set_webhook_outcome {
    ($tx:ident, $event:expr, $outcome:expr) => {
        sqlx::query("UPDATE webhook_events SET outcome = $2 WHERE event_id = $1")
            .bind(&$event.id)
            .bind($outcome.as_str())
            .execute(&mut *$tx)
            .await?;
    };
}

/// A schema migration: statements per engine, applied once, in order.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
}

impl Migration {
    fn statements(&self, engine: Engine) -> &'static [&'static str] {
        match engine {
            Engine::Sqlite => self.sqlite,
            Engine::Postgres => self.postgres,
        }
    }
}

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS payments_schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_ms BIGINT NOT NULL
)";

const CREATE_SESSIONS: &str = "CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    request_fingerprint TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    product_name TEXT NOT NULL,
    customer_email TEXT,
    metadata TEXT NOT NULL,
    success_url TEXT NOT NULL,
    cancel_url TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_session_id TEXT UNIQUE,
    checkout_url TEXT,
    status TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
)";

const CREATE_SESSION_EVENTS_SQLITE: &str = "CREATE TABLE session_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    at_ms BIGINT NOT NULL
)";

const CREATE_SESSION_EVENTS_POSTGRES: &str = "CREATE TABLE session_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    at_ms BIGINT NOT NULL
)";

const CREATE_SESSION_EVENTS_INDEX: &str =
    "CREATE INDEX session_events_by_session ON session_events (session_id, seq)";

const CREATE_WEBHOOK_EVENTS: &str = "CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    provider_session_id TEXT,
    outcome TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
)";

/// Every migration, oldest first. Add new ones at the end; never edit or
/// remove one that has shipped (a deployed ledger has it recorded as done).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "sessions and their append-only status events",
        sqlite: &[
            CREATE_SESSIONS,
            CREATE_SESSION_EVENTS_SQLITE,
            CREATE_SESSION_EVENTS_INDEX,
            "CREATE TRIGGER session_events_no_update BEFORE UPDATE ON session_events
             BEGIN SELECT RAISE(ABORT, 'session_events is append-only'); END",
            "CREATE TRIGGER session_events_no_delete BEFORE DELETE ON session_events
             BEGIN SELECT RAISE(ABORT, 'session_events is append-only'); END",
        ],
        postgres: &[
            CREATE_SESSIONS,
            CREATE_SESSION_EVENTS_POSTGRES,
            CREATE_SESSION_EVENTS_INDEX,
            "CREATE OR REPLACE FUNCTION payments_append_only() RETURNS trigger
             LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
            "CREATE TRIGGER session_events_append_only BEFORE UPDATE OR DELETE ON session_events
             FOR EACH ROW EXECUTE FUNCTION payments_append_only()",
        ],
    },
    Migration {
        version: 2,
        name: "applied webhook events",
        sqlite: &[CREATE_WEBHOOK_EVENTS],
        postgres: &[CREATE_WEBHOOK_EVENTS],
    },
];

/// The newest schema version this code knows.
pub const SCHEMA_VERSION: i64 = 2;

const SESSION_COLUMNS: &str = "id, idempotency_key, request_fingerprint, amount_minor, currency, \
     product_name, customer_email, metadata, success_url, cancel_url, provider, \
     provider_session_id, checkout_url, status, created_at_ms, updated_at_ms";

/// The payment ledger. Cheap to clone (a connection pool); `Send + Sync`.
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    location: String,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("engine", &self.engine())
            .field("location", &self.location)
            .finish()
    }
}

impl Ledger {
    /// Opens (creating and migrating if needed) the ledger at `location`: a
    /// `postgres://` or `postgresql://` URL, a `sqlite:` URL, or a file path.
    pub async fn open(location: &str) -> Result<Ledger, PaymentError> {
        Ledger::open_at_schema_version(location, SCHEMA_VERSION).await
    }

    /// The ledger's location for a service: `DATABASE_URL` when it is set,
    /// else [`DEFAULT_FILE_NAME`] in `data_dir`.
    pub fn location_from_env(data_dir: &std::path::Path) -> String {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => data_dir.join(DEFAULT_FILE_NAME).display().to_string(),
        }
    }

    /// Opens the ledger migrated only up to `version`: how tests make the
    /// schema an older release left, to check that upgrading keeps data.
    #[doc(hidden)]
    pub async fn open_at_schema_version(
        location: &str,
        version: i64,
    ) -> Result<Ledger, PaymentError> {
        let shown = redact_location(location);
        let open_err = |source: sqlx::Error| PaymentError::LedgerOpen {
            location: shown.clone(),
            source,
        };
        let db = if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(location).map_err(open_err)?;
            // One direct connection first: the pool would retry an
            // unreachable server until its acquire timeout, while a wrong
            // URL or password should fail the start at once, with the
            // server's reason.
            sqlx::Connection::close(
                <sqlx::PgConnection as sqlx::Connection>::connect_with(&options)
                    .await
                    .map_err(open_err)?,
            )
            .await
            .map_err(open_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(open_err)?;
            Db::Postgres(pool)
        } else {
            let options = if location.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(location).map_err(open_err)?
            } else if let Some((scheme, _)) = location.split_once("://") {
                return Err(PaymentError::Config(format!(
                    "ledger location uses {scheme:?}: give a postgres:// URL, a sqlite: URL or a file path"
                )));
            } else {
                SqliteConnectOptions::new().filename(location)
            };
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(SQLITE_MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(open_err)?;
            Db::Sqlite(pool)
        };
        let ledger = Ledger {
            db,
            location: shown.clone(),
        };
        ledger.migrate(version).await.map_err(|e| match e {
            PaymentError::Database(source) => open_err(source),
            other => other,
        })?;
        Ok(ledger)
    }

    /// Which database this ledger is on.
    pub fn engine(&self) -> Engine {
        match self.db {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// The location, without credentials.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// The schema versions recorded as applied, ascending.
    pub async fn schema_versions(&self) -> Result<Vec<i64>, PaymentError> {
        on_db!(&self.db, pool, engine => {
            let rows = sqlx::query("SELECT version FROM payments_schema_migrations ORDER BY version")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| r.try_get::<i64, _>("version").map_err(PaymentError::from))
                .collect()
        })
    }

    async fn migrate(&self, up_to: i64) -> Result<(), PaymentError> {
        let now = now_ms();
        on_db!(&self.db, pool, engine => {
            let mut tx = pool.begin_with(engine.begin()).await?;
            if engine == Engine::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(MIGRATION_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(CREATE_MIGRATIONS_TABLE).execute(&mut *tx).await?;
            let applied: Vec<i64> = sqlx::query("SELECT version FROM payments_schema_migrations")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>("version"))
                .collect::<Result<_, _>>()?;
            for m in MIGRATIONS
                .iter()
                .filter(|m| m.version <= up_to && !applied.contains(&m.version))
            {
                for statement in m.statements(engine) {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
                sqlx::query(
                    "INSERT INTO payments_schema_migrations (version, name, applied_at_ms) \
                     VALUES ($1, $2, $3)",
                )
                .bind(m.version)
                .bind(m.name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tracing::info!(version = m.version, name = m.name, "payments ledger migrated");
            }
            tx.commit().await?;
            if let Some(newest) = applied.iter().max().filter(|v| **v > SCHEMA_VERSION) {
                // A newer version migrated ahead (during a swap, or before
                // a rollback): its migrations only add, so this one works on.
                tracing::info!(newest, known = SCHEMA_VERSION, "payments ledger schema is newer than this version");
            }
            Ok(())
        })
    }

    /// Records a new session in status `created`, for `provider` — or, when
    /// `new` carries an idempotency key already recorded, returns that
    /// key's session (`created: false`). The same key with different
    /// parameters is refused ([`PaymentError::IdempotencyConflict`]).
    ///
    /// Race-safe across processes: the unique key decides, not a prior read.
    pub async fn create_session(
        &self,
        new: &NewSession,
        provider: &str,
    ) -> Result<CreateOutcome, PaymentError> {
        let id = new_session_id()?;
        let fingerprint = new.fingerprint();
        let metadata = serde_json::to_string(&new.metadata)
            .map_err(|e| PaymentError::Corrupt(format!("metadata not serialisable: {e}")))?;
        let now = now_ms();
        let session = Session {
            id: id.clone(),
            idempotency_key: new.idempotency_key.clone(),
            amount: new.amount,
            product_name: new.product_name.clone(),
            customer_email: new.customer_email.clone(),
            metadata: new.metadata.clone(),
            success_url: new.success_url.clone(),
            cancel_url: new.cancel_url.clone(),
            provider: provider.to_string(),
            provider_session_id: None,
            checkout_url: None,
            status: Status::Created,
            created_at_ms: now,
            updated_at_ms: now,
        };
        let found = on_db!(&self.db, pool, engine => {
            let mut tx = pool.begin_with(engine.begin()).await?;
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, idempotency_key, request_fingerprint, amount_minor, \
                 currency, product_name, customer_email, metadata, success_url, cancel_url, \
                 provider, status, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&id)
            .bind(&new.idempotency_key)
            .bind(&fingerprint)
            .bind(new.amount.minor_units())
            .bind(new.amount.currency().code())
            .bind(&new.product_name)
            .bind(&new.customer_email)
            .bind(&metadata)
            .bind(&new.success_url)
            .bind(&new.cancel_url)
            .bind(provider)
            .bind(Status::Created.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                append_event!(tx, &id, Status::Created, "create", now);
                tx.commit().await?;
                None
            } else {
                let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE idempotency_key = $1");
                let row = sqlx::query(&sql)
                    .bind(&new.idempotency_key)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                match row {
                    Some(row) => Some(session_from_row(&row)?),
                    None => {
                        return Err(PaymentError::Corrupt(format!(
                            "session insert {id} was skipped but no session has its idempotency key"
                        )))
                    }
                }
            }
        });
        match found {
            None => Ok(CreateOutcome {
                session,
                created: true,
            }),
            Some((existing, stored_fingerprint)) => {
                if stored_fingerprint != fingerprint {
                    return Err(PaymentError::IdempotencyConflict {
                        session_id: existing.id,
                    });
                }
                Ok(CreateOutcome {
                    session: existing,
                    created: false,
                })
            }
        }
    }

    /// Records the provider's checkout session (id, page) for session `id`
    /// and moves it to the provider's status (normally `open`), in one
    /// transaction. Recording the same provider session again changes
    /// nothing; a different one is refused (one session, one checkout).
    pub async fn record_checkout(
        &self,
        id: &str,
        checkout: &ProviderSession,
        source: &str,
    ) -> Result<Session, PaymentError> {
        let now = now_ms();
        on_db!(&self.db, pool, engine => {
            let mut tx = pool.begin_with(engine.begin()).await?;
            let sql = format!(
                "SELECT status, provider_session_id FROM sessions WHERE id = $1{}",
                engine.for_update()
            );
            let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(PaymentError::NotFound(id.to_string()));
            };
            let current: Status = row.try_get::<String, _>("status")?.parse()?;
            let existing: Option<String> = row.try_get("provider_session_id")?;
            match existing {
                Some(existing) if existing != checkout.id => {
                    return Err(PaymentError::Corrupt(format!(
                        "session {id} already has provider session {existing}, not {}",
                        checkout.id
                    )));
                }
                Some(_) => {}
                None => {
                    sqlx::query(
                        "UPDATE sessions SET provider_session_id = $2, checkout_url = $3, \
                         updated_at_ms = $4 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(&checkout.id)
                    .bind(&checkout.url)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            if current != checkout.status && current.can_become(checkout.status) {
                set_status!(tx, id, checkout.status, source, now);
            }
            tx.commit().await?;
        });
        self.get(id)
            .await?
            .ok_or_else(|| PaymentError::NotFound(id.to_string()))
    }

    /// Moves session `id` to `status`, appending one event with `source`,
    /// in one transaction. Repeating the current status changes nothing;
    /// a change the lifecycle forbids is refused
    /// ([`PaymentError::Transition`]).
    pub async fn record_status(
        &self,
        id: &str,
        status: Status,
        source: &str,
    ) -> Result<StatusChange, PaymentError> {
        let now = now_ms();
        on_db!(&self.db, pool, engine => {
            let mut tx = pool.begin_with(engine.begin()).await?;
            let sql = format!("SELECT status FROM sessions WHERE id = $1{}", engine.for_update());
            let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(PaymentError::NotFound(id.to_string()));
            };
            let current: Status = row.try_get::<String, _>("status")?.parse()?;
            if current == status {
                return Ok(StatusChange::Unchanged);
            }
            if !current.can_become(status) {
                return Err(PaymentError::Transition {
                    id: id.to_string(),
                    from: current,
                    to: status,
                });
            }
            set_status!(tx, id, status, source, now);
            tx.commit().await?;
            Ok(StatusChange::Changed { from: current })
        })
    }

    /// The session `id`, if the ledger has it.
    pub async fn get(&self, id: &str) -> Result<Option<Session>, PaymentError> {
        self.get_where("id", id).await
    }

    /// The session whose provider checkout session is `provider_session_id`.
    pub async fn get_by_provider_session_id(
        &self,
        provider_session_id: &str,
    ) -> Result<Option<Session>, PaymentError> {
        self.get_where("provider_session_id", provider_session_id)
            .await
    }

    /// The session created with idempotency key `key`.
    pub async fn get_by_idempotency_key(&self, key: &str) -> Result<Option<Session>, PaymentError> {
        self.get_where("idempotency_key", key).await
    }

    async fn get_where(&self, column: &str, value: &str) -> Result<Option<Session>, PaymentError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE {column} = $1");
        on_db!(&self.db, pool, engine => {
            let row = sqlx::query(&sql).bind(value).fetch_optional(pool).await?;
            row.map(|r| session_from_row(&r).map(|(s, _)| s)).transpose()
        })
    }

    /// The status history of session `id`, oldest first (empty for an
    /// unknown id).
    pub async fn events(&self, id: &str) -> Result<Vec<SessionEvent>, PaymentError> {
        on_db!(&self.db, pool, engine => {
            let rows = sqlx::query(
                "SELECT seq, status, source, at_ms FROM session_events \
                 WHERE session_id = $1 ORDER BY seq",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            rows.iter().map(event_from_row).collect()
        })
    }

    /// Whether the webhook event `event_id` was already applied.
    pub async fn webhook_event_applied(&self, event_id: &str) -> Result<bool, PaymentError> {
        on_db!(&self.db, pool, engine => {
            let row = sqlx::query("SELECT 1 AS one FROM webhook_events WHERE event_id = $1")
                .bind(event_id)
                .fetch_optional(pool)
                .await?;
            Ok(row.is_some())
        })
    }

    /// Applies a verified webhook event once: the event id is recorded and
    /// the session's status changed in one transaction, so a resent event,
    /// or the same event reaching two processes, changes nothing the second
    /// time ([`WebhookOutcome::Duplicate`]).
    pub async fn apply_webhook_event(
        &self,
        event: &WebhookEvent,
    ) -> Result<WebhookOutcome, PaymentError> {
        let Some(target) = event.target_status() else {
            if !event.is_checkout_event() {
                return Ok(WebhookOutcome::Ignored {
                    event_type: event.event_type.clone(),
                });
            }
            // A checkout event that changes no status (completed, payment
            // pending) is still recorded below.
            return self.record_webhook_without_status(event).await;
        };
        let now = now_ms();
        let source = format!("webhook {}", event.id);
        on_db!(&self.db, pool, engine => {
            let mut tx = pool.begin_with(engine.begin()).await?;
            if !insert_webhook_event!(tx, event, now) {
                tx.commit().await?;
                return Ok(WebhookOutcome::Duplicate);
            }
            let sql = format!(
                "SELECT id, status FROM sessions WHERE provider_session_id = $1{}",
                engine.for_update()
            );
            let row = sqlx::query(&sql)
                .bind(&event.provider_session_id)
                .fetch_optional(&mut *tx)
                .await?;
            let outcome = match row {
                None => WebhookOutcome::UnknownSession,
                Some(row) => {
                    let id: String = row.try_get("id")?;
                    let current: Status = row.try_get::<String, _>("status")?.parse()?;
                    if current == target {
                        WebhookOutcome::Applied { session_id: id, status: current, change: StatusChange::Unchanged }
                    } else if current.can_become(target) {
                        set_status!(tx, &id, target, &source, now);
                        WebhookOutcome::Applied { session_id: id, status: target, change: StatusChange::Changed { from: current } }
                    } else {
                        WebhookOutcome::NoChange {
                            reason: format!("session is {current}; it cannot become {target}"),
                            session_id: id,
                        }
                    }
                }
            };
            set_webhook_outcome!(tx, event, &outcome);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    async fn record_webhook_without_status(
        &self,
        event: &WebhookEvent,
    ) -> Result<WebhookOutcome, PaymentError> {
        let now = now_ms();
        on_db!(&self.db, pool, engine => {
            let mut tx = pool.begin_with(engine.begin()).await?;
            if !insert_webhook_event!(tx, event, now) {
                tx.commit().await?;
                return Ok(WebhookOutcome::Duplicate);
            }
            let row = sqlx::query("SELECT id FROM sessions WHERE provider_session_id = $1")
                .bind(&event.provider_session_id)
                .fetch_optional(&mut *tx)
                .await?;
            let outcome = match row {
                None => WebhookOutcome::UnknownSession,
                Some(row) => WebhookOutcome::NoChange {
                    session_id: row.try_get("id")?,
                    reason: format!(
                        "{} with payment status {}: waiting for the payment",
                        event.event_type,
                        event.payment_status.as_deref().unwrap_or("unknown")
                    ),
                },
            };
            set_webhook_outcome!(tx, event, &outcome);
            tx.commit().await?;
            Ok(outcome)
        })
    }
}

fn session_from_row<R>(row: &R) -> Result<(Session, String), PaymentError>
where
    R: Row,
    for<'i> &'i str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database>,
    Option<String>: Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database>,
    i64: Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let currency = Currency::from_code(&row.try_get::<String, _>("currency")?)
        .map_err(|e| PaymentError::Corrupt(format!("session {id}: {e}")))?;
    let amount = Amount::from_minor_units(row.try_get("amount_minor")?, currency)
        .map_err(|e| PaymentError::Corrupt(format!("session {id}: {e}")))?;
    let metadata: BTreeMap<String, String> =
        serde_json::from_str(&row.try_get::<String, _>("metadata")?)
            .map_err(|e| PaymentError::Corrupt(format!("session {id}: metadata: {e}")))?;
    let session = Session {
        idempotency_key: row.try_get("idempotency_key")?,
        amount,
        product_name: row.try_get("product_name")?,
        customer_email: row.try_get("customer_email")?,
        metadata,
        success_url: row.try_get("success_url")?,
        cancel_url: row.try_get("cancel_url")?,
        provider: row.try_get("provider")?,
        provider_session_id: row.try_get("provider_session_id")?,
        checkout_url: row.try_get("checkout_url")?,
        status: row.try_get::<String, _>("status")?.parse()?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        id,
    };
    Ok((session, row.try_get("request_fingerprint")?))
}

fn event_from_row<R>(row: &R) -> Result<SessionEvent, PaymentError>
where
    R: Row,
    for<'i> &'i str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database>,
    i64: Type<R::Database>,
{
    Ok(SessionEvent {
        seq: row.try_get("seq")?,
        status: row.try_get::<String, _>("status")?.parse()?,
        source: row.try_get("source")?,
        at_ms: row.try_get("at_ms")?,
    })
}

/// `ps_` and 128 random bits in hex: unguessable, since the sandbox page
/// and the status call take the id alone.
fn new_session_id() -> Result<String, PaymentError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        PaymentError::Config(format!("the OS gave no randomness for a session id: {e}"))
    })?;
    Ok(format!("ps_{}", hex::encode(bytes)))
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The location for messages and `Debug`: a URL loses its user, password
/// and query (which may hold `password=`); a path is shown as is.
pub(crate) fn redact_location(location: &str) -> String {
    if !location.contains("://") {
        return location.to_string();
    }
    match url::Url::parse(location) {
        Ok(url) => {
            let host = url.host_str().unwrap_or("");
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}{}", url.scheme(), url.path())
        }
        Err(_) => "(unparsable database URL)".to_string(),
    }
}
