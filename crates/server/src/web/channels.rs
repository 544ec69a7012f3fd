//! A shop's channels from the console (チャネル設定): the mail inbox (address, IMAP polling),
//! the LINE official account (secret, access token, the bot) and the web chat (where it may be
//! opened, the bot, the member key). The same use case as the API checks and stores each form;
//! secrets are never shown again once stored, except a new chat member key, once.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_app::usecases::channel_settings::{self, ChannelUpdate, ImapInput, allowed_origins};
use madoguchi_core::ValidationError;
use madoguchi_core::enums::Channel;
use madoguchi_store::channel_accounts::ChannelAccount;
use serde::Deserialize;

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{AdminTexts, FormError, Lang, Texts, form_error};
use crate::web::ConsoleUser;

/// The mail inbox as the form shows it.
#[derive(Default)]
struct MailView {
    set_up: bool,
    address: String,
    pipe_url: String,
    form_url: String,
    imap_on: bool,
    host: String,
    port: String,
    username: String,
    password_set: bool,
    mailbox: String,
    tls: bool,
}

#[derive(Default)]
struct LineView {
    set_up: bool,
    webhook_url: String,
    secret_set: bool,
    token_set: bool,
    bot: bool,
}

#[derive(Default)]
struct ChatView {
    set_up: bool,
    embed: String,
    sites: String,
    bot: bool,
    ask_order_number: bool,
    ask_category: bool,
    colour: String,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    a: &'static AdminTexts,
    chrome: crate::web::chrome::Chrome,
    slug: String,
    merchant_name: String,
    mail: MailView,
    line: LineView,
    chat: ChatView,
    /// The form a refusal came from, and why.
    error_form: String,
    error: Option<FormError>,
    saved: bool,
    /// A chat member key just made: shown this once.
    new_secret: Option<String>,
    /// What the mailbox test found: (it worked, what to say).
    mail_test: Option<(bool, String)>,
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    channel_settings::shop_for_setup(&st, &user.principal, &slug).await?;
    page(&st, &user, lang, &slug, Shown { saved: q.saved.is_some(), ..Default::default() }).await
}

/// One channel's form. Fields of the other channels are absent.
#[derive(Debug, Deserialize, Default)]
pub struct ChannelForm {
    csrf: String,
    // Mail.
    address: Option<String>,
    imap_host: Option<String>,
    imap_port: Option<String>,
    imap_username: Option<String>,
    imap_password: Option<String>,
    imap_mailbox: Option<String>,
    imap_tls: Option<String>,
    imap_off: Option<String>,
    // LINE.
    channel_secret: Option<String>,
    access_token: Option<String>,
    // Chat.
    sites: Option<String>,
    rotate_secret: Option<String>,
    // LINE and chat: a checkbox, and a hidden field saying the form carries it.
    bot: Option<String>,
    bot_shown: Option<String>,
    // Chat: the pre-chat form's questions.
    ask_order_number: Option<String>,
    ask_category: Option<String>,
    colour: Option<String>,
}

/// The form as the use case's change, or the field that is wrong.
fn update_of(kind: Channel, f: &ChannelForm) -> Result<ChannelUpdate, ValidationError> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let mut u = ChannelUpdate::default();
    match kind {
        Channel::Email => {
            u.address = text(&f.address);
            let host = text(&f.imap_host);
            if f.imap_off.is_some() {
                u.imap = Some(None);
            } else if host.is_some() {
                let port = text(&f.imap_port).unwrap_or_else(|| "993".into());
                let port = madoguchi_core::validation::nfkc(&port)
                    .parse::<u16>()
                    .map_err(|_| ValidationError::new("imap.port", "out_of_range", "the port must be 1–65535"))?;
                u.imap = Some(Some(ImapInput {
                    host: host.unwrap_or_default(),
                    port,
                    username: text(&f.imap_username).unwrap_or_default(),
                    password: text(&f.imap_password),
                    mailbox: text(&f.imap_mailbox),
                    tls: Some(f.imap_tls.is_some()),
                }));
            }
        }
        Channel::Line => {
            u.channel_secret = text(&f.channel_secret);
            u.access_token = text(&f.access_token);
            u.bot = f.bot_shown.as_ref().map(|_| f.bot.is_some());
        }
        _ => {
            let sites = f.sites.as_deref().unwrap_or_default();
            u.allowed_origins =
                Some(sites.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect());
            u.rotate_secret = f.rotate_secret.is_some();
            u.bot = f.bot_shown.as_ref().map(|_| f.bot.is_some());
            u.ask_order_number = f.bot_shown.as_ref().map(|_| f.ask_order_number.is_some());
            u.ask_category = f.bot_shown.as_ref().map(|_| f.ask_category.is_some());
            u.colour = text(&f.colour);
        }
    }
    Ok(u)
}

/// Saves one channel's form. A refusal shows the page again with the reason at that form and
/// what was typed (except passwords and secrets, which are never echoed).
pub async fn save(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, kind)): Path<(String, String)>,
    Form(f): Form<ChannelForm>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let p = user.checked(&f.csrf)?.clone();
    let channel = channel_settings::kind_of(&kind).ok_or_else(ApiError::not_found)?;
    let refused = |e: ValidationError| Shown {
        error: Some((kind.clone(), form_error(lang, field_label(lang, &e.field), &e))),
        typed: Some((channel, f_clone(&f))),
        ..Default::default()
    };
    let update = match update_of(channel, &f) {
        Ok(u) => u,
        Err(e) => return page(&st, &user, lang, &slug, refused(e)).await,
    };
    match channel_settings::change(&st, &p, &slug, &kind, update).await {
        Ok(changed) if changed.new_secret.is_some() => {
            // The member key is shown on this answer and never again: no redirect.
            page(&st, &user, lang, &slug, Shown { saved: true, new_secret: changed.new_secret, ..Default::default() })
                .await
        }
        Ok(_) => Ok(Redirect::to(&format!("/settings/{slug}/channels?saved=1#{kind}")).into_response()),
        Err(madoguchi_app::usecases::error::UseCaseError::Invalid(e)) => {
            page(&st, &user, lang, &slug, refused(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct TestForm {
    csrf: String,
}

/// Tries the shop's stored mailbox settings and says, in the reader's language, what happened.
pub async fn test_mail(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<TestForm>,
) -> Result<Response, ApiError> {
    use madoguchi_app::usecases::channel_settings::MailboxTest;
    use madoguchi_channels::email::imap::ImapProblem;
    let lang = Lang::from_request(&jar, &headers);
    let p = user.checked(&f.csrf)?.clone();
    let a = crate::i18n::admin_texts(lang);
    let said = match channel_settings::test_mailbox(&st, &p, &slug).await? {
        MailboxTest::NotSetUp => (false, a.mail_test_not_set_up.to_owned()),
        MailboxTest::Reached(n) => (true, format!("{}{n}", a.mail_test_ok)),
        MailboxTest::Failed(problem) => {
            tracing::info!(shop = %slug, ?problem, "mailbox test failed");
            let text = match problem {
                ImapProblem::UnknownHost => a.mail_test_unknown_host,
                ImapProblem::Unreachable(_) => a.mail_test_unreachable,
                ImapProblem::Timeout => a.mail_test_timeout,
                ImapProblem::Tls(_) => a.mail_test_tls,
                ImapProblem::Login(_) => a.mail_test_login,
                ImapProblem::Mailbox(_) => a.mail_test_mailbox,
                ImapProblem::Protocol(_) => a.mail_test_protocol,
            };
            (false, text.to_owned())
        }
    };
    page(&st, &user, lang, &slug, Shown { mail_test: Some(said), ..Default::default() }).await
}

fn f_clone(f: &ChannelForm) -> ChannelForm {
    ChannelForm {
        csrf: String::new(),
        address: f.address.clone(),
        imap_host: f.imap_host.clone(),
        imap_port: f.imap_port.clone(),
        imap_username: f.imap_username.clone(),
        imap_mailbox: f.imap_mailbox.clone(),
        imap_tls: f.imap_tls.clone(),
        sites: f.sites.clone(),
        bot: f.bot.clone(),
        ask_order_number: f.ask_order_number.clone(),
        ask_category: f.ask_category.clone(),
        colour: f.colour.clone(),
        ..Default::default()
    }
}

fn field_label(lang: Lang, field: &str) -> &'static str {
    let a = crate::i18n::admin_texts(lang);
    match field {
        "address" => a.mail_address,
        "imap.password" => a.imap_password,
        "imap.port" => a.imap_port,
        "imap" => a.imap,
        "channel_secret" => a.line_secret,
        "access_token" => a.line_token,
        "allowed_origins" => a.chat_sites,
        "colour" => a.chat_colour,
        _ => a.channels_title,
    }
}

/// What the page shows besides the stored settings.
#[derive(Default)]
struct Shown {
    saved: bool,
    new_secret: Option<String>,
    /// (channel code, error) of a refused form.
    error: Option<(String, FormError)>,
    /// What was typed into the refused form.
    typed: Option<(Channel, ChannelForm)>,
    mail_test: Option<(bool, String)>,
}

async fn page(st: &AppState, user: &ConsoleUser, lang: Lang, slug: &str, shown: Shown) -> Result<Response, ApiError> {
    let (id, slug) = channel_settings::shop_for_setup(st, &user.principal, slug).await?;
    let scope = user.principal.scope();
    let m = st.store.get_merchant(&scope, madoguchi_store::merchants::MerchantKey::Id(id)).await?;
    let base = st.settings.public_base();
    let account = |kind| st.store.channel_account(&scope, id, kind);
    let mut mail = mail_view(account(Channel::Email).await?.as_ref(), &base, &slug);
    let mut line = line_view(account(Channel::Line).await?.as_ref(), &base);
    let mut chat = chat_view(account(Channel::Chat).await?.as_ref(), &base, &slug);
    if let Some((kind, f)) = &shown.typed {
        let v = |o: &Option<String>| o.clone().unwrap_or_default();
        match kind {
            Channel::Email => {
                mail.address = v(&f.address);
                mail.host = v(&f.imap_host);
                mail.port = v(&f.imap_port);
                mail.username = v(&f.imap_username);
                mail.mailbox = v(&f.imap_mailbox);
                mail.tls = f.imap_tls.is_some();
                mail.imap_on = !mail.host.is_empty();
            }
            Channel::Line => line.bot = f.bot.is_some(),
            _ => {
                chat.sites = v(&f.sites);
                chat.bot = f.bot.is_some();
                chat.ask_order_number = f.ask_order_number.is_some();
                chat.ask_category = f.ask_category.is_some();
                chat.colour = v(&f.colour);
            }
        }
    }
    let (error_form, error) = match shown.error {
        Some((form, e)) => (form, Some(e)),
        None => (String::new(), None),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        a: crate::i18n::admin_texts(lang),
        chrome: crate::web::chrome::Chrome::of(st, &user.session, lang).await?,
        slug,
        merchant_name: m.name,
        mail,
        line,
        chat,
        error_form,
        error,
        saved: shown.saved,
        new_secret: shown.new_secret,
        mail_test: shown.mail_test,
    };
    Ok(render(status, &page))
}

fn mail_view(a: Option<&ChannelAccount>, base: &str, slug: &str) -> MailView {
    let Some(a) = a else {
        return MailView {
            form_url: format!("{base}/form/{slug}"),
            port: "993".into(),
            tls: true,
            ..Default::default()
        };
    };
    let imap = a.settings.get("imap");
    let s = |k: &str| imap.and_then(|i| i[k].as_str()).unwrap_or_default().to_owned();
    MailView {
        set_up: true,
        address: a.address.clone().unwrap_or_default(),
        pipe_url: format!("{base}/api/v1/inbound/email/{}", a.inbound_token),
        form_url: format!("{base}/form/{slug}"),
        imap_on: imap.is_some(),
        host: s("host"),
        port: imap.and_then(|i| i["port"].as_u64()).unwrap_or(993).to_string(),
        username: s("username"),
        password_set: !s("password").is_empty(),
        mailbox: imap.and_then(|i| i["mailbox"].as_str()).unwrap_or("INBOX").to_owned(),
        tls: imap.is_none_or(|i| i["tls"].as_bool().unwrap_or(true)),
    }
}

fn line_view(a: Option<&ChannelAccount>, base: &str) -> LineView {
    let Some(a) = a else { return LineView::default() };
    LineView {
        set_up: true,
        webhook_url: format!("{base}/api/v1/inbound/line/{}", a.inbound_token),
        secret_set: a.secret.as_deref().is_some_and(|s| !s.is_empty()),
        token_set: a.access_token.as_deref().is_some_and(|s| !s.is_empty()),
        bot: madoguchi_app::usecases::bot::channel_uses_bot(Channel::Line, &a.settings),
    }
}

fn chat_view(a: Option<&ChannelAccount>, base: &str, slug: &str) -> ChatView {
    let Some(a) = a else {
        return ChatView { colour: channel_settings::DEFAULT_ACCENT.to_owned(), ..Default::default() };
    };
    ChatView {
        set_up: true,
        embed: format!("<script src=\"{base}/chat/{slug}/widget.js\" async></script>"),
        sites: allowed_origins(a).join("\n"),
        bot: madoguchi_app::usecases::bot::channel_uses_bot(Channel::Chat, &a.settings),
        ask_order_number: channel_settings::pre_chat(a).order_number,
        ask_category: channel_settings::pre_chat(a).category,
        colour: channel_settings::accent(a),
    }
}
