//! The contact form a shop links to or embeds in an iframe: `GET /form/{slug}` shows it and
//! `POST /form/{slug}` takes it in (multipart, with attachments). Each rendering carries a
//! submission id, stored as the event id, so a double click or a resend after "back" opens one
//! conversation. A hidden honeypot field catches simple bots; submissions are rate-limited per
//! address. The confirmation mail is an outbound system message: the outbox sends it from the
//! shop's address, and it does not count as the desk's first response.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use madoguchi_core::access::Scope;
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_core::merchant::Merchant;
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::merchants::MerchantKey;

use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;
use madoguchi_app::usecases::intake::form::FormInquiry;

/// Files a customer may attach, each at most [`MAX_FILE_BYTES`].
pub const MAX_FILES: usize = 3;
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The whole request, files included.
pub const MAX_FORM_BYTES: usize = MAX_FILES * MAX_FILE_BYTES + 256 * 1024;
const MAX_MESSAGE_CHARS: usize = 5000;
/// Submissions per address: a burst of 5, then one every 2 minutes.
const BURST: u32 = 5;
const REFILL_SECS: u64 = 120;

/// What a customer may choose as the subject of the inquiry.
pub use madoguchi_core::category::CONTACT_CATEGORIES as CATEGORIES;

/// Types a customer may attach: photos of the item, a screenshot, a PDF receipt.
const FILE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];

fn limiter() -> &'static DefaultKeyedRateLimiter<IpAddr> {
    static LIMITER: OnceLock<Arc<DefaultKeyedRateLimiter<IpAddr>>> = OnceLock::new();
    LIMITER.get_or_init(|| {
        let quota = Quota::with_period(std::time::Duration::from_secs(REFILL_SECS))
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(BURST).unwrap_or(NonZeroU32::MIN));
        Arc::new(RateLimiter::keyed(quota))
    })
}

/// What the customer typed, kept to show the form again with the problems marked.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    pub submission: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub order_number: String,
    pub category: String,
    pub message: String,
    /// The honeypot: people never see it, so never fill it.
    pub website: String,
}

#[derive(Template)]
#[template(path = "web_form.html")]
struct FormPage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    f: &'static crate::i18n::FormTexts,
    shop: &'a str,
    slug: &'a str,
    v: &'a Fields,
    categories: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "web_form_done.html")]
struct DonePage<'a> {
    lang: &'static str,
    f: &'static crate::i18n::FormTexts,
    shop: &'a str,
    slug: &'a str,
    number: i64,
}

/// Form pages may be shown in an iframe on the shop's own site.
fn framable(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn lang_of(jar: &CookieJar, headers: &HeaderMap, query: Option<&str>) -> Lang {
    query.and_then(Lang::parse).unwrap_or_else(|| Lang::from_request(jar, headers))
}

fn form_page(m: &Merchant, lang: Lang, v: &Fields, errors: Vec<String>, status: StatusCode) -> Response {
    let page = FormPage {
        lang: lang.code(),
        other_lang: if lang == Lang::Ja { "en" } else { "ja" },
        f: crate::i18n::web_form(lang),
        shop: &m.name,
        slug: &m.slug,
        v,
        categories: CATEGORIES.iter().map(|(ja, en)| (*ja, if lang == Lang::Ja { *ja } else { *en })).collect(),
        errors,
    };
    framable(crate::render::render(status, &page))
}

async fn merchant(st: &AppState, slug: &str) -> Result<Merchant, ApiError> {
    let m = st.store.get_merchant(&Scope::All, MerchantKey::Slug(slug)).await?;
    // The confirmation goes out from the shop's inbox: no inbox, no form.
    st.store.channel_account(&Scope::All, m.id, Channel::Email).await?.ok_or_else(ApiError::not_found)?;
    Ok(m)
}

#[derive(Debug, serde::Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
) -> Result<Response, ApiError> {
    let m = merchant(&st, &slug).await?;
    let lang = lang_of(&jar, &headers, q.lang.as_deref());
    let fields = Fields { submission: uuid::Uuid::now_v7().to_string(), ..Fields::default() };
    Ok(form_page(&m, lang, &fields, vec![], StatusCode::OK))
}

pub async fn submit(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    crate::extract::ClientAddr(client): crate::extract::ClientAddr,
    jar: CookieJar,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let m = merchant(&st, &slug).await?;
    let lang = lang_of(&jar, &headers, q.lang.as_deref());
    let ja = lang == Lang::Ja;
    let mut v = Fields::default();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    while let Some(field) = crate::files::next_field(&mut multipart).await? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "files" {
            let Some((filename, data)) = crate::files::uploaded(field).await? else { continue };
            match check_file(&filename, &data) {
                Ok(content_type) if files.len() < MAX_FILES => {
                    files.push(NewBlob {
                        filename: madoguchi_channels::files::clean_filename(&filename, "file"),
                        content_type: content_type.into(),
                        data: data.to_vec(),
                    });
                }
                Ok(_) => errors.push(if ja {
                    format!("添付できるのは{MAX_FILES}点までです。")
                } else {
                    format!("At most {MAX_FILES} files.")
                }),
                Err(FileProblem::TooLarge) => errors.push(if ja {
                    format!("{filename}: 5MBを超えるファイルは添付できません。")
                } else {
                    format!("{filename}: files over 5 MB cannot be attached.")
                }),
                Err(FileProblem::Type) => errors.push(if ja {
                    format!("{filename}: 添付できるのは画像（PNG・JPEG・GIF・WebP）とPDFです。")
                } else {
                    format!("{filename}: only images (PNG, JPEG, GIF, WebP) and PDF can be attached.")
                }),
            }
            continue;
        }
        let text = field.text().await.map_err(|e| ApiError::bad_request("malformed_form", e.to_string()))?;
        let slot = match name.as_str() {
            "submission" => &mut v.submission,
            "name" => &mut v.name,
            "email" => &mut v.email,
            "phone" => &mut v.phone,
            "order_number" => &mut v.order_number,
            "category" => &mut v.category,
            "message" => &mut v.message,
            "website" => &mut v.website,
            _ => continue,
        };
        *slot = text;
    }

    if !v.website.is_empty() {
        // A bot filled the field people cannot see. It is told nothing useful.
        metrics::counter!("madoguchi_web_form_rejected_total", "reason" => "honeypot").increment(1);
        tracing::info!(merchant = %m.slug, client = %client, "web form honeypot filled; not stored");
        return Ok(framable(StatusCode::OK.into_response()));
    }
    if limiter().check_key(&client).is_err() {
        metrics::counter!("madoguchi_web_form_rejected_total", "reason" => "rate_limited").increment(1);
        let msg = if ja {
            "短時間に多くのお問い合わせが送信されました。しばらく待ってから、もう一度お送りください。"
        } else {
            "Too many messages from your connection. Please wait a few minutes and send again."
        };
        return Ok(form_page(&m, lang, &v, vec![msg.into()], StatusCode::TOO_MANY_REQUESTS));
    }

    let submission = uuid::Uuid::parse_str(v.submission.trim()).ok();
    let name = v.name.trim().chars().take(100).collect::<String>();
    let email = normalize(IdentityKind::Email, v.email.trim());
    let phone = match v.phone.trim() {
        "" => None,
        p => normalize(IdentityKind::Phone, p).ok(),
    };
    let message = v.message.trim().to_owned();
    let category = CATEGORIES.iter().map(|(c, _)| *c).find(|c| *c == v.category).unwrap_or("その他");
    // Normalised as orders are (ＡＢ－１２３ is AB-123), so the conversation finds its order.
    let order_number = madoguchi_core::order::validate_order_number(v.order_number.trim()).unwrap_or_default();
    if submission.is_none() {
        errors.push(
            if ja {
                "フォームの有効期限が切れました。もう一度お送りください。"
            } else {
                "The form expired; please send it again."
            }
            .into(),
        );
    }
    if name.is_empty() {
        errors.push(if ja { "お名前を入力してください。" } else { "Please enter your name." }.into());
    }
    if email.is_err() {
        errors.push(
            if ja {
                "メールアドレスを正しく入力してください。"
            } else {
                "Please enter a valid email address."
            }
            .into(),
        );
    }
    if !v.phone.trim().is_empty() && phone.is_none() {
        errors.push(if ja { "電話番号の形式が正しくありません。" } else { "That phone number is not valid." }.into());
    }
    if message.is_empty() {
        errors.push(if ja { "お問い合わせ内容を入力してください。" } else { "Please write your message." }.into());
    } else if message.chars().count() > MAX_MESSAGE_CHARS {
        errors.push(
            if ja {
                "お問い合わせ内容は5000文字までです。"
            } else {
                "Messages are at most 5000 characters."
            }
            .into(),
        );
    }
    let (Some(submission), Ok(email), true) = (submission, email, errors.is_empty()) else {
        if submission.is_none() {
            v.submission = uuid::Uuid::now_v7().to_string();
        }
        return Ok(form_page(&m, lang, &v, errors, StatusCode::UNPROCESSABLE_ENTITY));
    };

    let inquiry = FormInquiry { name, email, phone, category, order_number, message, submission, files };
    let number = madoguchi_app::usecases::intake::form::take_in(&st, &m, inquiry).await?;
    Ok(framable(crate::render::render(
        StatusCode::OK,
        &DonePage { lang: lang.code(), f: crate::i18n::web_form(lang), shop: &m.name, slug: &m.slug, number },
    )))
}

enum FileProblem {
    TooLarge,
    Type,
}

/// The attachment's type from its first bytes (never from its name or the browser's claim).
fn check_file(_filename: &str, data: &[u8]) -> Result<&'static str, FileProblem> {
    if data.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooLarge);
    }
    madoguchi_channels::files::sniff(data).filter(|t| FILE_TYPES.contains(t)).ok_or(FileProblem::Type)
}
