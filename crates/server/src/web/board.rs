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
    /// Today's chats the bot took, when it took any.
    bot: Option<BotRow>,
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
    merchants: Vec<MerchantBoard>,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |p| format!("{p:.1}%"))
}

/// A wait as 分:秒 (or 時間:分 when long).
fn wait(since: Option<chrono::DateTime<Utc>>) -> String {
    let Some(s) = since else { return "—".into() };
    let secs = (Utc::now() - s).num_seconds().max(0);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
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
    if p.role.is_merchant_role() {
        return Err(ApiError::forbidden("the supervisor board is the desk's"));
    }
    let scope = p.scope();
    let day = madoguchi_core::time::jst_day_start();
    let mut merchants = Vec::new();
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
        merchants.push(MerchantBoard {
            slug: m.slug.clone(),
            name: m.name.clone(),
            target: b.first_response_target_minutes,
            queues: b
                .queues
                .iter()
                .map(|q| QueueRow {
                    name: if q.queue.is_empty() { t.no_queue.into() } else { q.queue.clone() },
                    waiting: q.waiting,
                    longest: wait(q.oldest_waiting_since),
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
        });
    }
    let page =
        Page { lang: lang.code(), t, chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?, merchants };
    Ok(render(StatusCode::OK, &page))
}
