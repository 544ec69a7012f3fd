//! What a shop's knowledge base is missing: help-center searches that found nothing, and
//! published articles readers did not find helpful.

use madoguchi_core::access::Scope;
use madoguchi_core::ids::{ArticleId, MerchantId};
use madoguchi_store::Store;
use serde::Serialize;

use crate::usecases::error::UseCaseResult;

pub async fn faq_gaps(store: &Store, scope: &Scope, m: MerchantId) -> UseCaseResult<FaqGaps> {
    let unanswered = store.unanswered(scope, m, 50).await?;
    let mut poorly_rated: Vec<PoorlyRated> = store
        .list_articles(scope, m, None, true)
        .await?
        .into_iter()
        .filter(|a| a.helpful + a.unhelpful >= 3 && a.unhelpful > a.helpful)
        .map(|a| PoorlyRated { article_id: a.id, question: a.question, helpful: a.helpful, unhelpful: a.unhelpful })
        .collect();
    poorly_rated.sort_by_key(|a| std::cmp::Reverse(a.unhelpful - a.helpful));
    Ok(FaqGaps { unanswered, poorly_rated })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PoorlyRated {
    pub article_id: ArticleId,
    pub question: String,
    pub helpful: i64,
    pub unhelpful: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FaqGaps {
    /// Help-center searches that found nothing, most frequent first.
    pub unanswered: Vec<madoguchi_store::kb::Unanswered>,
    /// Published articles readers found unhelpful more often than helpful (at least 3 votes).
    pub poorly_rated: Vec<PoorlyRated>,
}
