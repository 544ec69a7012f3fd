//! The merchant portal: a shop's escalations, open and overdue first, each answerable in place.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::enums::{EscalationStatus, Role};
use madoguchi_core::ids::EscalationId;
use madoguchi_core::page::PageRequest;
use madoguchi_store::escalations::EscalationFilter;
use serde::Deserialize;

use super::conversation::{EscalationView, escalation_view};
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, Texts};
use crate::web::ConsoleUser;

#[derive(Template)]
#[template(path = "portal.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    items: Vec<EscalationView>,
    can_answer: bool,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let t = lang.t();
    let ConsoleUser { session, principal: p } = user;
    let scope = p.scope();
    let mut all = st.store.list_escalations(&scope, &EscalationFilter::default(), PageRequest::first(200)).await?.items;
    // Open ones first, soonest due first (overdue at the top); then the latest answers.
    all.sort_by_key(|e| {
        (
            e.status != EscalationStatus::Open,
            if e.status == EscalationStatus::Open { e.due_at.timestamp() } else { -e.created_at.timestamp() },
        )
    });
    let merchants = st.store.list_merchants(&scope, PageRequest::first(200)).await?.items;
    let mut items = Vec::with_capacity(all.len());
    for e in &all {
        let subject = st.store.get_conversation(&scope, e.conversation_id).await?.subject.unwrap_or_default();
        let merchant = merchants.iter().find(|m| m.id == e.merchant_id).map(|m| m.name.clone()).unwrap_or_default();
        items.push(escalation_view(t, e, merchant, subject));
    }
    let page = Page {
        lang: lang.code(),
        t,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        items,
        can_answer: matches!(p.role, Role::MerchantAdmin | Role::MerchantStaff | Role::Admin),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    csrf: String,
    answer: String,
    /// Answered from the conversation page: back to it rather than to the portal.
    #[serde(default)]
    from_conversation: bool,
}

pub async fn answer(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&form.csrf)?.clone();
    let eid: EscalationId = id.parse().map_err(|_| ApiError::not_found())?;
    st.store.get_escalation(&p.scope(), eid).await?;
    if !matches!(p.role, Role::MerchantAdmin | Role::MerchantStaff | Role::Admin) {
        return Err(ApiError::forbidden("the merchant answers its escalations"));
    }
    let text = madoguchi_core::escalation::EscalationAnswer { answer: form.answer }.validate()?;
    let e = st.store.answer_escalation(&p.scope(), p.user_id, eid, &text).await?;
    let back =
        if form.from_conversation { format!("/desk/conversations/{}", e.conversation_id) } else { "/portal".into() };
    Ok(Redirect::to(&back).into_response())
}
