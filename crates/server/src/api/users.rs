//! Users, roles, memberships and API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_app::usecases::staff;
use madoguchi_core::ids::TokenId;
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::user::{ApiToken, NewUser, User, UserPatch};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{Caller, Refusal, new_token};
use crate::error::ApiResult;
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
    staff::unlock(&st, &p, id(&user)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordLinkRequest {
    /// Where to send it (it becomes the user's address); default: the address they have.
    #[serde(default)]
    pub email: Option<String>,
}

/// Mails the user a new one-time link to choose their password (an invitation again, or a
/// reset), replacing earlier unused links. The answer's `invitation` says whether the mail
/// server took it (`sent_at`) or why not (`send_error`).
#[utoipa::path(post, path = "/api/v1/users/{user}/password_link", tag = "users", params(("user" = String, Path)),
    request_body = PasswordLinkRequest,
    responses((status = 200, body = User), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`no_email`: no address to send it to; `inactive_user`", body = crate::error::ErrorBody)))]
pub async fn send_password_link(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<PasswordLinkRequest>,
) -> ApiResult<Json<User>> {
    Ok(Json(madoguchi_app::usecases::password_links::send_link(&st, &p, id(&user)?, req.email.as_deref()).await?))
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
/// Give `password`, or leave it out and give `email`: the user is invited by mail to choose
/// their own (`invitation` in the answer says whether the mail server took it).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = crate::error::ErrorBody),
        (status = 404, description = "a merchant named in `merchants` does not exist or is outside the caller's", body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok(created(staff::create_user(&st, &p, req).await?))
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
    Ok(Json(staff::update_user(&st, &p, id(&user)?, req).await?))
}

#[utoipa::path(get, path = "/api/v1/users/{user}/tokens", tag = "users", params(("user" = String, Path), PageQuery),
    responses((status = 200, body = Page<ApiToken>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_tokens(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ApiToken>>> {
    Ok(Json(staff::list_tokens(&st, &p, id(&user)?, q.page()?).await?))
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
    let t = staff::create_token(&st, &p, id(&user)?, &req.label).await?;
    Ok(created(IssuedToken { token: t.secret, meta: t.meta }))
}

#[utoipa::path(delete, path = "/api/v1/users/{user}/tokens/{token}", tag = "users",
    params(("user" = String, Path), ("token" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_token(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((user, token)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let token: TokenId = id(&token)?;
    staff::delete_token(&st, &p, id(&user)?, token).await?;
    Ok(StatusCode::NO_CONTENT)
}
