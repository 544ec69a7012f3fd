//! Store conformance (see `conformance.rs`): password links on both databases — a link opens
//! for its user until it is used, expires or is replaced; using it sets the password once,
//! signs the user out everywhere and is audited; a switched-off user's link does not open.

mod common;

use chrono::Duration;
use common::*;
use madoguchi_store::invitations::LinkState;

async fn invited(s: &Store, login: &str) -> Result<madoguchi_core::user::User> {
    let m = merchant(s, &format!("inv-{}", login.replace('.', "-"))).await?;
    Ok(s.create_user(
        None,
        NewUserRecord {
            public_name: String::new(),
            login: login.into(),
            display_name: "招待 花子".into(),
            role: Role::MerchantStaff,
            password_hash: String::new(),
            email: Some("hanako@example.jp".into()),
            merchants: vec![m],
        },
    )
    .await?)
}

#[tokio::test]
async fn a_link_works_once_and_a_newer_one_replaces_it() -> Result<()> {
    on_each_backend(|s| async move {
        let u = invited(&s, "inv.once").await?;
        assert!(!u.password_set, "invited: no password yet");
        assert!(s.user_for_login("inv.once").await?.is_some_and(|(_, h)| h.is_empty()));
        let later = madoguchi_core::time::now() + Duration::hours(72);
        let first = s.create_invitation(u.id, &u, "hanako@example.jp", "hash-1", later).await?;
        s.invitation_mailed(first, Some("SMTP: connection refused")).await?;
        let shown = s.get_user_unscoped(u.id).await?.invitation.expect("open link shown");
        assert_eq!((shown.sent_at, shown.send_error.as_deref()), (None, Some("SMTP: connection refused")));

        let second = s.create_invitation(u.id, &u, "hanako2@example.jp", "hash-2", later).await?;
        s.invitation_mailed(second, None).await?;
        assert!(matches!(s.password_link("hash-1").await?, LinkState::Unknown), "replaced");
        assert!(matches!(s.password_link("hash-2").await?, LinkState::Open(ref o) if o.id == u.id));
        let now_shown = s.get_user_unscoped(u.id).await?;
        assert_eq!(now_shown.email.as_deref(), Some("hanako2@example.jp"), "the address follows the link");
        assert!(now_shown.invitation.as_ref().is_some_and(|i| i.sent_at.is_some() && i.send_error.is_none()));

        let set = s.use_password_link("hash-2", "$argon2id$chosen").await?;
        assert!(set.password_set);
        assert!(set.invitation.is_none(), "a used link is no longer open");
        assert!(matches!(s.password_link("hash-2").await?, LinkState::Used));
        assert!(matches!(s.use_password_link("hash-2", "$argon2id$again").await, Err(StoreError::NotFound)));
        assert_eq!(s.user_for_login("inv.once").await?.map(|(_, h)| h).as_deref(), Some("$argon2id$chosen"));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn expired_and_switched_off_links_do_not_open() -> Result<()> {
    on_each_backend(|s| async move {
        let u = invited(&s, "inv.stale").await?;
        let past = madoguchi_core::time::now() - Duration::minutes(1);
        s.create_invitation(u.id, &u, "hanako@example.jp", "hash-old", past).await?;
        assert!(matches!(s.password_link("hash-old").await?, LinkState::Expired));
        assert!(s.get_user_unscoped(u.id).await?.invitation.is_none(), "an expired link is not shown as open");
        assert!(s.use_password_link("hash-old", "x").await.is_err());

        let later = madoguchi_core::time::now() + Duration::hours(1);
        s.create_invitation(u.id, &u, "hanako@example.jp", "hash-new", later).await?;
        s.update_user(&Scope::All, u.id, u.id, UserChange { active: Some(false), ..Default::default() }).await?;
        assert!(matches!(s.password_link("hash-new").await?, LinkState::Unknown), "switched off");
        assert!(matches!(s.password_link("no-such-hash").await?, LinkState::Unknown));
        Ok(())
    })
    .await
}
