//! Knowledge-base search: the published articles of one merchant matching a question, for the
//! API, the agent's conversation page, the help center and the bot.

use madoguchi_core::ids::ArticleId;
use madoguchi_search::{DocKind, SearchRequest};
use serde::Serialize;

use super::error::{UseCaseError, UseCaseResult};
use crate::App;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KbResult {
    pub article_id: ArticleId,
    pub external_id: Option<String>,
    pub question: String,
    pub score: f32,
    pub snippet: String,
}

/// Published articles of a merchant matching a question (also for the help center and the bot).
pub async fn kb_search(
    st: &App,
    merchant: madoguchi_core::ids::MerchantId,
    q: &str,
    limit: usize,
) -> UseCaseResult<Vec<KbResult>> {
    let r = SearchRequest {
        merchants: vec![merchant.to_string()],
        text: q.chars().take(200).collect(),
        kinds: vec![DocKind::Article],
        status: Some("published".into()),
        matching: madoguchi_search::Match::Any,
        limit,
        ..Default::default()
    };
    let hits = st.search.index.search(&r).map_err(|e| UseCaseError::Internal(anyhow::anyhow!(e)))?;
    let scope = madoguchi_core::access::Scope::Merchants(vec![merchant]);
    let mut out = Vec::with_capacity(hits.len());
    for h in hits {
        let Ok(aid) = h.id.parse::<ArticleId>() else { continue };
        // The index may lag a deletion by a moment: what is gone is left out.
        let Ok(a) = st.store.get_article(&scope, aid).await else { continue };
        out.push(KbResult {
            article_id: a.id,
            external_id: a.external_id,
            question: a.question,
            score: h.score,
            snippet: h.snippet,
        });
    }
    Ok(out)
}
