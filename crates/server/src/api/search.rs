//! Search across what the caller may see: messages, customers (and, with the knowledge base,
//! articles). Exact lookups (order number, phone number in any format, mail address) lead.

use axum::extract::State;
use madoguchi_core::enums::SubjectType;
use madoguchi_search::{DocKind, Hit};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Json};
use madoguchi_app::usecases::audit::audit_read;
use madoguchi_app::usecases::search::{SearchQuery, request};

/// A conversation named by its ticket code (HM-201).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketFound {
    pub conversation_id: madoguchi_core::ids::ConversationId,
    pub merchant: String,
    pub ticket: String,
    pub subject: Option<String>,
}

/// An order named by its number or a parcel's tracking number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderFound {
    pub order_id: madoguchi_core::ids::OrderId,
    pub merchant_id: madoguchi_core::ids::MerchantId,
    pub order_number: String,
    pub customer_id: Option<madoguchi_core::ids::CustomerId>,
    /// Found by a parcel's tracking number rather than the order number.
    pub by_tracking_number: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// Exact lookups in the database, as the console shows them above the word matches.
    pub tickets: Vec<TicketFound>,
    pub orders: Vec<OrderFound>,
    pub results: Vec<Hit>,
    /// This node's index is still catching up after start-up: the lookups above are complete,
    /// word matches may be missing.
    pub indexing: bool,
}

/// Searches the caller's merchants: tickets, orders and tracking numbers in the database, then
/// words, names, phone numbers and addresses in the index — the same as the console's search.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn search(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let r = request(&st, &p, &q).await?;
    let found = madoguchi_app::usecases::search::lookups(&st, &p, &q.q).await?;
    let results = madoguchi_app::search::run(&st.search, &p, r)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e.to_string())))?;
    let customers: Vec<_> = results
        .iter()
        .filter(|h| h.kind == DocKind::Customer)
        .filter_map(|h| Some((h.merchant.parse().ok()?, h.id.clone())))
        .collect();
    audit_read(&st, &p, SubjectType::Customer, &customers).await?;
    let tickets = found
        .tickets
        .into_iter()
        .map(|(m, c)| TicketFound {
            conversation_id: c.id,
            merchant: m.slug.clone(),
            ticket: m.ticket(c.number),
            subject: c.subject,
        })
        .collect();
    let orders = found
        .orders
        .into_iter()
        .map(|(o, by_tracking_number)| OrderFound {
            order_id: o.id,
            merchant_id: o.merchant_id,
            order_number: o.order_number,
            customer_id: o.customer_id,
            by_tracking_number,
        })
        .collect();
    Ok(Json(SearchResults { tickets, orders, results, indexing: st.search.is_building() }))
}
