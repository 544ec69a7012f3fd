//! The desk's staff: creating and changing users (role, shops, activation, password), lifting a
//! sign-in lock, and API tokens. Who may do what is `Principal::can_manage_user`: admins manage
//! everyone, a shop's admin the staff of their own shop. The API and the console's staff pages
//! both come here.

use madoguchi_core::access::{Principal, Scope};
use madoguchi_core::ids::{MerchantId, TokenId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::user::{self, ApiToken, NewUser, Start, User, UserPatch};
use madoguchi_store::users::{NewUserRecord, UserChange};

use crate::App;
use crate::credentials::{hash_password, new_token};
use crate::usecases::error::{UseCaseError, UseCaseResult};

/// A token as created: the only time its secret is shown.
pub struct IssuedToken {
    pub secret: String,
    pub meta: ApiToken,
}

/// Shops given by id or slug, within the caller's scope (a foreign one is not found).
async fn resolve_merchants(app: &App, scope: &Scope, keys: &[String]) -> UseCaseResult<Vec<MerchantId>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let m = app.store.resolve_merchant(scope, k).await?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Creates a user. Admins create anyone; a shop's admin creates staff of their own shop.
/// Without a password the user is invited: a link to choose one goes to their address.
pub async fn create_user(app: &App, p: &Principal, req: NewUser) -> UseCaseResult<User> {
    let merchants = resolve_merchants(app, &p.scope(), &req.merchants).await?;
    if !p.can_manage_user(req.role, &merchants) {
        return Err(UseCaseError::Forbidden(format!("a {} cannot create a {} user", p.role, req.role)));
    }
    let login = user::validate_login(&req.login)?;
    let display_name = user::validate_display_name(&req.display_name)?;
    let public_name = user::validate_public_name(req.public_name.as_deref().unwrap_or_default())?;
    let (start, email) = user::validate_start(req.password.as_deref(), req.email.as_deref())?;
    user::validate_memberships(req.role, &merchants)?;
    let password_hash = match &start {
        Start::Password(pw) => hash_password(pw.clone()).await?,
        // No password matches an empty hash: they sign in once they chose one.
        Start::Invite(_) => String::new(),
    };
    let created = app
        .store
        .create_user(
            Some(p.user_id),
            NewUserRecord { login, display_name, public_name, role: req.role, password_hash, email, merchants },
        )
        .await?;
    match start {
        Start::Invite(to) => crate::usecases::password_links::send(app, p, &created, &to).await,
        Start::Password(_) => Ok(created),
    }
}

/// Changes a user. Users may change their own name and password; role, shops and activation
/// need the right to manage that user, before and after the change.
pub async fn update_user(app: &App, p: &Principal, target: UserId, req: UserPatch) -> UseCaseResult<User> {
    let scope = p.scope();
    let target = app.store.get_user(&scope, p.user_id, target).await?;
    let merchants = match &req.merchants {
        Some(keys) => Some(resolve_merchants(app, &scope, keys).await?),
        None => None,
    };
    let role = req.role.unwrap_or(target.role);
    let new_merchants = merchants.clone().unwrap_or_else(|| target.merchants.clone());
    // Their own name, public name and password are anyone's to change.
    let self_service = target.id == p.user_id && req.role.is_none() && req.merchants.is_none() && req.active.is_none();
    let manages = p.can_manage_user(target.role, &target.merchants) && p.can_manage_user(role, &new_merchants);
    if !self_service && !manages {
        return Err(UseCaseError::Forbidden("you may not change this user's role, merchants or status".into()));
    }
    if req.role.is_some() || merchants.is_some() {
        user::validate_memberships(role, &new_merchants)?;
    }
    let display_name = req.display_name.as_deref().map(user::validate_display_name).transpose()?;
    let public_name = req.public_name.as_deref().map(user::validate_public_name).transpose()?;
    let password_hash = match req.password {
        Some(pw) => {
            user::validate_password(&pw)?;
            Some(hash_password(pw).await?)
        }
        None => None,
    };
    let email = req.email.as_deref().map(user::validate_email).transpose()?;
    let ch =
        UserChange { display_name, public_name, role: req.role, password_hash, email, merchants, active: req.active };
    Ok(app.store.update_user(&scope, p.user_id, target.id, ch).await?)
}

/// Lifts the sign-in lock of a user whose login failed too often (audited).
pub async fn unlock(app: &App, p: &Principal, target: UserId) -> UseCaseResult<()> {
    let target = app.store.get_user(&p.scope(), p.user_id, target).await?;
    if !p.can_manage_user(target.role, &target.merchants) {
        return Err(UseCaseError::Forbidden("only someone who manages this user may unlock their sign-in".into()));
    }
    app.store.unlock_login(Some(p.user_id), &target).await?;
    Ok(())
}

/// Whose tokens the caller may manage: their own, or those of users they manage.
pub async fn token_owner(app: &App, p: &Principal, target: UserId) -> UseCaseResult<User> {
    let target = app.store.get_user(&p.scope(), p.user_id, target).await?;
    if target.id != p.user_id && !p.can_manage_user(target.role, &target.merchants) {
        return Err(UseCaseError::Forbidden(
            "only the user or someone who manages them may manage their tokens".into(),
        ));
    }
    Ok(target)
}

pub async fn list_tokens(app: &App, p: &Principal, target: UserId, page: PageRequest) -> UseCaseResult<Page<ApiToken>> {
    let owner = token_owner(app, p, target).await?;
    Ok(app.store.list_tokens(owner.id, page).await?)
}

/// A new token for `target`, labelled; its secret is in the answer and nowhere else.
pub async fn create_token(app: &App, p: &Principal, target: UserId, label: &str) -> UseCaseResult<IssuedToken> {
    let owner = token_owner(app, p, target).await?;
    let label = madoguchi_core::validation::required("label", label, 100)?;
    let (secret, hash) = new_token();
    let meta = app.store.create_token(p.user_id, owner.id, &label, &hash).await?;
    Ok(IssuedToken { secret, meta })
}

pub async fn delete_token(app: &App, p: &Principal, target: UserId, token: TokenId) -> UseCaseResult<()> {
    let owner = token_owner(app, p, target).await?;
    app.store.delete_token(p.user_id, owner.id, token).await?;
    Ok(())
}

/// Sets an agent's skills (the queues they take), how many live chats they hold at once and
/// their PBX extension.
/// Supervisors and admins set them for the staff they can see; what waits is routed again at
/// once, so a new skill or a larger limit takes work straight away.
pub async fn set_agent_profile(
    app: &App,
    p: &Principal,
    target: UserId,
    req: &madoguchi_core::agent::AgentProfilePatch,
) -> UseCaseResult<madoguchi_core::agent::AgentProfile> {
    use madoguchi_core::enums::Role;
    let u = app.store.get_user(&p.scope(), p.user_id, target).await?;
    if !matches!(p.role, Role::Admin | Role::Supervisor) {
        return Err(UseCaseError::Forbidden("only supervisors and admins set skills and capacity".into()));
    }
    let change = req.validate()?;
    let profile = app.store.set_agent_profile(p.user_id, u.id, &change).await?;
    crate::usecases::routing::route_merchants(&app.store, &u.merchants).await;
    Ok(profile)
}
