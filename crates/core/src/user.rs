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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    /// The name customers see (「佐藤」); default: the display name's first word.
    #[serde(default)]
    pub public_name: Option<String>,
    pub role: Role,
    /// At least 10 characters.
    pub password: String,
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
}
