//! Users, roles, memberships and API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_core::access::{Principal, Scope};
use madoguchi_core::ids::{MerchantId, TokenId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::user::{self, ApiToken, NewUser, User, UserPatch};
use madoguchi_store::users::{NewUserRecord, UserChange};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{Caller, Refusal, hash_password, new_token};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, ClientAddr, Json, created, id};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u32>,
}

impl PageQuery {
    pub fn page(&self) -> ApiResult<PageRequest> {
        Ok(PageRequest::parse(self.cursor.as_deref(), self.limit)?)
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub label: String,
}

/// A token as created: the only time the secret is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub meta: ApiToken,
}

/// Resolves merchant ids-or-slugs within the caller's scope (foreign ones are 404).
async fn resolve_merchants(st: &AppState, scope: &Scope, keys: &[String]) -> ApiResult<Vec<MerchantId>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let m = st.store.resolve_merchant(scope, k).await?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Exchanges a login and password for a new API token.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "users", security(()), request_body = TokenRequest,
    responses((status = 201, body = IssuedToken), (status = 401, body = crate::error::ErrorBody),
        (status = 429, description = "`login_locked` (the login failed too often; an admin can unlock it) or `too_many_attempts` (this address failed too often)", body = crate::error::ErrorBody)))]
pub async fn issue_token(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let u = crate::auth::sign_in(&st.store, &req.login, &req.password, addr).await?.map_err(Refusal::api_error)?;
    let label =
        madoguchi_core::validation::optional("label", req.label.as_deref(), 100)?.unwrap_or_else(|| "api".into());
    let (secret, hash) = new_token();
    let meta = st.store.create_token(u.id, u.id, &label, &hash).await?;
    Ok(created(IssuedToken { token: secret, meta }))
}

/// Lifts the sign-in lock of a user whose login failed too often (the user asked by phone,
/// say). Needs the right to manage that user; audited.
#[utoipa::path(post, path = "/api/v1/users/{user}/unlock", tag = "users", params(("user" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn unlock_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
) -> ApiResult<StatusCode> {
    let target = st.store.get_user(&p.scope(), p.user_id, id(&user)?).await?;
    if !p.can_manage_user(target.role, &target.merchants) {
        return Err(ApiError::forbidden("only someone who manages this user may unlock their sign-in"));
    }
    st.store.unlock_login(Some(p.user_id), &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = User)))]
pub async fn me(State(st): State<AppState>, Caller(p): Caller) -> ApiResult<Json<User>> {
    Ok(Json(st.store.get_user_unscoped(p.user_id).await?))
}

/// Users the caller may see: admins see all; others see users of their merchants.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Page<User>)))]
pub async fn list_users(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(st.store.list_users(&p.scope(), p.user_id, q.page()?).await?))
}

/// Creates a user. Admins create anyone; merchant admins create staff of their own merchant.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = crate::error::ErrorBody),
        (status = 404, description = "a merchant named in `merchants` does not exist or is outside the caller's", body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let merchants = resolve_merchants(&st, &p.scope(), &req.merchants).await?;
    if !p.can_manage_user(req.role, &merchants) {
        return Err(ApiError::forbidden(format!("a {} cannot create a {} user", p.role, req.role)));
    }
    let login = user::validate_login(&req.login)?;
    let display_name = user::validate_display_name(&req.display_name)?;
    user::validate_password(&req.password)?;
    user::validate_memberships(req.role, &merchants)?;
    let password_hash = hash_password(req.password).await.map_err(ApiError::internal)?;
    let u = st
        .store
        .create_user(Some(p.user_id), NewUserRecord { login, display_name, role: req.role, password_hash, merchants })
        .await?;
    Ok(created(u))
}

#[utoipa::path(get, path = "/api/v1/users/{user}", tag = "users", params(("user" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(st.store.get_user(&p.scope(), p.user_id, id(&user)?).await?))
}

/// Changes a user. Users may change their own name and password; role, memberships and
/// activation need the right to manage that user.
#[utoipa::path(patch, path = "/api/v1/users/{user}", tag = "users", params(("user" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = User), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "`last_admin`: the change would leave no active administrator", body = crate::error::ErrorBody)))]
pub async fn update_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<UserPatch>,
) -> ApiResult<Json<User>> {
    let scope = p.scope();
    let target = st.store.get_user(&scope, p.user_id, id(&user)?).await?;
    let merchants = match &req.merchants {
        Some(keys) => Some(resolve_merchants(&st, &scope, keys).await?),
        None => None,
    };
    let role = req.role.unwrap_or(target.role);
    let new_merchants = merchants.clone().unwrap_or_else(|| target.merchants.clone());
    let self_service = target.id == p.user_id && req.role.is_none() && req.merchants.is_none() && req.active.is_none();
    let manages = p.can_manage_user(target.role, &target.merchants) && p.can_manage_user(role, &new_merchants);
    if !self_service && !manages {
        return Err(ApiError::forbidden("you may not change this user's role, merchants or status"));
    }
    if req.role.is_some() || merchants.is_some() {
        user::validate_memberships(role, &new_merchants)?;
    }
    let display_name = req.display_name.as_deref().map(user::validate_display_name).transpose()?;
    let password_hash = match req.password {
        Some(pw) => {
            user::validate_password(&pw)?;
            Some(hash_password(pw).await.map_err(ApiError::internal)?)
        }
        None => None,
    };
    let ch = UserChange { display_name, role: req.role, password_hash, merchants, active: req.active };
    Ok(Json(st.store.update_user(&scope, p.user_id, target.id, ch).await?))
}

/// Whose tokens the caller may manage: their own, or those of users they manage.
async fn token_owner(st: &AppState, p: &Principal, user: &str) -> ApiResult<UserId> {
    let target = st.store.get_user(&p.scope(), p.user_id, id(user)?).await?;
    if target.id != p.user_id && !p.can_manage_user(target.role, &target.merchants) {
        return Err(ApiError::forbidden("only the user or someone who manages them may manage their tokens"));
    }
    Ok(target.id)
}

#[utoipa::path(get, path = "/api/v1/users/{user}/tokens", tag = "users", params(("user" = String, Path), PageQuery),
    responses((status = 200, body = Page<ApiToken>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_tokens(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ApiToken>>> {
    let owner = token_owner(&st, &p, &user).await?;
    Ok(Json(st.store.list_tokens(owner, q.page()?).await?))
}

/// Creates a token; the response is the only time its secret is shown.
#[utoipa::path(post, path = "/api/v1/users/{user}/tokens", tag = "users", params(("user" = String, Path)), request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 404, body = crate::error::ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let owner = token_owner(&st, &p, &user).await?;
    let label = madoguchi_core::validation::required("label", &req.label, 100)?;
    let (secret, hash) = new_token();
    let meta = st.store.create_token(p.user_id, owner, &label, &hash).await?;
    Ok(created(IssuedToken { token: secret, meta }))
}

#[utoipa::path(delete, path = "/api/v1/users/{user}/tokens/{token}", tag = "users",
    params(("user" = String, Path), ("token" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_token(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((user, token)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let owner = token_owner(&st, &p, &user).await?;
    let token: TokenId = id(&token)?;
    st.store.delete_token(p.user_id, owner, token).await?;
    Ok(StatusCode::NO_CONTENT)
}
