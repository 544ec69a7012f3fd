//! A real server on a free port over a fresh SQLite database, with two merchants and a user of
//! every role, for API tests.

#![allow(dead_code)]

pub mod chat;
pub mod console;
pub mod mailserver;
pub mod voice;

use madoguchi_core::access::Scope;
use madoguchi_core::customer::CustomerProfile;
use madoguchi_core::enums::{AuthorKind, Carrier, Channel, Direction, OrderStatus, Priority, Role, ShipmentStatus};
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_core::ids::*;
use madoguchi_core::merchant::NewMerchant;
use madoguchi_core::order::{NewOrder, NewOrderLine, NewShipment};
use madoguchi_server::auth::{hash_password, new_token};
use madoguchi_server::{AppState, Settings};
use madoguchi_store::Store;
use madoguchi_store::conversations::{ConversationRecord, MessageRecord};
use madoguchi_store::users::NewUserRecord;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;

pub const PASSWORD: &str = "correct-horse-battery";

/// Records of one merchant, created for the tests.
#[derive(Debug, Clone)]
pub struct Shop {
    pub id: MerchantId,
    pub slug: String,
    pub customer: CustomerId,
    pub identity: IdentityId,
    pub order: OrderId,
    pub shipment: ShipmentId,
    pub conversation: ConversationId,
    pub staff_user: UserId,
    pub staff_token_id: TokenId,
    pub queue: QueueId,
    pub escalation: EscalationId,
    pub canned: CannedResponseId,
    /// A stored scan.
    pub file: uuid::Uuid,
    /// A knowledge-base article.
    pub article: madoguchi_core::ids::ArticleId,
    /// A delivery case on the order, and its first task.
    pub case: uuid::Uuid,
    pub task: uuid::Uuid,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The application the server runs, for calling jobs and use cases directly.
    pub app: madoguchi_app::App,
    /// Role name → API token: admin, supervisor, agent, merchant_admin, merchant_staff (of A).
    pub tokens: BTreeMap<&'static str, String>,
    pub users: BTreeMap<&'static str, UserId>,
    pub a: Shop,
    pub b: Shop,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn shop(store: &Store, slug: &str, staff_hash: &str) -> anyhow::Result<(Shop, String)> {
    let m = store.create_merchant(None, NewMerchant::named(slug, &format!("{slug} 店")).validate()?).await?;
    let profile = CustomerProfile {
        name: Some(format!("{slug} 客")),
        name_kana: None,
        address: None,
        tags: vec![],
        rank: None,
        notes: None,
    };
    let c = store
        .create_customer(&Scope::All, None, m.id, &profile, &[normalize(IdentityKind::Phone, "090-1234-5678")?])
        .await?;
    let o = NewOrder {
        merchant: m.id.to_string(),
        order_number: format!("{slug}-1"),
        customer_id: Some(c.id),
        status: OrderStatus::Shipped,
        ordered_at: madoguchi_core::time::now(),
        total_amount: None,
        payment_method: None,
        lines: vec![NewOrderLine {
            sku: "S".into(), name: "品".into(), quantity: 1, unit_price: 1000, category: None
        }],
        shipments: vec![NewShipment {
            carrier: Carrier::Yamato,
            tracking_number: Some("123412341231".into()),
            status: ShipmentStatus::Shipped,
            shipped_at: None,
            delivered_at: None,
            events: vec![],
        }],
    }
    .validate()?;
    let order = store.create_order(&Scope::All, None, m.id, &o).await?;
    let conv = store
        .create_conversation(
            &Scope::All,
            None,
            &ConversationRecord {
                merchant: m.id,
                channel: Channel::Email,
                subject: Some("届きません".into()),
                customer_id: Some(c.id),
                customer_identity: None,
                order_id: Some(order.id),
                priority: Priority::Normal,
                queue: None,
                category: None,
                tags: vec![],
                assignee_id: None,
                messages: vec![MessageRecord {
                    channel: None,
                    direction: Direction::Inbound,
                    internal: false,
                    author_kind: AuthorKind::Customer,
                    author_user_id: None,
                    body_text: format!("{slug} の問い合わせ"),
                    body_html: None,
                    attachments: vec![],
                    provider_message_id: Some(format!("<{slug}@mail>")),
                    meta: Default::default(),
                    created_at: None,
                }],
                status: None,
                created_at: None,
            },
        )
        .await?;
    let staff = store
        .create_user(
            None,
            NewUserRecord {
                public_name: String::new(),
                login: format!("{slug}.staff"),
                display_name: "店員".into(),
                role: Role::MerchantStaff,
                password_hash: staff_hash.into(),
                email: None,
                merchants: vec![m.id],
            },
        )
        .await?;
    let (secret, hash) = new_token();
    let tok = store.create_token(staff.id, staff.id, "test", &hash).await?;
    let queue = store.create_queue(&Scope::All, staff.id, m.id, "配送").await?;
    let canned = store
        .create_canned_response(
            &Scope::All,
            staff.id,
            m.id,
            "発送案内",
            "{customer_name}様、ご注文{order_number}は発送済みです。",
        )
        .await?;
    store.create_disposition_code(&Scope::All, staff.id, m.id, "DELIVERY_INFO", "配送状況を案内").await?;
    let escalation = store
        .create_escalation(
            &Scope::All,
            staff.id,
            conv.id,
            "返品を受けてよいですか",
            madoguchi_core::time::now() + chrono::Duration::hours(4),
        )
        .await?;
    let scan = madoguchi_store::blobs::NewBlob {
        filename: "fax.png".into(),
        content_type: "image/png".into(),
        data: b"\x89PNG\r\n\x1a\nscan".to_vec(),
    };
    let file = store.put_blob(&Scope::All, m.id, &scan).await?;
    let article = madoguchi_core::kb::ArticleInput {
        external_id: Some("faq-returns".into()),
        category: "返品・交換・キャンセル".into(),
        question: "返品はできますか？".into(),
        answer: "商品到着後8日以内にご連絡ください。".into(),
        keywords: vec!["返送".into()],
        published: None,
    }
    .validate()?;
    let article = store.create_article(&Scope::All, None, m.id, &article).await?;
    let fields =
        [("desired_date".to_owned(), "明日".to_owned()), ("time_slot".to_owned(), "19-21時".to_owned())].into();
    let case = store
        .open_case(&Scope::All, None, order.id, Some(conv.id), madoguchi_core::cases::CaseKind::Redelivery, &fields)
        .await?;
    Ok((
        Shop {
            id: m.id,
            slug: slug.into(),
            customer: c.id,
            identity: c.identities[0].id,
            order: order.id,
            shipment: order.shipments[0].id,
            conversation: conv.id,
            staff_user: staff.id,
            staff_token_id: tok.id,
            queue: queue.id,
            escalation: escalation.id,
            canned: canned.id,
            file: file.storage_key.as_deref().and_then(|k| k.parse().ok()).unwrap_or_default(),
            article: article.id,
            case: case.id,
            task: case.tasks[0].id,
        },
        secret,
    ))
}

impl TestApp {
    pub async fn start() -> anyhow::Result<TestApp> {
        Self::start_with(Settings::default()).await
    }

    pub async fn start_with(mut settings: Settings) -> anyhow::Result<TestApp> {
        let dir = tempfile::tempdir()?;
        settings.data_dir = dir.path().to_owned();
        let store = Store::open(&settings.database_url()).await?;
        let hash = hash_password(PASSWORD.into()).await?;
        let (a, a_staff_token) = shop(&store, "shop-a", &hash).await?;
        let (b, _) = shop(&store, "shop-b", &hash).await?;
        let mut tokens = BTreeMap::new();
        let mut users = BTreeMap::new();
        for (name, role, ms) in [
            ("admin", Role::Admin, vec![]),
            ("supervisor", Role::Supervisor, vec![a.id]),
            ("agent", Role::Agent, vec![a.id]),
            ("merchant_admin", Role::MerchantAdmin, vec![a.id]),
            // A desk agent serving both shops: A's people must not learn about B through them.
            ("shared_agent", Role::Agent, vec![a.id, b.id]),
        ] {
            let u = store
                .create_user(
                    None,
                    NewUserRecord {
                        public_name: String::new(),
                        login: name.into(),
                        display_name: name.into(),
                        role,
                        password_hash: hash.clone(),
                        email: None,
                        merchants: ms,
                    },
                )
                .await?;
            let (secret, h) = new_token();
            store.create_token(u.id, u.id, "test", &h).await?;
            tokens.insert(name, secret);
            users.insert(name, u.id);
        }
        tokens.insert("merchant_staff", a_staff_token);
        users.insert("merchant_staff", a.staff_user);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(store.clone(), settings)?;
        let app = state.app.clone();
        tokio::spawn(async move {
            let _ = madoguchi_server::launch(listener, state, async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(TestApp {
            base,
            client: reqwest::Client::new(),
            store,
            app,
            tokens,
            users,
            a,
            b,
            shutdown: Some(tx),
            _dir: dir,
        })
    }

    pub fn token(&self, role: &str) -> &str {
        self.tokens.get(role).map(String::as_str).unwrap_or("missing")
    }

    /// Sends a request; returns the status and the JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Ok((status, json))
    }

    pub async fn get(&self, path: &str, role: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.call(Method::GET, path, Some(self.token(role)), None).await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        role: &str,
        body: Value,
    ) -> anyhow::Result<(StatusCode, Value)> {
        self.call(method, path, Some(self.token(role)), Some(body)).await
    }
}

/// The messages of a conversation, oldest first.
pub async fn messages(app: &TestApp, id: ConversationId) -> Vec<madoguchi_core::conversation::Message> {
    app.store
        .timeline(&Scope::All, id, false)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|t| match t {
            madoguchi_core::conversation::TimelineItem::Message(m) => Some(m),
            madoguchi_core::conversation::TimelineItem::Event(_) => None,
        })
        .collect()
}
