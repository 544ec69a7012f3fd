//! The chat bot in a web chat: answers from the knowledge base, hands over to a person with
//! the exchange, after hours takes a message.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use std::time::Duration;

use common::TestApp;
use common::chat::*;
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::TimelineItem;
use madoguchi_core::enums::{AuthorKind, ConversationStatus};
use madoguchi_core::ids::ConversationId;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Turns the shop's chat bot on and gives its knowledge base a shipping article next to the
/// returns article every test shop has; waits until both are searchable.
async fn with_bot(app: &TestApp, slug: &str) {
    let (s, body) = app
        .send(Method::PUT, &format!("/api/v1/merchants/{slug}/channels/chat"), "admin", json!({ "bot": true }))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["bot"], true);
    let article = json!({ "category": "送料・手数料", "question": "送料はいくらですか？",
        "answer": "全国一律**550円**です。\n\n- 5,000円以上のご注文で送料無料", "keywords": ["配送料", "送料無料"] });
    let (s, body) =
        app.send(Method::POST, &format!("/api/v1/merchants/{slug}/kb/articles"), "admin", article).await.unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    for _ in 0..100 {
        let (_, r) = app.get(&format!("/api/v1/merchants/{slug}/kb/search?q=送料"), "admin").await.unwrap();
        if r["results"].as_array().is_some_and(|a| !a.is_empty()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the shipping article never became searchable");
}

/// A visitor who fills in the pre-chat form with `text`; returns the socket and the conversation.
async fn visitor_asks(app: &TestApp, slug: &str, text: &str) -> (Socket, ConversationId) {
    let mut ws = connect(app, slug).await;
    hello(&mut ws, json!({})).await;
    put(
        &mut ws,
        json!({ "type": "start", "client_id": "q1", "name": "質問 花子", "email": "q@example.jp", "text": text }),
    )
    .await;
    let ack = next_of(&mut ws, "ack").await;
    let id = madoguchi_core::ids::MessageId(ack["id"].as_str().unwrap().parse().unwrap());
    let conv = app.store.get_message(&Scope::All, id).await.unwrap().conversation_id;
    (ws, conv)
}

async fn say(ws: &mut Socket, client_id: &str, text: &str) {
    put(ws, json!({ "type": "message", "client_id": client_id, "text": text })).await;
}

/// The bot's next message to the visitor.
async fn bot_says(ws: &mut Socket) -> Value {
    until(ws, |f| f["type"] == "message" && f["author"] == "bot").await.0
}

async fn events(app: &TestApp, conv: ConversationId) -> Vec<madoguchi_core::conversation::TimelineEvent> {
    app.store
        .timeline(&Scope::All, conv, true)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|t| match t {
            TimelineItem::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// The bot answers a question its knowledge base covers, in other words than the article's,
/// with the article, related ones and quick replies; while it holds the chat nobody is assigned
/// and no service clock runs; a yes ends the chat as resolved by the bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_from_the_knowledge_base_and_a_yes_resolves_the_chat() {
    use madoguchi_core::bot::BotOutcome;
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    with_bot(&app, "shop-a").await;
    // An agent is available: routing must still leave the bot's chat alone.
    let (s, _) =
        app.send(Method::PUT, "/api/v1/me/presence", "agent", json!({ "presence": "available" })).await.unwrap();
    assert_eq!(s, StatusCode::OK);

    let (mut ws, conv) = visitor_asks(&app, "shop-a", "送料っていくらかかりますか？").await;
    let answer = bot_says(&mut ws).await;
    let text = answer["text"].as_str().unwrap();
    assert!(text.contains("550円") && !text.contains("**"), "the article's answer as plain text: {text}");
    assert!(text.contains("解決しましたか"), "{text}");
    assert!(answer["articles"][0]["url"].as_str().unwrap().starts_with("/help/shop-a/articles/"), "{answer}");
    let choices: Vec<&str> = answer["choices"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(choices, ["はい、解決しました", "いいえ、解決していません", "オペレーターと話したい"]);

    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!((c.status, c.bot_outcome), (ConversationStatus::Bot, Some(BotOutcome::Active)));
    assert!(c.first_response_due_at.is_none(), "no service clock while the bot holds the chat");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!(c.assignee_id, None, "routing leaves the bot's chat alone");
    let (_, waiting) = app.get("/api/v1/conversations?merchant=shop-a&assignee=none&limit=100", "agent").await.unwrap();
    assert!(!waiting["items"].as_array().unwrap().iter().any(|i| i["id"] == conv.to_string()), "not in the queue");

    say(&mut ws, "q2", "はい、解決しました").await;
    let thanks = bot_says(&mut ws).await;
    assert!(thanks["text"].as_str().unwrap().contains("ありがとう"), "{thanks}");
    next_of(&mut ws, "closed").await;
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!((c.status, c.bot_outcome), (ConversationStatus::Closed, Some(BotOutcome::Resolved)));
    assert!(c.first_response_at.is_none(), "the bot's answers are not the desk's first response");
    assert!(events(&app, conv).await.iter().any(|e| e.kind == madoguchi_core::enums::EventKind::BotResolved));

    // The shop's figures: one chat, resolved by the bot; the other shop sees none of it.
    let (s, f) = app.get("/api/v1/merchants/shop-a/bot/figures", "merchant_admin").await.unwrap();
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!((f["chats"].as_i64(), f["resolved"].as_i64(), f["handed_over"].as_i64()), (Some(1), Some(1), Some(0)));
    assert_eq!(f["resolved_rate"].as_f64(), Some(1.0));
    let (s, _) = app.get("/api/v1/merchants/shop-b/bot/figures", "merchant_admin").await.unwrap();
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = app.get("/api/v1/merchants/shop-a/bot/figures?from=2026-13-01", "admin").await.unwrap();
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_date")));

    // The supervisor board shows today's bot figures beside the queues.
    let console = agent_console(&app).await;
    let board = console.get(format!("{}/board", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(board.contains("ボット（本日）") && board.contains("ボットで解決 1（100.0%）"), "{board}");
}

/// Two answers that did not help, then the visitor goes to a person with the whole exchange;
/// the hand-over starts the service clock, routes the chat and leaves a note for the agent that
/// the visitor never sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_two_answers_that_did_not_help_the_bot_hands_over_with_the_transcript() {
    use madoguchi_core::bot::BotOutcome;
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    with_bot(&app, "shop-a").await;
    let (mut ws, conv) = visitor_asks(&app, "shop-a", "返品したいのですが").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("8日以内"));
    say(&mut ws, "q2", "いいえ、解決していません").await;
    let again = bot_says(&mut ws).await;
    assert!(again["text"].as_str().unwrap().contains("別の言葉"), "{again}");
    assert_eq!(again["choices"], json!(["オペレーターと話したい"]));
    say(&mut ws, "q3", "返品できますか？").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("8日以内"), "a second answer");
    say(&mut ws, "q4", "いいえ").await;
    let handing = bot_says(&mut ws).await;
    assert!(handing["text"].as_str().unwrap().contains("担当者におつなぎします"), "{handing}");

    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!(c.bot_outcome, Some(BotOutcome::HandedOver));
    assert!(matches!(c.status, ConversationStatus::New | ConversationStatus::Open), "in the queue: {:?}", c.status);
    assert!(c.first_response_due_at.is_some(), "the service clock starts at the hand-over");
    let handed =
        events(&app, conv).await.into_iter().find(|e| e.kind == madoguchi_core::enums::EventKind::BotHandedOver);
    assert_eq!(handed.unwrap().data["reason"], "not_solved");

    // The agent reads everything the visitor and the bot said, and the bot's note on top.
    let (_, page) = app.get(&format!("/api/v1/conversations/{conv}"), "agent").await.unwrap();
    let all = page.to_string();
    for said in [
        "返品したいのですが",
        "いいえ、解決していません",
        "返品できますか",
        "ボットから引き継ぎ",
        "回答では解決しなかった",
    ] {
        assert!(all.contains(said), "the agent sees {said}");
    }
    // The note is the desk's: the visitor never sees it.
    let public = app.store.public_messages_since(&Scope::All, conv, None, 100).await.unwrap();
    assert!(public.iter().all(|m| !m.body_text.contains("ボットから引き継ぎ")));

    // The agent answers; the bot stays quiet from now on.
    let (s, body) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/messages"),
            "agent",
            json!({ "kind": "outbound", "body_text": "担当の佐藤です。返品を承ります。" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(
        until(&mut ws, |f| f["type"] == "message" && f["author"] == "agent").await.0["text"],
        "担当の佐藤です。返品を承ります。"
    );
    say(&mut ws, "q5", "ありがとうございます").await;
    let (_, seen) = until(&mut ws, |f| f["type"] == "message" && f["client_id"] == "q5").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bots = app.store.public_messages_since(&Scope::All, conv, None, 100).await.unwrap();
    assert_eq!(
        bots.iter().filter(|m| m.author_kind == AuthorKind::Bot).count(),
        4,
        "no bot message after the hand-over ({seen:?})"
    );
}

/// Asking for a person goes to one at once; a question the knowledge base does not cover too;
/// after hours the bot takes a message instead; an agent who answers a chat the bot holds takes
/// it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_hands_over_on_request_when_unsure_and_after_hours_takes_a_message() {
    use madoguchi_core::bot::BotOutcome;
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    with_bot(&app, "shop-a").await;
    let reason = |conv| {
        let app = &app;
        async move {
            let e =
                events(app, conv).await.into_iter().find(|e| e.kind == madoguchi_core::enums::EventKind::BotHandedOver);
            e.map(|e| e.data["reason"].as_str().unwrap_or_default().to_owned())
        }
    };

    let (mut ws, conv) = visitor_asks(&app, "shop-a", "ｵﾍﾟﾚｰﾀｰと話したい").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("担当者におつなぎします"));
    assert_eq!(reason(conv).await.as_deref(), Some("requested"));

    let (mut ws, conv) = visitor_asks(&app, "shop-a", "御社の株価を教えてください").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("担当者におつなぎします"));
    assert_eq!(reason(conv).await.as_deref(), Some("not_confident"));

    // An agent answering while the bot holds the chat takes it over.
    let (mut ws, conv) = visitor_asks(&app, "shop-a", "送料はいくら？").await;
    bot_says(&mut ws).await;
    let (s, _) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/messages"),
            "agent",
            json!({ "kind": "outbound", "body_text": "担当が代わります。" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED);
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!((c.status, c.bot_outcome), (ConversationStatus::Open, Some(BotOutcome::HandedOver)));
    assert_eq!(reason(conv).await.as_deref(), Some("taken_over"));
    // Nobody can hand a chat back to the bot through the API.
    let (s, e) = app
        .send(Method::PATCH, &format!("/api/v1/conversations/{conv}"), "agent", json!({ "status": "bot" }))
        .await
        .unwrap();
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bot_only")));

    set_hours(&app, "shop-a", false).await;
    let (mut ws, conv) = visitor_asks(&app, "shop-a", "人と話したいです").await;
    let notice = bot_says(&mut ws).await;
    assert!(notice["text"].as_str().unwrap().contains("営業時間外"), "{notice}");
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!(c.bot_outcome, Some(BotOutcome::HandedOver));

    let (_, f) = app.get("/api/v1/merchants/shop-a/bot/figures", "admin").await.unwrap();
    assert_eq!((f["chats"].as_i64(), f["handed_over"].as_i64()), (Some(4), Some(4)), "{f}");
}
