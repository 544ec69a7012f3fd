//! The inbox: views with counts, filters, order and paging over the conversations of the
//! user's shops; and the presence control in its header.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use madoguchi_core::enums::ConversationStatus;
use madoguchi_core::page::PageRequest;
use madoguchi_store::conversations::ConversationFilter;
use serde::Deserialize;

use super::{LangQuery, current_session, language, principal_of, query_value, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{self, Texts};
use crate::web::ConsoleUser;

#[derive(Debug, Deserialize)]
pub struct DeskQuery {
    view: Option<String>,
    cursor: Option<String>,
    lang: Option<String>,
    merchant: Option<String>,
    channel: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    queue: Option<String>,
    tag: Option<String>,
    sort: Option<String>,
}

struct Row {
    id: String,
    ticket: String,
    merchant: String,
    channel: &'static str,
    status: &'static str,
    priority: &'static str,
    priority_code: &'static str,
    customer: String,
    subject: String,
    preview: String,
    assignee: String,
    /// How long the customer has waited for an answer, empty when the desk spoke last.
    waiting: String,
    waiting_long: bool,
    sla: String,
    sla_class: &'static str,
    last_activity: String,
    /// The customer wrote since this user last opened it.
    unread: bool,
    /// Assigned to the reader (new ones ring the opt-in notification).
    mine: bool,
}

type Options = Vec<(String, String, bool)>;

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    view: String,
    views: Vec<(&'static str, &'static str, i64)>,
    merchant_options: Options,
    channel_options: Options,
    status_options: Options,
    priority_options: Options,
    queue_options: Options,
    sort_options: Vec<(&'static str, &'static str, bool)>,
    category: String,
    tag: String,
    rows: Vec<Row>,
    next_cursor: Option<String>,
    next_link: String,
}

/// A select's options: "any" first, then the values, the chosen one marked.
fn options<T: Copy + PartialEq>(
    any: &str,
    values: impl Iterator<Item = T>,
    code: impl Fn(T) -> String,
    label: impl Fn(T) -> String,
    chosen: Option<T>,
) -> Options {
    let mut out = vec![(String::new(), any.to_owned(), chosen.is_none())];
    out.extend(values.map(|v| (code(v), label(v), Some(v) == chosen)));
    out
}

/// The inbox's views: what each lists (its count uses the same filter).
const VIEWS: [&str; 5] = ["mine", "unassigned", "waiting", "escalated", "all"];

fn view_filter(view: &str, me: madoguchi_core::ids::UserId) -> ConversationFilter {
    let mut f = ConversationFilter { active_only: true, ..Default::default() };
    match view {
        "mine" => f.assignee = Some(me),
        "unassigned" => f.unassigned = true,
        // The customer wrote last and nobody answered yet.
        "waiting" => f.waiting = true,
        // What the shop's portal lists as waiting for its answer.
        "escalated" => f.open_escalation = true,
        _ => {}
    }
    f
}

/// A wait as people say it: 「6日13時間」, 「2時間5分」, 「12分」.
pub(crate) fn wait_text(lang: i18n::Lang, since: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>) -> String {
    let m = (now - since).num_minutes().max(0);
    let (d, h, min) = (m / 1440, m % 1440 / 60, m % 60);
    match lang {
        i18n::Lang::Ja if d > 0 => format!("{d}日{h}時間"),
        i18n::Lang::Ja if h > 0 => format!("{h}時間{min}分"),
        i18n::Lang::Ja => format!("{min}分"),
        _ if d > 0 => format!("{d} d {h} h"),
        _ if h > 0 => format!("{h} h {min} min"),
        _ => format!("{min} min"),
    }
}

/// The inbox: conversations of the signed-in user's merchants, by view and filters. An agent
/// starts on their own (自分の担当); shop staff on their escalations.
pub async fn show(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(qs): Query<DeskQuery>,
) -> Result<Response, ApiError> {
    use madoguchi_core::enums::{Channel, Priority};
    use madoguchi_store::conversations::ConversationSort;
    use strum::IntoEnumIterator;
    let (jar, lang) = language(jar, &headers, &LangQuery { lang: qs.lang.clone() });
    let t = lang.t();
    let l = i18n::desk(lang);
    let Some(session) = current_session(&st, &jar).await? else {
        return Ok((jar, Redirect::to("/login")).into_response());
    };
    let u = &session.user;
    let p = principal_of(u);
    let scope = p.scope();
    if u.role.is_merchant_role() && qs.view.is_none() {
        return Ok((jar, Redirect::to("/portal")).into_response());
    }
    let view = match qs.view.as_deref() {
        Some(v) if VIEWS.contains(&v) => v.to_owned(),
        _ => "mine".to_owned(),
    };
    let merchants = st.store.list_merchants(&scope, PageRequest::first(200)).await?.items;
    let chosen_merchant = qs
        .merchant
        .as_deref()
        .filter(|m| !m.is_empty())
        .and_then(|m| merchants.iter().find(|x| x.slug == m))
        .map(|m| m.id);
    let channel = qs.channel.as_deref().and_then(|c| c.parse::<Channel>().ok());
    let status = qs.status.as_deref().and_then(|c| c.parse::<ConversationStatus>().ok());
    let priority = qs.priority.as_deref().and_then(|c| c.parse::<Priority>().ok());
    let category = qs.category.clone().unwrap_or_default().trim().to_owned();
    let tag = qs.tag.clone().unwrap_or_default().trim().to_owned();
    let queue = qs.queue.clone().unwrap_or_default().trim().to_owned();
    let (sort, order) = match qs.sort.as_deref() {
        Some("waiting") => ("waiting", ConversationSort::LongestWaiting),
        Some("newest") => ("newest", ConversationSort::Newest),
        Some("oldest") => ("oldest", ConversationSort::Oldest),
        _ => ("activity", ConversationSort::LastActivity),
    };
    // The filters chosen above the list apply to every view and its count alike.
    let filtered = |view: &str| {
        let mut f = view_filter(view, u.id);
        f.merchant = chosen_merchant;
        f.channel = channel;
        if let Some(s) = status {
            // Asking for a status (resolved, say) shows it, finished or not.
            f.status = Some(s);
            f.active_only = false;
        }
        f.priority = priority;
        f.category = (!category.is_empty()).then(|| category.clone());
        f.tag = (!tag.is_empty()).then(|| tag.clone());
        f.queue = (!queue.is_empty()).then(|| queue.clone());
        f.sort = order;
        f
    };
    let page = PageRequest::parse(qs.cursor.as_deref(), Some(50))?;
    let convs = st.store.list_conversations(&scope, &filtered(&view), page).await?;
    let mut views = Vec::new();
    for (code, label) in [
        ("mine", t.view_mine),
        ("unassigned", t.view_unassigned),
        ("waiting", l.view_waiting),
        ("escalated", t.view_escalated),
        ("all", t.view_all),
    ] {
        views.push((code, label, st.store.count_conversations(&scope, &filtered(code)).await?));
    }
    let ids: Vec<_> = convs.items.iter().map(|c| c.id).collect();
    let details = st.store.inbox_details(u.id, &ids).await?;
    let staff = st.store.list_users(&scope, u.id, PageRequest::first(200)).await?.items;
    // Times are shown in JST, the desk's working zone, whatever the shop's own zone.
    let tz = chrono_tz::Asia::Tokyo;
    let now = Utc::now();
    let rows = convs
        .items
        .iter()
        .map(|c| {
            let m = merchants.iter().find(|m| m.id == c.merchant_id);
            let d = details.get(&c.id).cloned().unwrap_or_default();
            let finished = matches!(c.status, ConversationStatus::Resolved | ConversationStatus::Closed);
            let waiting = c.waiting_since.filter(|_| !finished);
            Row {
                id: c.id.to_string(),
                ticket: m.map_or_else(|| format!("#{}", c.number), |m| m.ticket(c.number)),
                merchant: m.map(|m| m.name.clone()).unwrap_or_default(),
                channel: i18n::channel(lang, c.channel),
                status: i18n::status(lang, c.status),
                priority: i18n::priority(lang, c.priority),
                priority_code: c.priority.as_str(),
                customer: d.customer_name.clone().unwrap_or_default(),
                subject: c.subject.clone().unwrap_or_else(|| t.no_subject.into()),
                preview: d.preview.as_deref().map(|p| p.chars().take(60).collect()).unwrap_or_default(),
                assignee: c
                    .assignee_id
                    .and_then(|a| staff.iter().find(|s| s.id == a))
                    .map(|s| s.display_name.clone())
                    .unwrap_or_default(),
                waiting: waiting.map(|w| wait_text(lang, w, now)).unwrap_or_default(),
                waiting_long: waiting.is_some_and(|w| now - w > chrono::Duration::hours(1)),
                sla: match (c.first_response_at, c.first_response_due_at) {
                    (Some(_), _) => t.sla_met.to_owned(),
                    (None, Some(due)) if due < now || c.first_response_breached_at.is_some() => {
                        t.sla_breached.to_owned()
                    }
                    (None, Some(due)) => due.with_timezone(&tz).format("%m/%d %H:%M").to_string(),
                    (None, None) => String::new(),
                },
                sla_class: match (c.first_response_at, c.first_response_due_at) {
                    (None, Some(due)) if due < now || c.first_response_breached_at.is_some() => "breached",
                    (None, Some(_)) => "running",
                    _ => "met",
                },
                last_activity: c
                    .last_message_at
                    .unwrap_or(c.updated_at)
                    .with_timezone(&tz)
                    .format("%m/%d %H:%M")
                    .to_string(),
                unread: c.waiting_since.is_some()
                    && c.last_message_at.is_some_and(|at| d.read_at.is_none_or(|r| r < at)),
                mine: c.assignee_id == Some(u.id),
            }
        })
        .collect();
    let seen: Vec<_> = convs.items.iter().map(|c| (c.merchant_id, c.id.to_string())).collect();
    madoguchi_app::usecases::audit::audit_read(&st, &p, madoguchi_core::enums::SubjectType::Conversation, &seen)
        .await?;
    let next_link = format!(
        "/desk?view={view}&merchant={}&channel={}&status={}&priority={}&category={}&queue={}&tag={}&sort={sort}",
        qs.merchant.as_deref().map(query_value).unwrap_or_default(),
        channel.map(|c| c.as_str()).unwrap_or_default(),
        status.map(|s| s.as_str()).unwrap_or_default(),
        priority.map(|p| p.as_str()).unwrap_or_default(),
        query_value(&category),
        query_value(&queue),
        query_value(&tag),
    );
    // Queues of the user's shops, one entry per name (a queue name is also a skill).
    let mut queue_names: Vec<String> = Vec::new();
    for m in &merchants {
        for qu in st.store.list_queues(&scope, m.id).await? {
            if !queue_names.contains(&qu.name) {
                queue_names.push(qu.name);
            }
        }
    }
    queue_names.sort();
    let chosen_queue = queue_names.iter().position(|n| *n == queue);
    let page = DeskPage {
        queue_options: options(
            t.any,
            0..queue_names.len(),
            |i| queue_names[i].clone(),
            |i| queue_names[i].clone(),
            chosen_queue,
        ),
        lang: lang.code(),
        t,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        view,
        views,
        merchant_options: options(
            t.any,
            merchants.iter(),
            |m| m.slug.clone(),
            |m| m.name.clone(),
            chosen_merchant.and_then(|id| merchants.iter().find(|m| m.id == id)),
        ),
        channel_options: options(
            t.any,
            Channel::iter(),
            |c| c.as_str().into(),
            |c| i18n::channel(lang, c).into(),
            channel,
        ),
        status_options: options(
            t.any,
            ConversationStatus::iter(),
            |c| c.as_str().into(),
            |c| i18n::status(lang, c).into(),
            status,
        ),
        priority_options: options(
            t.any,
            Priority::iter(),
            |c| c.as_str().into(),
            |c| i18n::priority(lang, c).into(),
            priority,
        ),
        sort_options: [
            ("activity", l.sort_activity),
            ("waiting", l.sort_waiting),
            ("newest", l.sort_newest),
            ("oldest", l.sort_oldest),
        ]
        .into_iter()
        .map(|(c, label)| (c, label, c == sort))
        .collect(),
        category,
        tag,
        rows,
        next_cursor: convs.next_cursor,
        next_link,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct PresenceForm {
    csrf: String,
    presence: madoguchi_core::presence::Presence,
}

/// Sets the agent's presence from the console; becoming available offers waiting contacts.
/// The agent stays on the page they changed it from.
pub async fn set_presence(
    State(st): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Form(form): Form<PresenceForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&form.csrf)?.clone();
    if p.role.is_merchant_role() {
        return Err(ApiError::forbidden("presence is for the desk's agents and supervisors"));
    }
    let before = st.store.agent_profile(p.user_id).await?;
    if before.presence != form.presence {
        if !before.presence.can_switch_to(form.presence) {
            return Err(madoguchi_core::ValidationError::new(
                "presence",
                "invalid_presence_change",
                "this presence cannot be chosen",
            )
            .into());
        }
        let after = st.store.set_presence(p.user_id, form.presence).await?;
        if after.presence.accepts_contacts() {
            madoguchi_app::usecases::routing::route_merchants(&st.store, &p.merchants).await;
        }
    }
    Ok(Redirect::to(&back_to(&headers)).into_response())
}

/// The console page a form was sent from (its path and query), or the inbox. Only a path of
/// this site is followed, never another host.
pub(crate) fn back_to(headers: &HeaderMap) -> String {
    let referer = headers.get(axum::http::header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let path = referer.split_once("://").map_or("", |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/login") {
        path.to_owned()
    } else {
        "/desk".to_owned()
    }
}

#[derive(Debug, Deserialize)]
pub struct HeartbeatForm {
    csrf: String,
    /// The conversation the page shows, if any.
    #[serde(default)]
    conversation: Option<String>,
    /// `1` while the agent is typing in it.
    #[serde(default)]
    replying: Option<String>,
    /// `1` when the page is being closed: the user no longer has it open.
    #[serde(default)]
    leaving: Option<String>,
}

#[derive(serde::Serialize)]
struct Heartbeat {
    presence: &'static str,
    presence_label: &'static str,
    /// The collision warning, in the reader's language; empty when nobody else is there.
    collision: String,
}

/// A console page's sign of life, every 15 seconds (see `usecases::presence`): keeps the
/// agent's presence, says who else has the same conversation open, and what the header should
/// show. Answers 401 (not the sign-in page) to a page whose session ended.
pub async fn heartbeat(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<HeartbeatForm>,
) -> Result<Response, ApiError> {
    let Some(session) = current_session(&st, &jar).await? else {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    };
    let user = ConsoleUser { principal: principal_of(&session.user), session };
    let p = user.checked(&form.csrf)?.clone();
    let lang = crate::i18n::Lang::from_request(&jar, &headers);
    let conversation = form.conversation.as_deref().filter(|c| !c.is_empty()).and_then(|c| c.parse().ok());
    if form.leaving.as_deref() == Some("1") {
        if let Some(c) = conversation {
            st.store.stop_viewing(p.user_id, c).await?;
        }
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let viewers =
        st.store.heartbeat(&p.scope(), p.user_id, conversation, form.replying.as_deref() == Some("1")).await?;
    let l = i18n::desk(lang);
    let collision = viewers
        .iter()
        .map(|v| format!("{}{}", v.display_name, if v.replying { l.also_replying } else { l.also_viewing }))
        .collect::<Vec<_>>()
        .join(" / ");
    let shown = if p.role.is_merchant_role() {
        madoguchi_core::presence::Presence::Offline
    } else {
        madoguchi_app::usecases::presence::shown(&st.store, p.user_id).await?
    };
    Ok(axum::Json(Heartbeat { presence: shown.as_str(), presence_label: i18n::presence(lang, shown), collision })
        .into_response())
}
