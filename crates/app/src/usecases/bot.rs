//! The chat bot at work: reads a customer's message in a conversation it holds, looks the
//! question up in the shop's knowledge base, and stores its answer, the chat's resolution or
//! its hand-over to a person (the rules are in `madoguchi_core::bot`). It is called after the
//! customer's message is stored and acknowledged; if it fails, the customer's message is kept
//! and the chat is handed over so a person answers.

use madoguchi_core::access::Scope;
use madoguchi_core::bot::{self, Action, BotOutcome, Candidate, HandOverReason, Intent};
use madoguchi_core::conversation::{BotArticle, BotMeta, MessageMeta};
use madoguchi_core::enums::{AuthorKind, Channel, Direction};
use madoguchi_core::ids::{ArticleId, ConversationId};
use madoguchi_core::kb::Article;
use madoguchi_core::merchant::Merchant;
use madoguchi_search::confidence::{CONFIDENT_COVERAGE, coverage};
use madoguchi_search::{DocKind, SearchRequest};
use madoguchi_store::bot::BotStep;
use madoguchi_store::conversations::MessageRecord;

use crate::App;
use crate::hub::Signal;

/// Articles the bot weighs for a question.
const CANDIDATES: usize = 3;

const ASK_AGAIN: &str =
    "お役に立てず申し訳ございません。お手数ですが、お困りのことを別の言葉でもう一度お聞かせください。";
const THANKS: &str = "解決してよかったです。ご利用ありがとうございました。ほかにご不明な点があれば、いつでもお気軽にお問い合わせください。";
const HANDING_OVER: &str = "担当者におつなぎします。順番にご案内いたしますので、このまましばらくお待ちください。";
const AFTER_HOURS: &str =
    "ただいま営業時間外のため、メッセージをお預かりしました。営業時間になりましたら担当者より順にご返信いたします。";
const SOLVED_QUESTION: &str = "この回答で解決しましたか？";

/// Takes the customer's latest message in a chat the bot may hold. Does nothing when the bot
/// does not hold it; `open` says whether the shop's desk is at work now.
pub async fn take_turn(st: &App, merchant: &Merchant, conversation: ConversationId, text: &str, open: bool) {
    let given = match st.store.bot_answers(conversation).await {
        Ok(Some(n)) => n,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = ?e, "bot: could not read the conversation");
            return;
        }
    };
    let intent = bot::intent(text);
    let found = if intent == Intent::Person { Ok(vec![]) } else { candidates(st, merchant, text).await };
    let found = found.unwrap_or_else(|e| {
        // Without the knowledge base the bot cannot answer: a person will.
        tracing::warn!(error = %e, "bot: knowledge-base search failed");
        vec![]
    });
    let weighed: Vec<Candidate> =
        found.iter().map(|(a, confident)| Candidate { article_id: a.id.to_string(), confident: *confident }).collect();
    let action = bot::decide(intent, given, &weighed);
    let (messages, step) = turn(&action, &found, open);
    match st.store.bot_step(merchant, conversation, &messages, &step).await {
        Ok(true) => {
            let outcome = match step {
                BotStep::Reply { .. } => "replied",
                BotStep::Resolve { .. } => BotOutcome::Resolved.as_str(),
                BotStep::HandOver { .. } => BotOutcome::HandedOver.as_str(),
            };
            metrics::counter!("madoguchi_bot_turns_total", "outcome" => outcome).increment(1);
            st.chat.publish(merchant.id, conversation, Signal::Message);
            if matches!(step, BotStep::HandOver { .. }) {
                crate::usecases::routing::route_soon(&st.store, merchant.id);
            }
        }
        // A person took the chat over meanwhile: the bot stays quiet.
        Ok(false) => {}
        Err(e) => {
            // The customer must not wait on a bot that cannot answer: hand the chat to a person.
            tracing::error!(error = ?e, "bot: turn not stored; handing the chat over");
            let step = BotStep::HandOver { reason: HandOverReason::NotConfident, articles: vec![] };
            match st.store.bot_step(merchant, conversation, &[], &step).await {
                Ok(_) => crate::usecases::routing::route_soon(&st.store, merchant.id),
                Err(e) => tracing::error!(error = ?e, "bot: hand-over not stored either"),
            }
        }
    }
}

/// Takes the bot's turn in the background for a message a channel just stored: the
/// channel acknowledges without waiting for the bot.
pub fn take_turn_soon(st: &App, merchant: madoguchi_core::ids::MerchantId, conversation: ConversationId, text: String) {
    let st = st.clone();
    tokio::spawn(async move {
        let scope = Scope::Merchants(vec![merchant]);
        let m = match st.store.get_merchant(&scope, madoguchi_store::merchants::MerchantKey::Id(merchant)).await {
            Ok(m) => m,
            Err(e) => return tracing::warn!(error = ?e, "bot: merchant not read"),
        };
        let closed = m.closed_day_pairs();
        let cal = madoguchi_core::calendar::BusinessCalendar {
            timezone: m.tz(),
            hours: &m.business_hours,
            closed_days: &closed,
        };
        let open = cal.is_open_at(chrono::Utc::now());
        take_turn(&st, &m, conversation, &text, open).await;
    });
}

/// How long a customer's message may wait for the bot before the sweep takes the turn again.
pub(crate) const UNANSWERED_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// The published articles the knowledge base offers for `text`, best first, each with whether
/// it clearly answers it.
async fn candidates(st: &App, merchant: &Merchant, text: &str) -> anyhow::Result<Vec<(Article, bool)>> {
    let r = SearchRequest {
        merchants: vec![merchant.id.to_string()],
        text: text.chars().take(200).collect(),
        kinds: vec![DocKind::Article],
        status: Some("published".into()),
        matching: madoguchi_search::Match::Any,
        limit: CANDIDATES,
        ..Default::default()
    };
    let scope = Scope::Merchants(vec![merchant.id]);
    let mut out = Vec::new();
    for hit in st.search.index.search(&r)? {
        let Ok(id) = hit.id.parse::<ArticleId>() else { continue };
        // The index may lag an unpublishing or a deletion by a moment.
        let Ok(a) = st.store.get_article(&scope, id).await else { continue };
        if !a.published {
            continue;
        }
        let whole = format!("{}\n{}\n{}\n{}", a.question, a.category, a.keywords.join("\n"), a.answer);
        let confident = coverage(text, &whole) >= CONFIDENT_COVERAGE;
        out.push((a, confident));
    }
    Ok(out)
}

/// The messages and the step for an action.
fn turn(action: &Action, found: &[(Article, bool)], open: bool) -> (Vec<MessageRecord>, BotStep) {
    let link = |a: &Article| BotArticle { id: a.id.to_string(), question: a.question.clone() };
    match action {
        Action::Answer { best, related } => {
            let a = &found[*best].0;
            let body =
                format!("「{}」\n\n{}\n\n{SOLVED_QUESTION}", a.question, crate::sanitize::markdown_to_text(&a.answer));
            let meta = BotMeta {
                articles: std::iter::once(*best).chain(related.iter().copied()).map(|i| link(&found[i].0)).collect(),
                choices: vec![bot::REPLY_SOLVED.into(), bot::REPLY_NOT_SOLVED.into(), bot::REPLY_PERSON.into()],
            };
            (vec![said(body, Some(meta))], BotStep::Reply { answered: true })
        }
        Action::AskAgain => {
            let meta = BotMeta { articles: vec![], choices: vec![bot::REPLY_PERSON.into()] };
            (vec![said(ASK_AGAIN.into(), Some(meta))], BotStep::Reply { answered: false })
        }
        Action::Resolve => (vec![said(THANKS.into(), None)], BotStep::Resolve { article: None }),
        Action::HandOver(reason) => {
            let notice = if open { HANDING_OVER } else { AFTER_HOURS };
            let mut note = format!("ボットから引き継ぎ：{}", reason_ja(*reason));
            if !open {
                note.push_str("（営業時間外のためメッセージとしてお預かり）");
            }
            if !found.is_empty() {
                note.push_str("\n最後の質問に近いFAQ：");
                for (a, _) in found {
                    note.push_str(&format!("\n・{}", a.question));
                }
            }
            let articles = found.iter().map(|(a, _)| a.id.to_string()).collect();
            (vec![said(notice.into(), None), internal_note(note)], BotStep::HandOver { reason: *reason, articles })
        }
    }
}

fn reason_ja(r: HandOverReason) -> &'static str {
    match r {
        HandOverReason::Requested => "お客様が担当者との会話を希望",
        HandOverReason::NotConfident => "質問に合うFAQが見つからない",
        HandOverReason::NotSolved => "ボットの回答では解決しなかった",
        HandOverReason::TakenOver => "担当者が引き取り",
    }
}

/// A message of the bot to the customer.
fn said(body: String, bot: Option<BotMeta>) -> MessageRecord {
    MessageRecord {
        channel: None,
        direction: Direction::Outbound,
        internal: false,
        author_kind: AuthorKind::Bot,
        author_user_id: None,
        body_text: body,
        body_html: None,
        attachments: vec![],
        provider_message_id: None,
        meta: MessageMeta { bot, ..MessageMeta::default() },
        created_at: None,
    }
}

/// What the agent who takes over reads first, above the whole exchange.
fn internal_note(body: String) -> MessageRecord {
    MessageRecord { internal: true, author_kind: AuthorKind::System, ..said(body, None) }
}

/// The channels the bot may hold a conversation on: web chat and LINE.
pub fn serves(channel: Channel) -> bool {
    matches!(channel, Channel::Chat | Channel::Line)
}

/// Whether a channel account starts new conversations with the bot (on a channel it serves,
/// when the shop turned it on).
pub fn channel_uses_bot(channel: Channel, settings: &serde_json::Value) -> bool {
    serves(channel) && settings["bot"].as_bool().unwrap_or(false)
}
