//! Shared by the store conformance suite's files: a fresh database per run on SQLite and, when
//! `MADOGUCHI_TEST_DATABASE_URL` is set, on PostgreSQL (its own schema); fixtures; and the
//! imports every file uses.

#![allow(dead_code, unused_imports)]

pub use anyhow::Result;
pub use chrono::NaiveDate;
pub use madoguchi_core::access::Scope;
pub use madoguchi_core::conversation::TimelineItem;
pub use madoguchi_core::customer::{Address, CustomerProfile};
pub use madoguchi_core::enums::*;
pub use madoguchi_core::identity::{IdentityKind, normalize};
pub use madoguchi_core::ids::*;
pub use madoguchi_core::merchant::{ClosedDay, NewMerchant};
pub use madoguchi_core::order::{NewOrder, NewOrderLine, NewShipment, NewShipmentEvent};
pub use madoguchi_core::page::PageRequest;
pub use madoguchi_core::time::now;
pub use madoguchi_store::blobs::NewBlob;
pub use madoguchi_store::conversations::{ConversationChange, ConversationFilter, ConversationRecord, MessageRecord};
pub use madoguchi_store::inbound::{InboundContact, InboundOutcome, Received, Thread};
pub use madoguchi_store::merchants::MerchantKey;
pub use madoguchi_store::users::{NewUserRecord, UserChange};
pub use madoguchi_store::{Store, StoreError};
pub use std::future::Future;

pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

pub async fn sqlite() -> Result<TestDb> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::open(&url).await?;
    Ok(TestDb { store, _dir: Some(dir), pg: None })
}

/// The PostgreSQL URL under test, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("MADOGUCHI_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

pub async fn postgres(url: &str) -> Result<TestDb> {
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let store = Store::connect_postgres_schema(url, &schema)
        .await
        .map_err(|e| anyhow::anyhow!("MADOGUCHI_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e:?}"))?;
    store.migrate().await?;
    Ok(TestDb { store, _dir: None, pg: Some((url.to_owned(), schema)) })
}

impl TestDb {
    pub async fn drop_schema(self) -> Result<()> {
        self.store.close().await;
        if let Some((url, schema)) = self.pg {
            let admin = Store::connect(&url).await?;
            admin.drop_schema_for_tests(&schema).await?;
            admin.close().await;
        }
        Ok(())
    }
}

/// Runs the body on every configured backend.
pub async fn on_each_backend<F, Fut>(body: F) -> Result<()>
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let db = sqlite().await?;
    body(db.store.clone()).await.map_err(|e| e.context("on SQLite"))?;
    db.drop_schema().await?;
    if let Some(url) = pg_url() {
        let db = postgres(&url).await?;
        body(db.store.clone()).await.map_err(|e| e.context("on PostgreSQL"))?;
        db.drop_schema().await?;
    }
    Ok(())
}

pub async fn merchant(store: &Store, slug: &str) -> Result<MerchantId> {
    let m = NewMerchant::named(slug, &format!("{slug} 商店")).validate()?;
    Ok(store.create_merchant(None, m).await?.id)
}

pub fn phone(raw: &str) -> madoguchi_core::identity::NormalizedIdentity {
    normalize(IdentityKind::Phone, raw).expect("valid phone")
}

pub fn profile(name: &str) -> CustomerProfile {
    CustomerProfile::named(name)
}

pub fn msg(direction: Direction, body: &str, pid: Option<&str>) -> MessageRecord {
    MessageRecord {
        channel: None,
        direction,
        internal: false,
        author_kind: if direction == Direction::Inbound { AuthorKind::Customer } else { AuthorKind::User },
        author_user_id: None,
        body_text: body.into(),
        body_html: None,
        attachments: vec![],
        provider_message_id: pid.map(Into::into),
        meta: Default::default(),
        created_at: None,
    }
}

pub fn conv(m: MerchantId, channel: Channel) -> ConversationRecord {
    ConversationRecord { subject: Some("商品が届きません".into()), ..ConversationRecord::new(m, channel) }
}

/// A fixed instant, so re-sending the same order is byte-for-byte the same input.
pub fn at(day: u32, hour: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

pub fn order(m: &str, number: &str) -> NewOrder {
    NewOrder {
        merchant: m.into(),
        order_number: number.into(),
        customer_id: None,
        status: OrderStatus::Shipped,
        ordered_at: at(18, 1),
        total_amount: None,
        payment_method: Some("クレジットカード".into()),
        lines: vec![NewOrderLine {
            sku: "APL-5".into(),
            name: "りんご 5kg".into(),
            quantity: 1,
            unit_price: 4200,
            category: Some("生鮮".into()),
        }],
        shipments: vec![NewShipment {
            carrier: Carrier::Yamato,
            tracking_number: Some("1234-5678-9013".into()),
            status: ShipmentStatus::Shipped,
            shipped_at: Some(at(19, 2)),
            delivered_at: None,
            events: vec![NewShipmentEvent {
                status: ShipmentStatus::Shipped,
                occurred_at: at(19, 2),
                location: Some("青森ベース".into()),
                note: None,
            }],
        }],
    }
    .validate()
    .expect("valid order")
}

pub fn is_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

pub fn inbound_mail(m: MerchantId, from: &str, pid: &str, refs: &[&str], ticket: Option<i64>) -> InboundContact {
    let mut message = msg(Direction::Inbound, "届きません", Some(pid));
    message.channel = Some(Channel::Email);
    InboundContact {
        merchant: m,
        channel: Channel::Email,
        identity: Some(normalize(IdentityKind::Email, from).expect("valid address")),
        customer_name: Some("山田 花子".into()),
        subject: Some("商品が届きません".into()),
        category: None,
        order_number: None,
        thread: Thread::Mail { references: refs.iter().map(|s| s.to_string()).collect(), ticket },
        message,
        files: vec![NewBlob { filename: "写真.png".into(), content_type: "image/png".into(), data: vec![1, 2, 3] }],
        raw: Some(NewBlob {
            filename: "message.eml".into(),
            content_type: "message/rfc822".into(),
            data: b"raw".to_vec(),
        }),
        event_id: None,
        entered_by: None,
        bot: false,
    }
}

pub fn stored(o: InboundOutcome) -> Received {
    match o {
        InboundOutcome::Stored(r) => r,
        InboundOutcome::Duplicate { .. } => panic!("expected a new message, got a duplicate"),
    }
}
