//! How the chat bot did with the chats opened in a period: how many it resolved and how many it
//! handed to a person, with their rates.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::ids::MerchantId;
use madoguchi_core::validation::ValidationError;
use madoguchi_store::Store;
use serde::Serialize;

use crate::usecases::error::UseCaseResult;

/// The figures for chats opened from `from` up to `to`.
pub async fn bot_report(
    store: &Store,
    scope: &Scope,
    m: MerchantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> UseCaseResult<BotReport> {
    if from >= to {
        return Err(ValidationError::new("from", "invalid_range", "from must be before to").into());
    }
    let figures = store.bot_figures(scope, m, from, to).await?;
    Ok(BotReport { from, to, figures })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BotReport {
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    #[serde(flatten)]
    pub figures: madoguchi_core::bot::BotFigures,
}
