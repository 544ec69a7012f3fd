//! Authentication: argon2id password hashes, API tokens (random secrets of which only a
//! SHA-256 hash is stored), and the extractor that turns a bearer token into a [`Principal`].

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use madoguchi_core::access::Principal;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::ApiError;

/// Visible prefix of every token, so a leaked one is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "mdg_";

/// Hashes a password with argon2id (on a blocking thread: it is deliberately slow).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await?
}

/// Checks a password against a stored hash; a malformed hash never verifies.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// A new token: the secret to show once, and the hash to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&secret);
    (secret, hash)
}

/// Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
pub fn hash_token(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Failed sign-ins of one login within the window before it is locked.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// Failed sign-ins from one address within the window before it is refused.
pub const ADDRESS_FAILURE_LIMIT: i64 = 20;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

/// Why a sign-in is refused before the password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// This login failed too often; it unlocks in this many minutes.
    LoginLocked { minutes: i64 },
    /// This address failed too often.
    AddressLimited,
}

/// The rate limit shared by the console's sign-in and the API's token endpoint, so neither
/// is a way around the other.
pub async fn sign_in_throttle(
    store: &madoguchi_store::Store,
    login: &str,
    addr: &str,
) -> Result<Option<Throttle>, ApiError> {
    use chrono::{Duration, Utc};
    let since = Utc::now() - Duration::minutes(FAILURE_WINDOW_MINUTES);
    let (by_login, by_addr, oldest) = store.recent_login_failures(login, addr, since).await?;
    if by_login >= LOCK_AFTER_FAILURES {
        let unlock = oldest.unwrap_or_else(Utc::now) + Duration::minutes(FAILURE_WINDOW_MINUTES);
        let minutes = ((unlock - Utc::now()).num_seconds() + 59) / 60;
        return Ok(Some(Throttle::LoginLocked { minutes: minutes.max(1) }));
    }
    if by_addr >= ADDRESS_FAILURE_LIMIT {
        return Ok(Some(Throttle::AddressLimited));
    }
    Ok(None)
}

/// The authenticated caller of an API request.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send an API token: Authorization: Bearer <token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be: Bearer <token>"))?;
        let user = state.store.user_for_token(&hash_token(token)).await?.ok_or_else(|| {
            ApiError::unauthorized("the API token is unknown, revoked or belongs to a deactivated user")
        })?;
        Ok(Caller(Principal { user_id: user.id, login: user.login, role: user.role, merchants: user.merchants }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("正しいパスワード123".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正しいパスワード123".into(), h.clone()).await);
        assert!(!verify_password("wrong-password".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_eq!(hash_token(&a), ha);
        assert_eq!(ha.len(), 64);
    }
}
