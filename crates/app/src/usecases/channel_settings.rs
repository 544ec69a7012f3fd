//! A shop's channel settings — the mail inbox (address, IMAP polling), the LINE channel (secret
//! and access token), the web chat (identity secret, allowed sites, the bot) — and the rules on
//! them, for the API and the console's channel page alike; and the sites a chat widget may be
//! opened from, which the chat itself checks.

use madoguchi_core::validation::ValidationError;
use madoguchi_store::channel_accounts::ChannelAccount;

/// An origin as browsers send it: scheme, host and port, nothing else.
pub fn normalize_origin(raw: &str) -> Result<String, ValidationError> {
    let o = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let bad = || {
        ValidationError::new(
            "allowed_origins",
            "invalid_origin",
            format!("{raw:?} is not a site address like https://shop.example.jp"),
        )
    };
    let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")).ok_or_else(bad)?;
    let host_ok =
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(bad());
    }
    Ok(o)
}

/// The sites allowed to open a chat account's widget.
pub fn allowed_origins(account: &ChannelAccount) -> Vec<String> {
    account.settings["allowed_origins"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The widget's colour when the shop has chosen none.
pub const DEFAULT_ACCENT: &str = "#1f6f5c";

/// A colour for the chat widget's button and header, as typed (`#1F6F5C`, `1f6f5c`, `#abc`,
/// full-width digits): `#rrggbb`, or the field's error. The widget writes white on it, so a
/// colour too light for white text (contrast below 3:1, the WCAG floor for large text and
/// controls) is refused rather than shipped unreadable.
pub fn accent_colour(raw: &str) -> Result<String, ValidationError> {
    let typed = madoguchi_core::validation::nfkc(raw.trim()).to_ascii_lowercase();
    let hex = typed.strip_prefix('#').unwrap_or(&typed);
    let hex = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect::<String>(),
        _ => hex.to_owned(),
    };
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ValidationError::new("colour", "invalid_colour", format!("{raw:?} is not a colour like #1f6f5c")));
    }
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    if 1.05 / (luminance + 0.05) < 3.0 {
        return Err(ValidationError::new("colour", "low_contrast", "white text cannot be read on so light a colour"));
    }
    Ok(format!("#{hex}"))
}

/// The chat widget's colour: the shop's, or the default.
pub fn accent(account: &ChannelAccount) -> String {
    account.settings["colour"].as_str().map_or_else(|| DEFAULT_ACCENT.to_owned(), str::to_owned)
}

/// At most this many sites may embed a shop's chat.
pub const MAX_ORIGINS: usize = 20;

/// IMAP polling of a shop's mailbox, as typed in.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImapInput {
    pub host: String,
    pub port: u16,
    pub username: String,
    /// Omitted keeps the stored one.
    pub password: Option<String>,
    pub mailbox: Option<String>,
    /// Implicit TLS; on unless `false`.
    pub tls: Option<bool>,
}

/// What to change on one channel of a shop; omitted fields are kept.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelUpdate {
    /// Mail: the inbox address replies are sent from.
    pub address: Option<String>,
    /// Mail: IMAP polling; `null` stops it.
    #[serde(default, deserialize_with = "madoguchi_core::customer::double_option::deserialize")]
    #[schema(value_type = Option<ImapInput>)]
    pub imap: Option<Option<ImapInput>>,
    /// LINE: the channel secret webhooks are signed with.
    pub channel_secret: Option<String>,
    /// LINE: the channel access token replies are sent with.
    pub access_token: Option<String>,
    /// Chat: the sites (`https://shop.example.jp`) allowed to open the chat; empty allows any.
    pub allowed_origins: Option<Vec<String>>,
    /// Chat: make a new identity secret (members signed with the old one are no longer verified).
    #[serde(default)]
    pub rotate_secret: bool,
    /// Chat and LINE: start new conversations with the bot (off unless turned on).
    pub bot: Option<bool>,
    /// Chat: the pre-chat form asks for an order number (the visitor may leave it empty).
    pub ask_order_number: Option<bool>,
    /// Chat: the pre-chat form asks what it is about, from the shop's categories.
    pub ask_category: Option<bool>,
    /// Chat: the widget's colour (`#1f6f5c`); white text must be readable on it.
    pub colour: Option<String>,
}

/// What a shop's chat form asks before the first message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreChat {
    pub order_number: bool,
    pub category: bool,
}

/// The pre-chat questions a chat account is set to ask.
pub fn pre_chat(account: &ChannelAccount) -> PreChat {
    PreChat {
        order_number: account.settings["ask_order_number"].as_bool().unwrap_or(false),
        category: account.settings["ask_category"].as_bool().unwrap_or(false),
    }
}

/// A channel after a change, with the chat identity secret when the change made one (the only
/// time it is shown).
pub struct Changed {
    pub account: ChannelAccount,
    pub slug: String,
    pub new_secret: Option<String>,
}

/// The channels a shop can set up here.
pub fn kind_of(kind: &str) -> Option<madoguchi_core::enums::Channel> {
    use madoguchi_core::enums::Channel;
    match kind {
        "email" => Some(Channel::Email),
        "line" => Some(Channel::Line),
        "chat" => Some(Channel::Chat),
        _ => None,
    }
}

/// The shop (by id or slug) if `p` may set up its channels: outside the scope is not found,
/// inside it without the role is forbidden.
pub async fn shop_for_setup(
    app: &crate::App,
    p: &madoguchi_core::access::Principal,
    key: &str,
) -> crate::usecases::error::UseCaseResult<(madoguchi_core::ids::MerchantId, String)> {
    let id = app.store.resolve_merchant(&p.scope(), key).await?;
    let m = app.store.get_merchant(&p.scope(), madoguchi_store::merchants::MerchantKey::Id(id)).await?;
    if !p.can_edit_merchant() {
        return Err(crate::usecases::error::UseCaseError::Forbidden(
            "only an admin or the shop's admin sets up channels".into(),
        ));
    }
    Ok((id, m.slug))
}

/// Sets up or changes one channel of a shop (mail, LINE or chat), audited without its secrets.
/// The API and the console's channel page both come here.
pub async fn change(
    app: &crate::App,
    p: &madoguchi_core::access::Principal,
    merchant: &str,
    kind: &str,
    req: ChannelUpdate,
) -> crate::usecases::error::UseCaseResult<Changed> {
    use madoguchi_core::enums::{AuditAction, Channel, SubjectType};
    use madoguchi_core::identity::normalize_email;
    use madoguchi_store::channel_accounts::AccountSettings;
    use serde_json::json;

    let (id, slug) = shop_for_setup(app, p, merchant).await?;
    let kind = kind_of(kind).ok_or(madoguchi_store::StoreError::NotFound)?;
    let scope = p.scope();
    let existing = app.store.channel_account(&scope, id, kind).await?;
    let mut settings = existing.as_ref().map_or_else(|| json!({}), |a| a.settings.clone());
    let mut update = AccountSettings::default();
    let mut new_secret = None;
    let not_for = |field: &'static str| {
        Err::<(), _>(ValidationError::new(field, "not_for_channel", format!("{field} does not apply to this channel")))
    };
    match kind {
        Channel::Email => {
            if req.channel_secret.is_some() || req.access_token.is_some() {
                not_for("channel_secret")?;
            }
            if req.allowed_origins.is_some() || req.rotate_secret {
                not_for("allowed_origins")?;
            }
            if req.bot.is_some() {
                not_for("bot")?;
            }
            if req.ask_order_number.is_some() || req.ask_category.is_some() || req.colour.is_some() {
                not_for("ask_order_number")?;
            }
            match &req.address {
                Some(a) => {
                    let address = normalize_email(a).map_err(|_| {
                        ValidationError::new("address", "invalid_email", "the inbox address is not a mail address")
                    })?;
                    update.address = Some(address);
                }
                None if existing.is_none() => {
                    return Err(ValidationError::new("address", "required", "the inbox address is required").into());
                }
                None => {}
            }
            match req.imap {
                Some(None) => {
                    settings.as_object_mut().map(|o| o.remove("imap"));
                }
                Some(Some(i)) => {
                    let old_password = settings["imap"]["password"].as_str().map(str::to_owned);
                    let password = i.password.filter(|p| !p.is_empty()).or(old_password).ok_or_else(|| {
                        ValidationError::new("imap.password", "required", "the mailbox password is required")
                    })?;
                    if i.host.trim().is_empty() || i.username.trim().is_empty() || i.port == 0 {
                        return Err(
                            ValidationError::new("imap", "incomplete", "host, port and username are required").into()
                        );
                    }
                    settings["imap"] = json!({
                        "host": i.host.trim(), "port": i.port, "username": i.username.trim(), "password": password,
                        "mailbox": i.mailbox.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| "INBOX".into()),
                        "tls": i.tls.unwrap_or(true),
                    });
                }
                None => {}
            }
        }
        Channel::Line => {
            if req.address.is_some() || req.imap.is_some() {
                not_for("address")?;
            }
            if req.allowed_origins.is_some() || req.rotate_secret {
                not_for("allowed_origins")?;
            }
            if req.ask_order_number.is_some() || req.ask_category.is_some() || req.colour.is_some() {
                not_for("ask_order_number")?;
            }
            if let Some(on) = req.bot {
                settings["bot"] = json!(on);
            }
            update.secret = req.channel_secret.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            update.access_token = req.access_token.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            if existing.is_none() && (update.secret.is_none() || update.access_token.is_none()) {
                return Err(ValidationError::new(
                    "channel_secret",
                    "required",
                    "a new LINE channel needs its channel secret and access token",
                )
                .into());
            }
        }
        _ => {
            if req.address.is_some() || req.imap.is_some() {
                not_for("address")?;
            }
            if req.channel_secret.is_some() || req.access_token.is_some() {
                not_for("channel_secret")?;
            }
            if let Some(list) = &req.allowed_origins {
                if list.len() > MAX_ORIGINS {
                    return Err(ValidationError::new(
                        "allowed_origins",
                        "too_many",
                        format!("at most {MAX_ORIGINS} sites"),
                    )
                    .into());
                }
                let mut origins = list.iter().map(|o| normalize_origin(o)).collect::<Result<Vec<_>, _>>()?;
                origins.sort();
                origins.dedup();
                settings["allowed_origins"] = json!(origins);
            }
            if let Some(on) = req.bot {
                settings["bot"] = json!(on);
            }
            if let Some(on) = req.ask_order_number {
                settings["ask_order_number"] = json!(on);
            }
            if let Some(on) = req.ask_category {
                settings["ask_category"] = json!(on);
            }
            if let Some(c) = &req.colour {
                settings["colour"] = json!(accent_colour(c)?);
            }
            if existing.is_none() || req.rotate_secret {
                let secret = crate::new_inbound_token();
                update.secret = Some(secret.clone());
                new_secret = Some(secret);
            }
        }
    }
    update.settings = Some(settings);
    let account = app.store.upsert_channel_account(&scope, id, kind, &crate::new_inbound_token(), &update).await?;
    // Which parts changed, never the secrets themselves.
    let changed: Vec<&str> = [
        ("address", update.address.is_some()),
        ("secret", update.secret.is_some() || new_secret.is_some()),
        ("access_token", update.access_token.is_some()),
        ("settings", update.settings.is_some()),
    ]
    .iter()
    .filter(|(_, c)| *c)
    .map(|(n, _)| *n)
    .collect();
    app.store
        .record_audit(madoguchi_core::audit::NewAuditEvent {
            merchant_id: Some(id),
            actor_user_id: Some(p.user_id),
            action: if existing.is_some() { AuditAction::Update } else { AuditAction::Create },
            subject_type: SubjectType::Merchant,
            subject_id: id.to_string(),
            details: json!({ "channel": kind, "changed": changed }),
        })
        .await?;
    Ok(Changed { account, slug, new_secret })
}

/// What a test of a shop's mailbox found: how many messages it holds, or the step that failed.
pub enum MailboxTest {
    /// The shop has no IMAP settings stored yet.
    NotSetUp,
    Reached(u32),
    Failed(madoguchi_channels::email::imap::ImapProblem),
}

/// Connects to the shop's mailbox with the stored settings, as polling will, and says whether
/// it works. Nothing is fetched or marked. For whoever sets up the shop's channels.
pub async fn test_mailbox(
    app: &crate::App,
    p: &madoguchi_core::access::Principal,
    merchant: &str,
) -> crate::usecases::error::UseCaseResult<MailboxTest> {
    use madoguchi_channels::email::imap::{ImapClient, ImapSettings};
    let (id, _) = shop_for_setup(app, p, merchant).await?;
    let account = app.store.channel_account(&p.scope(), id, madoguchi_core::enums::Channel::Email).await?;
    let Some(settings) = account.and_then(|a| a.settings.get("imap").cloned()) else {
        return Ok(MailboxTest::NotSetUp);
    };
    let Ok(s) = serde_json::from_value::<ImapSettings>(settings) else { return Ok(MailboxTest::NotSetUp) };
    let client =
        ImapClient::new(app.settings.tls_ca_file.as_deref()).map_err(crate::usecases::error::UseCaseError::Internal)?;
    Ok(match client.check(&s, std::time::Duration::from_secs(10)).await {
        Ok(n) => MailboxTest::Reached(n),
        Err(e) => MailboxTest::Failed(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_is_read_as_people_type_it_and_must_carry_white_text() {
        assert_eq!(accent_colour("#1F6F5C").unwrap(), "#1f6f5c");
        assert_eq!(accent_colour(" 1f6f5c ").unwrap(), "#1f6f5c");
        assert_eq!(accent_colour("＃１Ｆ６Ｆ５Ｃ").unwrap(), "#1f6f5c", "full-width as an IME types it");
        assert_eq!(accent_colour("#c00").unwrap(), "#cc0000");
        assert_eq!(accent_colour("#000000").unwrap(), "#000000");
        for bad in ["", "#12345", "#ggg000", "red", "#1f6f5c0"] {
            assert_eq!(accent_colour(bad).unwrap_err().code, "invalid_colour", "{bad:?}");
        }
        // White, yellow and a light grey (2.6:1) carry no white text; #767676 (4.5:1) does.
        for light in ["#ffffff", "#ffff00", "#a0a0a0"] {
            assert_eq!(accent_colour(light).unwrap_err().code, "low_contrast", "{light}");
        }
        assert!(accent_colour("#767676").is_ok(), "4.5:1 on white");
    }
}
