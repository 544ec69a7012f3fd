//! Password links by mail: a new colleague is invited with a link to choose their own password
//! (nobody else ever knows it), and an administrator can send anyone they manage a fresh link
//! instead of typing a new password for them. The link works once, for
//! [`INVITATION_HOURS`](madoguchi_core::user::INVITATION_HOURS); a new one replaces the old.
//!
//! The mail is sent while the administrator waits, so the page can say at once whether the
//! mail server took it; what it said is stored with the link and shown in the staff list, and
//! 「再送」 writes a new link.

use chrono::{Duration, FixedOffset};
use madoguchi_channels::email::smtp::OutgoingMail;
use madoguchi_core::ValidationError;
use madoguchi_core::access::Principal;
use madoguchi_core::ids::UserId;
use madoguchi_core::user::{self, INVITATION_HOURS, User};
use madoguchi_store::invitations::LinkState;

use crate::App;
use crate::credentials::{hash_password, hash_token};
use crate::usecases::error::{UseCaseError, UseCaseResult};

/// The path a link opens, under the public URL.
pub const LINK_PATH: &str = "/password";

/// Writes a new link for `user` to `to` and mails it; returns the user with the link's state
/// (sent, or why the mail server refused it).
pub(crate) async fn send(app: &App, actor: &Principal, user: &User, to: &str) -> UseCaseResult<User> {
    let secret = crate::new_inbound_token();
    let expires_at = madoguchi_core::time::now() + Duration::hours(INVITATION_HOURS);
    let id = app.store.create_invitation(actor.user_id, user, to, &hash_token(&secret), expires_at).await?;
    let inviter = app.store.get_user_unscoped(actor.user_id).await?;
    let mail = compose(app, user, &inviter, to, &secret, expires_at, id.0);
    let outcome = app.mailer.send(&mail).await.err().map(|e| e.message);
    if let Some(e) = &outcome {
        tracing::warn!(user = %user.id, error = %e, "password link not mailed");
    }
    app.store.invitation_mailed(id, outcome.as_deref()).await?;
    Ok(app.store.get_user_unscoped(user.id).await?)
}

/// Sends `target` a new password link, to `email` when given (it becomes their address) or to
/// the address they have.
pub async fn send_link(app: &App, p: &Principal, target: UserId, email: Option<&str>) -> UseCaseResult<User> {
    let target = app.store.get_user(&p.scope(), p.user_id, target).await?;
    if !p.can_manage_user(target.role, &target.merchants) {
        return Err(UseCaseError::Forbidden("only someone who manages this user may send them a password link".into()));
    }
    if !target.active {
        return Err(ValidationError::new("active", "inactive_user", "switch the user on before sending a link").into());
    }
    let to = match user::validate_email(email.unwrap_or_default())? {
        Some(e) => e,
        None => target.email.clone().ok_or_else(|| {
            ValidationError::new("email", "no_email", "this user has no mail address: give one to send the link to")
        })?,
    };
    send(app, p, &target, &to).await
}

/// What a link opened in the browser is: for whom, or why it no longer works.
pub async fn open(app: &App, secret: &str) -> UseCaseResult<LinkState> {
    Ok(app.store.password_link(&hash_token(secret)).await?)
}

/// Sets the password chosen through a link (typed twice) and uses the link up.
pub async fn choose_password(app: &App, secret: &str, password: &str, again: &str) -> UseCaseResult<User> {
    user::validate_password(password)?;
    if password != again {
        return Err(ValidationError::new("password_again", "password_mismatch", "the two passwords differ").into());
    }
    let hash = hash_password(password.to_owned()).await?;
    Ok(app.store.use_password_link(&hash_token(secret), &hash).await?)
}

fn compose(
    app: &App,
    user: &User,
    inviter: &User,
    to: &str,
    secret: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
    id: uuid::Uuid,
) -> OutgoingMail {
    let from = app.settings.staff_sender();
    let domain = from.rsplit('@').next().unwrap_or("localhost").to_owned();
    let link = format!("{}{LINK_PATH}/{secret}", app.settings.public_base());
    let until = expires_at.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("JST")).format("%Y年%-m月%-d日 %H:%M");
    let (subject, opening) = if user.password_set {
        (
            "【Madoguchi】パスワード再設定のご案内",
            format!("{}さんから、Madoguchi のパスワードを決め直すためのリンクが届きました。", inviter.display_name),
        )
    } else {
        (
            "【Madoguchi】スタッフ登録のご案内",
            format!("{}さんが、あなたを Madoguchi のスタッフとして登録しました。", inviter.display_name),
        )
    };
    let body = format!(
        "{name} 様\n\n{opening}\n次のリンクを開いてパスワードを決めると、サインインできます。\n\n{link}\n\n\
         ログインID: {login}\nこのリンクは {until}（日本時間）まで、一度だけ使えます。\n\
         心当たりのない場合は、このメールを破棄してください。\n",
        name = user.display_name,
        login = user.login,
    );
    OutgoingMail {
        from_name: "Madoguchi".into(),
        from_address: from,
        to: to.to_owned(),
        cc: vec![],
        bcc: vec![],
        subject: subject.into(),
        message_id: format!("<mdg-password-{id}@{domain}>"),
        in_reply_to: None,
        references: vec![],
        body,
        attachments: vec![],
        auto_submitted: true,
    }
}
