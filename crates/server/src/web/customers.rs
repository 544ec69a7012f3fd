//! The customer page: who the customer is, every contact detail, every conversation, their
//! orders and parcels, notes and what was merged into them. A phone lookup lands here, and a new
//! contact for the customer starts here.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use madoguchi_core::enums::AuditAction;
use madoguchi_core::enums::SubjectType;
use madoguchi_core::ids::CustomerId;
use madoguchi_core::page::PageRequest;
use madoguchi_store::audit::AuditFilter;
use madoguchi_store::conversations::ConversationFilter;
use madoguchi_store::merchants::MerchantKey;

use super::conversation::{CustomerView, customer_view, jst};
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{self, CustomerTexts, Lang, Texts};
use crate::web::ConsoleUser;

pub struct ConversationRow {
    id: String,
    ticket: String,
    received: String,
    channel: &'static str,
    status: &'static str,
    subject: String,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    ct: &'static CustomerTexts,
    chrome: crate::web::chrome::Chrome,
    id: String,
    merchant: String,
    cu: CustomerView,
    conversations: Vec<ConversationRow>,
    merges: Vec<String>,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let ConsoleUser { session, principal: p } = user;
    let scope = p.scope();
    // Another shop's customer is not there, just like one that does not exist.
    let cid = id.parse::<CustomerId>().map_err(|_| ApiError::not_found())?;
    let customer = st.store.get_customer(&scope, cid).await?;
    let merchant = st.store.get_merchant(&scope, MerchantKey::Id(customer.merchant_id)).await?;
    let cu = customer_view(&st, &p, &scope, lang, &customer, None, None).await?;
    let conversations = st
        .store
        .list_conversations(
            &scope,
            &ConversationFilter { customer: Some(cid), ..Default::default() },
            PageRequest::first(200),
        )
        .await?
        .items
        .into_iter()
        .map(|c| ConversationRow {
            id: c.id.to_string(),
            ticket: merchant.ticket(c.number),
            received: jst(c.created_at),
            channel: i18n::channel(lang, c.channel),
            status: i18n::status(lang, c.status),
            subject: c.subject.unwrap_or_else(|| lang.t().no_subject.to_owned()),
        })
        .collect();
    let ct = i18n::customer_texts(lang);
    let merges = st
        .store
        .list_audit_events(
            &scope,
            &AuditFilter {
                merchant: Some(customer.merchant_id),
                subject_type: Some(SubjectType::Customer),
                subject_id: Some(cid.to_string()),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .await?
        .items
        .into_iter()
        .filter(|e| e.action == AuditAction::Merge)
        .map(|e| format!("{} {}", jst(e.created_at), ct.merged_from))
        .collect();
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        ct,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        id: cid.to_string(),
        merchant: merchant.name,
        cu,
        conversations,
        merges,
    };
    Ok(render(StatusCode::OK, &page))
}
