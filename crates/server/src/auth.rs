//! Authentication: argon2id password hashes, API tokens (random secrets of which only a
//! SHA-256 hash is stored), and the extractor that turns a bearer token into a [`Principal`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use madoguchi_core::access::Principal;

use crate::app::AppState;
use crate::error::ApiError;

pub use madoguchi_app::credentials::{TOKEN_PREFIX, hash_password, hash_token, new_token, verify_password};

// The sign-in policy (docs/security.md). A login is locked after repeated failures, with a
// backoff; an address is only slowed, so one attacker at a shared address (an office behind
// NAT, every user behind a proxy) cannot lock everyone out.

/// Failures of one login (since its last success or unlock) before it is locked.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// The first lock lasts a minute and doubles with each further failure, up to this.
pub const MAX_LOCK_MINUTES: i64 = 15;
/// A login's failures older than this no longer count toward its lock.
pub const LOGIN_MEMORY_HOURS: i64 = 24;
/// Failures from one address within the window before it is slowed down…
pub const ADDRESS_FAILURE_LIMIT: i64 = 20;
pub const ADDRESS_WINDOW_MINUTES: i64 = 15;
/// …to one attempt per this many seconds. Logins that signed in from the address before are
/// not slowed by it.
pub const ADDRESS_PAUSE_SECONDS: i64 = 30;

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown login, inactive user or wrong password (which of these is not said).
    BadCredentials,
    /// This login failed too often; it opens again in this many seconds.
    LoginLocked { seconds: i64 },
    /// This address failed too often; it may try again in this many seconds.
    AddressPaused { seconds: i64 },
}

impl Refusal {
    /// The API's answer.
    pub fn api_error(self) -> ApiError {
        match self {
            Refusal::BadCredentials => ApiError::unauthorized("login or password is wrong"),
            Refusal::LoginLocked { seconds } => ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "login_locked",
                format!(
                    "this login is locked after repeated failed sign-ins; try again in {} minutes or ask an administrator to unlock it",
                    minutes(seconds)
                ),
            ),
            Refusal::AddressPaused { seconds } => ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("too many failed sign-ins from this address; try again in {seconds} seconds"),
            ),
        }
    }
}

/// Whole minutes, rounded up, for messages.
pub fn minutes(seconds: i64) -> i64 {
    ((seconds + 59) / 60).max(1)
}

/// Whether the policy refuses an attempt now, before the password is checked.
pub fn throttle(r: &madoguchi_store::sessions::SignInRecord, now: chrono::DateTime<chrono::Utc>) -> Option<Refusal> {
    use chrono::Duration;
    if r.login_failures >= LOCK_AFTER_FAILURES
        && let Some(last) = r.login_last_failure
    {
        let doublings = u32::try_from(r.login_failures - LOCK_AFTER_FAILURES).unwrap_or(u32::MAX).min(8);
        let lock = Duration::minutes((1i64 << doublings).min(MAX_LOCK_MINUTES));
        let left = (last + lock - now).num_seconds();
        if left > 0 {
            return Some(Refusal::LoginLocked { seconds: left });
        }
    }
    if !r.known_address
        && r.address_failures >= ADDRESS_FAILURE_LIMIT
        && let Some(last) = r.address_last_failure
    {
        let left = (last + Duration::seconds(ADDRESS_PAUSE_SECONDS) - now).num_seconds();
        if left > 0 {
            return Some(Refusal::AddressPaused { seconds: left });
        }
    }
    None
}

/// Signs in with a login and password from `addr`: the one use case behind the console's
/// sign-in form and the API's token endpoint, so neither is a way around the other's limits.
/// Refused attempts are not recorded (a locked login's lock does not grow while it waits).
pub async fn sign_in(
    store: &madoguchi_store::Store,
    raw_login: &str,
    password: &str,
    addr: std::net::IpAddr,
) -> Result<Result<madoguchi_core::user::User, Refusal>, ApiError> {
    use chrono::{Duration, Utc};
    // An invalid login cannot exist, but is checked (and counted) like one that does not.
    let login = madoguchi_core::user::validate_login(raw_login).unwrap_or_else(|_| raw_login.trim().to_lowercase());
    let addr = addr.to_string();
    let now = Utc::now();
    let record = store
        .sign_in_record(
            &login,
            &addr,
            now - Duration::hours(LOGIN_MEMORY_HOURS),
            now - Duration::minutes(ADDRESS_WINDOW_MINUTES),
        )
        .await?;
    if let Some(refusal) = throttle(&record, now) {
        tracing::info!(login = %login, addr = %addr, ?refusal, "sign-in refused by the throttle");
        return Ok(Err(refusal));
    }
    let found = store.user_for_login(&login).await?;
    // Verify against a dummy hash when the login is unknown, or invited and without a password
    // yet, so timing does not reveal which logins exist or who has not signed in yet.
    let hash = match &found {
        Some((_, h)) if !h.is_empty() => h.clone(),
        _ => dummy_hash().await?,
    };
    let ok = verify_password(password.to_owned(), hash).await && found.as_ref().is_some_and(|(_, h)| !h.is_empty());
    store.record_login_attempt(&login, &addr, ok).await?;
    match found {
        Some((user, _)) if ok => Ok(Ok(user)),
        _ => Ok(Err(Refusal::BadCredentials)),
    }
}

/// A real argon2id hash of a random password, made once, to verify against for unknown logins.
pub async fn dummy_hash() -> Result<String, ApiError> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY.get_or_try_init(|| async { hash_password(new_token().0).await }).await.cloned().map_err(ApiError::internal)
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

    fn at(s: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_login_locks_after_five_failures_with_a_doubling_backoff() {
        use madoguchi_store::sessions::SignInRecord;
        let failed =
            |n, last| SignInRecord { login_failures: n, login_last_failure: Some(at(last)), ..Default::default() };
        assert_eq!(throttle(&failed(4, 0), at(1)), None);
        assert_eq!(throttle(&failed(5, 0), at(1)), Some(Refusal::LoginLocked { seconds: 59 }));
        assert_eq!(throttle(&failed(5, 0), at(60)), None, "the first lock lasts a minute");
        assert_eq!(throttle(&failed(6, 0), at(60)), Some(Refusal::LoginLocked { seconds: 60 }));
        assert_eq!(throttle(&failed(8, 0), at(0)), Some(Refusal::LoginLocked { seconds: 8 * 60 }));
        assert_eq!(throttle(&failed(9, 0), at(0)), Some(Refusal::LoginLocked { seconds: 15 * 60 }));
        assert_eq!(throttle(&failed(400, 0), at(0)), Some(Refusal::LoginLocked { seconds: 15 * 60 }), "capped");
        assert_eq!(throttle(&failed(400, 0), at(15 * 60)), None);
    }

    #[test]
    fn an_address_is_only_slowed_and_not_for_logins_it_knows() {
        use madoguchi_store::sessions::SignInRecord;
        let busy = SignInRecord { address_failures: 20, address_last_failure: Some(at(0)), ..Default::default() };
        assert_eq!(throttle(&busy, at(10)), Some(Refusal::AddressPaused { seconds: 20 }));
        assert_eq!(throttle(&busy, at(30)), None);
        assert_eq!(throttle(&SignInRecord { address_failures: 19, ..busy.clone() }, at(10)), None);
        assert_eq!(throttle(&SignInRecord { known_address: true, ..busy }, at(10)), None);
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
