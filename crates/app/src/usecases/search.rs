//! The desk's search: a caller's query turned into an index request within their merchants,
//! for the API and the console's search page.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use madoguchi_core::validation::ValidationError;
use madoguchi_search::{DocKind, SearchRequest, SortOrder};
use serde::Deserialize;

use super::error::{UseCaseError, UseCaseResult};
use crate::App;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words, characters, an order number, a phone number or a mail address.
    pub q: String,
    /// Merchant id or slug; all the caller's merchants when omitted.
    pub merchant: Option<String>,
    /// `message`, `customer` or `article`.
    pub kind: Option<String>,
    pub channel: Option<String>,
    /// Conversation status of messages.
    pub status: Option<String>,
    /// From this day (JST, `2026-11-01`) or instant (RFC 3339).
    pub from: Option<String>,
    /// Up to this day (JST, inclusive) or instant (exclusive).
    pub to: Option<String>,
    /// `relevance` (default) or `newest`.
    pub order: Option<String>,
    pub limit: Option<usize>,
}

/// A day in JST or an instant; `end` makes a day mean up to its end.
pub fn parse_time(field: &'static str, raw: &str, end: bool) -> Result<DateTime<Utc>, ValidationError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ValidationError::new(field, "invalid_date", "use a day (2026-11-01) or an RFC 3339 time"))?;
    let day = if end { day.succ_opt().unwrap_or(day) } else { day };
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Asia::Tokyo
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ValidationError::new(field, "invalid_date", "no such time in JST"))
}

/// Builds the index request for a caller's query (shared with the console's search page).
pub async fn request(st: &App, p: &madoguchi_core::access::Principal, q: &SearchQuery) -> UseCaseResult<SearchRequest> {
    let text = q.q.trim();
    if text.is_empty() {
        return Err(ValidationError::new("q", "required", "type something to search for").into());
    }
    if text.chars().count() > 200 {
        return Err(ValidationError::new("q", "too_long", "at most 200 characters").into());
    }
    let merchants = match &q.merchant {
        Some(m) => vec![st.store.resolve_merchant(&p.scope(), m).await?.to_string()],
        None => crate::search::merchants_in_scope(&st.store, p)
            .await
            .map_err(|e| UseCaseError::Internal(anyhow::anyhow!(e.to_string())))?,
    };
    let kinds = match q.kind.as_deref() {
        None | Some("") => vec![],
        Some("message") => vec![DocKind::Message],
        Some("customer") => vec![DocKind::Customer],
        Some("article") => vec![DocKind::Article],
        Some(_) => return Err(ValidationError::new("kind", "invalid_kind", "message, customer or article").into()),
    };
    let order = match q.order.as_deref() {
        None | Some("") | Some("relevance") => SortOrder::Relevance,
        Some("newest") => SortOrder::Newest,
        Some(_) => return Err(ValidationError::new("order", "invalid_order", "relevance or newest").into()),
    };
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ValidationError::new("limit", "out_of_range", format!("limit must be 1–{MAX_LIMIT}")).into());
    }
    Ok(SearchRequest {
        merchants,
        text: text.to_owned(),
        kinds,
        channel: q.channel.clone().filter(|c| !c.is_empty()),
        status: q.status.clone().filter(|s| !s.is_empty()),
        from: q.from.as_deref().filter(|s| !s.is_empty()).map(|f| parse_time("from", f, false)).transpose()?,
        to: q.to.as_deref().filter(|s| !s.is_empty()).map(|t| parse_time("to", t, true)).transpose()?,
        order,
        matching: madoguchi_search::Match::All,
        limit,
        exact: vec![],
        include_internal: false,
    })
}

pub const MAX_LIMIT: usize = 100;

/// What a query names exactly in the database rather than in the index: a ticket (HM-201), an
/// order number, a parcel's tracking number. The index finds words; these are keys, answered
/// at once and shown above the word matches.
#[derive(Debug, Default)]
pub struct Lookups {
    pub tickets: Vec<(madoguchi_core::merchant::Merchant, madoguchi_core::conversation::Conversation)>,
    /// Orders, with whether the tracking number (not the order number) found them.
    pub orders: Vec<(madoguchi_core::order::Order, bool)>,
}

pub async fn lookups(st: &App, p: &madoguchi_core::access::Principal, q: &str) -> UseCaseResult<Lookups> {
    use madoguchi_core::page::PageRequest;
    use madoguchi_store::conversations::ConversationFilter;
    use madoguchi_store::orders::OrderFilter;
    let mut out = Lookups::default();
    let text = madoguchi_search::analysis::nfkc(q.trim());
    if text.is_empty() || text.split_whitespace().count() > 1 || text.chars().count() > 64 {
        return Ok(out);
    }
    let scope = p.scope();
    if let Some((code, number)) = madoguchi_core::merchant::parse_ticket(&text) {
        let merchants = st.store.list_merchants(&scope, PageRequest::first(200)).await?.items;
        if let Some(m) = merchants.into_iter().find(|m| m.code == code) {
            let f = ConversationFilter { merchant: Some(m.id), number: Some(number), ..Default::default() };
            if let Some(c) = st.store.list_conversations(&scope, &f, PageRequest::first(1)).await?.items.pop() {
                out.tickets.push((m, c));
            }
        }
    }
    if text.chars().any(|c| c.is_ascii_digit()) && text.chars().all(|c| c.is_ascii_graphic()) {
        let by_number = OrderFilter { order_number: Some(text.clone()), ..Default::default() };
        out.orders.extend(
            st.store
                .list_orders(&scope, &by_number, PageRequest::first(10))
                .await?
                .items
                .into_iter()
                .map(|o| (o, false)),
        );
        // Slips print tracking numbers in groups (1234-5678-9012); they are stored as digits.
        let digits: String = text.chars().filter(|c| *c != '-').collect();
        let by_parcel = OrderFilter { tracking_number: Some(digits), ..Default::default() };
        for o in st.store.list_orders(&scope, &by_parcel, PageRequest::first(10)).await?.items {
            if !out.orders.iter().any(|(seen, _)| seen.id == o.id) {
                out.orders.push((o, true));
            }
        }
    }
    Ok(out)
}
