//! Madoguchi's persistence: one [`Store`] over SQLite (embedded default) or PostgreSQL
//! (several app nodes), chosen by the database URL. SQL is written once with `$n` parameters,
//! which both dialects accept; the [`on_db!`] macro expands a body once per backend so each
//! query is compiled against its own driver's types.
//!
//! Every function that touches merchant data takes the caller's [`Scope`](madoguchi_core::access::Scope)
//! first: a record outside it is [`StoreError::NotFound`].

mod error;
mod rows;

pub mod audit;
pub mod blobs;
pub mod bot;
pub mod cases;
pub mod channel_accounts;
pub mod conversations;
pub mod customers;
pub mod duplicates;
pub mod escalations;
pub mod history;
pub mod inbound;
pub mod invitations;
pub mod kb;
pub mod merchants;
pub mod order_imports;
pub mod orders;
pub mod outbox;
pub mod playbook;
pub mod policies;
pub mod presence;
pub mod routing;
pub mod schema;
pub mod search_feed;
pub mod sessions;
pub mod transfer;
pub mod users;
pub mod voice;

pub use error::{Result, StoreError};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database. Cheap to clone (it is a pool handle).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

/// A write transaction on either backend. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Runs `$body` with `$c` bound to the backend's connection (or pool), once per dialect.
/// Usage: `on_db!(tx, c => sqlx::query("…").execute(&mut *c).await.map(|r| r.rows_affected()))`.
#[macro_export]
macro_rules! on_db {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c: &mut sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}

/// Like [`on_db!`] but on the pool, for reads that need no transaction.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($p) => $body,
            $crate::Backend::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// How much of an SQLite database file reads map into memory (address space, not memory).
const MMAP_BYTES: u64 = 1 << 30;

impl Store {
    /// Opens the database at `url` (`sqlite://path`, `postgres://…`) without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a committed contact survives a power cut, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                // Rows of a long result (an index rebuild's pages) are handed from SQLite's
                // thread in big runs instead of waking the reader for every few.
                .row_buffer_size(1024)
                // Reads map the file instead of copying pages into each connection's small
                // cache: the connections share the OS page cache, and a scan of every message
                // (an index rebuild) stops allocating and freeing a page per read. Writes still
                // go through the WAL as before.
                .pragma("mmap_size", MMAP_BYTES.to_string())
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?;
            Ok(Store { backend: Backend::Sqlite(pool) })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(PgConnectOptions::from_str(url)?).await
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// Opens the database for a one-off bulk load (demo data, imports into a fresh install). On
    /// SQLite it skips fsync on every commit and uses one connection: a crash mid-load leaves a
    /// half-loaded install to be deleted, never a corrupt one. Close it before serving.
    pub async fn open_for_bulk_load(url: &str) -> Result<Store> {
        if !url.starts_with("sqlite:") {
            return Self::open(url).await;
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Off)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        let store = Store { backend: Backend::Sqlite(pool) };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a PostgreSQL database using `schema` (created if missing) instead of `public`:
    /// lets several installations, or parallel tests, share one database.
    pub async fn connect_postgres_schema(url: &str, schema: &str) -> Result<Store> {
        if !schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(StoreError::UnsupportedUrl(format!("bad schema name {schema:?}")));
        }
        let base = PgConnectOptions::from_str(url)?;
        let admin = PgPoolOptions::new().max_connections(1).connect_with(base.clone()).await?;
        // The name was checked above to be a plain identifier.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {schema}"))).execute(&admin).await?;
        admin.close().await;
        Self::connect_postgres(base.options([("search_path", schema)])).await
    }

    async fn connect_postgres(opts: PgConnectOptions) -> Result<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Store { backend: Backend::Postgres(pool) })
    }

    /// Opens and migrates: what every command that serves uses.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Applies pending migrations of this dialect.
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Backend::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        self.backfill_name_keys().await
    }

    /// Begins a write transaction. SQLite takes the write lock at once (`BEGIN IMMEDIATE`) so
    /// two writers queue instead of failing when one upgrades from reading to writing.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.backend {
            Backend::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Begins a read-only transaction that sees one moment of the database throughout (an
    /// export while the server keeps writing): SQLite's deferred `BEGIN` holds its WAL snapshot
    /// from the first read; PostgreSQL needs `REPEATABLE READ`.
    pub async fn begin_snapshot(&self) -> Result<Tx> {
        Ok(match &self.backend {
            Backend::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN").await?),
            Backend::Postgres(p) => {
                Tx::Postgres(p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?)
            }
        })
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

impl Store {
    /// Drops a schema made by [`Store::connect_postgres_schema`]; tests clean up with it.
    pub async fn drop_schema_for_tests(&self, schema: &str) -> Result<()> {
        if !schema.starts_with("t_") || !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::UnsupportedUrl(format!("refusing to drop schema {schema:?}")));
        }
        if let Backend::Postgres(p) = &self.backend {
            // The name was checked above to be a test schema identifier.
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).execute(p).await?;
        }
        Ok(())
    }
}
