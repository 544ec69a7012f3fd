//! Staff users, their roles and merchant memberships, and API tokens.

use serde::{Deserialize, Serialize};

use crate::enums::Role;
use crate::ids::{MerchantId, TokenId, UserId};
use crate::validation::{ValidationError, limits, required};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    /// The name customers see beside the agent's chat messages (「佐藤」); empty shows the
    /// family name, the display name's first word.
    pub public_name: String,
    pub role: Role,
    /// Merchants this user works for. Empty for an admin, who sees every merchant.
    pub merchants: Vec<MerchantId>,
    pub active: bool,
    /// Where invitations and password links go; optional for users made with a password.
    pub email: Option<String>,
    /// False while an invited user has not yet chosen their password (they cannot sign in).
    pub password_set: bool,
    /// The latest link sent to them that is still unused and unexpired, if any.
    pub invitation: Option<Invitation>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A one-time link by mail with which a user chooses their own password: the invitation of
/// someone new, or a reset an administrator sent. Only its hash is stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub sent_to: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When the mail server accepted the mail; empty with `send_error` when it did not.
    pub sent_at: Option<DateTime<Utc>>,
    pub send_error: Option<String>,
}

/// How long a password link works: long enough for a weekend, short enough to be stale soon.
pub const INVITATION_HOURS: i64 = 72;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    /// The name customers see (「佐藤」); default: the display name's first word.
    #[serde(default)]
    pub public_name: Option<String>,
    pub role: Role,
    /// At least 10 characters. Leave it out and give `email` to invite them instead: they get
    /// a mail with a link to choose their own password.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Merchant ids or slugs.
    #[serde(default)]
    pub merchants: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    /// The name customers see; empty goes back to the display name's first word.
    pub public_name: Option<String>,
    pub role: Option<Role>,
    pub password: Option<String>,
    /// Empty removes the address.
    pub email: Option<String>,
    pub merchants: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// An API token's metadata; the secret is shown once, at creation, and only its hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// Logins are what people type at the sign-in form: ASCII letters, digits and `._@-`,
/// case-insensitive (stored lower-case).
pub fn validate_login(login: &str) -> Result<String, ValidationError> {
    let l = login.trim().to_lowercase();
    let ok = (3..=64).contains(&l.len())
        && l.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
    if !ok {
        return Err(ValidationError::new("login", "invalid_login", "login: 3–64 letters, digits or . _ @ -"));
    }
    Ok(l)
}

pub fn validate_password(password: &str) -> Result<(), ValidationError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ValidationError::new(
            "password",
            "weak_password",
            format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > 256 {
        return Err(ValidationError::new("password", "too_long", "password must have at most 256 characters"));
    }
    Ok(())
}

/// A staff member's mail address, or none when left empty.
pub fn validate_email(raw: &str) -> Result<Option<String>, ValidationError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    crate::identity::normalize_email(raw).map(Some)
}

/// What a new user starts with: their first password, or an invitation to the address given.
pub enum Start {
    Password(String),
    Invite(String),
}

/// A new user needs a password or an address to invite; a password wins when both are given
/// (the address is kept for later links).
pub fn validate_start(password: Option<&str>, email: Option<&str>) -> Result<(Start, Option<String>), ValidationError> {
    let email = validate_email(email.unwrap_or_default())?;
    match (password.filter(|p| !p.is_empty()), email) {
        (Some(p), email) => {
            validate_password(p)?;
            Ok((Start::Password(p.to_owned()), email))
        }
        (None, Some(e)) => Ok((Start::Invite(e.clone()), Some(e))),
        (None, None) => Err(ValidationError::new(
            "email",
            "email_or_password",
            "give a mail address to invite them, or their first password",
        )),
    }
}

pub fn validate_display_name(name: &str) -> Result<String, ValidationError> {
    required("display_name", name, limits::SHORT)
}

/// The name customers see, as typed: at most 30 characters, may be empty.
pub fn validate_public_name(name: &str) -> Result<String, ValidationError> {
    crate::validation::max_len("public_name", name.trim(), 30)?;
    Ok(name.trim().to_owned())
}

impl User {
    /// What a customer is told the agent is called: the public name, else the display name's
    /// first word (the family name in 「佐藤 花子」), never the login.
    pub fn name_for_customers(&self) -> String {
        if !self.public_name.trim().is_empty() {
            return self.public_name.trim().to_owned();
        }
        let name = self.display_name.trim();
        name.split([' ', '　']).next().filter(|w| !w.is_empty()).unwrap_or(name).to_owned()
    }
}

/// Merchant roles belong to exactly one merchant; desk roles other than admin need at least one.
pub fn validate_memberships(role: Role, merchants: &[MerchantId]) -> Result<(), ValidationError> {
    let n = merchants.len();
    let err = |msg: &str| Err(ValidationError::new("merchants", "invalid_memberships", msg));
    match role {
        Role::Admin if n > 0 => err("an admin sees every merchant and has no memberships"),
        Role::MerchantAdmin | Role::MerchantStaff if n != 1 => err("merchant staff belong to exactly one merchant"),
        Role::Supervisor | Role::Agent if n == 0 => err("supervisors and agents need at least one merchant"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_see_the_public_name_or_the_family_name() {
        let mut u = User {
            id: UserId::new(),
            login: "agent.sato".into(),
            display_name: "佐藤　花子".into(),
            public_name: String::new(),
            role: Role::Agent,
            merchants: vec![],
            active: true,
            email: None,
            password_set: true,
            invitation: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(u.name_for_customers(), "佐藤");
        u.display_name = "Sato Hanako".into();
        assert_eq!(u.name_for_customers(), "Sato");
        u.public_name = " さとう ".into();
        assert_eq!(u.name_for_customers(), "さとう");
        assert!(validate_public_name(&"あ".repeat(31)).is_err());
    }

    #[test]
    fn memberships_match_roles() {
        let m = MerchantId::new();
        assert!(validate_memberships(Role::Admin, &[]).is_ok());
        assert!(validate_memberships(Role::Admin, &[m]).is_err());
        assert!(validate_memberships(Role::MerchantStaff, &[]).is_err());
        assert!(validate_memberships(Role::MerchantStaff, &[m, MerchantId::new()]).is_err());
        assert!(validate_memberships(Role::Agent, &[]).is_err());
        assert!(validate_memberships(Role::Agent, &[m, MerchantId::new()]).is_ok());
    }

    #[test]
    fn logins_and_passwords() {
        assert_eq!(validate_login(" Sato.Agent ").unwrap(), "sato.agent");
        assert!(validate_login("佐藤").is_err());
        assert!(validate_login("ab").is_err());
        assert!(validate_password("short").is_err());
        assert!(validate_password("パスワードは十文字以上").is_ok());
    }

    #[test]
    fn a_new_user_starts_with_a_password_or_an_invitation() {
        let (start, email) = validate_start(None, Some("Ｓａｔｏ@Example.jp")).unwrap();
        assert!(matches!(start, Start::Invite(ref e) if e == "sato@example.jp"));
        assert_eq!(email.as_deref(), Some("sato@example.jp"));
        let (start, email) = validate_start(Some("十文字以上のパスワード"), Some("")).unwrap();
        assert!(matches!(start, Start::Password(_)));
        assert_eq!(email, None);
        assert_eq!(validate_start(Some(""), None).err().unwrap().code, "email_or_password");
        assert_eq!(validate_start(None, Some("sato@")).err().unwrap().field, "email");
        assert_eq!(validate_start(Some("short"), Some("sato@example.jp")).err().unwrap().code, "weak_password");
    }
}
