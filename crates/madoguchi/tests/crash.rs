//! The crash test. The real `madoguchi` binary is killed (SIGKILL: no shutdown, no flush) while
//! mail is being piped in, a chat visitor is writing and agents' replies are being queued and
//! sent by SMTP. It is then started again on the same data folder, and:
//!
//! - every mail and chat message that was acknowledged is stored exactly once;
//! - the mail server's redelivery of every message (acknowledged or not) adds nothing twice and
//!   loses nothing; the chat widget's resend after its reconnect is answered with the stored id;
//! - every reply that was queued reaches the customer's real mailbox, under one Message-ID.
//!
//! SMTP has no idempotency key: if the process dies after the relay accepted a reply and before
//! the outbox recorded it, the reply is sent again under the same Message-ID, which is how the
//! receiving side recognises it. The test allows that and nothing more.

#![allow(clippy::unwrap_used)] // a broken fixture fails the test

mod common;
#[path = "../../server/tests/common/mailserver.rs"]
#[allow(dead_code)]
mod mailserver;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{spawn, wait_for_credentials};
use futures_util::{SinkExt, StreamExt};
use mailserver::mail_servers;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Ws;

/// Mails piped in per run; the kill lands somewhere in the middle.
const MAILS: usize = 80;
const KILL_AFTER: Duration = Duration::from_millis(1500);

fn raw_mail(i: usize, to: &str) -> String {
    format!(
        "From: Crash Customer {i} <crash{i}@example.jp>\r\nTo: {to}\r\nSubject: crash {i}\r\n\
         Message-ID: <crash-{i}@example.jp>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         注文の件で問い合わせます。crash-{i}\r\n"
    )
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        anyhow::ensure!(r.status().is_success(), "GET {path}: {}", r.status());
        Ok(r.json().await?)
    }

    /// The bodies and delivery states of a conversation's messages.
    async fn messages(&self, conversation: &str) -> anyhow::Result<Vec<Value>> {
        let d = self.get(&format!("/api/v1/conversations/{conversation}")).await?;
        Ok(d["timeline"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i["body_text"].is_string())
            .collect())
    }

    /// The conversations of the merchant's customer with this mail address.
    async fn conversations_of(&self, merchant: &str, email: &str) -> anyhow::Result<Vec<String>> {
        let c = self.get(&format!("/api/v1/customers/lookup?merchant={merchant}&kind=email&value={email}")).await?;
        let list = self.get(&format!("/api/v1/conversations?customer={}&limit=50", c["id"].as_str().unwrap())).await?;
        Ok(list["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect())
    }
}

fn credentials_api(creds: &Value) -> Api {
    let admin = creds["users"].as_array().unwrap().iter().find(|u| u["role"] == "admin").expect("a demo admin");
    Api {
        http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap(),
        base: creds["base_url"].as_str().unwrap().to_owned(),
        token: admin["api_token"].as_str().unwrap().to_owned(),
    }
}

/// A relay in front of the SMTP server that holds each connection a moment before passing it on,
/// as a distant relay would, so replies are still queued when the server dies. Counts the
/// sessions it has begun.
async fn slow_relay(target: u16, delay: Duration, begun: Arc<AtomicUsize>) -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = l.accept().await {
            let begun = begun.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                begun.fetch_add(1, Ordering::SeqCst);
                let Ok(mut out) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
            });
        }
    });
    port
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next frame of a type; `None` when the socket dies or stays silent.
async fn frame_of(ws: &mut Socket, kind: &str) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.ok()??.ok()?;
        if let Ws::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).ok()?;
            if v["type"] == kind || v["type"] == "error" {
                return Some(v);
            }
        }
    }
}

async fn chat_connect(base: &str, slug: &str) -> Option<Socket> {
    let url = format!("{}/chat/{slug}/ws", base.replacen("http", "ws", 1));
    Some(tokio_tungstenite::connect_async(url).await.ok()?.0)
}

/// A visitor writing steadily until the server dies. Returns the visitor token and the
/// acknowledged `(client id, message id)` pairs.
async fn chat_visitor(base: String, slug: String, acked: Arc<Mutex<Vec<(String, String)>>>, token: Arc<Mutex<String>>) {
    let Some(mut ws) = chat_connect(&base, &slug).await else { return };
    if ws.send(Ws::Text(json!({ "type": "hello" }).to_string().into())).await.is_err() {
        return;
    }
    let Some(welcome) = frame_of(&mut ws, "welcome").await else { return };
    *token.lock().unwrap() = welcome["token"].as_str().unwrap_or_default().to_owned();
    let start = json!({ "type": "start", "client_id": "c0", "name": "チャット 訪問者",
        "email": "chat.crash@example.jp", "text": "chat-0" });
    let mut next = Some(start);
    for k in 1.. {
        let Some(frame) = next.take() else { break };
        let client_id = frame["client_id"].as_str().unwrap().to_owned();
        if ws.send(Ws::Text(frame.to_string().into())).await.is_err() {
            return;
        }
        match frame_of(&mut ws, "ack").await {
            Some(a) if a["type"] == "ack" => {
                acked.lock().unwrap().push((client_id, a["id"].as_str().unwrap().to_owned()));
            }
            Some(e) => panic!("the chat refused a message: {e}"),
            None => return,
        }
        // Under the widget's limit of 30 messages a minute.
        tokio::time::sleep(Duration::from_millis(100)).await;
        next = Some(json!({ "type": "message", "client_id": format!("c{k}"), "text": format!("chat-{k}") }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_and_sends_nothing_twice() -> anyhow::Result<()> {
    let servers = mail_servers();
    let begun = Arc::new(AtomicUsize::new(0));
    let relay = slow_relay(servers.smtp_port, Duration::from_millis(150), begun.clone()).await;
    let smtp = format!("smtp://127.0.0.1:{relay}");
    let dir = tempfile::tempdir()?;
    let envs = [("MADOGUCHI_SMTP_URL", smtp.as_str())];
    let mut server = spawn(dir.path(), &["demo"], &envs)?;
    let creds = tokio::task::spawn_blocking({
        let d = dir.path().to_owned();
        move || wait_for_credentials(&d, None)
    })
    .await??;
    let api = Arc::new(credentials_api(&creds));
    let inbox = &creds["email_inboxes"][0];
    let slug = inbox["merchant"].as_str().unwrap().to_owned();
    let address = inbox["address"].as_str().unwrap().to_owned();
    let inbound_url = inbox["inbound_url"].as_str().unwrap().to_owned();
    let inbound_path = inbound_url.trim_start_matches(api.base.as_str()).to_owned();

    // Mail piped in, one after another, as a mail server would.
    let acked_mail = Arc::new(Mutex::new(BTreeSet::new()));
    let mail_task = tokio::spawn({
        let (api, acked, to, url) = (api.clone(), acked_mail.clone(), address.clone(), inbound_url.clone());
        async move {
            for i in 0..MAILS {
                let r =
                    api.http.post(&url).header("content-type", "message/rfc822").body(raw_mail(i, &to)).send().await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        acked.lock().unwrap().insert(i);
                    }
                    Ok(r) => panic!("mail {i} refused: {}", r.status()),
                    Err(_) => return,
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    });
    // A chat visitor writing at the same time.
    let acked_chat = Arc::new(Mutex::new(Vec::new()));
    let visitor_token = Arc::new(Mutex::new(String::new()));
    let chat_task =
        tokio::spawn(chat_visitor(api.base.clone(), slug.clone(), acked_chat.clone(), visitor_token.clone()));
    // An agent answering each mail as it appears; each reply goes out by SMTP through the outbox.
    let acked_replies = Arc::new(Mutex::new(BTreeMap::new()));
    let reply_task = tokio::spawn({
        let (api, acked, slug) = (api.clone(), acked_replies.clone(), slug.clone());
        async move {
            let mut answered = BTreeSet::new();
            loop {
                let Ok(list) = api.get(&format!("/api/v1/conversations?merchant={slug}&channel=email&limit=200")).await
                else {
                    return;
                };
                for c in list["items"].as_array().unwrap() {
                    let Some(i) = c["subject"].as_str().and_then(|s| s.strip_prefix("crash ")) else { continue };
                    let i: usize = i.parse().unwrap();
                    let id = c["id"].as_str().unwrap().to_owned();
                    if !answered.insert(i) {
                        continue;
                    }
                    let r = api
                        .http
                        .post(format!("{}/api/v1/conversations/{id}/messages", api.base))
                        .bearer_auth(&api.token)
                        .json(&json!({ "kind": "outbound", "body_text": format!("reply-{i} お問い合わせありがとうございます。") }))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            let m: Value = r.json().await.unwrap_or_default();
                            acked
                                .lock()
                                .unwrap()
                                .insert(i, (id, m["message"]["id"].as_str().unwrap_or_default().to_owned()));
                        }
                        _ => return,
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });

    tokio::time::sleep(KILL_AFTER).await;
    server.0.kill()?; // SIGKILL
    server.0.wait()?;
    for t in [mail_task, chat_task, reply_task] {
        t.await?;
    }
    let acked_mail = acked_mail.lock().unwrap().clone();
    let acked_chat = acked_chat.lock().unwrap().clone();
    let acked_replies = acked_replies.lock().unwrap().clone();
    let queued_at_kill = acked_replies.len().saturating_sub(begun.load(Ordering::SeqCst));
    println!(
        "killed with {} mails, {} chat messages and {} replies acknowledged; at least {queued_at_kill} replies not yet begun",
        acked_mail.len(),
        acked_chat.len(),
        acked_replies.len()
    );
    anyhow::ensure!(
        !acked_mail.is_empty() && acked_mail.len() < MAILS,
        "the kill must land while mail is arriving ({} of {MAILS} acknowledged)",
        acked_mail.len()
    );
    anyhow::ensure!(!acked_chat.is_empty() && !acked_replies.is_empty(), "chat and replies were under way");
    anyhow::ensure!(queued_at_kill > 0, "some replies must still be queued when the server dies");

    // Started again on the same data folder (and a new port).
    let _server = spawn(dir.path(), &["demo"], &envs)?;
    let creds = tokio::task::spawn_blocking({
        let (d, old) = (dir.path().to_owned(), api.base.clone());
        move || wait_for_credentials(&d, Some(&old))
    })
    .await??;
    let api = credentials_api(&creds);
    let inbound_url = format!("{}{inbound_path}", api.base);

    // The mail server redelivers everything it is not sure of; here, every message.
    for i in 0..MAILS {
        let r = api
            .http
            .post(&inbound_url)
            .header("content-type", "message/rfc822")
            .body(raw_mail(i, &address))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "redelivery of mail {i}: {}", r.status());
    }
    for i in 0..MAILS {
        let convs = api.conversations_of(&slug, &format!("crash{i}@example.jp")).await?;
        anyhow::ensure!(convs.len() == 1, "mail {i}: {} conversations", convs.len());
        let copies = api
            .messages(&convs[0])
            .await?
            .iter()
            .filter(|m| m["direction"] == "inbound" && m["body_text"].as_str().unwrap().contains(&format!("crash-{i}")))
            .count();
        anyhow::ensure!(copies == 1, "mail {i} (acknowledged: {}) is stored {copies} times", acked_mail.contains(&i));
    }

    // The chat: every acknowledged message once, and the widget's resend after reconnecting is
    // answered with the id it was stored under.
    let convs = api.conversations_of(&slug, "chat.crash@example.jp").await?;
    anyhow::ensure!(convs.len() == 1, "one chat conversation, not {}", convs.len());
    let chat = api.messages(&convs[0]).await?;
    for (client_id, id) in &acked_chat {
        let text = format!("chat-{}", &client_id[1..]);
        let found: Vec<_> = chat.iter().filter(|m| m["body_text"] == text.as_str()).collect();
        anyhow::ensure!(found.len() == 1 && found[0]["id"] == id.as_str(), "{text}: {found:?}");
    }
    let mut ws = chat_connect(&api.base, &slug).await.expect("chat after the restart");
    let token = visitor_token.lock().unwrap().clone();
    ws.send(Ws::Text(json!({ "type": "hello", "token": token }).to_string().into())).await?;
    frame_of(&mut ws, "welcome").await.expect("welcome");
    let (last_client, last_id) = acked_chat.last().unwrap().clone();
    let text = format!("chat-{}", &last_client[1..]);
    ws.send(Ws::Text(json!({ "type": "message", "client_id": last_client, "text": text }).to_string().into())).await?;
    let ack = frame_of(&mut ws, "ack").await.expect("an ack for the resend");
    anyhow::ensure!(ack["id"] == last_id.as_str(), "the resend is the stored message: {ack}");

    // Every reply that was stored is delivered: those the agent was told about and any the
    // server stored just before dying. Leases taken before the kill run out first.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut replies: BTreeMap<usize, String> = BTreeMap::new();
    loop {
        replies.clear();
        let mut pending = 0;
        for i in 0..MAILS {
            let convs = api.conversations_of(&slug, &format!("crash{i}@example.jp")).await?;
            for m in api.messages(&convs[0]).await? {
                if m["direction"] == "outbound" && m["author_kind"] == "user" {
                    replies.insert(i, m["id"].as_str().unwrap().to_owned());
                    if m["delivery_status"] != "sent" {
                        pending += 1;
                    }
                }
            }
        }
        if pending == 0 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "{pending} replies still not sent two minutes after the restart");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    for (i, (_, id)) in &acked_replies {
        anyhow::ensure!(replies.get(i) == Some(id), "acknowledged reply {i} is stored");
    }
    let mut resent = 0;
    for i in replies.keys() {
        let mails = servers.fetch_all(&format!("crash{i}@example.jp"), 1).await;
        let ids: BTreeSet<String> = mails
            .iter()
            .map(|m| {
                let text = String::from_utf8_lossy(m);
                let line = text.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).unwrap_or_default();
                line[11..].trim().to_owned()
            })
            .collect();
        anyhow::ensure!(!mails.is_empty(), "reply {i} never reached the mailbox");
        anyhow::ensure!(ids.len() == 1, "reply {i} arrived under {} Message-IDs: {ids:?}", ids.len());
        anyhow::ensure!(mails.len() <= 2, "reply {i} arrived {} times", mails.len());
        resent += mails.len() - 1;
    }
    println!("{} replies delivered; {resent} sent again after the kill under the same Message-ID", replies.len());
    Ok(())
}
