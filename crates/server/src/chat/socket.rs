//! One visitor's WebSocket. The first frame says who they are; after that the socket stores
//! what the visitor sends (acknowledging only after the store commits) and shows them every
//! public message of their conversation, read from the store — so a reconnect, a lagging hub or
//! a restart of the server never loses a message.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as WsMessage, WebSocket};
use chrono::{DateTime, Utc};
use madoguchi_app::usecases::intake::chat::{ChatMessage, ChatReceiver};
use madoguchi_app::usecases::intake::receive;
use madoguchi_channels::chat::{self, ArticleLink, Author, ClientFrame, FileLink, ServerFrame};
use madoguchi_core::access::Scope;
use madoguchi_core::calendar::BusinessCalendar;
use madoguchi_core::conversation::{Message, MessageMeta};
use madoguchi_core::enums::{AuthorKind, Channel, ConversationStatus, Direction};
use madoguchi_core::identity::{IdentityKind, NormalizedIdentity, normalize};
use madoguchi_core::ids::{ConversationId, CustomerId, MessageId, UserId};
use madoguchi_core::merchant::Merchant;
use madoguchi_store::StoreError;
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::InboundOutcome;

use crate::app::AppState;
use madoguchi_app::hub::{Signal, Typist};

/// How long a new socket may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the socket looks in the store even without a signal.
const POLL: Duration = Duration::from_secs(1);
/// Each poll re-reads this far back, so a message committed late with an earlier time stamp is
/// still found; ids already shown are skipped.
const OVERLAP_SECS: i64 = 10;
/// Messages a visitor may send per minute.
const MESSAGES_PER_MINUTE: usize = 30;
/// Typing signals are passed on at most this often.
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// A waiting visitor's place in line is looked up at most this often.
const QUEUE_EVERY: Duration = Duration::from_secs(5);
/// Transcripts one window may ask for.
const TRANSCRIPTS_PER_SOCKET: u32 = 3;
/// An order number as a customer may type it.
const MAX_ORDER_NUMBER_CHARS: usize = 40;

/// How a shop's chat is set up, as the socket needs it.
#[derive(Debug, Clone, Copy)]
pub struct ChatOptions {
    /// New conversations start with the shop's bot.
    pub bot: bool,
    pub pre_chat: madoguchi_app::usecases::channel_settings::PreChat,
}

/// What the session fails with; the socket says so and closes.
struct Fatal(ServerFrame);

pub struct Session {
    st: AppState,
    options: ChatOptions,
    /// What the visitor may say the chat is about (when the shop asks).
    categories: Vec<String>,
    merchant: Merchant,
    slug: String,
    identity: NormalizedIdentity,
    token: String,
    verified: bool,
    customer_name: Option<String>,
    customer: Option<CustomerId>,
    conversation: Option<ConversationId>,
    closed_seen: bool,
    since: Option<DateTime<Utc>>,
    shown: HashSet<MessageId>,
    agent_names: HashMap<UserId, String>,
    sent_times: Vec<Instant>,
    last_typing: Option<Instant>,
    /// The place in line last told, and when it was looked up.
    queue_told: Option<(u32, Option<u64>, bool)>,
    queue_checked: Option<Instant>,
    transcripts: u32,
}

pub async fn run(st: AppState, merchant: Merchant, secret: String, options: ChatOptions, mut socket: WebSocket) {
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, next_frame(&mut socket)).await {
        Ok(Some(Ok(ClientFrame::Hello { token, customer_id, signature, customer_name, last_seen }))) => {
            Hello { token, customer_id, signature, customer_name, last_seen }
        }
        Ok(Some(Ok(_))) => {
            let _ = send(&mut socket, &ServerFrame::error("hello_first", "the first frame must be hello", None)).await;
            return;
        }
        Ok(Some(Err(frame))) => {
            let _ = send(&mut socket, &frame).await;
            return;
        }
        Ok(None) | Err(_) => return,
    };
    let mut session = match Session::start(st, merchant, secret, options, hello).await {
        Ok(s) => s,
        Err(Fatal(frame)) => {
            let _ = send(&mut socket, &frame).await;
            return;
        }
    };
    metrics::gauge!("madoguchi_chat_sockets").increment(1.0);
    if let Err(e) = session.serve(&mut socket).await {
        tracing::info!(error = %e, "chat socket ended with an error");
    }
    metrics::gauge!("madoguchi_chat_sockets").decrement(1.0);
}

struct Hello {
    token: Option<String>,
    customer_id: Option<String>,
    signature: Option<String>,
    customer_name: Option<String>,
    last_seen: Option<String>,
}

/// The next frame the visitor sent: `None` when the socket closed, `Err` with the frame to
/// answer when it was not one the protocol knows.
async fn next_frame(socket: &mut WebSocket) -> Option<Result<ClientFrame, ServerFrame>> {
    loop {
        match socket.recv().await? {
            Ok(WsMessage::Text(t)) => {
                return Some(serde_json::from_str(t.as_str()).map_err(|e| {
                    ServerFrame::error("bad_frame", format!("not a frame this chat understands: {e}"), None)
                }));
            }
            Ok(WsMessage::Binary(_)) => {
                return Some(Err(ServerFrame::error("bad_frame", "frames are JSON text", None)));
            }
            Ok(WsMessage::Close(_)) | Err(_) => return None,
            Ok(_) => {} // ping and pong are handled by the library
        }
    }
}

async fn send(socket: &mut WebSocket, frame: &ServerFrame) -> Result<(), axum::Error> {
    let text = serde_json::to_string(frame).unwrap_or_default();
    socket.send(WsMessage::Text(text.into())).await
}

impl Session {
    async fn start(
        st: AppState,
        merchant: Merchant,
        secret: String,
        options: ChatOptions,
        hello: Hello,
    ) -> Result<Session, Fatal> {
        let (value, verified) = match (&hello.customer_id, &hello.signature) {
            (Some(id), Some(sig)) => {
                if !chat::verify_customer(&secret, id, sig) {
                    return Err(Fatal(ServerFrame::error(
                        "invalid_signature",
                        "the customer signature does not match the customer id",
                        None,
                    )));
                }
                let value = chat::member_identity(id).ok_or_else(|| {
                    Fatal(ServerFrame::error(
                        "invalid_customer_id",
                        "customer ids are 1–64 characters of A–Z, a–z, 0–9, - and _",
                        None,
                    ))
                })?;
                (value, true)
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(Fatal(ServerFrame::error(
                    "invalid_signature",
                    "a customer id needs its signature, and a signature its customer id",
                    None,
                )));
            }
            (None, None) => match hello.token.as_deref().and_then(|t| chat::verify_visitor_token(&secret, t)) {
                // A token that does not verify (another shop's, a stale secret) starts afresh.
                Some(v) => {
                    let verified = v.starts_with("member_");
                    (v, verified)
                }
                None => (chat::anonymous_identity(rand::random()), false),
            },
        };
        let identity = normalize(IdentityKind::ChatVisitor, &value)
            .map_err(|e| Fatal(ServerFrame::error("invalid_customer_id", e.to_string(), None)))?;
        let token = chat::visitor_token(&secret, &identity.value);
        let scope = Scope::Merchants(vec![merchant.id]);
        let customer = match st
            .store
            .find_customer_by_identity(&scope, merchant.id, IdentityKind::ChatVisitor, &identity.value)
            .await
        {
            Ok(c) => Some(c.id),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(Fatal(internal(e))),
        };
        let conversation = match customer {
            Some(c) => {
                st.store.ongoing_conversation(merchant.id, Channel::Chat, c).await.map_err(|e| Fatal(internal(e)))?
            }
            None => None,
        };
        // Resume: from shortly before the last message the widget has shown.
        let since = match (conversation, hello.last_seen.as_deref().and_then(|s| s.parse().ok())) {
            (Some(c), Some(id)) => match st.store.get_message(&scope, MessageId(id)).await {
                Ok(m) if m.conversation_id == c => Some(m.created_at - chrono::Duration::seconds(OVERLAP_SECS)),
                _ => None,
            },
            _ => None,
        };
        let customer_name =
            hello.customer_name.map(|n| n.trim().chars().take(100).collect::<String>()).filter(|n| !n.is_empty());
        let slug = merchant.slug.clone();
        let categories = if options.pre_chat.category {
            let scripts = st.store.list_scripts(&scope, merchant.id).await.map_err(|e| Fatal(internal(e)))?;
            madoguchi_core::category::shop_categories(scripts.iter().map(|s| s.category.as_str()), None)
        } else {
            vec![]
        };
        Ok(Session {
            st,
            options,
            categories,
            merchant,
            slug,
            identity,
            token,
            verified,
            customer_name,
            customer,
            conversation,
            closed_seen: false,
            since,
            shown: HashSet::new(),
            agent_names: HashMap::new(),
            sent_times: Vec::new(),
            last_typing: None,
            queue_told: None,
            queue_checked: None,
            transcripts: 0,
        })
    }

    fn open_now(&self) -> bool {
        let closed = self.merchant.closed_day_pairs();
        let cal = BusinessCalendar {
            timezone: self.merchant.tz(),
            hours: &self.merchant.business_hours,
            closed_days: &closed,
        };
        cal.is_open_at(Utc::now())
    }

    /// Today's hours as text (「09:00-18:00」, empty when closed today) and, while closed, when
    /// the desk opens next.
    fn hours(&self) -> (String, Option<DateTime<Utc>>) {
        use madoguchi_core::calendar::DayStatus;
        let closed = self.merchant.closed_day_pairs();
        let cal = BusinessCalendar {
            timezone: self.merchant.tz(),
            hours: &self.merchant.business_hours,
            closed_days: &closed,
        };
        let now = Utc::now();
        let today = now.with_timezone(&cal.timezone).date_naive();
        let text = match cal.day_status(today) {
            DayStatus::Open { intervals } => madoguchi_core::calendar_text::day_hours_text(&intervals),
            _ => String::new(),
        };
        let next = if cal.is_open_at(now) { None } else { cal.next_open(now) };
        (text, next)
    }

    /// Open, but nobody at work to take a chat now (no agent available or busy in this shop).
    async fn nobody_at_work(&self) -> bool {
        self.open_now() && self.st.store.chat_queue_now(self.merchant.id).await.is_ok_and(|q| q.capacity == 0)
    }

    /// The wait a new chat would have now: behind every chat already waiting.
    async fn expected_wait_for_new(&self) -> Option<u64> {
        let q = self.st.store.chat_queue_now(self.merchant.id).await.ok()?;
        madoguchi_core::routing::expected_wait_seconds(
            q.position,
            q.capacity,
            q.handle_seconds.unwrap_or(DEFAULT_HANDLE_SECS),
        )
    }

    async fn serve(&mut self, socket: &mut WebSocket) -> Result<(), axum::Error> {
        let open = self.open_now();
        let (hours_today, next_open) = self.hours();
        let expected_wait_seconds =
            if open && self.conversation.is_none() { self.expected_wait_for_new().await } else { None };
        let nobody_at_work = self.conversation.is_none() && self.nobody_at_work().await;
        let welcome = ServerFrame::Welcome {
            token: self.token.clone(),
            shop: self.merchant.name.clone(),
            open,
            // A verified customer is known to the shop: no form.
            needs_form: self.conversation.is_none() && !self.verified,
            needs_email: !open,
            nobody_at_work,
            verified: self.verified,
            greeting: self.merchant.greetings.chat.clone(),
            hours_today,
            next_open: next_open.map(|t| t.to_rfc3339()),
            expected_wait_seconds,
            ask_order_number: self.options.pre_chat.order_number,
            categories: self.categories.clone(),
        };
        send(socket, &welcome).await?;
        let mut signals = self.st.chat.subscribe();
        self.poll(socket).await?;
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                frame = next_frame(socket) => match frame {
                    None => return Ok(()),
                    Some(Err(reply)) => send(socket, &reply).await?,
                    Some(Ok(frame)) => {
                        for reply in self.handle(frame).await {
                            send(socket, &reply).await?;
                        }
                        self.poll(socket).await?;
                    }
                },
                signal = signals.recv() => match signal {
                    Ok(s) if Some(s.conversation) == self.conversation => match s.signal {
                        Signal::Message => self.poll(socket).await?,
                        Signal::Typing(Typist::Agent(name)) => send(socket, &ServerFrame::Typing { name: Some(name) }).await?,
                        Signal::Typing(Typist::Visitor) => {}
                    },
                    Ok(_) => {}
                    // Missed signals: the next poll finds the messages.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                },
                _ = tick.tick() => self.poll(socket).await?,
            }
        }
    }

    /// Sends what the visitor has not seen yet, and says so once when the desk closed the chat.
    async fn poll(&mut self, socket: &mut WebSocket) -> Result<(), axum::Error> {
        let Some(conv) = self.conversation else { return Ok(()) };
        let scope = Scope::Merchants(vec![self.merchant.id]);
        // The status is read before the messages: a close is committed together with its last
        // messages (the bot's thanks), so once the close is seen those messages are readable
        // too, and the visitor gets them before "closed", never after.
        let closed_now = !self.closed_seen
            && self.st.store.get_conversation(&scope, conv).await.is_ok_and(|c| c.status == ConversationStatus::Closed);
        let messages = match self.st.store.public_messages_since(&scope, conv, self.since, 500).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = ?e, "chat poll failed");
                return Ok(());
            }
        };
        for m in messages {
            // The chat window shows the chat; a transcript sent by mail stays in the desk's view.
            if m.channel != Channel::Email && self.shown.insert(m.id) {
                let frame = self.frame_of(&m).await;
                send(socket, &frame).await?;
            }
            let from = m.created_at - chrono::Duration::seconds(OVERLAP_SECS);
            if self.since.is_none_or(|s| from > s) {
                self.since = Some(from);
            }
        }
        if closed_now {
            self.closed_seen = true;
            send(socket, &ServerFrame::Closed).await?;
        }
        if let Some(frame) = self.queue_change(conv).await {
            send(socket, &frame).await?;
        }
        Ok(())
    }

    /// The visitor's place in line when it changed since last told (looked up every few
    /// seconds while the chat waits for a person; the bot's chats and taken ones wait for none).
    async fn queue_change(&mut self, conv: ConversationId) -> Option<ServerFrame> {
        if self.queue_checked.is_some_and(|t| t.elapsed() < QUEUE_EVERY) {
            return None;
        }
        self.queue_checked = Some(Instant::now());
        let q = match self.st.store.chat_queue(self.merchant.id, conv).await {
            Ok(Some(q)) => q,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = ?e, "chat queue not read");
                return None;
            }
        };
        let wait = madoguchi_core::routing::expected_wait_seconds(
            q.position,
            q.capacity,
            q.handle_seconds.unwrap_or(DEFAULT_HANDLE_SECS),
        );
        // Everyone who could take it left while it waits (out of hours the visitor was told
        // already, when the chat started).
        let nobody_at_work = q.capacity == 0 && self.open_now();
        let now = (q.position, wait, nobody_at_work);
        if self.queue_told == Some(now) {
            return None;
        }
        self.queue_told = Some(now);
        Some(ServerFrame::Queue { position: q.position, expected_wait_seconds: wait, nobody_at_work })
    }

    async fn frame_of(&mut self, m: &Message) -> ServerFrame {
        let author = match m.author_kind {
            AuthorKind::Customer => Author::Customer,
            AuthorKind::User => Author::Agent,
            AuthorKind::Bot => Author::Bot,
            AuthorKind::System => Author::System,
        };
        let name = match m.author_user_id {
            Some(u) if author == Author::Agent => Some(self.agent_name(u).await),
            _ => None,
        };
        let files = m
            .attachments
            .iter()
            .filter_map(|a| {
                let key = a.storage_key.as_deref()?;
                Some(FileLink { filename: a.filename.clone(), url: super::file_url(&self.slug, key, &self.token) })
            })
            .collect();
        let (articles, choices) = match &m.meta.bot {
            Some(b) => (
                b.articles
                    .iter()
                    .map(|a| ArticleLink {
                        question: a.question.clone(),
                        url: format!("/help/{}/articles/{}", self.slug, a.id),
                    })
                    .collect(),
                b.choices.clone(),
            ),
            None => (vec![], vec![]),
        };
        let client_id = m
            .provider_message_id
            .as_deref()
            .and_then(|p| p.strip_prefix(&format!("{}:", self.identity.value)))
            .map(str::to_owned);
        ServerFrame::Message {
            id: m.id.to_string(),
            author,
            name,
            text: m.body_text.clone(),
            files,
            at: m.created_at.to_rfc3339(),
            client_id,
            articles,
            choices,
        }
    }

    async fn agent_name(&mut self, u: UserId) -> String {
        if let Some(n) = self.agent_names.get(&u) {
            return n.clone();
        }
        let name = self.st.store.get_user_unscoped(u).await.map(|u| u.name_for_customers()).unwrap_or_default();
        self.agent_names.insert(u, name.clone());
        name
    }

    async fn handle(&mut self, frame: ClientFrame) -> Vec<ServerFrame> {
        match frame {
            ClientFrame::Hello { .. } => vec![ServerFrame::error("already_greeted", "hello comes once", None)],
            ClientFrame::Typing => {
                if let Some(c) = self.conversation
                    && self.last_typing.is_none_or(|t| t.elapsed() >= TYPING_EVERY)
                {
                    self.last_typing = Some(Instant::now());
                    self.st.chat.publish(self.merchant.id, c, Signal::Typing(Typist::Visitor));
                }
                vec![]
            }
            ClientFrame::Transcript { email } => vec![self.transcript(&email).await],
            ClientFrame::ReplyByMail { email } => vec![self.reply_by_mail(&email).await],
            ClientFrame::Start { client_id, name, email, text, order_number, category } => {
                let name = name.trim().chars().take(100).collect::<String>();
                if name.is_empty() {
                    return vec![ServerFrame::error("name_required", "please give a name", Some(client_id))];
                }
                let email = match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                    Some(e) => match normalize(IdentityKind::Email, e) {
                        Ok(n) => Some(n),
                        Err(_) => {
                            return vec![ServerFrame::error(
                                "invalid_email",
                                "that mail address is not valid",
                                Some(client_id),
                            )];
                        }
                    },
                    None => None,
                };
                if email.is_none() && !self.open_now() {
                    return vec![ServerFrame::error(
                        "email_required",
                        "outside business hours a mail address is needed to answer",
                        Some(client_id),
                    )];
                }
                let order_number = order_number
                    .map(|o| madoguchi_core::validation::nfkc(o.trim()))
                    .filter(|o| !o.is_empty() && self.options.pre_chat.order_number);
                if order_number.as_ref().is_some_and(|o| o.chars().count() > MAX_ORDER_NUMBER_CHARS) {
                    return vec![ServerFrame::error(
                        "invalid_order_number",
                        format!("order numbers are at most {MAX_ORDER_NUMBER_CHARS} characters"),
                        Some(client_id),
                    )];
                }
                let category = category.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
                if let Some(c) = &category
                    && !self.categories.contains(c)
                {
                    return vec![ServerFrame::error(
                        "invalid_category",
                        "choose one of the listed topics",
                        Some(client_id),
                    )];
                }
                self.customer_name = Some(name);
                let first = FirstContact { email, order_number, category };
                self.store_message(client_id, text, vec![], first).await
            }
            ClientFrame::Message { client_id, text } => {
                if self.conversation.is_none() && self.customer.is_none() && !self.verified {
                    return vec![ServerFrame::error(
                        "form_required",
                        "fill in the form before the first message",
                        Some(client_id),
                    )];
                }
                self.store_message(client_id, text, vec![], FirstContact::default()).await
            }
            ClientFrame::Image { client_id, filename, data } => {
                if self.conversation.is_none() && self.customer.is_none() && !self.verified {
                    return vec![ServerFrame::error(
                        "form_required",
                        "fill in the form before the first message",
                        Some(client_id),
                    )];
                }
                match chat::decode_image(&filename, &data) {
                    Ok(img) => {
                        let text = format!("[画像] {}", img.filename);
                        let blob = NewBlob {
                            filename: img.filename,
                            content_type: img.content_type.to_owned(),
                            data: img.data,
                        };
                        self.store_message(client_id, text, vec![blob], FirstContact::default()).await
                    }
                    Err(e) => vec![ServerFrame::error(e.code(), e.to_string(), Some(client_id))],
                }
            }
        }
    }

    /// Stores a visitor message and acknowledges it once committed. The client id makes a
    /// resend (after a reconnect that lost the ack) a duplicate that is acknowledged again.
    async fn store_message(
        &mut self,
        client_id: String,
        text: String,
        files: Vec<NewBlob>,
        first: FirstContact,
    ) -> Vec<ServerFrame> {
        let FirstContact { email, order_number, category } = first;
        let client_id_ok = !client_id.is_empty()
            && client_id.len() <= 64
            && client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !client_id_ok {
            return vec![ServerFrame::error("bad_client_id", "client ids are 1–64 of A–Z, a–z, 0–9, - and _", None)];
        }
        let text = text.trim().to_owned();
        if text.is_empty() {
            return vec![ServerFrame::error("empty_message", "the message is empty", Some(client_id))];
        }
        if text.chars().count() > chat::MAX_TEXT_CHARS {
            return vec![ServerFrame::error(
                "message_too_long",
                format!("messages are at most {} characters", chat::MAX_TEXT_CHARS),
                Some(client_id),
            )];
        }
        self.sent_times.retain(|t| t.elapsed() < Duration::from_secs(60));
        if self.sent_times.len() >= MESSAGES_PER_MINUTE {
            return vec![ServerFrame::error("rate_limited", "too many messages; wait a moment", Some(client_id))];
        }
        self.sent_times.push(Instant::now());

        let open = self.open_now();
        let receiver = ChatReceiver {
            merchant: self.merchant.id,
            visitor: &self.identity,
            name: self.customer_name.as_deref(),
            conversation: self.conversation.filter(|_| !self.closed_seen),
            bot: self.options.bot,
        };
        let message = ChatMessage {
            client_id: client_id.clone(),
            text,
            files,
            email: email.clone(),
            open,
            order_number,
            category,
        };
        match receive(&self.st, &receiver, message).await {
            Ok(Some(InboundOutcome::Stored(r))) => {
                if self.conversation != Some(r.conversation) {
                    self.shown.clear();
                    self.since = None;
                    self.closed_seen = false;
                    self.queue_told = None;
                    self.queue_checked = None;
                }
                self.conversation = Some(r.conversation);
                self.customer = r.customer;
                if let (Some(c), Some(e)) = (r.customer, &email) {
                    self.remember_email(c, e).await;
                }
                // A chat the bot holds hears from the bot first (after hours too); it says when
                // a person will answer if it hands over.
                if r.new_conversation && !self.options.bot && !open {
                    self.after_hours_notice(r.conversation).await;
                }
                vec![ServerFrame::Ack { client_id, id: r.message.to_string() }]
            }
            Ok(Some(InboundOutcome::Duplicate { message })) => match message {
                Some(id) => vec![ServerFrame::Ack { client_id, id: id.to_string() }],
                None => vec![ServerFrame::error("duplicate", "already stored", Some(client_id))],
            },
            Ok(None) => vec![ServerFrame::error("store_failed", "not stored, please send again", Some(client_id))],
            Err(e) => {
                vec![ServerFrame::error("store_failed", format!("not stored, please send again: {e}"), Some(client_id))]
            }
        }
    }

    /// Mails the conversation so far to the address the visitor gave.
    async fn transcript(&mut self, email: &str) -> ServerFrame {
        use madoguchi_app::usecases::error::UseCaseError;
        let Some(conv) = self.conversation else {
            return ServerFrame::error("no_conversation", "there is no chat to send yet", None);
        };
        if self.transcripts >= TRANSCRIPTS_PER_SOCKET {
            return ServerFrame::error("rate_limited", "the transcript was already sent", None);
        }
        match madoguchi_app::usecases::transcript::mail_transcript(&self.st, &self.merchant, conv, email).await {
            Ok(to) => {
                self.transcripts += 1;
                ServerFrame::TranscriptQueued { email: to }
            }
            Err(UseCaseError::Invalid(e)) => ServerFrame::error(e.code, e.message, None),
            Err(UseCaseError::Malformed { code, message }) => ServerFrame::error(code, message, None),
            Err(e) => {
                tracing::warn!(error = ?e, "chat transcript not queued");
                ServerFrame::error("unavailable", "the transcript could not be sent now", None)
            }
        }
    }

    /// The visitor, left waiting with nobody at work, asks to be answered by mail: the address
    /// joins the customer (so a reply by mail can go to it) and a notice in the conversation
    /// tells the desk, and the visitor, that the answer may come by mail.
    async fn reply_by_mail(&mut self, email: &str) -> ServerFrame {
        let Some(conv) = self.conversation else {
            return ServerFrame::error("no_conversation", "there is no chat to answer yet", None);
        };
        let Ok(address) = normalize(IdentityKind::Email, email.trim()) else {
            return ServerFrame::error("invalid_email", "that is not a mail address", None);
        };
        let scope = Scope::Merchants(vec![self.merchant.id]);
        let customer = match self.st.store.get_conversation(&scope, conv).await {
            Ok(c) => c.customer_id,
            Err(e) => {
                tracing::warn!(error = ?e, "chat for a reply by mail not read");
                return ServerFrame::error("unavailable", "not noted now, please try again", None);
            }
        };
        if let Some(c) = customer {
            self.remember_email(c, &address).await;
        }
        let shown = address.value.clone();
        let record = system_notice(format!(
            "担当者が不在のため、{shown} 宛てにメールでもお返事します。\n(Nobody was available: the answer will also go to {shown} by mail.)"
        ));
        if let Err(e) = self.st.store.add_message(&scope, None, conv, &record).await {
            tracing::warn!(error = ?e, "reply-by-mail notice not stored");
            return ServerFrame::error("store_failed", "not noted now, please try again", None);
        }
        ServerFrame::ReplyByMailNoted { email: shown }
    }

    /// Adds the mail address from the form to the customer, unless another customer of the
    /// shop has it (then the desk is offered the two for merging instead).
    async fn remember_email(&self, customer: CustomerId, email: &NormalizedIdentity) {
        if let Err(e) = self.st.store.attach_or_claim_identity(customer, email, Channel::Chat).await {
            tracing::warn!(error = ?e, "mail address from the chat form not kept");
        }
    }

    /// Outside business hours the visitor is told when to expect an answer. A system message:
    /// it does not count as the desk's first response.
    async fn after_hours_notice(&self, conversation: ConversationId) {
        let scope = Scope::Merchants(vec![self.merchant.id]);
        let record = system_notice("ただいま営業時間外のため、メッセージをお預かりしました。営業時間になりましたら担当者より順にご返信いたします。\n(We are closed now. Your message is saved and we will answer when we open.)".to_owned());
        if let Err(e) = self.st.store.add_message(&scope, None, conversation, &record).await {
            tracing::warn!(error = ?e, "after-hours notice not stored");
        }
    }
}

/// What the pre-chat form adds to a visitor's first message.
#[derive(Default)]
struct FirstContact {
    email: Option<NormalizedIdentity>,
    order_number: Option<String>,
    category: Option<String>,
}

/// A chat's handling time assumed before the shop has any of its own: five minutes.
const DEFAULT_HANDLE_SECS: f64 = 300.0;

fn internal(e: StoreError) -> ServerFrame {
    tracing::error!(error = ?e, "chat session could not start");
    ServerFrame::error("unavailable", "the chat is not available right now", None)
}

/// A notice from the desk in the chat, seen by the visitor and the agent; not a reply, so it
/// does not count as the first response.
fn system_notice(body_text: String) -> MessageRecord {
    MessageRecord {
        channel: Some(Channel::Chat),
        direction: Direction::Outbound,
        internal: false,
        author_kind: AuthorKind::System,
        author_user_id: None,
        body_text,
        body_html: None,
        attachments: vec![],
        provider_message_id: None,
        meta: MessageMeta::default(),
        created_at: None,
    }
}
