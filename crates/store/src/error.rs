//! The store's one error type. Callers see "not found" and "conflict" as such; everything else
//! is an internal failure whose cause is logged, never shown to clients.

use madoguchi_core::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or exists outside the caller's scope (the same thing to them).
    #[error("not found")]
    NotFound,
    /// The change contradicts what is stored (a taken slug, a duplicate order number, …).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The input breaks a rule only the store can check (an order of another merchant, …).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// A stored value this code cannot read: a bug or a hand-edited database.
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Conflict { code, message: message.into() }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::conflict("already_exists", "a record with the same unique key already exists")
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Invalid(ValidationError::new(
                "reference",
                "invalid_reference",
                "a referenced record does not exist for this merchant",
            )),
            _ => StoreError::Database(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
