//! The demo data set: two shops of different kinds, their customers, orders, parcels and a few
//! hundred conversations across every channel, generated from a fixed seed (so every demo
//! install shows the same people and stories), plus a user for every role.

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::customer::{Address, CustomerProfile};
use madoguchi_core::enums::{
    AuthorKind, Carrier, Channel, ConversationStatus, Direction, OrderStatus, Priority, Role, ShipmentStatus,
};
use madoguchi_core::identity::{IdentityKind, NormalizedIdentity, normalize};
use madoguchi_core::ids::{CustomerId, MerchantId, OrderId, UserId};
use madoguchi_core::merchant::{ClosedDay, NewMerchant};
use madoguchi_core::order::{NewOrder, NewOrderLine, NewShipment, NewShipmentEvent};
use madoguchi_core::time::now;
use madoguchi_store::Store;
use madoguchi_store::channel_accounts::{AccountSettings, ChannelAccount};
use madoguchi_store::conversations::{ConversationRecord, MessageRecord};
use madoguchi_store::users::NewUserRecord;
use rand::rngs::OsRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng, TryRngCore};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

use madoguchi_app::new_inbound_token;
use madoguchi_server::auth::{hash_password, new_token};

mod data;
pub mod voice;
use data::*;

/// The file tests and scripts read to log in to a demo install.
pub const CREDENTIALS_FILE: &str = "demo-credentials.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub base_url: String,
    pub merchants: Vec<DemoMerchant>,
    pub users: Vec<DemoUser>,
    /// Each shop's mail inbox and the URL a mail server pipes raw mail to.
    #[serde(default)]
    pub email_inboxes: Vec<DemoInbox>,
    /// Each shop's LINE webhook and the channel secret its requests are signed with.
    #[serde(default)]
    pub line_channels: Vec<DemoLineChannel>,
    /// Each shop's web-chat script, the demo page that embeds it, and the secret the shop signs
    /// its logged-in customers' ids with.
    #[serde(default)]
    pub chat_widgets: Vec<DemoChat>,
    /// Each shop's public help center (its FAQ is seeded too).
    #[serde(default)]
    pub help_centers: Vec<DemoHelpCenter>,
    /// Each shop's phone number, its voice URL and the Auth Token its calls are signed with.
    #[serde(default)]
    pub phone_numbers: Vec<voice::DemoPhoneNumber>,
    /// Where the demo desk sends its calls' commands (Twilio's REST API): `madoguchi
    /// simulate-call` answers there, playing the provider.
    #[serde(default)]
    pub phone_simulator: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoHelpCenter {
    pub merchant: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoChat {
    pub merchant: String,
    pub script_url: String,
    pub demo_page: String,
    pub identity_secret: String,
    /// Whether the shop's chats start with the bot.
    #[serde(default)]
    pub bot: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoInbox {
    pub merchant: String,
    pub address: String,
    pub inbound_url: String,
    /// The shop's public contact form, which confirms by mail from this inbox.
    #[serde(default)]
    pub form_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoLineChannel {
    pub merchant: String,
    pub webhook_url: String,
    pub channel_secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoMerchant {
    pub id: String,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoUser {
    pub login: String,
    pub password: String,
    pub role: Role,
    pub merchants: Vec<String>,
    pub api_token: String,
}

impl Credentials {
    /// Points every URL at a new address (the server moved to another port on restart).
    pub fn rebase(&mut self, base_url: &str) {
        // Keeps the path and replaces scheme, host and port.
        let move_url = |u: &mut String| {
            let host_start = u.find("://").map_or(0, |i| i + 3);
            if let Some(i) = u[host_start..].find('/') {
                *u = format!("{base_url}{}", &u[host_start + i..]);
            }
        };
        self.base_url = base_url.to_owned();
        for i in &mut self.email_inboxes {
            move_url(&mut i.inbound_url);
            move_url(&mut i.form_url);
        }
        self.line_channels.iter_mut().for_each(|l| move_url(&mut l.webhook_url));
        for c in &mut self.chat_widgets {
            move_url(&mut c.script_url);
            move_url(&mut c.demo_page);
        }
        self.help_centers.iter_mut().for_each(|h| move_url(&mut h.url));
        self.phone_numbers.iter_mut().for_each(|n| move_url(&mut n.voice_url));
    }

    pub fn write(&self, data_dir: &Path) -> anyhow::Result<()> {
        let path = data_dir.join(CREDENTIALS_FILE);
        let tmp = data_dir.join(format!("{CREDENTIALS_FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(tmp, path)?;
        Ok(())
    }

    pub fn read(data_dir: &Path) -> anyhow::Result<Option<Credentials>> {
        let path = data_dir.join(CREDENTIALS_FILE);
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(serde_json::from_slice(&std::fs::read(path)?)?))
    }
}

fn random_password() -> String {
    let mut bytes = [0u8; 12];
    OsRng.try_fill_bytes(&mut bytes).unwrap_or_default();
    let alphabet = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    bytes.iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
}

struct SeededCustomer {
    id: CustomerId,
    line: Option<NormalizedIdentity>,
    email: NormalizedIdentity,
    phone: NormalizedIdentity,
    orders: Vec<(OrderId, String, Carrier, Option<String>)>,
}

/// Seeds the demo data set into an empty store and returns the logins (without base URL).
pub async fn seed(store: &Store, base_url: &str) -> anyhow::Result<Credentials> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_122);
    let t0 = now();
    let t0_clock = std::time::Instant::now();
    let mut merchants = Vec::new();
    for shop in shops() {
        let nm = NewMerchant {
            slug: shop.slug.into(),
            code: None,
            name: shop.name.into(),
            greeting: Some(shop.greeting.into()),
            timezone: None,
            business_hours: Some(shop.hours.clone()),
            closed_days: shop
                .closed
                .iter()
                .map(|(y, m, d, l)| ClosedDay { date: day(*y, *m, *d), label: (*l).into() })
                .collect(),
            // Fresh produce cannot wait: a shorter first-response target than the gift shop's.
            sla: Some(if shop.slug == "yasai-hatake" {
                madoguchi_core::sla::SlaPolicy { first_response_minutes: 30, resolution_minutes: 9 * 60 }
            } else {
                madoguchi_core::sla::SlaPolicy { first_response_minutes: 60, resolution_minutes: 18 * 60 }
            }),
            greetings: Some(madoguchi_core::merchant::ChannelGreetings {
                mail_signature: format!(
                    "――――――――――\n{}　お客様窓口\n受付時間：平日 9:00〜18:00（土日祝・年末年始を除く）",
                    shop.name
                ),
                ..madoguchi_core::merchant::ChannelGreetings::named(shop.name)
            }),
            // A shared desk: the desk answers the customers, the shops answer escalations.
            staff_may_reply: Some(false),
        };
        let m = store.create_merchant(None, nm.validate()?).await?;
        merchants.push((m, shop));
    }
    let ids: Vec<MerchantId> = merchants.iter().map(|(m, _)| m.id).collect();
    let slug = |i: usize| merchants[i].0.slug.clone();

    let people: Vec<(&str, &str, Role, Vec<usize>)> = vec![
        ("admin", "センター管理者", Role::Admin, vec![]),
        ("sv.tanaka", "田中 SV", Role::Supervisor, vec![0, 1]),
        ("agent.sato", "佐藤 オペレーター", Role::Agent, vec![0, 1]),
        ("agent.suzuki", "鈴木 オペレーター", Role::Agent, vec![1]),
        ("hanamaru.admin", "花まる 店長", Role::MerchantAdmin, vec![0]),
        ("hanamaru.staff", "花まる スタッフ", Role::MerchantStaff, vec![0]),
        ("yasai.admin", "やさい畑 店長", Role::MerchantAdmin, vec![1]),
        ("yasai.staff", "やさい畑 スタッフ", Role::MerchantStaff, vec![1]),
    ];
    // Hash every password at once: argon2 is deliberately slow, and there are two cores.
    let mut hashing = tokio::task::JoinSet::new();
    for (i, _) in people.iter().enumerate() {
        let password = random_password();
        hashing.spawn(async move { (i, password.clone(), hash_password(password).await) });
    }
    let mut hashed: Vec<(usize, String, String)> = Vec::new();
    while let Some(r) = hashing.join_next().await {
        let (i, pw, h) = r?;
        hashed.push((i, pw, h?));
    }
    hashed.sort_by_key(|h| h.0);
    let mut users = Vec::new();
    let mut agents: Vec<(UserId, Vec<usize>)> = Vec::new();
    let mut admin_id = None;
    for ((login, name, role, ms), (_, password, password_hash)) in people.into_iter().zip(hashed) {
        let u = store
            .create_user(
                None,
                NewUserRecord {
                    public_name: String::new(),
                    login: login.into(),
                    display_name: name.into(),
                    role,
                    password_hash,
                    email: None,
                    merchants: ms.iter().map(|i| ids[*i]).collect(),
                },
            )
            .await?;
        let (token, token_hash) = new_token();
        store.create_token(u.id, u.id, "デモ用", &token_hash).await?;
        if matches!(role, Role::Agent | Role::Supervisor) {
            agents.push((u.id, ms.clone()));
        }
        if role == Role::Admin {
            admin_id = Some(u.id);
        }
        users.push(DemoUser {
            login: login.into(),
            password,
            role,
            merchants: ms.iter().map(|i| slug(*i)).collect(),
            api_token: token,
        });
    }

    tracing::debug!(elapsed_ms = t0_clock.elapsed().as_millis() as u64, "demo users created");
    let admin_id = admin_id.ok_or_else(|| anyhow::anyhow!("the demo has an admin"))?;
    for (merchant, shop) in &merchants {
        seed_playbook(store, admin_id, merchant.id, shop).await?;
    }
    for (mi, (merchant, shop)) in merchants.iter().enumerate() {
        let customers = seed_customers(store, &mut rng, merchant.id, shop, t0).await?;
        let staff: Vec<UserId> = agents.iter().filter(|(_, ms)| ms.contains(&mi)).map(|(u, _)| *u).collect();
        tracing::debug!(
            elapsed_ms = t0_clock.elapsed().as_millis() as u64,
            shop = shop.slug,
            "demo customers and orders created"
        );
        seed_conversations(store, &mut rng, merchant.id, shop, &customers, &staff, t0).await?;
        tracing::debug!(
            elapsed_ms = t0_clock.elapsed().as_millis() as u64,
            shop = shop.slug,
            "demo conversations created"
        );
    }

    let mut email_inboxes = Vec::new();
    let mut line_channels = Vec::new();
    let mut chat_widgets = Vec::new();
    let mut help_centers = Vec::new();
    let mut phone_numbers = Vec::new();
    for (n, (merchant, _)) in merchants.iter().enumerate() {
        phone_numbers.push(voice::seed(store, merchant, n, base_url).await?);
        let (inbox, line, chat) = seed_channels(store, merchant).await?;
        let faq: Vec<_> = DEMO_FAQ
            .iter()
            .enumerate()
            .map(|(i, (category, question, answer, keywords))| {
                madoguchi_core::kb::ArticleInput {
                    external_id: Some(format!("demo-{}", i + 1)),
                    category: (*category).into(),
                    question: (*question).into(),
                    answer: (*answer).into(),
                    keywords: keywords.iter().map(|k| k.to_string()).collect(),
                    published: None,
                }
                .validate()
            })
            .collect::<Result<_, _>>()?;
        store.import_articles(&madoguchi_core::access::Scope::All, None, merchant.id, &faq).await?;
        help_centers.push(DemoHelpCenter {
            merchant: merchant.slug.clone(),
            url: format!("{base_url}/help/{}", merchant.slug),
        });
        chat_widgets.push(DemoChat {
            merchant: merchant.slug.clone(),
            script_url: format!("{base_url}/chat/{}/widget.js", merchant.slug),
            demo_page: format!("{base_url}/demo/shop/{}", merchant.slug),
            identity_secret: chat.secret.clone().unwrap_or_default(),
            bot: merchant.slug == BOT_SHOP,
        });
        email_inboxes.push(DemoInbox {
            merchant: merchant.slug.clone(),
            address: inbox.address.clone().unwrap_or_default(),
            inbound_url: format!("{base_url}/api/v1/inbound/email/{}", inbox.inbound_token),
            form_url: format!("{base_url}/form/{}", merchant.slug),
        });
        line_channels.push(DemoLineChannel {
            merchant: merchant.slug.clone(),
            webhook_url: format!("{base_url}/api/v1/inbound/line/{}", line.inbound_token),
            channel_secret: line.secret.clone().unwrap_or_default(),
        });
    }

    Ok(Credentials {
        help_centers,
        phone_numbers,
        phone_simulator: None,
        email_inboxes,
        line_channels,
        chat_widgets,
        base_url: base_url.into(),
        merchants: merchants
            .iter()
            .map(|(m, _)| DemoMerchant { id: m.id.to_string(), slug: m.slug.clone(), name: m.name.clone() })
            .collect(),
        users,
    })
}

/// The demo shop whose web chat starts with the bot.
pub const BOT_SHOP: &str = "yasai-hatake";

/// A mail inbox, a LINE channel and web-chat settings for a demo shop. The LINE access token
/// is a placeholder: replies to LINE fail visibly until a real channel is configured.
async fn seed_channels(
    store: &Store,
    merchant: &madoguchi_core::merchant::Merchant,
) -> anyhow::Result<(ChannelAccount, ChannelAccount, ChannelAccount)> {
    let scope = madoguchi_core::access::Scope::All;
    let address = format!("support@{}.example", merchant.slug);
    let inbox = store
        .upsert_channel_account(
            &scope,
            merchant.id,
            Channel::Email,
            &new_inbound_token(),
            &AccountSettings { address: Some(address), ..AccountSettings::default() },
        )
        .await?;
    let line = store
        .upsert_channel_account(
            &scope,
            merchant.id,
            Channel::Line,
            &new_inbound_token(),
            &AccountSettings {
                secret: Some(random_password()),
                access_token: Some("demo-access-token".into()),
                ..AccountSettings::default()
            },
        )
        .await?;
    let chat = store
        .upsert_channel_account(
            &scope,
            merchant.id,
            Channel::Chat,
            &new_inbound_token(),
            &AccountSettings {
                secret: Some(random_password()),
                // One shop greets its chats with the bot, the other with a person at once.
                settings: Some(serde_json::json!({ "bot": merchant.slug == BOT_SHOP })),
                ..AccountSettings::default()
            },
        )
        .await?;
    Ok((inbox, line, chat))
}

/// Talk scripts for every category the shop's customers ask about, canned responses and
/// disposition codes.
async fn seed_playbook(store: &Store, actor: UserId, merchant: MerchantId, shop: &ShopSpec) -> anyhow::Result<()> {
    // The queues the shop's conversations are filed in, so that they can be chosen.
    let mut queues: Vec<&str> = shop.stories.iter().map(|s| s.queue).collect();
    queues.sort_unstable();
    queues.dedup();
    for q in queues {
        store.create_queue(&madoguchi_core::access::Scope::All, actor, merchant, q).await?;
    }
    let mut categories: Vec<&str> = shop.stories.iter().map(|s| s.category).collect();
    categories.sort_unstable();
    categories.dedup();
    for category in categories {
        let body = match category {
            "配送" => {
                "1. ご注文番号とお名前を確認します。\n2. 伝票番号で配送状況を確認し、お届け予定をお伝えします。\n3. 不在・住所不明の場合は再配達の日時を伺います。"
            }
            "返品・交換" | "不良品" => {
                "1. お詫びを申し上げます。\n2. 商品の状態（写真）とお届け日を確認します。\n3. 返品・交換の条件に当てはまるかを確認し、手順をご案内します。"
            }
            "キャンセル" => {
                "1. ご注文番号を確認します。\n2. 発送前であればキャンセルを承ります。\n3. 発送後の場合は受け取り後の返品手続きをご案内します。"
            }
            _ => {
                "1. ご用件を伺います。\n2. 必要に応じてご注文番号を確認します。\n3. 回答できない内容はショップへ確認し、期限を添えて折り返しをお約束します。"
            }
        };
        store.put_script(&Scope::All, actor, merchant, category, body).await?;
    }
    for (title, body) in [
        (
            "配送／発送済みのご案内",
            "{お客様名}様\nお問い合わせありがとうございます。ご注文{注文番号}は発送済みです。配送状況はこちらからご確認いただけます。\n{配送状況URL}",
        ),
        (
            "ご案内／確認して折り返します",
            "{お客様名}様\nお問い合わせありがとうございます。担当部署に確認のうえ、あらためてご連絡いたします。",
        ),
        ("お詫び", "{お客様名}様\nこのたびはご迷惑をおかけし、誠に申し訳ございません。"),
    ] {
        store.create_canned_response(&Scope::All, actor, merchant, title, body).await?;
    }
    for (code, label) in [
        ("DELIVERY_INFO", "配送状況を案内"),
        ("REDELIVERY", "再配達を手配"),
        ("RETURN_ACCEPTED", "返品・交換を受付"),
        ("CANCELLED", "キャンセルを受付"),
        ("ESCALATED", "ショップへ確認中"),
        ("INFO_ONLY", "情報提供のみ"),
    ] {
        store.create_disposition_code(&Scope::All, actor, merchant, code, label).await?;
    }
    Ok(())
}

async fn seed_customers(
    store: &Store,
    rng: &mut ChaCha8Rng,
    merchant: MerchantId,
    shop: &ShopSpec,
    t0: DateTime<Utc>,
) -> anyhow::Result<Vec<SeededCustomer>> {
    let mut out = Vec::new();
    let mut order_no = 10_000 + rng.random_range(0..5_000);
    for i in 0..50 {
        let (sn, sk, sr) = *SURNAMES.choose(rng).unwrap_or(&SURNAMES[0]);
        let (gn, gk, gr) = *GIVEN_NAMES.choose(rng).unwrap_or(&GIVEN_NAMES[0]);
        let (postal, pref, city, town) = *PLACES.choose(rng).unwrap_or(&PLACES[0]);
        let building = *BUILDINGS.choose(rng).unwrap_or(&"");
        let prefix = ["090", "080", "070"].choose(rng).copied().unwrap_or("090");
        let phone = normalize(
            IdentityKind::Phone,
            &format!("{prefix}-{:04}-{:04}", rng.random_range(1000..9999), rng.random_range(0..10000)),
        )?;
        let email = normalize(IdentityKind::Email, &format!("{gr}.{sr}{}@example.jp", 10 + i))?;
        let line = if rng.random_bool(0.3) {
            Some(normalize(IdentityKind::Line, &format!("U{:032x}", rng.random::<u128>()))?)
        } else {
            None
        };
        let mut identities = vec![phone.clone(), email.clone()];
        identities.extend(line.clone());
        let rank = match rng.random_range(0..10) {
            0 => Some("VIP".to_string()),
            1 | 2 => Some("ゴールド".to_string()),
            _ => None,
        };
        let mut tags = Vec::new();
        if rng.random_bool(0.25) {
            tags.push("リピーター".to_string());
        }
        if rng.random_bool(0.05) {
            tags.push("法人".to_string());
        }
        let profile = CustomerProfile {
            name: Some(format!("{sn} {gn}")),
            name_kana: Some(format!("{sk} {gk}")),
            address: Some(Address {
                postal_code: postal.into(),
                prefecture: pref.into(),
                city: city.into(),
                line1: format!(
                    "{town}{}-{}-{}",
                    rng.random_range(1..5),
                    rng.random_range(1..20),
                    rng.random_range(1..30)
                ),
                line2: (!building.is_empty()).then(|| building.to_string()),
            }),
            tags,
            rank,
            notes: rng.random_bool(0.1).then(|| "お電話は平日の午後を希望".to_string()),
        };
        let c = store.create_customer(&Scope::All, None, merchant, &profile, &identities).await?;

        let mut orders = Vec::new();
        let mut batch = Vec::new();
        for _ in 0..rng.random_range(1..=3) {
            order_no += rng.random_range(1..40);
            let number = format!("{}-{order_no}", shop.order_prefix);
            let ordered = t0 - Duration::days(rng.random_range(1..90)) - Duration::minutes(rng.random_range(0..1440));
            let lines: Vec<NewOrderLine> = (0..rng.random_range(1..=3))
                .map(|_| {
                    let (sku, name, price, cat) = *shop.catalog.choose(rng).unwrap_or(&shop.catalog[0]);
                    NewOrderLine {
                        sku: sku.into(),
                        name: name.into(),
                        quantity: rng.random_range(1..=2),
                        unit_price: price,
                        category: Some(cat.into()),
                    }
                })
                .collect();
            let carrier = *[Carrier::Yamato, Carrier::Yamato, Carrier::Sagawa, Carrier::JapanPost]
                .choose(rng)
                .unwrap_or(&Carrier::Yamato);
            let (status, shipments) = demo_shipment(rng, carrier, ordered, t0);
            let o = NewOrder {
                merchant: merchant.to_string(),
                order_number: number.clone(),
                customer_id: Some(c.id),
                status,
                ordered_at: ordered,
                total_amount: None,
                payment_method: Some(
                    ["クレジットカード", "コンビニ払い", "代金引換", "銀行振込", "後払い"]
                        .choose(rng)
                        .unwrap_or(&"クレジットカード")
                        .to_string(),
                ),
                lines,
                shipments,
            }
            .validate()?;
            let tracking = o.shipments.first().and_then(|s| s.tracking_number.clone());
            orders.push((number, carrier, tracking));
            batch.push((merchant, o));
        }
        let stored = store.upsert_orders(&Scope::All, None, &batch).await?;
        let orders = stored.into_iter().zip(orders).map(|((id, _), (n, c, t))| (id, n, c, t)).collect();
        out.push(SeededCustomer { id: c.id, line, email, phone, orders });
    }
    Ok(out)
}

/// A parcel whose history matches how long ago the order was placed.
fn demo_shipment(
    rng: &mut ChaCha8Rng,
    carrier: Carrier,
    ordered: DateTime<Utc>,
    t0: DateTime<Utc>,
) -> (OrderStatus, Vec<NewShipment>) {
    let age = (t0 - ordered).num_days();
    if age < 2 {
        return (
            OrderStatus::Confirmed,
            vec![NewShipment {
                carrier,
                tracking_number: None,
                status: ShipmentStatus::Preparing,
                shipped_at: None,
                delivered_at: None,
                events: vec![],
            }],
        );
    }
    // Eleven digits and the carriers' check digit (the eleven modulo 7).
    let base = rng.random_range(10_000_000_000u64..99_999_999_999);
    let tracking = format!("{base}{}", base % 7);
    let shipped = ordered + Duration::hours(rng.random_range(18..40));
    let mut events = vec![NewShipmentEvent {
        status: ShipmentStatus::Shipped,
        occurred_at: shipped,
        location: Some("発送センター".into()),
        note: None,
    }];
    let transit = shipped + Duration::hours(rng.random_range(6..14));
    events.push(NewShipmentEvent {
        status: ShipmentStatus::InTransit,
        occurred_at: transit,
        location: Some("中継センター".into()),
        note: None,
    });
    let arrival = transit + Duration::hours(rng.random_range(10..30));
    let (order_status, status, delivered) = if arrival > t0 {
        (OrderStatus::Shipped, ShipmentStatus::InTransit, None)
    } else if rng.random_bool(0.1) {
        events.push(NewShipmentEvent {
            status: ShipmentStatus::Absent,
            occurred_at: arrival,
            location: Some("配達店".into()),
            note: Some("ご不在のため持ち戻り".into()),
        });
        (OrderStatus::Shipped, ShipmentStatus::Absent, None)
    } else {
        events.push(NewShipmentEvent {
            status: ShipmentStatus::Delivered,
            occurred_at: arrival,
            location: None,
            note: None,
        });
        (OrderStatus::Delivered, ShipmentStatus::Delivered, Some(arrival))
    };
    (
        order_status,
        vec![NewShipment {
            carrier,
            tracking_number: Some(tracking),
            status,
            shipped_at: Some(shipped),
            delivered_at: delivered,
            events,
        }],
    )
}

fn fill(template: &str, order: Option<&(OrderId, String, Carrier, Option<String>)>) -> String {
    let (number, carrier, tracking) = match order {
        Some((_, n, c, t)) => (n.as_str(), c.label_ja(), t.as_deref().unwrap_or("（発送準備中）")),
        None => ("", "", ""),
    };
    template
        .replace("{order}", &format!("ご注文{number}").replace("ご注文ご注文", "ご注文"))
        .replace("{carrier}", carrier)
        .replace("{tracking}", tracking)
        .replace("ご注文ご注文", "ご注文")
}

async fn seed_conversations(
    store: &Store,
    rng: &mut ChaCha8Rng,
    merchant: MerchantId,
    shop: &ShopSpec,
    customers: &[SeededCustomer],
    staff: &[UserId],
    t0: DateTime<Utc>,
) -> anyhow::Result<()> {
    for _ in 0..200 {
        let story = shop.stories.choose(rng).unwrap_or(&shop.stories[0]);
        let channel = pick_channel(rng);
        let cust = customers.choose(rng);
        let order = if story.needs_order { cust.and_then(|c| c.orders.choose(rng)) } else { None };
        let age_minutes = rng.random_range(5..60 * 24 * 45);
        let opened = t0 - Duration::minutes(age_minutes);
        let identity = match (channel, cust) {
            (Channel::Line, Some(c)) => c.line.clone().or(Some(c.phone.clone())),
            (Channel::Email | Channel::WebForm, Some(c)) => Some(c.email.clone()),
            _ => None,
        };
        let inbound_text = match channel {
            Channel::Phone => format!("【電話メモ】{}", fill(story.inbound, order)),
            Channel::Fax => format!("【FAX受信・入力】{}", fill(story.inbound, order)),
            Channel::Postcard => format!("【はがき・入力】{}", fill(story.inbound, order)),
            _ => fill(story.inbound, order),
        };
        let first = MessageRecord {
            channel: None,
            direction: Direction::Inbound,
            internal: false,
            author_kind: AuthorKind::Customer,
            author_user_id: None,
            body_text: inbound_text,
            body_html: None,
            attachments: vec![],
            provider_message_id: None,
            meta: Default::default(),
            created_at: Some(opened),
        };
        let priority = match rng.random_range(0..20) {
            0 => Priority::Urgent,
            1..=3 => Priority::High,
            4 => Priority::Low,
            _ => Priority::Normal,
        };
        let status = pick_status(rng, age_minutes / (60 * 24));
        let agent = if status == ConversationStatus::New { None } else { staff.choose(rng).copied() };
        let mut messages = vec![first];
        if let Some(agent) = agent {
            let answered = opened + Duration::minutes(rng.random_range(1..180)).min(t0 - opened);
            messages.push(MessageRecord {
                channel: None,
                direction: Direction::Outbound,
                internal: false,
                author_kind: AuthorKind::User,
                author_user_id: Some(agent),
                body_text: fill(story.reply, order),
                body_html: None,
                attachments: vec![],
                provider_message_id: None,
                meta: Default::default(),
                created_at: Some(answered),
            });
        }
        let record = ConversationRecord {
            merchant,
            channel,
            subject: Some(story.subject.into()),
            customer_id: if identity.is_some() { None } else { cust.map(|c| c.id) },
            customer_identity: identity,
            order_id: order.map(|o| o.0),
            priority,
            queue: Some(story.queue.into()),
            category: Some(story.category.into()),
            tags: if priority == Priority::Urgent { vec!["至急".into()] } else { vec![] },
            assignee_id: agent,
            messages,
            status: Some(status),
            created_at: Some(opened),
        };
        store.create_conversation(&Scope::All, agent, &record).await?;
    }
    Ok(())
}
