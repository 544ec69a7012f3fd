//! Typing in a contact that did not arrive through a connected channel: a FAX, a postcard, a
//! phone memo, a customer at the counter. Staff choose the shop, type what the customer said,
//! attach the scan, and the contact lands as the customer's inbound message — by phone number or
//! mail address on the customer who has it, by name alone on a new customer otherwise.
//!
//! It goes through the same intake as the connected channels (one transaction with its scans,
//! idempotent on the form's submission id, so a double click stores it once).

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::{NaiveDateTime, TimeZone, Utc};
use madoguchi_core::access::Principal;
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_core::page::PageRequest;
use madoguchi_store::blobs::NewBlob;

use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::web::ConsoleUser;
use madoguchi_app::usecases::intake::typed_in::{Typed, store_contact};

/// Scans per contact, and the size of each (as the files API).
pub const MAX_SCANS: usize = 5;
pub const MAX_SCAN_BYTES: usize = crate::files::MAX_UPLOAD_BYTES;
const MAX_BODY_CHARS: usize = 20_000;
/// How far back a received time may go: a postcard found late, not a history import.
const MAX_AGE_DAYS: i64 = 90;

/// The channels staff type in.
const CHANNELS: [Channel; 4] = [Channel::Fax, Channel::Postcard, Channel::Phone, Channel::WalkIn];

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/desk/contacts/new", axum::routing::get(show)).route(
        "/desk/contacts",
        axum::routing::post(submit).layer(DefaultBodyLimit::max(MAX_SCANS * MAX_SCAN_BYTES + 256 * 1024)),
    )
}

#[derive(Debug, Default, Clone)]
struct Fields {
    submission: String,
    merchant: String,
    channel: String,
    received_at: String,
    name: String,
    phone: String,
    email: String,
    order_number: String,
    category: String,
    subject: String,
    body: String,
}

#[derive(Template)]
#[template(path = "contact_new.html")]
struct Page<'a> {
    lang: &'static str,
    t: &'static crate::i18n::Texts,
    f: &'static crate::i18n::ContactTexts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    v: &'a Fields,
    merchants: Vec<(String, String)>,
    channels: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
}

fn jst_input(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Tokyo).format("%Y-%m-%dT%H:%M").to_string()
}

async fn render_page(
    st: &AppState,
    p: &Principal,
    session: &madoguchi_store::sessions::Session,
    lang: Lang,
    v: &Fields,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let merchants = st
        .store
        .list_merchants(&p.scope(), PageRequest::first(200))
        .await?
        .items
        .into_iter()
        .map(|m| (m.slug, m.name))
        .collect();
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        f: crate::i18n::typed_in(lang),
        chrome: crate::web::chrome::Chrome::of(st, session, lang).await?,
        csrf: session.csrf_token.clone(),
        v,
        merchants,
        channels: CHANNELS.iter().map(|c| (c.as_str(), crate::i18n::channel(lang, *c))).collect(),
        categories: madoguchi_core::category::CONTACT_CATEGORIES
            .iter()
            .map(|(ja, en)| (*ja, if lang == Lang::Ja { *ja } else { *en }))
            .collect(),
        errors,
    };
    Ok(super::render(status, &page))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NewQuery {
    /// From the customer page: the form starts with the customer's shop, name, phone and mail,
    /// as a phone call (what a lookup by number is for).
    customer: Option<String>,
}

/// The empty form, with a fresh submission id and the current time.
pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<NewQuery>,
) -> Result<Response, ApiError> {
    use madoguchi_core::identity::IdentityKind;
    let lang = Lang::from_request(&jar, &headers);
    let session = user.session;
    let p = super::principal_of(&session.user);
    let mut v = Fields {
        submission: uuid::Uuid::now_v7().to_string(),
        channel: Channel::Fax.as_str().into(),
        received_at: jst_input(Utc::now()),
        category: "その他".into(),
        ..Fields::default()
    };
    if let Some(id) = q.customer.as_deref().and_then(|c| c.parse().ok()) {
        let scope = p.scope();
        let cu = st.store.get_customer(&scope, id).await?;
        let m = st.store.get_merchant(&scope, madoguchi_store::merchants::MerchantKey::Id(cu.merchant_id)).await?;
        let first = |kind: IdentityKind| {
            cu.identities.iter().find(|i| i.kind == kind).map(|i| i.display.clone()).unwrap_or_default()
        };
        v.merchant = m.slug;
        v.channel = Channel::Phone.as_str().into();
        v.name = cu.name.clone().unwrap_or_default();
        v.phone = first(IdentityKind::Phone);
        v.email = first(IdentityKind::Email);
    }
    render_page(&st, &p, &session, lang, &v, vec![], StatusCode::OK).await
}

/// What was wrong with a submitted contact, in the user's language.
fn problem(lang: Lang, ja: &str, en: &str) -> String {
    if lang == Lang::Ja { ja.to_owned() } else { en.to_owned() }
}

pub async fn submit(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    // No byte of an upload is read for someone who is not signed in, or for a forged form.
    let Some(user) = crate::web::files::upload_principal(&st, &jar, &mut multipart).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let p = &user.principal;
    let lang = Lang::from_request(&jar, &headers);
    let mut v = Fields::default();
    let mut scans = Vec::new();
    let mut errors = Vec::new();
    while let Some(field) = crate::files::next_field(&mut multipart).await? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "scans" {
            let Some((filename, data)) = crate::files::uploaded(field).await? else { continue };
            match madoguchi_channels::files::sniff(&data) {
                _ if scans.len() >= MAX_SCANS => errors.push(problem(
                    lang,
                    &format!("添付できるのは{MAX_SCANS}件までです。"),
                    &format!("At most {MAX_SCANS} files."),
                )),
                _ if data.len() > MAX_SCAN_BYTES => errors.push(problem(
                    lang,
                    &format!("{filename}: 20MBを超えるファイルは添付できません。"),
                    &format!("{filename}: files over 20 MB cannot be attached."),
                )),
                Some(content_type) => scans.push(NewBlob {
                    filename: madoguchi_channels::files::clean_filename(&filename, "scan"),
                    content_type: content_type.into(),
                    data: data.to_vec(),
                }),
                None => errors.push(problem(
                    lang,
                    &format!("{filename}: 添付できるのは画像（PNG・JPEG・GIF・WebP・TIFF）とPDFです。"),
                    &format!("{filename}: only images (PNG, JPEG, GIF, WebP, TIFF) and PDF can be attached."),
                )),
            }
            continue;
        }
        let text = field.text().await.map_err(|e| ApiError::bad_request("malformed_form", e.to_string()))?;
        let slot = match name.as_str() {
            "submission" => &mut v.submission,
            "merchant" => &mut v.merchant,
            "channel" => &mut v.channel,
            "received_at" => &mut v.received_at,
            "name" => &mut v.name,
            "phone" => &mut v.phone,
            "email" => &mut v.email,
            "order_number" => &mut v.order_number,
            "category" => &mut v.category,
            "subject" => &mut v.subject,
            "body" => &mut v.body,
            _ => continue,
        };
        *slot = text;
    }
    let merchant = match st.store.resolve_merchant(&p.scope(), v.merchant.trim()).await {
        Ok(m) => Some(m),
        Err(madoguchi_store::StoreError::NotFound) => {
            errors.push(problem(lang, "ショップを選んでください。", "Choose a shop."));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let channel = CHANNELS.iter().copied().find(|c| c.as_str() == v.channel);
    if channel.is_none() {
        errors.push(problem(lang, "受付方法を選んでください。", "Choose how the contact was received."));
    }
    let now = Utc::now();
    let received_at = NaiveDateTime::parse_from_str(v.received_at.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|l| chrono_tz::Asia::Tokyo.from_local_datetime(&l).earliest())
        .map(|t| t.with_timezone(&Utc));
    match received_at {
        Some(t) if t > now + chrono::Duration::minutes(5) => {
            errors.push(problem(lang, "受付日時が未来になっています。", "The received time is in the future."))
        }
        Some(t) if t < now - chrono::Duration::days(MAX_AGE_DAYS) => errors.push(problem(
            lang,
            &format!("受付日時は{MAX_AGE_DAYS}日以内にしてください。"),
            &format!("The received time must be within {MAX_AGE_DAYS} days."),
        )),
        Some(_) => {}
        None => errors.push(problem(lang, "受付日時を正しく入力してください。", "Enter when it was received.")),
    }
    let name = v.name.trim().chars().take(100).collect::<String>();
    let phone = match v.phone.trim() {
        "" => None,
        raw => match normalize(IdentityKind::Phone, raw) {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(problem(lang, "電話番号を正しく入力してください。", "The phone number is not valid."));
                None
            }
        },
    };
    let email = match v.email.trim() {
        "" => None,
        raw => match normalize(IdentityKind::Email, raw) {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(problem(
                    lang,
                    "メールアドレスを正しく入力してください。",
                    "The e-mail address is not valid.",
                ));
                None
            }
        },
    };
    if name.is_empty() && v.phone.trim().is_empty() && v.email.trim().is_empty() {
        errors.push(problem(
            lang,
            "お名前・電話番号・メールアドレスのいずれかを入力してください。",
            "Enter the customer's name, phone number or e-mail address.",
        ));
    }
    let body = v.body.trim().to_owned();
    if body.is_empty() {
        errors.push(problem(lang, "内容を入力してください。", "Type what the customer said."));
    } else if body.chars().count() > MAX_BODY_CHARS {
        errors.push(problem(
            lang,
            &format!("内容は{MAX_BODY_CHARS}文字までです。"),
            &format!("At most {MAX_BODY_CHARS} characters."),
        ));
    }
    let submission = uuid::Uuid::parse_str(v.submission.trim()).ok();
    if submission.is_none() {
        errors.push(problem(
            lang,
            "画面を開き直してから、もう一度入力してください。",
            "Reload the page and try again.",
        ));
    }
    let (Some(merchant), Some(channel), Some(received_at), Some(submission), true) =
        (merchant, channel, received_at, submission, errors.is_empty())
    else {
        return render_page(&st, p, &user.session, lang, &v, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };

    let category = madoguchi_core::category::CONTACT_CATEGORIES.iter().map(|(c, _)| *c).find(|c| *c == v.category);
    let subject = match v.subject.trim() {
        "" => body.lines().next().unwrap_or_default().chars().take(60).collect(),
        s => s.chars().take(200).collect::<String>(),
    };
    let order_number = madoguchi_core::order::validate_order_number(v.order_number.trim()).ok();
    let received = store_contact(
        &st,
        &p,
        merchant,
        channel,
        Typed { name, phone, email, subject, category, order_number, body, received_at, submission, scans },
    )
    .await?;
    Ok(Redirect::to(&format!("/desk/conversations/{received}")).into_response())
}
