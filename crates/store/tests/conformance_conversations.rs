//! Store conformance (see `conformance.rs`): conversations and messages, inbound contacts,
//! the outbox, stored files.

mod common;

use common::*;

#[tokio::test]
async fn conversation_numbers_count_per_merchant_even_concurrently() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let s = s.clone();
            tasks.spawn(async move { s.create_conversation(&Scope::All, None, &conv(a, Channel::Chat)).await });
        }
        let mut numbers = vec![];
        while let Some(r) = tasks.join_next().await {
            numbers.push(r??.number);
        }
        numbers.sort();
        assert_eq!(numbers, (1..=10).collect::<Vec<i64>>());
        assert_eq!(s.create_conversation(&Scope::All, None, &conv(b, Channel::Email)).await?.number, 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn messages_are_idempotent_and_drive_the_clocks() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let mut cr = conv(a, Channel::Line);
        cr.customer_identity = Some(normalize(IdentityKind::Line, "Uffffffffffffffffffffffffffffffff")?);
        cr.messages = vec![msg(Direction::Inbound, "注文した商品がまだ届きません", Some("line-1"))];
        let c = s.create_conversation(&Scope::All, None, &cr).await?;
        assert_eq!(c.status, ConversationStatus::New);
        assert!(c.customer_id.is_some(), "customer created from the LINE id");

        // Redelivery of the same provider message stores nothing new.
        let (m1, created) = s
            .add_message(
                &Scope::All,
                None,
                c.id,
                &msg(Direction::Inbound, "注文した商品がまだ届きません", Some("line-1")),
            )
            .await?;
        assert!(!created);
        assert_eq!(m1.body_text, "注文した商品がまだ届きません");
        let page = s.list_messages(&Scope::All, c.id, true, PageRequest::first(10)).await?;
        assert_eq!(page.items.len(), 1);

        let mut note = msg(Direction::Outbound, "配送状況を確認中", None);
        note.internal = true;
        s.add_message(&Scope::All, None, c.id, &note).await?;
        assert!(s.get_conversation(&Scope::All, c.id).await?.first_response_at.is_none(), "a note is not a response");

        let (reply, _) =
            s.add_message(&Scope::All, None, c.id, &msg(Direction::Outbound, "確認いたします。", None)).await?;
        assert_eq!(reply.delivery_status, Some(DeliveryStatus::Queued));
        // A reply recorded on a call has nothing to deliver.
        let call = s.create_conversation(&Scope::All, None, &conv(a, Channel::Phone)).await?;
        let (memo, _) =
            s.add_message(&Scope::All, None, call.id, &msg(Direction::Outbound, "折り返しました", None)).await?;
        assert_eq!(memo.delivery_status, None);
        let after = s.get_conversation(&Scope::All, c.id).await?;
        assert_eq!(after.first_response_at, Some(reply.created_at));

        // Merchant staff do not see internal notes.
        let visible = s.timeline(&Scope::All, c.id, false).await?;
        assert!(visible.iter().all(|i| !matches!(i, TimelineItem::Message(m) if m.internal)));
        let all = s.timeline(&Scope::All, c.id, true).await?;
        assert_eq!(all.iter().filter(|i| matches!(i, TimelineItem::Message(_))).count(), 3);
        assert!(all.iter().any(|i| matches!(i, TimelineItem::Event(e) if e.kind == EventKind::FirstResponse)));

        // Resolve, then the customer writes again: reopened.
        let ch = ConversationChange { status: Some(ConversationStatus::Resolved), ..Default::default() };
        let resolved = s.update_conversation(&Scope::All, None, c.id, &ch).await?;
        assert!(resolved.resolved_at.is_some());
        s.add_message(&Scope::All, None, c.id, &msg(Direction::Inbound, "まだ届いていません", Some("line-2"))).await?;
        let reopened = s.get_conversation(&Scope::All, c.id).await?;
        assert_eq!(reopened.status, ConversationStatus::Open);
        assert_eq!(reopened.resolved_at, None);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn conversation_updates_filters_and_scope() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let agent = s
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
        let c1 = s.create_conversation(&Scope::All, None, &conv(a, Channel::Phone)).await?;
        let c2 = s.create_conversation(&Scope::All, None, &conv(a, Channel::Email)).await?;
        let cb = s.create_conversation(&Scope::All, None, &conv(b, Channel::Phone)).await?;
        let since = now();

        let ch = ConversationChange {
            assignee_id: Some(Some(agent.id)),
            priority: Some(Priority::Urgent),
            category: Some(Some("配送".into())),
            tags: Some(vec!["再配達".into()]),
            ..Default::default()
        };
        let u = s.update_conversation(&Scope::All, Some(agent.id), c1.id, &ch).await?;
        assert_eq!(u.status, ConversationStatus::Open, "assigning opens a new conversation");
        assert_eq!(u.tags, vec!["再配達".to_string()]);

        // The agent of A cannot be assigned to B's conversation.
        let bad = s
            .update_conversation(
                &Scope::All,
                None,
                cb.id,
                &ConversationChange { assignee_id: Some(Some(agent.id)), ..Default::default() },
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");

        let f = |f: ConversationFilter| {
            let s = s.clone();
            async move {
                Ok::<_, anyhow::Error>(
                    s.list_conversations(&Scope::All, &f, PageRequest::first(50))
                        .await?
                        .items
                        .into_iter()
                        .map(|c| c.id)
                        .collect::<Vec<_>>(),
                )
            }
        };
        assert_eq!(f(ConversationFilter { assignee: Some(agent.id), ..Default::default() }).await?, vec![c1.id]);
        assert_eq!(f(ConversationFilter { updated_since: Some(since), ..Default::default() }).await?, vec![c1.id]);
        assert_eq!(f(ConversationFilter { channel: Some(Channel::Email), ..Default::default() }).await?, vec![c2.id]);
        assert_eq!(f(ConversationFilter { tag: Some("再配達".into()), ..Default::default() }).await?, vec![c1.id]);
        assert_eq!(f(ConversationFilter { merchant: Some(b), ..Default::default() }).await?, vec![cb.id]);
        assert_eq!(
            f(ConversationFilter { unassigned: true, merchant: Some(a), ..Default::default() }).await?,
            vec![c2.id]
        );

        let scope_a = Scope::Merchants(vec![a]);
        // The newest change A's people can see is A's, however recent B's is.
        s.update_conversation(
            &Scope::All,
            None,
            cb.id,
            &ConversationChange { priority: Some(Priority::High), ..Default::default() },
        )
        .await?;
        assert_eq!(s.latest_conversation_change(&scope_a).await?.map(|c| c.1), Some(c1.id));
        assert_eq!(s.latest_conversation_change(&Scope::All).await?.map(|c| c.1), Some(cb.id));
        assert_eq!(s.latest_conversation_change(&Scope::Merchants(vec![])).await?, None);
        assert!(is_not_found(s.get_conversation(&scope_a, cb.id).await));
        assert!(is_not_found(s.timeline(&scope_a, cb.id, true).await));
        assert!(is_not_found(s.add_message(&scope_a, None, cb.id, &msg(Direction::Inbound, "x", None)).await));
        let listed = s.list_conversations(&scope_a, &Default::default(), PageRequest::first(50)).await?;
        assert!(listed.items.iter().all(|c| c.merchant_id == a));
        assert_eq!(listed.items.len(), 2);

        let events: Vec<EventKind> = s
            .timeline(&Scope::All, c1.id, true)
            .await?
            .into_iter()
            .filter_map(|i| match i {
                TimelineItem::Event(e) => Some(e.kind),
                _ => None,
            })
            .collect();
        for k in [
            EventKind::Created,
            EventKind::Assigned,
            EventKind::PriorityChanged,
            EventKind::CategoryChanged,
            EventKind::TagsChanged,
        ] {
            assert!(events.contains(&k), "{k:?} in {events:?}");
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_conversation_cannot_point_at_another_merchants_records() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let cust_b = s.create_customer(&Scope::All, None, b, &profile("B"), &[]).await?;
        let ord_b = s.create_order(&Scope::All, None, b, &order("b-shop", "B-1")).await?;
        let mut r = conv(a, Channel::Phone);
        r.customer_id = Some(cust_b.id);
        assert!(is_not_found(s.create_conversation(&Scope::All, None, &r).await));
        let mut r = conv(a, Channel::Phone);
        r.order_id = Some(ord_b.id);
        assert!(is_not_found(s.create_conversation(&Scope::All, None, &r).await));
        let c = s.create_conversation(&Scope::All, None, &conv(a, Channel::Phone)).await?;
        let ch = ConversationChange { order_id: Some(Some(ord_b.id)), ..Default::default() };
        assert!(is_not_found(s.update_conversation(&Scope::All, None, c.id, &ch).await));
        // Nothing was half-written: A still has exactly one conversation, numbered 1.
        let listed = s
            .list_conversations(
                &Scope::All,
                &ConversationFilter { merchant: Some(a), ..Default::default() },
                PageRequest::first(10),
            )
            .await?;
        assert_eq!(listed.items.iter().map(|c| c.number).collect::<Vec<_>>(), vec![1]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn inbound_contacts_land_once_on_the_right_customer_and_thread() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let first = stored(s.receive(inbound_mail(a, "Hanako@Example.jp", "m1@example.jp", &[], None)).await?);
        assert!(first.new_conversation);
        let customer = s.get_customer(&Scope::All, first.customer.expect("customer")).await?;
        assert_eq!(customer.name.as_deref(), Some("山田 花子"));
        let m = s.get_message(&Scope::All, first.message).await?;
        assert_eq!(m.attachments.len(), 1);
        let blob_id = uuid::Uuid::parse_str(m.attachments[0].storage_key.as_deref().unwrap())?;
        assert_eq!(s.get_blob(&Scope::All, blob_id).await?.data, vec![1, 2, 3]);
        assert!(m.meta.raw_blob_id.is_some(), "the raw mail is kept");

        // The provider redelivers: nothing new.
        let again = s.receive(inbound_mail(a, "hanako@example.jp", "m1@example.jp", &[], None)).await?;
        assert_eq!(again, InboundOutcome::Duplicate { message: Some(first.message) });

        // An answer threads by In-Reply-To, by our own Message-ID form, and by the ticket token.
        let by_ref =
            stored(s.receive(inbound_mail(a, "hanako@example.jp", "m2@example.jp", &["m1@example.jp"], None)).await?);
        assert_eq!(by_ref.conversation, first.conversation);
        let ours = format!("mdg-{}@a-shop.example", first.message);
        let by_ours = stored(s.receive(inbound_mail(a, "hanako@example.jp", "m3@example.jp", &[&ours], None)).await?);
        assert_eq!(by_ours.conversation, first.conversation);
        let number = s.get_conversation(&Scope::All, first.conversation).await?.number;
        let by_ticket =
            stored(s.receive(inbound_mail(a, "hanako@example.jp", "m4@example.jp", &[], Some(number))).await?);
        assert_eq!(by_ticket.conversation, first.conversation);
        // Somebody else quoting the ticket number gets a conversation of their own.
        let stranger =
            stored(s.receive(inbound_mail(a, "other@example.jp", "m5@example.jp", &[], Some(number))).await?);
        assert!(stranger.new_conversation);
        assert_ne!(stranger.customer, first.customer);
        // Another merchant with the same sender: its own customer and conversation; the
        // reference to merchant A's message does not cross over.
        let other =
            stored(s.receive(inbound_mail(b, "hanako@example.jp", "m1@example.jp", &["m1@example.jp"], None)).await?);
        assert!(other.new_conversation);
        assert_ne!(other.customer, first.customer);
        assert_eq!(s.get_conversation(&Scope::All, other.conversation).await?.merchant_id, b);

        // LINE: the same webhook event twice is stored once; later messages join the open one.
        let line = |event: &str, pid: &str| {
            let mut message = msg(Direction::Inbound, "こんにちは", Some(pid));
            message.channel = Some(Channel::Line);
            message.meta.line_reply_token = Some(format!("token-{pid}"));
            InboundContact {
                merchant: a,
                channel: Channel::Line,
                identity: Some(normalize(IdentityKind::Line, "U0123456789abcdef0123456789abcdef").unwrap()),
                customer_name: None,
                subject: None,
                category: None,
                order_number: None,
                thread: Thread::Ongoing,
                message,
                files: vec![],
                raw: None,
                event_id: Some(event.to_owned()),
                entered_by: None,
                bot: false,
            }
        };
        let l1 = stored(s.receive(line("ev-1", "lm-1")).await?);
        assert_eq!(s.receive(line("ev-1", "lm-1")).await?, InboundOutcome::Duplicate { message: None });
        let l2 = stored(s.receive(line("ev-2", "lm-2")).await?);
        assert_eq!(l1.conversation, l2.conversation);
        assert!(!l2.new_conversation);
        // The reply token is handed out once.
        let since = now() - chrono::Duration::seconds(50);
        assert_eq!(s.take_line_reply_token(l1.conversation, since).await?.as_deref(), Some("token-lm-2"));
        assert_eq!(s.take_line_reply_token(l1.conversation, since).await?, None);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn replies_go_through_the_outbox_once_with_retries() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let r = stored(s.receive(inbound_mail(a, "hanako@example.jp", "m1@example.jp", &[], None)).await?);
        let t0 = now();
        let lease = chrono::Duration::seconds(60);
        assert_eq!(s.claim_outbox(t0, lease).await?, None, "inbound mail is not delivered");

        let (reply, _) =
            s.add_message(&Scope::All, None, r.conversation, &msg(Direction::Outbound, "確認します", None)).await?;
        assert_eq!(reply.delivery_status, Some(DeliveryStatus::Queued));
        let item = s.claim_outbox(now(), lease).await?.expect("the reply is due");
        assert_eq!((item.message_id, item.attempts, item.channel), (reply.id, 1, Channel::Email));
        assert_eq!(s.claim_outbox(now(), lease).await?, None, "held by its worker");

        // The worker dies without a word: after the lease the row is taken again.
        let retaken = s.claim_outbox(now() + lease + chrono::Duration::seconds(1), lease).await?.expect("lease over");
        assert_eq!((retaken.id, retaken.attempts), (item.id, 2));

        // A temporary failure waits for the backoff and shows its reason.
        let failed_at = now();
        assert!(!s.outbox_failed(&retaken, "451 try again later", false, failed_at).await?);
        let m = s.get_message(&Scope::All, reply.id).await?;
        assert_eq!(m.delivery_status, Some(DeliveryStatus::Queued));
        assert_eq!(m.delivery_error.as_deref(), Some("451 try again later"));
        assert_eq!(s.claim_outbox(failed_at, lease).await?, None, "not before the backoff");
        let third = s.claim_outbox(failed_at + chrono::Duration::seconds(11), lease).await?.expect("after the backoff");
        s.outbox_sent(&third, Some("<id@x>"), now()).await?;
        let m = s.get_message(&Scope::All, reply.id).await?;
        assert_eq!((m.delivery_status, m.delivery_error), (Some(DeliveryStatus::Sent), None));
        assert_eq!(s.claim_outbox(now() + chrono::Duration::hours(2), lease).await?, None, "sent once, never again");
        assert_eq!(s.outbox_pending().await?, 0);

        // A permanent failure gives up at once.
        let (reply2, _) =
            s.add_message(&Scope::All, None, r.conversation, &msg(Direction::Outbound, "二通目", None)).await?;
        let item = s.claim_outbox(now(), lease).await?.expect("due");
        assert!(s.outbox_failed(&item, "550 no such user", true, now()).await?);
        let m = s.get_message(&Scope::All, reply2.id).await?;
        assert_eq!(m.delivery_status, Some(DeliveryStatus::Failed));
        assert_eq!(s.claim_outbox(now() + chrono::Duration::hours(2), lease).await?, None);

        // Internal notes and replies on the phone have nothing to deliver.
        let mut note = msg(Direction::Outbound, "メモ", None);
        note.internal = true;
        s.add_message(&Scope::All, None, r.conversation, &note).await?;
        assert_eq!(s.claim_outbox(now(), lease).await?, None);
        Ok(())
    })
    .await
}

/// The files of a mail taken in with an attachment and its raw message.
#[tokio::test]
async fn nul_from_a_channel_is_stored_replaced_on_both_databases() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let mut mail = inbound_mail(a, "nul@example.jp", "nul@example.jp", &[], None);
        mail.customer_name = Some("山田\0花子".into());
        mail.subject = Some("件名\0".into());
        mail.message.body_text = "本文\0です".into();
        mail.message.meta.sender_name = Some("山田\0花子".into());
        mail.message.meta.flags = vec!["attachment_too_large: a\0.png".into()];
        mail.files[0].filename = "写\0真.png".into();
        let r = stored(s.receive(mail).await?);
        let m = s.get_message(&Scope::All, r.message).await?;
        assert_eq!(m.body_text, "本文\u{FFFD}です");
        assert_eq!(m.meta.sender_name.as_deref(), Some("山田\u{FFFD}花子"));
        assert_eq!(m.meta.flags, vec!["attachment_too_large: a\u{FFFD}.png".to_owned()]);
        assert_eq!(m.attachments[0].filename, "写\u{FFFD}真.png");
        let customer = s.get_customer(&Scope::All, r.customer.expect("customer")).await?;
        assert_eq!(customer.name.as_deref(), Some("山田\u{FFFD}花子"));
        Ok(())
    })
    .await
}

async fn stored_msg_files(s: &Store, m: MerchantId) -> Result<Vec<uuid::Uuid>> {
    let r = stored(s.receive(inbound_mail(m, "files@example.jp", "files@example.jp", &[], None)).await?);
    let msg = s.get_message(&Scope::All, r.message).await?;
    let mut ids: Vec<uuid::Uuid> = msg
        .attachments
        .iter()
        .filter_map(|a| a.storage_key.as_deref())
        .map(uuid::Uuid::parse_str)
        .collect::<Result<_, _>>()?;
    ids.push(uuid::Uuid::parse_str(msg.meta.raw_blob_id.as_deref().unwrap_or_default())?);
    Ok(ids)
}

#[tokio::test]
async fn stored_files_belong_to_one_merchant() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let scan = NewBlob { filename: "fax.png".into(), content_type: "image/png".into(), data: vec![9; 10] };
        let att = s.put_blob(&Scope::Merchants(vec![a]), a, &scan).await?;
        let id = uuid::Uuid::parse_str(att.storage_key.as_deref().unwrap())?;
        assert!(is_not_found(s.get_blob(&Scope::Merchants(vec![b]), id).await));
        assert!(is_not_found(s.put_blob(&Scope::Merchants(vec![b]), a, &scan).await));

        // B's conversation cannot point at A's file.
        let cb = s.create_conversation(&Scope::All, None, &conv(b, Channel::Fax)).await?;
        let mut m = msg(Direction::Inbound, "FAX", None);
        m.attachments = vec![att.clone()];
        let err = s.add_message(&Scope::All, None, cb.id, &m).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(ref v) if v.code == "invalid_attachment"), "{err:?}");
        // A's own conversation can.
        let ca = s.create_conversation(&Scope::All, None, &conv(a, Channel::Fax)).await?;
        let (stored, _) = s.add_message(&Scope::All, None, ca.id, &m).await?;
        assert_eq!(stored.attachments, vec![att]);

        // An upload nobody attached is removed by the clean-up; attached files and files that
        // came in with their message stay.
        let abandoned = s.put_blob(&Scope::All, a, &scan).await?;
        let abandoned = uuid::Uuid::parse_str(abandoned.storage_key.as_deref().unwrap())?;
        let inbound = stored_msg_files(&s, a).await?;
        let later = now() + chrono::Duration::seconds(5);
        assert_eq!(s.prune_unattached_blobs(later).await?, 1);
        assert!(is_not_found(s.get_blob(&Scope::All, abandoned).await));
        s.get_blob(&Scope::All, id).await?;
        for f in inbound {
            s.get_blob(&Scope::All, f).await?;
        }
        // Only uploads older than the cut-off go.
        s.put_blob(&Scope::All, a, &scan).await?;
        assert_eq!(s.prune_unattached_blobs(now() - chrono::Duration::hours(1)).await?, 0);
        Ok(())
    })
    .await
}
