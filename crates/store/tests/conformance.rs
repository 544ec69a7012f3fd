//! The store conformance suite: every test body runs against SQLite (always) and PostgreSQL
//! (when `MADOGUCHI_TEST_DATABASE_URL` is set; then an unreachable server fails the test).
//! Each run gets a fresh database (a temp file, or its own PostgreSQL schema), so tests run in
//! parallel without seeing each other.

mod common;

use common::*;

#[tokio::test]
async fn schema_parity_between_sqlite_and_postgres() -> Result<()> {
    let Some(url) = pg_url() else {
        if std::env::var("MADOGUCHI_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("schema parity NOT checked: MADOGUCHI_TEST_SKIP_POSTGRES=1");
            return Ok(());
        }
        anyhow::bail!(
            "the schema parity test needs PostgreSQL: set MADOGUCHI_TEST_DATABASE_URL \
             (or MADOGUCHI_TEST_SKIP_POSTGRES=1 to skip it knowingly)"
        );
    };
    let lite = sqlite().await?;
    let pg = postgres(&url).await?;
    let a = lite.store.schema_summary().await?;
    let b = pg.store.schema_summary().await?;
    assert!(a.tables.len() >= 17, "expected the foundation tables, got {:?}", a.tables.keys());
    assert_eq!(a.tables, b.tables, "columns differ");
    assert_eq!(a.primary_keys, b.primary_keys, "primary keys differ");
    assert_eq!(a.indexes, b.indexes, "indexes differ");
    pg.drop_schema().await?;
    Ok(())
}

#[tokio::test]
async fn migrations_are_idempotent() -> Result<()> {
    on_each_backend(|s| async move {
        s.migrate().await?;
        s.migrate().await?;
        s.ping().await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn merchants_by_id_and_slug_with_scope() -> Result<()> {
    on_each_backend(|s| async move {
        let mut nm = NewMerchant {
            slug: "hanamaru".into(),
            code: None,
            name: "ギフトの花まる".into(),
            greeting: Some("お電話ありがとうございます。ギフトの花まるでございます。".into()),
            timezone: None,
            business_hours: None,
            closed_days: vec![ClosedDay {
                date: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                label: "年末休業".into(),
            }],
            sla: Some(madoguchi_core::sla::SlaPolicy { first_response_minutes: 90, resolution_minutes: 600 }),
            greetings: None,
            staff_may_reply: None,
        };
        let m = s.create_merchant(None, nm.clone().validate()?).await?;
        assert_eq!(m.timezone, "Asia/Tokyo");
        assert_eq!(m.closed_days.len(), 1);
        assert_eq!((m.sla.first_response_minutes, m.sla.resolution_minutes), (90, 600));
        assert_eq!(s.get_merchant(&Scope::All, MerchantKey::Slug("hanamaru")).await?, m);
        nm.name = "別の店".into();
        let dup = s.create_merchant(None, nm.validate()?).await;
        assert!(matches!(dup, Err(StoreError::Conflict { code: "slug_taken", .. })), "{dup:?}");

        let other = merchant(&s, "yasai").await?;
        let scope = Scope::Merchants(vec![other]);
        assert!(is_not_found(s.get_merchant(&scope, MerchantKey::Id(m.id)).await));
        assert!(is_not_found(s.get_merchant(&scope, MerchantKey::Slug("hanamaru")).await));
        assert!(is_not_found(s.resolve_merchant(&scope, "hanamaru").await));
        assert_eq!(s.resolve_merchant(&scope, "yasai").await?, other);
        let listed = s.list_merchants(&scope, PageRequest::first(50)).await?;
        assert_eq!(listed.items.iter().map(|m| m.id).collect::<Vec<_>>(), vec![other]);
        assert!(s.list_merchants(&Scope::Merchants(vec![]), PageRequest::first(50)).await?.items.is_empty());

        let patch = madoguchi_core::merchant::MerchantPatch {
            greeting: Some("はい、花まるです。".into()),
            closed_days: Some(vec![]),
            ..Default::default()
        };
        let updated = s.update_merchant(&Scope::All, None, m.id, patch.apply(&m)?).await?;
        assert_eq!(updated.greeting, "はい、花まるです。");
        assert!(updated.closed_days.is_empty());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn keyset_pagination_walks_every_item_once() -> Result<()> {
    on_each_backend(|s| async move {
        for i in 0..7 {
            merchant(&s, &format!("shop-{i}")).await?;
        }
        let mut seen = vec![];
        let mut req = PageRequest::first(3);
        loop {
            let page = s.list_merchants(&Scope::All, req).await?;
            seen.extend(page.items.iter().map(|m| m.slug.clone()));
            match page.next_cursor {
                Some(c) => req = PageRequest::parse(Some(&c), Some(3))?,
                None => break,
            }
        }
        assert_eq!(seen.len(), 7);
        // Newest first.
        assert_eq!(seen.first().map(String::as_str), Some("shop-6"));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 7);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn users_memberships_and_tokens() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let rec = |login: &str, role: Role, ms: Vec<MerchantId>| NewUserRecord {
            public_name: String::new(),
            login: login.into(),
            display_name: login.into(),
            role,
            password_hash: "$argon2id$fake".into(),
            email: None,
            merchants: ms,
        };
        let agent = s.create_user(None, rec("agent1", Role::Agent, vec![a])).await?;
        let staff_b = s.create_user(None, rec("staff-b", Role::MerchantStaff, vec![b])).await?;
        let staff_a = s.create_user(None, rec("staff-a", Role::MerchantStaff, vec![a])).await?;
        assert_eq!(agent.merchants, vec![a]);
        assert_eq!(s.count_users().await?, 3);
        let dup = s.create_user(None, rec("agent1", Role::Agent, vec![a])).await;
        assert!(matches!(dup, Err(StoreError::Conflict { code: "login_taken", .. })));

        // Visibility: an agent of A sees A's users, not B's.
        let scope = Scope::Merchants(vec![a]);
        assert!(is_not_found(s.get_user(&scope, agent.id, staff_b.id).await));
        assert_eq!(s.get_user(&scope, agent.id, staff_a.id).await?.login, "staff-a");
        let listed: Vec<String> =
            s.list_users(&scope, agent.id, PageRequest::first(50)).await?.items.into_iter().map(|u| u.login).collect();
        assert!(listed.contains(&"staff-a".to_string()) && !listed.contains(&"staff-b".to_string()), "{listed:?}");

        let (u, hash) = s.user_for_login("agent1").await?.expect("login");
        assert_eq!((u.id, hash.as_str()), (agent.id, "$argon2id$fake"));

        let tok = s.create_token(agent.id, agent.id, "cli", "hash-1").await?;
        assert_eq!(s.user_for_token("hash-1").await?.map(|u| u.id), Some(agent.id));
        assert!(s.user_for_token("hash-2").await?.is_none());
        assert_eq!(s.list_tokens(agent.id, PageRequest::first(10)).await?.items.len(), 1);
        assert!(is_not_found(s.delete_token(staff_a.id, staff_a.id, tok.id).await), "someone else's token");
        s.delete_token(agent.id, agent.id, tok.id).await?;
        assert!(s.user_for_token("hash-1").await?.is_none());

        // Deactivation revokes tokens and blocks sign-in.
        s.create_token(agent.id, agent.id, "cli", "hash-3").await?;
        s.update_user(&Scope::All, agent.id, agent.id, UserChange { active: Some(false), ..Default::default() })
            .await?;
        assert!(s.user_for_token("hash-3").await?.is_none());
        assert!(s.user_for_login("agent1").await?.is_none());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn customers_found_by_any_phone_spelling_and_isolated_per_merchant() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let mut p = profile("山田 花子");
        p.address = Some(Address {
            postal_code: "150-0001".into(),
            prefecture: "東京都".into(),
            city: "渋谷区".into(),
            line1: "神宮前1-2-3".into(),
            line2: None,
        });
        p.tags = vec!["VIP".into()];
        let email = normalize(IdentityKind::Email, "Hanako@Example.JP")?;
        let c = s.create_customer(&Scope::All, None, a, &p, &[phone("090-1234-5678"), email]).await?;
        assert_eq!(c.identities.len(), 2);
        assert_eq!(c.address.as_ref().map(|a| a.postal_code.as_str()), Some("150-0001"));

        for spelling in ["０９０１２３４５６７８", "+81 90 1234 5678", "090-1234-5678"] {
            let found =
                s.find_customer_by_identity(&Scope::All, a, IdentityKind::Phone, &phone(spelling).value).await?;
            assert_eq!(found.id, c.id, "{spelling}");
        }
        let by_mail = s.find_customer_by_identity(&Scope::All, a, IdentityKind::Email, "hanako@example.jp").await?;
        assert_eq!(by_mail.id, c.id);

        // The same phone is a different customer at another shop, and invisible from there.
        let cb = s.create_customer(&Scope::All, None, b, &profile("山田 花子"), &[phone("09012345678")]).await?;
        assert_ne!(cb.id, c.id);
        let scope_b = Scope::Merchants(vec![b]);
        assert!(is_not_found(s.get_customer(&scope_b, c.id).await));
        assert!(is_not_found(s.find_customer_by_identity(&scope_b, a, IdentityKind::Phone, "+819012345678").await));

        // One phone cannot belong to two customers of one shop.
        let clash = s.create_customer(&Scope::All, None, a, &profile("別人"), &[phone("090-1234-5678")]).await;
        assert!(matches!(clash, Err(StoreError::Conflict { code: "identity_taken", .. })), "{clash:?}");
        // …and the failed create left nothing behind.
        let listed = s.list_customers(&Scope::All, &Default::default(), PageRequest::first(50)).await?;
        assert_eq!(listed.items.len(), 2);

        let tagged = s
            .list_customers(
                &Scope::All,
                &madoguchi_store::customers::CustomerFilter { tag: Some("VIP".into()), ..Default::default() },
                PageRequest::first(50),
            )
            .await?;
        assert_eq!(tagged.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c.id]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn merging_customers_moves_history() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let x = s.create_customer(&Scope::All, None, a, &profile("佐藤 一郎"), &[phone("090-1111-2222")]).await?;
        let line = normalize(IdentityKind::Line, "U0123456789abcdef0123456789abcdef")?;
        let mut py = profile("さとう");
        py.notes = Some("LINEから".into());
        let y = s.create_customer(&Scope::All, None, a, &py, std::slice::from_ref(&line)).await?;
        let mut cr = conv(a, Channel::Line);
        cr.customer_id = Some(y.id);
        let c = s.create_conversation(&Scope::All, None, &cr).await?;
        let mut o = order("a-shop", "A-1");
        o.customer_id = Some(y.id);
        let ord = s.create_order(&Scope::All, None, a, &o).await?;

        // Deleting a customer with history is refused.
        let del = s.delete_customer(&Scope::All, None, y.id).await;
        assert!(matches!(del, Err(StoreError::Conflict { code: "customer_has_history", .. })), "{del:?}");

        let merged = s.merge_customers(&Scope::All, None, x.id, y.id).await?;
        assert_eq!(merged.identities.len(), 2);
        assert_eq!(merged.notes.as_deref(), Some("LINEから"));
        assert!(is_not_found(s.get_customer(&Scope::All, y.id).await));
        assert_eq!(s.get_conversation(&Scope::All, c.id).await?.customer_id, Some(x.id));
        assert_eq!(s.get_order(&Scope::All, ord.id).await?.customer_id, Some(x.id));
        assert_eq!(s.find_customer_by_identity(&Scope::All, a, IdentityKind::Line, &line.value).await?.id, x.id);
        let tl = s.timeline(&Scope::All, c.id, true).await?;
        assert!(tl.iter().any(|i| matches!(i, TimelineItem::Event(e) if e.kind == EventKind::Merged)));

        // Customers of different shops are never merged.
        let b = merchant(&s, "b-shop").await?;
        let z = s.create_customer(&Scope::All, None, b, &profile("他店"), &[]).await?;
        assert!(matches!(s.merge_customers(&Scope::All, None, x.id, z.id).await, Err(StoreError::Invalid(_))));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn every_change_is_audited_and_the_log_is_scoped() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let c = s.create_customer(&Scope::All, None, a, &profile("監査"), &[]).await?;
        s.update_customer(&Scope::All, None, c.id, &profile("監査 太郎")).await?;
        s.create_customer(&Scope::All, None, b, &profile("B"), &[]).await?;
        let log = s.list_audit_events(&Scope::Merchants(vec![a]), &Default::default(), PageRequest::first(100)).await?;
        assert!(log.items.iter().all(|e| e.merchant_id == Some(a)));
        let about_c: Vec<AuditAction> =
            log.items.iter().filter(|e| e.subject_id == c.id.to_string()).map(|e| e.action).collect();
        assert_eq!(about_c, vec![AuditAction::Update, AuditAction::Create]);
        // Personal data is not copied into the log.
        let update = log.items.iter().find(|e| e.action == AuditAction::Update).expect("update entry");
        assert!(!update.details.to_string().contains("監査 太郎"));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn sessions_expire_slide_and_end_with_the_user() -> Result<()> {
    use madoguchi_store::sessions::SessionLifetime;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let u = s
            .create_user(
                None,
                NewUserRecord {
                    public_name: String::new(),
                    login: "agent".into(),
                    display_name: "佐藤".into(),
                    role: Role::Agent,
                    password_hash: "x".into(),
                    email: None,
                    merchants: vec![a],
                },
            )
            .await?;
        let life = SessionLifetime { idle: chrono::Duration::hours(2), absolute: chrono::Duration::hours(12) };
        s.create_session("hash-1", u.id, "csrf-1", life).await?;
        let got = s.session("hash-1", life).await?.expect("live session");
        assert_eq!((got.user.id, got.csrf_token.as_str()), (u.id, "csrf-1"));
        assert!(s.session("hash-2", life).await?.is_none());
        // A zero idle time means already expired.
        let gone = SessionLifetime { idle: chrono::Duration::zero(), absolute: chrono::Duration::hours(12) };
        s.create_session("hash-3", u.id, "csrf-3", gone).await?;
        assert!(s.session("hash-3", life).await?.is_none());
        // Changing the password ends every session.
        s.update_user(&Scope::All, u.id, u.id, UserChange { password_hash: Some("y".into()), ..Default::default() })
            .await?;
        assert!(s.session("hash-1", life).await?.is_none());
        s.create_session("hash-4", u.id, "csrf-4", life).await?;
        s.delete_session("hash-4").await?;
        assert!(s.session("hash-4", life).await?.is_none());

        let since = now() - chrono::Duration::minutes(15);
        s.record_login_attempt("agent", "10.0.0.2", false).await?;
        s.record_login_attempt("agent", "10.0.0.2", true).await?;
        for _ in 0..3 {
            s.record_login_attempt("agent", "10.0.0.1", false).await?;
        }
        s.record_login_attempt("other", "10.0.0.1", false).await?;
        // The failure before the success no longer counts for the login; it does for its address.
        let r = s.sign_in_record("agent", "10.0.0.1", since, since).await?;
        assert_eq!((r.login_failures, r.address_failures, r.known_address), (3, 4, false));
        assert!(r.login_last_failure.is_some_and(|t| t > since) && r.address_last_failure.is_some());
        let r = s.sign_in_record("agent", "10.0.0.2", since, since).await?;
        assert_eq!((r.login_failures, r.address_failures, r.known_address), (3, 1, true));
        // An unlock wipes the slate for the login only, and is audited.
        s.unlock_login(Some(u.id), &s.get_user_unscoped(u.id).await?).await?;
        let r = s.sign_in_record("agent", "10.0.0.1", since, since).await?;
        assert_eq!((r.login_failures, r.address_failures), (0, 4));
        assert_eq!(s.sign_in_record("other", "10.0.0.1", since, since).await?.login_failures, 1);
        let f = madoguchi_store::audit::AuditFilter { subject_id: Some(u.id.to_string()), ..Default::default() };
        let log = s.list_audit_events(&Scope::All, &f, PageRequest::first(50)).await?.items;
        assert!(log.iter().any(|e| e.details["sign_in_unlocked"] == true), "{log:?}");
        // Pruning forgets failures sooner than the successes that make an address known.
        s.prune_sessions(now() + chrono::Duration::seconds(1), now() - chrono::Duration::days(30)).await?;
        let r = s.sign_in_record("agent", "10.0.0.2", since, since).await?;
        assert_eq!((r.address_failures, r.known_address), (0, true));
        s.prune_sessions(now() + chrono::Duration::seconds(1), now() + chrono::Duration::seconds(1)).await?;
        assert!(!s.sign_in_record("agent", "10.0.0.2", since, since).await?.known_address);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn sla_due_times_in_business_hours_and_breaches_recorded_once() -> Result<()> {
    use chrono::TimeZone;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let jst = |d: u32, h: u32, m: u32| chrono_tz::Asia::Tokyo.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap().with_timezone(&chrono::Utc);
        // Opened Friday 2026-11-20 17:30 JST; Monday the 23rd is a national holiday.
        let mut late = conv(a, Channel::Email);
        late.created_at = Some(jst(20, 17, 30));
        let c = s.create_conversation(&Scope::All, None, &late).await?;
        assert_eq!(c.first_response_due_at, Some(jst(24, 9, 30)), "60 business minutes");
        // 30 min on Friday, 540 on Tuesday, the remaining 510 on Wednesday: 17:30.
        assert_eq!(c.resolution_due_at, Some(jst(25, 17, 30)), "1080 business minutes");

        // Another conversation answered in time.
        let mut ok = conv(a, Channel::Email);
        ok.created_at = Some(jst(24, 10, 0));
        let mut reply = msg(Direction::Outbound, "承知しました", None);
        reply.created_at = Some(jst(24, 10, 20));
        ok.messages = vec![msg(Direction::Inbound, "質問です", None), reply];
        ok.messages[0].created_at = Some(jst(24, 10, 0));
        let answered = s.create_conversation(&Scope::All, None, &ok).await?;
        assert_eq!(answered.first_response_at, Some(jst(24, 10, 20)));

        // As of Tuesday noon the first one missed its first response; the second did not.
        assert_eq!(s.record_sla_breaches(jst(24, 12, 0)).await?, 1);
        assert_eq!(s.record_sla_breaches(jst(24, 12, 5)).await?, 0, "recorded once");
        let missed = s.get_conversation(&Scope::All, c.id).await?;
        assert_eq!(missed.first_response_breached_at, Some(jst(24, 9, 30)));
        assert!(missed.resolution_breached_at.is_none());
        let events = s.timeline(&Scope::All, c.id, true).await?;
        assert!(events.iter().any(|i| matches!(i, TimelineItem::Event(e) if e.kind == EventKind::SlaBreached && e.data["target"] == "first_response")));
        assert!(s.get_conversation(&Scope::All, answered.id).await?.first_response_breached_at.is_none());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn board_figures_per_queue() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let day = now() - chrono::Duration::hours(1);
        let mut delivery = conv(a, Channel::Phone);
        delivery.queue = Some("配送".into());
        // Waiting.
        s.create_conversation(&Scope::All, None, &delivery).await?;
        // Answered at once (within the default 60-minute target).
        let mut answered = delivery.clone();
        answered.messages =
            vec![msg(Direction::Inbound, "届きません", None), msg(Direction::Outbound, "確認します", None)];
        s.create_conversation(&Scope::All, None, &answered).await?;
        // Given up without an answer.
        let mut gone = delivery.clone();
        gone.status = Some(ConversationStatus::Closed);
        s.create_conversation(&Scope::All, None, &gone).await?;
        // Yesterday's contact does not count for today.
        let mut old = delivery.clone();
        old.created_at = Some(now() - chrono::Duration::days(2));
        old.status = Some(ConversationStatus::Resolved);
        s.create_conversation(&Scope::All, None, &old).await?;
        // Another queue.
        s.create_conversation(&Scope::All, None, &conv(a, Channel::Email)).await?;

        let b = s.board(&Scope::All, a, day).await?;
        let q = b.queues.iter().find(|q| q.queue == "配送").expect("配送 row");
        assert_eq!((q.waiting, q.offered, q.answered, q.abandoned, q.answered_within_target), (1, 3, 1, 1, 1));
        assert!(q.oldest_waiting_since.is_some());
        let none = b.queues.iter().find(|q| q.queue.is_empty()).expect("row without a queue");
        assert_eq!((none.waiting, none.offered), (1, 1));
        assert_eq!(b.first_response_target_minutes, 60);
        assert!(b.agents.iter().all(|p| p.agents == 0));
        assert!(is_not_found(s.board(&Scope::Merchants(vec![]), a, day).await));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_chat_knows_its_place_in_line() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "q-shop").await?;
        let mut first = conv(a, Channel::Chat);
        first.created_at = Some(now() - chrono::Duration::minutes(3));
        let first = s.create_conversation(&Scope::All, None, &first).await?;
        let mut second = conv(a, Channel::Chat);
        second.created_at = Some(now() - chrono::Duration::minutes(1));
        let second = s.create_conversation(&Scope::All, None, &second).await?;
        // Mail waits in its own way; it is not in the chat line.
        s.create_conversation(&Scope::All, None, &conv(a, Channel::Email)).await?;

        let q = s.chat_queue(a, second.id).await?.expect("waiting");
        assert_eq!((q.position, q.capacity, q.handle_seconds), (2, 0, None), "nobody at work");
        assert_eq!(s.chat_queue_now(a).await?.position, 3, "a new chat comes after both");
        // An agent takes the first (assigned by hand counts as taken): it leaves the line, the
        // second moves up.
        let agent = s
            .create_user(
                None,
                NewUserRecord {
                    login: "q-agent".into(),
                    display_name: "q-agent".into(),
                    public_name: String::new(),
                    role: Role::Agent,
                    password_hash: "$argon2id$fake".into(),
                    email: None,
                    merchants: vec![a],
                },
            )
            .await?;
        s.update_conversation(
            &Scope::All,
            None,
            first.id,
            &madoguchi_store::conversations::ConversationChange {
                assignee_id: Some(Some(agent.id)),
                ..Default::default()
            },
        )
        .await?;
        assert_eq!(s.chat_queue(a, second.id).await?.map(|q| q.position), Some(1));
        assert_eq!(s.chat_queue(a, first.id).await?, None, "a finished chat waits for nobody");
        Ok(())
    })
    .await
}
