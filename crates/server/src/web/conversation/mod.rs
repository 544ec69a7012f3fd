//! The conversation page: the shop's name and greeting always in view, the whole timeline,
//! reply and internal-note forms, status / priority / assignee, and the customer panel with
//! orders, parcels and past conversations.

mod actions;
mod calls;
mod customer;
mod messages;

pub use actions::*;
pub(crate) use customer::customer_view;

use crate::web::ConsoleUser;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use madoguchi_app::usecases::decisions::shop_rules;
use madoguchi_core::access::{Principal, Scope};
use madoguchi_core::cases::CaseKind;
use madoguchi_core::conversation::{Conversation, MessageKind, NewMessage, TimelineItem};
use madoguchi_core::customer::Customer;
use madoguchi_core::decision::{Choice, Decision, Request};
use madoguchi_core::enums::{
    AuthorKind, Channel, ConversationStatus, Direction, EscalationStatus, Priority, Role, SubjectType,
};
use madoguchi_core::escalation::Escalation;
use madoguchi_core::ids::{ConversationId, OrderId, UserId};
use madoguchi_core::order::tracking_url;
use madoguchi_core::page::PageRequest;
use madoguchi_store::conversations::ConversationFilter;
use madoguchi_store::escalations::EscalationFilter;
use madoguchi_store::merchants::MerchantKey;
use madoguchi_store::orders::OrderFilter;
use serde::Deserialize;
use strum::IntoEnumIterator;

use messages::{message_files, message_status};

use super::{principal_of, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{self, Lang, Texts};
use madoguchi_app::usecases::audit::audit_read;

pub struct Item {
    is_event: bool,
    class: &'static str,
    author: String,
    at: String,
    text: String,
    /// Delivery state and channel flags, in the reader's language; empty when there is none.
    status: String,
    /// Attached files (and the raw mail) as (name, download link).
    files: Vec<(String, String)>,
}

pub struct Shipment {
    pub(crate) carrier: &'static str,
    pub(crate) number: String,
    pub(crate) url: Option<String>,
    pub(crate) status: &'static str,
}

pub struct OrderView {
    /// The conversation is about this order.
    pub(crate) linked: bool,
    /// The customer named its number in a message (and it is not linked yet).
    pub(crate) named: bool,
    pub(crate) id: String,
    pub(crate) number: String,
    pub(crate) date: String,
    pub(crate) total: String,
    pub(crate) lines: Vec<String>,
    pub(crate) shipments: Vec<Shipment>,
    /// The decision asked for on this order (`?order=…&request=…`), by the shop's policies.
    pub(crate) panel: Option<DecisionPanel>,
    /// Decisions recorded on this order, one line each.
    pub(crate) recorded: Vec<String>,
    /// Cases opened on this order: kind, tasks done of all, closed.
    pub(crate) cases: Vec<(String, usize, usize, bool)>,
    /// The form of the case kind asked for (`?order=…&case=…`): kind code, label and fields
    /// as (key, label, required).
    pub(crate) case_form: Option<CaseForm>,
}

/// Where a mail reply goes, shown above the composer and in its preview.
pub struct MailReply {
    /// The customer's address; empty when they have none (the reply will fail to send).
    pub to: String,
    /// The thread's subject with "Re:" and the ticket, as sent when the agent writes none.
    pub subject: String,
}

/// A case kind's form to fill: kind code, label, and fields as (key, label, required).
type CaseForm = (&'static str, String, Vec<(&'static str, &'static str, bool)>);

/// The shop's rules applied to one request on one order, beside the conversation.
pub struct DecisionPanel {
    pub(super) request: &'static str,
    pub(super) request_label: &'static str,
    pub(super) eligible: bool,
    pub(super) version: i32,
    pub(super) deadline: String,
    pub(super) reasons: Vec<String>,
    pub(super) script: Vec<String>,
    pub(super) steps: Vec<String>,
    /// Retention offers: code and what to say.
    pub(super) offers: Vec<(String, String)>,
}

pub struct CustomerView {
    pub(crate) name: String,
    pub(crate) kana: String,
    pub(crate) rank: String,
    pub(crate) identities: Vec<String>,
    pub(crate) address: String,
    pub(crate) notes: String,
    pub(crate) orders: Vec<OrderView>,
    pub(crate) history: Vec<(String, String)>,
    pub(crate) duplicates: Vec<DuplicateView>,
}

/// A customer who is likely the same person, offered for merging.
pub struct DuplicateView {
    id: String,
    name: String,
    identities: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    c: Conversation,
    subject: String,
    /// The ticket as the desk says it: the shop's code and number (HM-201).
    ticket: String,
    /// A live contact (chat, LINE, call): it is ended, and then wrapped up.
    live: bool,
    ended: bool,
    /// Where after-contact work started (ms since the epoch; 0: not yet), for the timer.
    acw_start_ms: i64,
    merchant_name: String,
    greeting: String,
    /// What `greeting` is: the phone's 名のり or this channel's words.
    greeting_label: &'static str,
    /// For a mail reply: the shop's opening line and signature, inserted on request.
    mail_frame: Option<(String, String)>,
    /// For a mail conversation: where a reply goes and the subject it gets unless the agent
    /// writes another.
    mail_reply: Option<MailReply>,
    /// The agent was told someone else holds this conversation: the next reply goes.
    confirm_other: bool,
    /// The composer is there (the shop's own staff only where the shop lets them).
    can_reply: bool,
    /// Shop staff answer the desk's open escalations here, as on their portal.
    can_answer: bool,
    channel: &'static str,
    /// The channel's code, for the page script (typing is passed on in web chat only).
    channel_code: &'static str,
    status: &'static str,
    priority: &'static str,
    due: Option<String>,
    items: Vec<Item>,
    /// A phone conversation's calls, newest first.
    calls: Vec<calls::CallView>,
    ct: &'static i18n::CallTexts,
    reply_hint: &'static str,
    can_note: bool,
    statuses: Vec<(&'static str, &'static str, bool)>,
    priorities: Vec<(&'static str, &'static str, bool)>,
    assignees: Vec<(String, String, bool)>,
    customer: Option<CustomerView>,
    escalations: Vec<EscalationView>,
    can_escalate: bool,
    default_due: String,
    script: Option<String>,
    canned: Vec<CannedView>,
    has_suggested: bool,
    /// Knowledge-base articles for the customer's latest message: question, marked passage,
    /// answer to insert.
    assist: Vec<(String, String, String)>,
    dispositions: Vec<(String, String)>,
    wrap_ups: Vec<String>,
    error: Option<String>,
    can_merge: bool,
    /// The editable fields: subject as typed, the shop's categories and queues as (value,
    /// selected), the tags in one line, the customer's orders as (id, number, selected).
    subject_value: String,
    categories: Vec<(String, bool)>,
    queues: Vec<(String, bool)>,
    tags_text: String,
    order_choices: Vec<(String, String, bool)>,
    /// The requests a decision can be asked on.
    requests: Vec<(&'static str, &'static str)>,
    /// The kinds of delivery case.
    case_kinds: Vec<(&'static str, String)>,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    error: Option<String>,
    /// With `error=invalid`: the field that was refused.
    field: Option<String>,
    /// With `request`: the order to show the shop's decision on.
    order: Option<String>,
    request: Option<String>,
    /// With `order`: the kind of case to show the form of.
    case: Option<String>,
}

pub struct EscalationView {
    pub id: String,
    pub conversation_id: String,
    pub merchant: String,
    pub subject: String,
    pub question: String,
    pub due: String,
    pub state: &'static str,
    pub class: &'static str,
    pub answer: Option<String>,
}

pub fn escalation_view(t: &'static Texts, e: &Escalation, merchant: String, subject: String) -> EscalationView {
    let now = Utc::now();
    let (state, class) = if e.status == EscalationStatus::Answered {
        (t.answered, "answered")
    } else if e.overdue(now) {
        (t.overdue, "overdue")
    } else {
        (t.waiting_answer, "open")
    };
    EscalationView {
        id: e.id.to_string(),
        conversation_id: e.conversation_id.to_string(),
        merchant,
        subject,
        question: e.question.clone(),
        due: jst(e.due_at),
        state,
        class,
        answer: e.answer.clone(),
    }
}

pub(crate) fn jst(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Tokyo).format("%Y/%m/%d %H:%M").to_string()
}

fn yen(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn not_found(lang: Lang) -> Response {
    let t = lang.t();
    (
        StatusCode::NOT_FOUND,
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>404</title><p>{}</p><p><a href=\"/desk\">{}</a></p>",
            t.not_found, t.back_to_inbox
        )),
    )
        .into_response()
}

fn reply_hint(t: &'static Texts, channel: Channel) -> &'static str {
    match channel {
        Channel::Phone => t.reply_hint_phone,
        Channel::Fax | Channel::Postcard | Channel::WalkIn => t.reply_hint_paper,
        _ => t.reply_hint_queued,
    }
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let t = lang.t();
    let ConsoleUser { session, principal: p } = user;
    let scope = p.scope();
    let Ok(cid) = id.parse::<ConversationId>() else { return Ok(not_found(lang)) };
    let c = match st.store.get_conversation(&scope, cid).await {
        Ok(c) => c,
        Err(madoguchi_store::StoreError::NotFound) => return Ok(not_found(lang)),
        Err(e) => return Err(e.into()),
    };
    audit_read(&st, &p, SubjectType::Conversation, &[(c.merchant_id, c.id.to_string())]).await?;
    if c.assignee_id == Some(p.user_id) {
        // Opening an offered chat is taking it: it no longer rings.
        madoguchi_app::usecases::presence::opened(&st.store, &p, c.id).await?;
    }
    st.store.mark_read(p.user_id, c.id).await?;
    let merchant = st.store.get_merchant(&scope, MerchantKey::Id(c.merchant_id)).await?;
    let timeline = st.store.timeline(&scope, c.id, p.sees_internal_notes()).await?;
    let staff = st.store.list_users(&scope, p.user_id, PageRequest::first(200)).await?.items;
    let name_of = |u: Option<UserId>| u.and_then(|u| staff.iter().find(|s| s.id == u)).map(|s| s.display_name.clone());
    let items = timeline
        .iter()
        .map(|i| match i {
            TimelineItem::Message(m) => Item {
                is_event: false,
                class: if m.internal {
                    "note"
                } else if m.direction == Direction::Outbound {
                    "outbound"
                } else {
                    "inbound"
                },
                author: match m.author_kind {
                    AuthorKind::Customer => t.from_customer.to_owned(),
                    AuthorKind::Bot => t.from_bot.to_owned(),
                    AuthorKind::System if m.author_user_id.is_none() => t.from_system.to_owned(),
                    _ => name_of(m.author_user_id).unwrap_or_else(|| t.from_staff.to_owned()),
                } + if m.internal { " ・ " } else { "" }
                    + if m.internal { t.internal_note } else { "" },
                at: jst(m.created_at),
                text: m.body_text.clone(),
                status: message_status(t, m),
                files: message_files(t, m),
            },
            TimelineItem::Event(e) => Item {
                is_event: true,
                class: "event",
                author: String::new(),
                at: jst(e.created_at),
                text: match name_of(e.actor_user_id) {
                    Some(n) => format!("{} — {n}", i18n::event(lang, e.kind)),
                    None => i18n::event(lang, e.kind).to_owned(),
                },
                status: String::new(),
                files: vec![],
            },
        })
        .collect();
    let calls = calls::call_views(&st.store, &scope, &c, lang, &name_of).await?;
    let customer_record = match c.customer_id {
        Some(cid) => Some(st.store.get_customer(&scope, cid).await?),
        None => None,
    };
    let mut customer = match &customer_record {
        Some(cu) => Some(customer_view(&st, &p, &scope, lang, cu, asked(&q), case_asked(&q)).await?),
        None => None,
    };
    // The order the conversation is about, and those whose number the customer wrote.
    let customer_text: String = timeline
        .iter()
        .filter_map(|i| match i {
            TimelineItem::Message(m) if m.direction == Direction::Inbound => Some(m.body_text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let customer_text = madoguchi_core::validation::nfkc(&customer_text);
    let linked_id = c.order_id.map(|o| o.to_string());
    for o in customer.iter_mut().flat_map(|cu| cu.orders.iter_mut()) {
        o.linked = linked_id.as_deref() == Some(o.id.as_str());
        o.named = !o.linked && !o.number.is_empty() && customer_text.contains(o.number.as_str());
    }
    let order_choices = customer
        .iter()
        .flat_map(|cu| cu.orders.iter())
        .map(|o| (o.id.clone(), format!("{} {}", o.number, o.date), o.linked))
        .collect();
    // Placeholders: the customer's name, and the linked order (or the customer's latest).
    let order = match (c.order_id, c.customer_id) {
        (Some(o), _) => Some(st.store.get_order(&scope, o).await?),
        (None, Some(cu)) => st
            .store
            .list_orders(&scope, &OrderFilter { customer: Some(cu), ..Default::default() }, PageRequest::first(1))
            .await?
            .items
            .pop(),
        _ => None,
    };
    let values = madoguchi_core::playbook::PlaceholderValues {
        customer_name: customer_record.as_ref().and_then(|cu| cu.name.clone()),
        order_number: order.as_ref().map(|o| o.order_number.clone()),
        tracking_url: order.as_ref().and_then(|o| {
            o.shipments.iter().find_map(|s| s.tracking_number.as_deref().and_then(|n| tracking_url(s.carrier, n)))
        }),
    };
    // Agent assist: what the customer wrote last decides which articles and canned responses
    // come first.
    let latest = timeline.iter().rev().find_map(|i| match i {
        TimelineItem::Message(m) if m.direction == Direction::Inbound && !m.internal => Some(m.body_text.clone()),
        _ => None,
    });
    let canned = canned_views(
        latest.as_deref(),
        st.store
            .list_canned_responses(&scope, c.merchant_id)
            .await?
            .into_iter()
            .map(|cr| (cr.title, madoguchi_core::playbook::fill_placeholders(&cr.body, &values)))
            .collect(),
    );
    let mut assist = Vec::new();
    if let Some(text) = latest.as_deref().filter(|t| !t.trim().is_empty()) {
        let question: String = text.chars().take(200).collect();
        for r in madoguchi_app::usecases::kb::kb_search(&st, c.merchant_id, &question, 3).await.unwrap_or_default() {
            let answer = st.store.get_article(&scope, r.article_id).await.map(|a| a.answer).unwrap_or_default();
            assist.push((r.question, r.snippet, answer));
        }
    }
    let codes = st.store.list_disposition_codes(&scope, c.merchant_id).await?;
    let wrap_ups = st
        .store
        .list_wrap_ups(&scope, c.id)
        .await?
        .iter()
        .map(|w| {
            let label = codes
                .iter()
                .find(|d| d.code == w.disposition_code)
                .map_or(w.disposition_code.as_str(), |d| d.label.as_str());
            format!(
                "{} {} ({}:{:02}) {}",
                jst(w.created_at),
                label,
                w.acw_seconds / 60,
                w.acw_seconds % 60,
                w.note.clone().unwrap_or_default()
            )
        })
        .collect();
    let dispositions = codes.iter().map(|d| (d.code.clone(), d.label.clone())).collect();
    let d = i18n::desk(lang);
    let error = match q.error.as_deref() {
        Some("wrap_up_required") => Some(t.wrap_up_required.to_owned()),
        Some("merge_not_found") => Some(t.merge_not_found.to_owned()),
        Some("merge_same") => Some(t.merge_same.to_owned()),
        Some("too_many_files") => Some(d.too_many_files.to_owned()),
        Some("assigned_other") => {
            let holder = match c.assignee_id {
                Some(a) => st.store.get_user_unscoped(a).await?.display_name,
                None => String::new(),
            };
            Some(format!("{holder}{}", d.assigned_other))
        }
        Some("file_too_large") => Some(d.file_too_large.to_owned()),
        Some("file_type") => Some(d.file_type.to_owned()),
        Some("invalid") => Some(format!(
            "{}{}",
            d.field_invalid,
            match q.field.as_deref().unwrap_or_default() {
                "subject" => d.subject,
                "tags" => d.tags,
                "category" => t.col_category,
                "queue" => t.col_queue,
                "order" => d.linked_order,
                "assignee" => t.assignee,
                "mail.subject" => d.mail_subject,
                "mail.cc" => d.mail_cc,
                "mail.bcc" => d.mail_bcc,
                "attachments" => d.attachments,
                "body_text" => t.send_reply,
                _ => t.col_status,
            }
        )),
        _ => None,
    };
    let mail_reply = match (c.channel, c.customer_id) {
        (Channel::Email, Some(customer)) => Some(MailReply {
            to: st
                .store
                .customer_identity_value(customer, madoguchi_core::identity::IdentityKind::Email)
                .await?
                .unwrap_or_default(),
            subject: format!(
                "Re: {} {}",
                c.subject.clone().unwrap_or_default(),
                madoguchi_channels::email::ticket_token(c.number)
            ),
        }),
        _ => None,
    };
    let scripts = st.store.list_scripts(&scope, c.merchant_id).await?;
    let script =
        c.category.as_ref().and_then(|cat| scripts.iter().find(|s| &s.category == cat)).map(|s| s.body.clone());
    let categories =
        madoguchi_core::category::shop_categories(scripts.iter().map(|s| s.category.as_str()), c.category.as_deref())
            .into_iter()
            .map(|cat| {
                let on = c.category.as_deref() == Some(cat.as_str());
                (cat, on)
            })
            .collect();
    let mut queue_names: Vec<String> =
        st.store.list_queues(&scope, c.merchant_id).await?.into_iter().map(|q| q.name).collect();
    if let Some(q) = c.queue.as_ref().filter(|q| !queue_names.contains(q)) {
        queue_names.push(q.clone());
    }
    let queues = queue_names
        .into_iter()
        .map(|name| {
            let on = c.queue.as_deref() == Some(name.as_str());
            (name, on)
        })
        .collect();
    let assignees = staff
        .iter()
        .filter(|u| matches!(u.role, Role::Agent | Role::Supervisor | Role::Admin) && u.active)
        .filter(|u| u.role == Role::Admin || u.merchants.contains(&c.merchant_id))
        .map(|u| (u.id.to_string(), u.display_name.clone(), Some(u.id) == c.assignee_id))
        .collect();
    let escalations = st
        .store
        .list_escalations(
            &scope,
            &EscalationFilter { conversation: Some(c.id), ..Default::default() },
            PageRequest::first(50),
        )
        .await?
        .items
        .iter()
        .rev()
        .map(|e| escalation_view(t, e, merchant.name.clone(), String::new()))
        .collect();
    let default_due = merchant
        .default_escalation_due(Utc::now())
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let page = Page {
        can_merge: p.can_merge_customers(),
        requests: request_options(lang),
        case_kinds: case_options(lang),
        calls,
        ct: i18n::call_texts(lang),

        script,
        has_suggested: canned.iter().any(|c| c.suggested),
        canned,
        assist,
        dispositions,
        wrap_ups,
        error,
        escalations,
        can_escalate: !p.role.is_merchant_role(),
        default_due,
        lang: lang.code(),
        t,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        subject: c.subject.clone().unwrap_or_else(|| t.no_subject.into()),
        subject_value: c.subject.clone().unwrap_or_default(),
        categories,
        queues,
        tags_text: c.tags.join("、"),
        order_choices,
        ticket: merchant.ticket(c.number),
        live: madoguchi_core::presence::Load::of(c.channel) != madoguchi_core::presence::Load::Deferred,
        ended: c.contact_ended_at.is_some(),
        acw_start_ms: madoguchi_core::presence::acw_start(
            &c,
            p.user_id,
            st.store.own_last_word(c.id, p.user_id).await?,
        )
        .map_or(0, |t| t.timestamp_millis()),
        merchant_name: merchant.name.clone(),
        greeting: merchant.greetings.for_channel(c.channel).unwrap_or(&merchant.greeting).to_owned(),
        greeting_label: match merchant.greetings.for_channel(c.channel) {
            Some(_) => i18n::desk(lang).greeting_channel,
            None => i18n::desk(lang).greeting_phone,
        },
        mail_reply,
        confirm_other: q.error.as_deref() == Some("assigned_other"),
        mail_frame: (c.channel == Channel::Email)
            .then(|| (merchant.greetings.mail_opening.clone(), merchant.greetings.mail_signature.clone()))
            .filter(|(o, s)| !(o.is_empty() && s.is_empty())),
        can_reply: !p.role.is_merchant_role() || merchant.staff_may_reply,
        can_answer: p.role.is_merchant_role() || p.role == Role::Admin,
        channel: i18n::channel(lang, c.channel),
        channel_code: c.channel.as_str(),
        status: i18n::status(lang, c.status),
        priority: i18n::priority(lang, c.priority),
        due: match (c.first_response_at, c.first_response_due_at) {
            (None, Some(d)) => Some(jst(d)),
            _ => None,
        },
        items,
        reply_hint: reply_hint(t, c.channel),
        can_note: p.sees_internal_notes(),
        // Only the bot puts a chat in its own hands.
        statuses: ConversationStatus::iter()
            // Bot and escalated are set by the bot and by an escalation, never chosen.
            .filter(|s| !matches!(s, ConversationStatus::Bot | ConversationStatus::Escalated) || *s == c.status)
            .map(|s| (s.as_str(), i18n::status(lang, s), s == c.status))
            .collect(),
        priorities: Priority::iter().map(|x| (x.as_str(), i18n::priority(lang, x), x == c.priority)).collect(),
        assignees,
        customer,
        c,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The order and request asked for in the page's query, if both are given and make sense.
fn asked(q: &PageQuery) -> Option<(OrderId, Request)> {
    let order = q.order.as_deref()?.parse().ok()?;
    let request = serde_json::from_value(serde_json::Value::String(q.request.clone()?)).ok()?;
    Some((order, request))
}

/// An order of the conversation's shop named in a form; any other order is not found.
async fn order_of(
    st: &AppState,
    p: &Principal,
    c: &Conversation,
    raw: &str,
) -> Result<madoguchi_core::order::Order, ApiError> {
    let order = st.store.get_order(&p.scope(), raw.parse().map_err(|_| ApiError::not_found())?).await?;
    if order.merchant_id != c.merchant_id {
        return Err(ApiError::not_found());
    }
    Ok(order)
}

/// A kind of case in the reader's language.
pub(crate) fn case_label(lang: Lang, k: CaseKind) -> String {
    match lang {
        Lang::Ja => k.label_ja().to_owned(),
        Lang::En => k.as_str().replace('_', " "),
    }
}

/// The order and case kind asked for in the page's query.
fn case_asked(q: &PageQuery) -> Option<(OrderId, CaseKind)> {
    Some((q.order.as_deref()?.parse().ok()?, q.case.as_deref()?.parse().ok()?))
}

/// The case kinds as (code, label).
fn case_options(lang: Lang) -> Vec<(&'static str, String)> {
    CaseKind::ALL.into_iter().map(|k| (k.as_str(), case_label(lang, k))).collect()
}

/// A canned response on the page: its folder (the part of the title before 「／」 or "/"), its
/// name, the text filled for this conversation, and whether it fits the customer's latest
/// message.
pub struct CannedView {
    folder: String,
    title: String,
    text: String,
    suggested: bool,
}

/// The shop's canned responses in their own stable order — so Alt+1…9 always mean the same
/// ones inside a conversation and from one to the next — with up to three that share content
/// words with the customer's latest message marked as suggestions (shown apart, not reordered).
fn canned_views(message: Option<&str>, all: Vec<(String, String)>) -> Vec<CannedView> {
    let words = |t: &str| -> Vec<String> {
        madoguchi_search::analysis::words(t)
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w.content)
            .map(|w| w.base)
            .collect()
    };
    let wanted = message.map(words).unwrap_or_default();
    let scores: Vec<usize> = all
        .iter()
        .map(|(title, text)| {
            let own = words(&format!("{title}\n{text}"));
            wanted.iter().filter(|w| own.contains(w)).count()
        })
        .collect();
    let mut best: Vec<usize> = (0..all.len()).filter(|i| scores[*i] > 0).collect();
    best.sort_by_key(|i| (std::cmp::Reverse(scores[*i]), *i));
    best.truncate(3);
    all.into_iter()
        .enumerate()
        .map(|(i, (title, text))| {
            let (folder, name) = match title.split_once(['／', '/']) {
                Some((f, n)) if !f.trim().is_empty() && !n.trim().is_empty() => {
                    (f.trim().to_owned(), n.trim().to_owned())
                }
                _ => (String::new(), title),
            };
            CannedView { folder, title: name, text, suggested: best.contains(&i) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use madoguchi_core::enums::DeliveryStatus;

    #[test]
    fn canned_responses_keep_their_order_and_suggestions_are_marked_not_moved() {
        let all = vec![
            ("お詫び".to_owned(), "ご迷惑をおかけしました".to_owned()),
            ("配送／発送済みのご案内".to_owned(), "商品は発送済みです。配送状況はこちら".to_owned()),
            ("返品／返品の手順".to_owned(), "返品の手順をご案内します".to_owned()),
        ];
        let views = canned_views(Some("返品したいのですが"), all.clone());
        let titles: Vec<&str> = views.iter().map(|v| v.title.as_str()).collect();
        assert_eq!(titles, vec!["お詫び", "発送済みのご案内", "返品の手順"], "the shop's order, whatever was asked");
        assert_eq!(
            views.iter().filter(|v| v.suggested).map(|v| v.title.as_str()).collect::<Vec<_>>(),
            vec!["返品の手順"]
        );
        assert_eq!((views[1].folder.as_str(), views[0].folder.as_str()), ("配送", ""));
        let other = canned_views(Some("荷物の配送状況を知りたい"), all);
        assert_eq!(
            other.iter().map(|v| v.title.as_str()).collect::<Vec<_>>(),
            titles,
            "same keys in another conversation"
        );
    }

    #[test]
    fn agents_see_why_a_reply_did_not_go_out_and_which_mail_was_automatic() {
        use madoguchi_core::enums::{AuthorKind, Channel, Direction};
        let t = i18n::Lang::Ja.t();
        let mut m = madoguchi_core::conversation::Message {
            id: madoguchi_core::ids::MessageId::new(),
            conversation_id: madoguchi_core::ids::ConversationId::new(),
            merchant_id: madoguchi_core::ids::MerchantId::new(),
            channel: Channel::Email,
            direction: Direction::Outbound,
            internal: false,
            author_kind: AuthorKind::User,
            author_user_id: None,
            body_text: "x".into(),
            body_html: None,
            attachments: vec![],
            provider_message_id: None,
            delivery_status: Some(DeliveryStatus::Failed),
            delivery_error: Some("550 no such user".into()),
            meta: Default::default(),
            created_at: chrono::Utc::now(),
        };
        assert_eq!(message_status(t, &m), "送信失敗: 550 no such user");
        m.delivery_status = Some(DeliveryStatus::Queued);
        assert_eq!(message_status(t, &m), "送信待ち（前回のエラー: 550 no such user）");
        m.delivery_status = Some(DeliveryStatus::Sent);
        m.delivery_error = None;
        m.meta.flags = vec!["bounce".into(), "truncated_mime".into()];
        assert_eq!(message_status(t, &m), "送信済み ・ エラー通知メール（宛先不明など） ・ 要確認: truncated_mime");
        m.meta.flags = vec!["html_too_complex: 300 levels, 12 elements".into(), "undecoded_mail".into()];
        assert_eq!(
            message_status(t, &m),
            "送信済み ・ 書式が複雑すぎるため文字だけで表示しています（原文は message.eml） ・ 読み取れなかったメールです（原文は message.eml）"
        );
    }
}
