//! The console's search page: one box for words, order numbers, phone numbers and mail
//! addresses, within the user's shops; exact matches first, then by relevance or newest.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::enums::SubjectType;
use madoguchi_core::page::PageRequest;
use madoguchi_search::DocKind;
use serde::Deserialize;

use super::conversation::jst;
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, Texts};
use crate::web::ConsoleUser;
use madoguchi_app::usecases::search::SearchQuery;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    order: String,
}

pub struct ResultView {
    kind: &'static str,
    merchant: String,
    title: String,
    link: Option<String>,
    /// Escaped text with `<mark>` around the matches (made by the index).
    snippet: String,
    at: String,
    exact: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    q: String,
    kind: String,
    newest: bool,
    results: Vec<ResultView>,
    error: Option<String>,
    searched: bool,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let t = lang.t();
    let ConsoleUser { session, principal: p } = user;
    let mut page = Page {
        lang: lang.code(),
        t,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        q: q.q.clone(),
        kind: q.kind.clone(),
        newest: q.order == "newest",
        results: vec![],
        error: None,
        searched: !q.q.trim().is_empty(),
    };
    if !page.searched {
        return Ok(render(StatusCode::OK, &page));
    }
    let query = SearchQuery {
        q: q.q.clone(),
        merchant: None,
        kind: Some(q.kind.clone()),
        channel: None,
        status: None,
        from: None,
        to: None,
        order: Some(q.order.clone()),
        limit: Some(50),
    };
    let request = match madoguchi_app::usecases::search::request(&st, &p, &query).await {
        Ok(r) => r,
        Err(e) => {
            page.error = Some(ApiError::from(e).to_string());
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let lookups = madoguchi_app::usecases::search::lookups(&st, &p, &q.q).await?;
    let hits =
        madoguchi_app::search::run(&st.search, &p, request).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let merchants = st.store.list_merchants(&p.scope(), PageRequest::first(200)).await?.items;
    let shop_name =
        |id: &str| merchants.iter().find(|m| m.id.to_string() == id).map(|m| m.name.clone()).unwrap_or_default();
    let customers: Vec<_> = hits
        .iter()
        .filter(|h| h.kind == DocKind::Customer)
        .filter_map(|h| Some((h.merchant.parse().ok()?, h.id.clone())))
        .collect();
    madoguchi_app::usecases::audit::audit_read(&st, &p, SubjectType::Customer, &customers).await?;
    // A phone number that is one customer's: the lookup lands on their page.
    let phone_lookup = madoguchi_app::search::exact_keys(&q.q).iter().any(|k| k.starts_with("phone:"));
    let exact_customers: Vec<&madoguchi_search::Hit> =
        hits.iter().filter(|h| h.kind == DocKind::Customer && h.exact).collect();
    if phone_lookup && exact_customers.len() == 1 && lookups.orders.is_empty() {
        return Ok(Redirect::to(&format!("/desk/customers/{}", exact_customers[0].id)).into_response());
    }
    let ct = crate::i18n::customer_texts(lang);
    for (m, c) in &lookups.tickets {
        page.results.push(ResultView {
            kind: ct.col_ticket,
            merchant: m.name.clone(),
            title: format!("{} {}", m.ticket(c.number), c.subject.clone().unwrap_or_else(|| t.no_subject.to_owned())),
            link: Some(format!("/desk/conversations/{}", c.id)),
            snippet: String::new(),
            at: jst(c.created_at),
            exact: true,
        });
    }
    for (o, by_parcel) in &lookups.orders {
        let parcels: Vec<String> = o
            .shipments
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} ・ {}",
                    crate::i18n::carrier(lang, s.carrier),
                    t.tracking,
                    s.tracking_number.as_deref().unwrap_or("—"),
                    crate::i18n::shipment_status(lang, s.status)
                )
            })
            .collect();
        page.results.push(ResultView {
            kind: if *by_parcel { ct.tracking_result } else { ct.order_result },
            merchant: shop_name(&o.merchant_id.to_string()),
            title: format!("{} {}", ct.search_orders, o.order_number),
            link: o.customer_id.map(|c| format!("/desk/customers/{c}")),
            snippet: askama::filters::escape(parcels.join(" / "), askama::filters::Html)
                .map(|e| e.to_string())
                .unwrap_or_default(),
            at: jst(o.ordered_at),
            exact: true,
        });
    }
    // One row per conversation: its best-matching message stands for it.
    let mut seen_conversations = std::collections::HashSet::new();
    for h in hits {
        if let Some(c) = &h.conversation
            && !seen_conversations.insert(c.clone())
        {
            continue;
        }
        page.results.push(ResultView {
            kind: match (h.kind, lang) {
                (DocKind::Message, Lang::Ja) => "問い合わせ",
                (DocKind::Customer, Lang::Ja) => "お客様",
                (DocKind::Article, Lang::Ja) => "FAQ",
                (DocKind::Message, Lang::En) => "Conversation",
                (DocKind::Customer, Lang::En) => "Customer",
                (DocKind::Article, Lang::En) => "FAQ",
            },
            merchant: shop_name(&h.merchant),
            title: if h.title.is_empty() { t.no_subject.to_owned() } else { h.title.clone() },
            link: match h.kind {
                DocKind::Message => h.conversation.as_ref().map(|c| format!("/desk/conversations/{c}")),
                DocKind::Customer => Some(format!("/desk/customers/{}", h.id)),
                DocKind::Article => {
                    merchants.iter().find(|m| m.id.to_string() == h.merchant).map(|m| match p.can_edit_kb() {
                        true => format!("/settings/{}/kb?edit={}", m.slug, h.id),
                        false => format!("/help/{}/articles/{}", m.slug, h.id),
                    })
                }
            },
            snippet: h.snippet,
            at: jst(h.at),
            exact: h.exact,
        });
    }
    Ok(render(StatusCode::OK, &page))
}
