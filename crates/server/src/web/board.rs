//! The supervisor board page: every merchant the user works for, per queue.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use chrono::Utc;
use madoguchi_core::page::PageRequest;

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{self, Lang, Texts};
use crate::web::ConsoleUser;

struct QueueRow {
    name: String,
    waiting: i64,
    longest: String,
    offered: i64,
    answered: i64,
    abandoned: i64,
    answer_rate: String,
    service_level: String,
    sl_class: &'static str,
}

struct MerchantBoard {
    slug: String,
    name: String,
    target: u32,
    queues: Vec<QueueRow>,
    agents: Vec<(&'static str, i64)>,
    /// Each agent who works for the shop: who, what state and since when, what they hold.
    people: Vec<AgentRow>,
    /// Today's chats the bot took, when it took any.
    bot: Option<BotRow>,
    /// The phone, when a call came today or one is live.
    calls: Option<CallsRow>,
    /// Agents at work (受付可), whom a waiting call can be sent to: (user id, name).
    available: Vec<(String, String)>,
}

struct CallsRow {
    /// (queue, callers waiting, longest wait)
    queues: Vec<(String, i64, String)>,
    /// Each call waiting now, which a supervisor may send to an agent at work.
    waiting: Vec<WaitingCall>,
    on_call: i64,
    in_menu: i64,
    offered: i64,
    answered: i64,
    abandoned: i64,
    short_abandoned: i64,
    voicemail: i64,
    answer_rate: String,
    service_level: String,
    average_answer: String,
}

struct WaitingCall {
    id: String,
    queue: String,
    caller: String,
    waited: String,
}

fn calls_row(lang: Lang, c: &madoguchi_core::board::CallFigures, waiting: Vec<WaitingCall>) -> Option<CallsRow> {
    let ct = i18n::call_texts(lang);
    (!c.is_empty()).then(|| CallsRow {
        waiting,
        queues: c
            .queues
            .iter()
            .map(|q| {
                let name = if q.queue.is_empty() { ct.no_queue.to_owned() } else { q.queue.clone() };
                (name, q.waiting, wait(lang, q.oldest_waiting_since))
            })
            .collect(),
        on_call: c.on_call,
        in_menu: c.in_menu,
        offered: c.offered,
        answered: c.answered,
        abandoned: c.abandoned,
        short_abandoned: c.short_abandoned,
        voicemail: c.voicemail,
        answer_rate: pct(c.answer_rate()),
        service_level: pct(c.service_level()),
        average_answer: c.average_answer_seconds.map_or_else(|| "—".into(), |s| minutes_seconds(lang, s)),
    })
}

struct AgentRow {
    name: String,
    state: &'static str,
    state_code: &'static str,
    since: String,
    /// Live chats held (not ended) of the most at once, e.g. 「2 / 3」.
    live: String,
    held: i64,
}

struct BotRow {
    chats: i64,
    resolved: i64,
    resolved_rate: String,
    handed_over: i64,
    active: i64,
}

#[derive(Template)]
#[template(path = "board.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    d: &'static crate::i18n::DeskTexts,
    ct: &'static crate::i18n::CallTexts,
    merchants: Vec<MerchantBoard>,
    /// A waiting call could not be sent where the supervisor said.
    refused: bool,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |p| format!("{p:.1}%"))
}

/// A wait as people say it: 「45秒」「3分20秒」 while short, 「2時間5分」「6日13時間」 when long.
fn wait(lang: Lang, since: Option<chrono::DateTime<Utc>>) -> String {
    let Some(s) = since else { return "—".into() };
    let now = Utc::now();
    let secs = (now - s).num_seconds().max(0);
    if secs >= 3600 { super::inbox::wait_text(lang, s, now) } else { minutes_seconds(lang, secs) }
}

/// 「45秒」「3分20秒」.
fn minutes_seconds(lang: Lang, secs: i64) -> String {
    match (lang, secs) {
        (Lang::Ja, 60..) => format!("{}分{:02}秒", secs / 60, secs % 60),
        (Lang::Ja, _) => format!("{secs}秒"),
        (_, 60..) => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{secs} s"),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct BoardQuery {
    refused: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<BoardQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let t = lang.t();
    let ConsoleUser { session, principal: p } = user;
    if p.role.is_merchant_role() {
        return Err(ApiError::forbidden("the supervisor board is the desk's"));
    }
    let scope = p.scope();
    let day = madoguchi_core::time::jst_day_start();
    let mut merchants = Vec::new();
    let names: std::collections::HashMap<_, _> = st
        .store
        .list_users(&scope, p.user_id, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    for m in st.store.list_merchants(&scope, PageRequest::first(200)).await?.items {
        let b = madoguchi_app::usecases::reports::board::today(&st.store, &p, m.id).await?;
        let f = st.store.bot_figures(&scope, m.id, day, Utc::now() + chrono::Duration::minutes(1)).await?;
        let bot = (f.chats > 0).then(|| BotRow {
            chats: f.chats,
            resolved: f.resolved,
            resolved_rate: pct(Some(f.resolved_rate * 100.0)),
            handed_over: f.handed_over,
            active: f.active,
        });
        let mut people = Vec::new();
        let mut available = Vec::new();
        for a in st.store.merchant_agents(m.id).await? {
            if a.presence == madoguchi_core::presence::Presence::Available {
                available.push((a.user_id.to_string(), names.get(&a.user_id).cloned().unwrap_or_default()));
            }
            let live = st.store.live_contacts(a.user_id).await?;
            let shown = a.presence.shown(live);
            let held = st
                .store
                .count_conversations(
                    &scope,
                    &madoguchi_store::conversations::ConversationFilter {
                        merchant: Some(m.id),
                        assignee: Some(a.user_id),
                        active_only: true,
                        ..Default::default()
                    },
                )
                .await?;
            people.push(AgentRow {
                name: names.get(&a.user_id).cloned().unwrap_or_default(),
                state: i18n::presence(lang, shown),
                state_code: shown.as_str(),
                since: wait(lang, Some(a.presence_since)),
                live: format!("{} / {}", st.store.live_chats(a.user_id).await?, a.max_messaging),
                held,
            });
        }
        people.sort_by(|a, b| a.name.cmp(&b.name));
        let waiting = st
            .store
            .waiting_calls(&scope, m.id)
            .await?
            .into_iter()
            .map(|c| WaitingCall {
                id: c.id.to_string(),
                queue: c.skill.clone().unwrap_or_else(|| i18n::call_texts(lang).no_queue.to_owned()),
                caller: c.caller.shown_ja(),
                waited: wait(lang, c.record.queued_at.or(Some(c.created_at))),
            })
            .collect();
        merchants.push(MerchantBoard {
            people,
            slug: m.slug.clone(),
            name: m.name.clone(),
            target: b.first_response_target_minutes,
            queues: b
                .queues
                .iter()
                .map(|q| QueueRow {
                    name: if q.queue.is_empty() { t.no_queue.into() } else { q.queue.clone() },
                    waiting: q.waiting,
                    longest: wait(lang, q.oldest_waiting_since),
                    offered: q.offered,
                    answered: q.answered,
                    abandoned: q.abandoned,
                    answer_rate: pct(q.answer_rate()),
                    service_level: pct(q.service_level()),
                    sl_class: if q.service_level().is_some_and(|s| s < 80.0) { "below" } else { "" },
                })
                .collect(),
            agents: b.agents.iter().map(|a| (i18n::presence(lang, a.presence), a.agents)).collect(),
            bot,
            calls: calls_row(lang, &b.calls, waiting),
            available,
        });
    }
    let page = Page {
        lang: lang.code(),
        t,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        d: i18n::desk(lang),
        ct: i18n::call_texts(lang),
        merchants,
        refused: q.refused.is_some(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, serde::Deserialize)]
pub struct OfferForm {
    csrf: String,
    agent: String,
}

/// `POST /board/calls/{id}/offer`: the supervisor sends a waiting call to an agent at work; a
/// refusal (taken meanwhile, the agent busy) comes back on the board.
pub async fn offer(
    State(st): State<AppState>,
    user: ConsoleUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::Form(f): axum::Form<OfferForm>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    let p = user.checked(&f.csrf)?.clone();
    let agent = madoguchi_core::ids::UserId(
        f.agent.parse().map_err(|_| ApiError::bad_request("invalid_id", "choose an agent"))?,
    );
    let call = crate::extract::id(&id)?;
    match madoguchi_app::usecases::voice::agents::offer_to(&st.store, &p, call, agent).await {
        Ok(()) => Ok(axum::response::Redirect::to("/board").into_response()),
        Err(madoguchi_app::usecases::error::UseCaseError::Store(madoguchi_store::StoreError::Conflict {
            code,
            ..
        })) => Ok(axum::response::Redirect::to(&format!("/board?refused={code}")).into_response()),
        Err(e) => Err(e.into()),
    }
}
