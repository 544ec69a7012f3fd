//! The use cases' one error type: what went wrong in the desk's terms, without HTTP. The HTTP
//! layer maps it to a status and the API's error body once (`crate::error`).

use madoguchi_core::ValidationError;
use madoguchi_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// Input that does not fit, naming its field.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// What the store refused (not found, a conflict, a rule of the data) or failed at.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Malformed input that is not a field's: a mail that is not a mail.
    #[error("{message}")]
    Malformed { code: &'static str, message: String },
    /// Input over a size limit.
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    /// A fault of ours (the index, a bug): logged, not explained.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type UseCaseResult<T> = Result<T, UseCaseError>;
