//! What an agent does on a conversation page: reply or note, typing, status and assignee,
//! wrap-up, delivery cases, recorded decisions, escalation to the shop, merging customers.

use super::*;
use madoguchi_store::blobs::NewBlob;

/// For a form posted on a conversation page: the signed-in user (CSRF checked) and the
/// conversation, which must be within their shops.
async fn conversation_form(
    st: &AppState,
    user: &ConsoleUser,
    csrf: &str,
    id: &str,
) -> Result<(Principal, Conversation), ApiError> {
    let p = user.checked(csrf)?.clone();
    let cid: ConversationId = id.parse().map_err(|_| ApiError::not_found())?;
    let c = st.store.get_conversation(&p.scope(), cid).await?;
    Ok((p, c))
}

/// Files a reply may carry, and the size of each.
const MAX_REPLY_FILES: usize = 5;
const MAX_REPLY_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The whole reply form: its files and text.
pub const MAX_REPLY_FORM_BYTES: usize = MAX_REPLY_FILES * MAX_REPLY_FILE_BYTES + 1024 * 1024;

/// A reply or note from the conversation page: text, for a mail its own subject and copies,
/// and files. A multipart form, so files travel with it; the security token comes first and is
/// checked before any file is read.
pub async fn add_message(
    State(st): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    let Some(user) = crate::web::files::upload_principal(&st, &jar, &mut multipart).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let p = user.principal.clone();
    let cid: ConversationId = id.parse().map_err(|_| ApiError::not_found())?;
    let c = st.store.get_conversation(&p.scope(), cid).await?;
    let back = |error: &str, field: &str| {
        Ok(Redirect::to(&format!("/desk/conversations/{cid}?error={error}&field={field}")).into_response())
    };
    let (mut kind, mut body) = (String::new(), String::new());
    let mut confirmed_other = false;
    let mut headers = madoguchi_core::conversation::MailHeaders::default();
    let mut files = Vec::new();
    while let Some(field) = crate::files::next_field(&mut multipart).await? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "files" {
            let Some((filename, data)) = crate::files::uploaded(field).await? else { continue };
            if files.len() >= MAX_REPLY_FILES {
                return back("too_many_files", "files");
            }
            if data.len() > MAX_REPLY_FILE_BYTES {
                return back("file_too_large", "files");
            }
            let Some(content_type) = madoguchi_channels::files::reply_file_type(&filename, &data) else {
                return back("file_type", "files");
            };
            files.push(NewBlob {
                filename: madoguchi_channels::files::clean_filename(&filename, "file"),
                content_type: content_type.into(),
                data,
            });
            continue;
        }
        let text = field.text().await.map_err(|e| ApiError::bad_request("malformed_form", e.to_string()))?;
        match name.as_str() {
            "kind" => kind = text,
            "body" => body = text,
            "subject" => headers.subject = Some(text),
            "cc" => headers.cc.push(text),
            "bcc" => headers.bcc.push(text),
            "confirmed_other" => confirmed_other = !text.is_empty(),
            _ => {}
        }
    }
    let kind = match kind.as_str() {
        "internal_note" => MessageKind::InternalNote,
        _ => MessageKind::Outbound,
    };
    let mut attachments = Vec::with_capacity(files.len());
    for f in &files {
        attachments.push(st.store.put_blob(&p.scope(), c.merchant_id, f).await?);
    }
    let msg = NewMessage {
        kind,
        body_text: body,
        body_html: None,
        attachments,
        provider_message_id: None,
        channel: None,
        mail: (c.channel == Channel::Email && kind == MessageKind::Outbound).then_some(headers),
    };
    // Someone else holds it: answering their customer is asked first (the page says whose it
    // is and the reply goes with the second press).
    if kind == MessageKind::Outbound && c.assignee_id.is_some_and(|a| a != p.user_id) && !confirmed_other {
        return back("assigned_other", "assignee");
    }
    use madoguchi_app::usecases::error::UseCaseError;
    match madoguchi_app::usecases::messages::write(&st, &p, cid, &msg).await {
        Ok(_) => Ok(Redirect::to(&format!("/desk/conversations/{cid}")).into_response()),
        Err(UseCaseError::Invalid(v)) | Err(UseCaseError::Store(madoguchi_store::StoreError::Invalid(v))) => {
            back("invalid", &v.field)
        }
        Err(e) => Err(e.into()),
    }
}

/// The agent is typing a reply: a web-chat visitor sees it. Nothing is stored.
pub async fn typing(
    State(st): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<crate::web::CsrfForm>,
) -> Result<Response, ApiError> {
    // Sent by the page's script, which wants a status, not the sign-in page.
    let Some(session) = crate::web::current_session(&st, &jar).await? else {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    };
    let user = ConsoleUser { principal: principal_of(&session.user), session };
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    if c.channel == Channel::Chat {
        let name = st.store.get_user_unscoped(p.user_id).await?.name_for_customers();
        st.chat.publish(
            c.merchant_id,
            c.id,
            madoguchi_app::hub::Signal::Typing(madoguchi_app::hub::Typist::Agent(name)),
        );
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The conversation's fields as the page's form sends them; a field the form does not show
/// (an older page, another role's form) is left as it is.
#[derive(Debug, Deserialize)]
pub struct UpdateForm {
    csrf: String,
    status: Option<ConversationStatus>,
    priority: Option<Priority>,
    assignee: Option<String>,
    subject: Option<String>,
    category: Option<String>,
    queue: Option<String>,
    tags: Option<String>,
    order: Option<String>,
}

/// An empty choice in a select means "none".
fn chosen(v: &Option<String>) -> Option<Option<String>> {
    v.as_ref().map(|v| Some(v.trim().to_owned()).filter(|v| !v.is_empty()))
}

pub async fn update(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Result<Response, ApiError> {
    use madoguchi_app::usecases::conversations::{change_of, tags_typed};
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    let cid = c.id;
    let back = |error: &str, field: &str| {
        Ok(Redirect::to(&format!("/desk/conversations/{cid}?error={error}&field={field}")).into_response())
    };
    let assignee = match form.assignee.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(a) => match a.parse::<UserId>() {
            Ok(u) => Some(Some(u)),
            Err(_) => return back("invalid", "assignee"),
        },
    };
    let order = match chosen(&form.order) {
        None => None,
        Some(None) => Some(None),
        Some(Some(o)) => match o.parse::<OrderId>() {
            Ok(o) => Some(Some(o)),
            Err(_) => return back("invalid", "order"),
        },
    };
    let patch = madoguchi_core::conversation::ConversationPatch {
        status: form.status,
        priority: form.priority,
        assignee_id: assignee,
        queue: chosen(&form.queue),
        category: chosen(&form.category),
        tags: form.tags.as_deref().map(tags_typed),
        // An emptied subject keeps the old one rather than failing the other changes.
        subject: form.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
        customer_id: None,
        order_id: order,
    };
    let ch = match change_of(&patch) {
        Ok(ch) => ch,
        Err(madoguchi_app::usecases::error::UseCaseError::Invalid(v)) => return back("invalid", &v.field),
        Err(e) => return Err(e.into()),
    };
    match st.store.update_conversation(&p.scope(), Some(p.user_id), cid, &ch).await {
        Ok(_) => Ok(Redirect::to(&format!("/desk/conversations/{cid}")).into_response()),
        Err(madoguchi_store::StoreError::Invalid(v)) if v.code == "wrap_up_required" => back("wrap_up_required", ""),
        Err(madoguchi_store::StoreError::Invalid(v)) => back("invalid", &v.field),
        // An order or assignee of another shop is not there for this conversation.
        Err(madoguchi_store::StoreError::NotFound) => back("invalid", "order"),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct WrapUpForm {
    csrf: String,
    disposition_code: String,
    note: String,
}

pub async fn wrap_up(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<WrapUpForm>,
) -> Result<Response, ApiError> {
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    let cid = c.id;
    let input = madoguchi_core::playbook::WrapUpInput {
        disposition_code: form.disposition_code,
        note: Some(form.note),
        acw_seconds: None,
    };
    let (code, note) = input.validate()?;
    madoguchi_app::usecases::presence::wrap_up(&st.store, &p, cid, &code, note.as_deref()).await?;
    Ok(Redirect::to(&format!("/desk/conversations/{cid}")).into_response())
}

/// The agent ended the chat or call: after-contact work starts now (on the server's clock).
pub async fn end_contact(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(form): Form<crate::web::CsrfForm>,
) -> Result<Response, ApiError> {
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    madoguchi_app::usecases::presence::end_contact(&st.store, &p, c.id).await?;
    Ok(Redirect::to(&format!("/desk/conversations/{}", c.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct EscalateForm {
    csrf: String,
    question: String,
    /// `datetime-local` in JST.
    due: String,
}

/// Opens a delivery case on an order from the conversation: `csrf`, `order`, `kind` and the
/// kind's fields as `field.<key>`.
pub async fn open_case(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let (p, c) = conversation_form(&st, &user, get("csrf"), &id).await?;
    let order = order_of(&st, &p, &c, get("order")).await?;
    let kind: CaseKind = get("kind")
        .parse()
        .map_err(|_| madoguchi_core::ValidationError::new("kind", "invalid_kind", "not a kind of case"))?;
    let fields = form.iter().filter_map(|(k, v)| k.strip_prefix("field.").map(|k| (k.to_owned(), v.clone()))).collect();
    let fields = madoguchi_core::cases::validate_form(kind, &fields)?;
    st.store.open_case(&p.scope(), Some(p.user_id), order.id, Some(c.id), kind, &fields).await?;
    Ok(Redirect::to(&format!("/desk/conversations/{}#order-{}", c.id, order.id)).into_response())
}

pub(crate) fn decision_panel(lang: Lang, request: Request, version: i32, d: &Decision) -> DecisionPanel {
    DecisionPanel {
        request: request.as_str(),
        request_label: i18n::request(lang, request),
        eligible: d.eligible,
        version,
        deadline: d.deadline.map(|t| jst(t - chrono::Duration::seconds(1))).unwrap_or_default(),
        reasons: d
            .reasons
            .iter()
            .map(|r| if lang == Lang::Ja { r.message_ja.clone() } else { r.message_en.clone() })
            .collect(),
        script: d.script.clone(),
        steps: d.steps.clone(),
        offers: d.offers.iter().map(|o| (o.code.clone(), o.label.clone())).collect(),
    }
}

/// The requests an agent can ask a decision on, as (code, label).
pub(crate) fn request_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    [Request::Cancel, Request::Return, Request::Exchange, Request::Defect, Request::Refund]
        .into_iter()
        .map(|r| (r.as_str(), i18n::request(lang, r)))
        .collect()
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    order: String,
    request: String,
    /// `accepted`, `withdrawn` or `escalated`; absent when an offer button was pressed.
    choice: Option<String>,
    /// The retention offer the customer took.
    offer: Option<String>,
}

/// Records the agent's choice on a decision shown beside the conversation; the decision is
/// computed again here by the policies in force.
pub async fn record_decision(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, ApiError> {
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    let scope = p.scope();
    let bad = |field: &str| madoguchi_core::ValidationError::new(field, "invalid_choice", "not a known choice");
    let order = order_of(&st, &p, &c, &form.order).await?;
    let request: Request =
        serde_json::from_value(serde_json::Value::String(form.request.clone())).map_err(|_| bad("request"))?;
    let choice = match (&form.offer, form.choice.as_deref()) {
        (Some(_), _) => Choice::OfferAccepted,
        (None, Some(c)) => c.parse().map_err(|_| bad("choice"))?,
        (None, None) => return Err(bad("choice").into()),
    };
    let rules = shop_rules(&st.store, &scope, order.merchant_id).await?;
    let decision = rules.decide(&order, request);
    decision.check_choice(choice, form.offer.as_deref())?;
    let new = madoguchi_store::policies::NewDecision {
        order: order.id,
        conversation: Some(c.id),
        policy_version: rules.version,
        decision: &decision,
        choice,
        offer_code: form.offer.clone(),
        note: None,
    };
    st.store.record_decision(&scope, Some(p.user_id), order.merchant_id, &new).await?;
    Ok(Redirect::to(&format!("/desk/conversations/{}#order-{}", c.id, order.id)).into_response())
}

pub async fn escalate(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<EscalateForm>,
) -> Result<Response, ApiError> {
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    let cid = c.id;
    if p.role.is_merchant_role() {
        return Err(ApiError::forbidden("the desk escalates to the merchant"));
    }
    let bad_due =
        || madoguchi_core::ValidationError::new("due_at", "invalid_due", "the due time is not a date and time");
    let local = chrono::NaiveDateTime::parse_from_str(&form.due, "%Y-%m-%dT%H:%M").map_err(|_| bad_due())?;
    let due_at = chrono::TimeZone::from_local_datetime(&chrono_tz::Asia::Tokyo, &local)
        .earliest()
        .ok_or_else(bad_due)?
        .with_timezone(&Utc);
    let req = madoguchi_core::escalation::NewEscalation { question: form.question, due_at };
    let question = req.validate(Utc::now())?;
    st.store.create_escalation(&p.scope(), p.user_id, cid, &question, due_at).await?;
    Ok(Redirect::to(&format!("/desk/conversations/{cid}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    csrf: String,
    /// A phone number or mail address of the other customer, typed by the agent…
    identity: Option<String>,
    /// …or the id of a suggested duplicate.
    customer: Option<String>,
}

/// Merges the merchant's customer found by phone or e-mail into this conversation's customer.
pub async fn merge_customer(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, ApiError> {
    use madoguchi_core::identity::{IdentityKind, normalize};
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    let scope = p.scope();
    let cid = c.id;
    if !p.can_merge_customers() {
        return Err(ApiError::forbidden("merchant staff cannot merge customers"));
    }
    let back = |error: Option<&str>| match error {
        Some(e) => Redirect::to(&format!("/desk/conversations/{cid}?error={e}")).into_response(),
        None => Redirect::to(&format!("/desk/conversations/{cid}")).into_response(),
    };
    let Some(into) = c.customer_id else { return Ok(back(Some("merge_not_found"))) };
    let found = match (&form.customer, form.identity.as_deref().map(str::trim).filter(|i| !i.is_empty())) {
        (Some(other), _) => match other.parse() {
            Ok(other) => st.store.get_customer(&scope, other).await,
            Err(_) => Err(madoguchi_store::StoreError::NotFound),
        },
        (None, Some(identity)) => {
            let kind = if identity.contains('@') || identity.contains('＠') {
                IdentityKind::Email
            } else {
                IdentityKind::Phone
            };
            let Ok(n) = normalize(kind, identity) else { return Ok(back(Some("merge_not_found"))) };
            st.store.find_customer_by_identity(&scope, c.merchant_id, n.kind, &n.value).await
        }
        (None, None) => Err(madoguchi_store::StoreError::NotFound),
    };
    let other = match found {
        Ok(o) => o,
        Err(madoguchi_store::StoreError::NotFound) => return Ok(back(Some("merge_not_found"))),
        Err(e) => return Err(e.into()),
    };
    if other.id == into {
        return Ok(back(Some("merge_same")));
    }
    // The older record survives: the shop's systems may already hold its id.
    let into = st.store.get_customer(&scope, into).await?;
    let (keep, fold) = if other.created_at < into.created_at { (other.id, into.id) } else { (into.id, other.id) };
    st.store.merge_customers(&scope, Some(p.user_id), keep, fold).await?;
    Ok(back(None))
}

#[derive(Debug, Deserialize)]
pub struct DistinctForm {
    csrf: String,
    other: String,
}

/// "Not the same person": the suggested customer is no longer offered for merging.
pub async fn distinct_customer(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<DistinctForm>,
) -> Result<Response, ApiError> {
    let (p, c) = conversation_form(&st, &user, &form.csrf, &id).await?;
    if !p.can_merge_customers() {
        return Err(ApiError::forbidden("merchant staff cannot decide on duplicate customers"));
    }
    let back = Redirect::to(&format!("/desk/conversations/{}", c.id)).into_response();
    let (Some(customer), Ok(other)) = (c.customer_id, form.other.parse()) else { return Ok(back) };
    st.store.mark_distinct(&p.scope(), Some(p.user_id), customer, other).await?;
    Ok(back)
}
