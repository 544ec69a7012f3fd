//! Store conformance (see `conformance.rs`): duplicate customers, the search feed, the
//! knowledge base and help center, imported history, the bot.

mod common;

use common::*;

#[tokio::test]
async fn likely_duplicates_are_suggested_within_a_merchant_and_can_be_dismissed() -> Result<()> {
    use madoguchi_store::duplicates::DuplicateReason;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let mut px = profile("山田 花子");
        px.name_kana = Some("ヤマダ ハナコ".into());
        let x = s.create_customer(&Scope::All, None, a, &px, &[phone("090-1111-2222")]).await?;
        // The same person writes in by mail under a differently spaced name: the inbound path
        // keys the name too.
        let mail = stored(s.receive(inbound_mail(a, "hanako@example.jp", "d1@example.jp", &[], None)).await?);
        let y = mail.customer.expect("customer");
        // A chat visitor types X's phone number: not attached (anyone can type it), but claimed.
        let z = s.create_customer(&Scope::All, None, a, &profile("はなちゃん"), &[]).await?;
        assert!(!s.attach_or_claim_identity(z.id, &phone("09011112222"), Channel::Chat).await?);
        assert!(s.get_customer(&Scope::All, z.id).await?.identities.is_empty());
        // A free detail is simply attached.
        assert!(s.attach_or_claim_identity(z.id, &phone("080-3333-4444"), Channel::Chat).await?);
        // Another shop's namesake is never suggested.
        s.create_customer(&Scope::All, None, b, &profile("山田花子"), &[]).await?;

        let for_x = s.duplicate_suggestions(&Scope::All, x.id, 10).await?;
        let ids: Vec<_> = for_x.iter().map(|d| d.customer.id).collect();
        assert_eq!(ids, vec![z.id, y], "a shared phone ranks above a shared name: {for_x:?}");
        assert!(matches!(&for_x[0].reasons[..], [DuplicateReason::SharedContact { kind: IdentityKind::Phone, .. }]));
        assert_eq!(for_x[1].reasons, vec![DuplicateReason::SameName]);
        // The suggestion is seen from both sides.
        let for_z = s.duplicate_suggestions(&Scope::All, z.id, 10).await?;
        assert_eq!(for_z.iter().map(|d| d.customer.id).collect::<Vec<_>>(), vec![x.id]);
        // Out of scope: the customer is not found at all.
        let other_scope = Scope::Merchants(vec![b]);
        assert!(is_not_found(s.duplicate_suggestions(&other_scope, x.id, 10).await));

        // Judged distinct: no longer suggested, from either side.
        s.mark_distinct(&Scope::All, None, y, x.id).await?;
        let for_x = s.duplicate_suggestions(&Scope::All, x.id, 10).await?;
        assert_eq!(for_x.iter().map(|d| d.customer.id).collect::<Vec<_>>(), vec![z.id]);
        assert!(s.duplicate_suggestions(&Scope::All, y, 10).await?.is_empty());
        let namesake = s.list_customers(&Scope::Merchants(vec![b]), &Default::default(), PageRequest::first(5)).await?;
        assert!(is_not_found(s.mark_distinct(&Scope::All, None, x.id, namesake.items[0].id).await));

        // Merged: the claim is settled and nothing is suggested any more.
        s.merge_customers(&Scope::All, None, x.id, z.id).await?;
        assert!(s.duplicate_suggestions(&Scope::All, x.id, 10).await?.is_empty());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn every_change_search_must_see_is_in_the_feed_with_its_transaction() -> Result<()> {
    use madoguchi_store::search_feed::FeedKind;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let start = s.search_feed(1000).await?;
        if let Some(last) = start.last() {
            s.search_feed_done(last.seq).await?;
        }
        let customer =
            s.create_customer(&Scope::All, None, a, &profile("検索 太郎"), &[phone("090-5555-6666")]).await?;
        let mut record = conv(a, Channel::Email);
        record.customer_id = Some(customer.id);
        record.messages = vec![msg(Direction::Inbound, "荷物が届きません", None)];
        let c = s.create_conversation(&Scope::All, None, &record).await?;
        let change = ConversationChange { status: Some(ConversationStatus::Pending), ..Default::default() };
        s.update_conversation(&Scope::All, None, c.id, &change).await?;

        let feed = s.search_feed(1000).await?;
        let kinds: Vec<(FeedKind, uuid::Uuid)> = feed.iter().map(|f| (f.kind, f.id)).collect();
        assert!(kinds.contains(&(FeedKind::Customer, customer.id.0)), "{kinds:?}");
        assert!(kinds.contains(&(FeedKind::Conversation, c.id.0)), "{kinds:?}");
        let message = kinds.iter().find(|(k, _)| *k == FeedKind::Message).expect("the message is in the feed").1;
        assert!(feed.iter().all(|f| f.merchant == a));

        // The rows the indexer reads carry the conversation's subject and current status.
        let rows = s.messages_for_index(&[message]).await?;
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].status.as_str(), rows[0].subject.as_deref()), ("pending", Some("商品が届きません")));
        assert_eq!(rows[0].body_text, "荷物が届きません");
        assert_eq!(s.conversation_messages_for_index(c.id.0).await?.len(), 1);
        assert_eq!(s.message_page_for_index(None, 10).await?.len(), 1);
        assert_eq!(s.message_page_for_index(Some(message), 10).await?.len(), 0);

        // Done up to a point: only what came later stays.
        let last = feed.last().expect("feed").seq;
        assert_eq!(s.search_feed_last_seq().await?, Some(last));
        s.search_feed_done(last).await?;
        assert!(s.search_feed(10).await?.is_empty());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn knowledge_base_articles_per_merchant_with_idempotent_import() -> Result<()> {
    use madoguchi_core::kb::ArticleInput;
    use madoguchi_store::kb::Imported;
    use madoguchi_store::search_feed::FeedKind;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let article = |ext: &str, cat: &str, q: &str, published: bool| {
            ArticleInput {
                external_id: Some(ext.into()),
                category: cat.into(),
                question: q.into(),
                answer: format!("{q}の答え"),
                keywords: vec!["キーワード".into()],
                published: Some(published),
            }
            .validate()
            .expect("valid")
        };
        let first = vec![
            article("f1", "配送", "いつ届きますか", true),
            article("f2", "返品・交換・キャンセル", "返品できますか", true),
            article("f3", "配送", "下書きの記事", false),
        ];
        let done = s.import_articles(&Scope::All, None, a, &first).await?;
        assert_eq!(done, vec![Imported::Created; 3]);
        assert_eq!(
            s.import_articles(&Scope::All, None, a, &first).await?,
            vec![Imported::Unchanged; 3],
            "same file again"
        );
        let mut second = first.clone();
        second[1].answer = "到着後8日以内です".into();
        assert_eq!(s.import_articles(&Scope::All, None, a, &second).await?[1], Imported::Updated);

        assert_eq!(s.list_articles(&Scope::All, a, None, false).await?.len(), 3);
        assert_eq!(s.list_articles(&Scope::All, a, None, true).await?.len(), 2, "drafts left out");
        let delivery = s.list_articles(&Scope::All, a, Some("配送"), false).await?;
        assert_eq!(delivery.len(), 2);
        let returned = s.list_articles(&Scope::All, a, Some("返品・交換・キャンセル"), false).await?;
        assert_eq!(returned[0].answer, "到着後8日以内です");
        assert_eq!(returned[0].keywords, vec!["キーワード"]);

        // Another shop: its own external ids, and A's articles are not there for it.
        assert_eq!(s.import_articles(&Scope::All, None, b, &first[..1]).await?, vec![Imported::Created]);
        let b_scope = Scope::Merchants(vec![b]);
        assert!(is_not_found(s.get_article(&b_scope, returned[0].id).await));
        assert!(is_not_found(s.list_articles(&b_scope, a, None, false).await));
        let clash = s.create_article(&Scope::All, None, a, &first[0]).await;
        assert!(matches!(clash, Err(StoreError::Conflict { code: "external_id_taken", .. })), "{clash:?}");

        let mut changed = first[0].clone();
        changed.published = false;
        let updated = s.update_article(&Scope::All, None, delivery[0].id, &changed).await?;
        assert!(!updated.published);
        s.delete_article(&Scope::All, None, updated.id).await?;
        assert!(is_not_found(s.get_article(&Scope::All, updated.id).await));
        let feed = s.search_feed(1000).await?;
        assert!(
            feed.iter().any(|f| f.kind == FeedKind::Article && f.id == updated.id.0),
            "the deletion reaches search"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn help_center_feedback_and_unanswered_questions() -> Result<()> {
    use madoguchi_core::kb::ArticleInput;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let input = |published| ArticleInput {
            external_id: None,
            category: "配送".into(),
            question: "いつ届きますか".into(),
            answer: "3日以内です".into(),
            keywords: vec![],
            published: Some(published),
        };
        let live = s.create_article(&Scope::All, None, a, &input(true).validate()?).await?;
        let draft = s.create_article(&Scope::All, None, a, &input(false).validate()?).await?;
        s.article_feedback(a, live.id, true).await?;
        s.article_feedback(a, live.id, false).await?;
        s.article_feedback(a, live.id, false).await?;
        let after = s.get_article(&Scope::All, live.id).await?;
        assert_eq!((after.helpful, after.unhelpful), (1, 2));
        assert!(is_not_found(s.article_feedback(a, draft.id, true).await), "drafts take no votes");
        assert!(is_not_found(s.article_feedback(b, live.id, true).await), "another shop's page cannot vote");

        s.record_unanswered(a, "ギフトケン", "ギフト券").await?;
        s.record_unanswered(a, "ギフトケン", "ぎふとけん").await?;
        s.record_unanswered(a, "リヨウシユウシヨ", "領収書").await?;
        let gaps = s.unanswered(&Scope::All, a, 10).await?;
        assert_eq!(
            gaps.iter().map(|g| (g.query.as_str(), g.count)).collect::<Vec<_>>(),
            vec![("ぎふとけん", 2), ("領収書", 1)]
        );
        assert!(s.unanswered(&Scope::All, b, 10).await?.is_empty());
        assert!(is_not_found(s.unanswered(&Scope::Merchants(vec![b]), a, 10).await));
        Ok(())
    })
    .await
}

/// History import writes each conversation as it ended up — numbers in sequence, status, first
/// reply, resolution, timeline — with one search-feed entry per conversation, skips what it took
/// before (also twice in one batch), and never queues history for delivery.
#[tokio::test]
async fn history_is_imported_in_bulk_as_it_ended_up() -> Result<()> {
    use madoguchi_store::history::{HistoryConversation, import_message_id};
    use madoguchi_store::search_feed::FeedKind;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        s.create_conversation(&Scope::All, None, &conv(a, Channel::Email)).await?; // number 1
        let start = s.search_feed(1000).await?;
        if let Some(last) = start.last() {
            s.search_feed_done(last.seq).await?;
        }
        let history = |ext: &str, email: &str| {
            let mut record = conv(a, Channel::Email);
            record.status = Some(ConversationStatus::Closed);
            record.created_at = Some(at(2, 9));
            let dated = |d: Direction, body: &str, n: usize, hour: u32| MessageRecord {
                created_at: Some(at(2, hour)),
                ..msg(d, body, Some(&import_message_id(ext, n)))
            };
            record.messages = vec![
                dated(Direction::Inbound, "届きません", 0, 9),
                dated(Direction::Outbound, "確認します", 1, 10),
                dated(Direction::Outbound, "発送しました", 2, 12),
            ];
            HistoryConversation {
                external_id: ext.into(),
                record,
                customer_name: Some("移行 太郎".into()),
                identities: vec![normalize(IdentityKind::Email, email).expect("mail")],
                order_number: None,
            }
        };
        let batch =
            vec![history("h-1", "old@example.jp"), history("h-2", "old@example.jp"), history("h-1", "old@example.jp")];
        let done = s.import_history(a, &batch).await?;
        assert_eq!((done.conversations, done.messages, done.skipped), (2, 6, 1));
        assert_eq!(s.import_history(a, &batch[..1]).await?.skipped, 1, "a second run skips it");

        let page = s.list_conversations(&Scope::All, &ConversationFilter::default(), PageRequest::first(10)).await?;
        let mut imported: Vec<_> = page.items.into_iter().filter(|c| c.created_at == at(2, 9)).collect();
        imported.sort_by_key(|c| c.number);
        assert_eq!(
            imported.iter().map(|c| c.number).collect::<Vec<_>>(),
            vec![2, 3],
            "numbers follow the shop's count"
        );
        let c = &imported[0];
        assert_eq!(c.status, ConversationStatus::Closed);
        assert_eq!(c.first_response_at, Some(at(2, 10)), "the first reply, not the last");
        assert_eq!((c.updated_at, c.resolved_at), (at(2, 12), Some(at(2, 12))));
        // The inbox orders history by its last message; the desk answered, so nobody waits.
        assert_eq!((c.last_message_at, c.waiting_since), (Some(at(2, 12)), None));
        assert_eq!(imported[0].customer_id, imported[1].customer_id, "one customer by the mail address");
        let timeline = s.timeline(&Scope::All, c.id, true).await?;
        let kinds: Vec<EventKind> =
            timeline.iter().filter_map(|t| if let TimelineItem::Event(e) = t { Some(e.kind) } else { None }).collect();
        assert!(kinds.contains(&EventKind::Created) && kinds.contains(&EventKind::FirstResponse));
        let messages: Vec<_> = timeline
            .iter()
            .filter_map(|t| if let TimelineItem::Message(m) = t { Some(m.clone()) } else { None })
            .collect();
        assert_eq!(messages.len(), 3);
        assert!(messages.iter().all(|m| m.delivery_status.is_none()), "history is never delivered");
        assert_eq!(s.outbox_pending().await?, 0, "nothing queued for delivery");

        let feed = s.search_feed(100).await?;
        let convs: Vec<uuid::Uuid> = feed.iter().filter(|f| f.kind == FeedKind::Conversation).map(|f| f.id).collect();
        assert!(convs.contains(&imported[0].id.0) && convs.contains(&imported[1].id.0), "{feed:?}");
        assert_eq!(s.conversation_messages_for_index(c.id.0).await?.len(), 3);
        Ok(())
    })
    .await
}

/// The bot's steps: only while it holds the conversation; a hand-over starts the clocks and
/// moves the chat to the queue, a resolution closes it; the figures count both, per merchant.
#[tokio::test]
async fn the_bot_steps_only_while_it_holds_a_chat() -> Result<()> {
    use madoguchi_core::bot::{BotOutcome, HandOverReason};
    use madoguchi_store::bot::BotStep;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let shop = s.get_merchant(&Scope::All, MerchantKey::Id(a)).await?;
        let open_with_bot = |s: Store| async move {
            let mut record = conv(a, Channel::Chat);
            record.status = Some(ConversationStatus::Bot);
            record.messages = vec![msg(Direction::Inbound, "送料は？", None)];
            s.create_conversation(&Scope::All, None, &record).await
        };
        let c = open_with_bot(s.clone()).await?;
        assert_eq!(
            (c.status, c.bot_outcome, c.first_response_due_at),
            (ConversationStatus::Bot, Some(BotOutcome::Active), None)
        );
        // Until the bot answers, the customer's message is one the sweep would give it again.
        let later = now() + chrono::Duration::seconds(1);
        let waiting = |s: Store| async move {
            s.bot_unanswered(later, 10).await.map(|w| w.into_iter().map(|(_, c, t)| (c, t)).collect::<Vec<_>>())
        };
        assert_eq!(waiting(s.clone()).await?, vec![(c.id, "送料は？".to_owned())]);
        assert!(s.bot_unanswered(now() - chrono::Duration::minutes(1), 10).await?.is_empty(), "not before it is due");
        let said = MessageRecord { author_kind: AuthorKind::Bot, ..msg(Direction::Outbound, "550円です", None) };
        assert!(s.bot_step(&shop, c.id, std::slice::from_ref(&said), &BotStep::Reply { answered: true }).await?);
        assert!(waiting(s.clone()).await?.is_empty(), "answered");
        assert_eq!(s.bot_answers(c.id).await?, Some(1));
        let step = BotStep::HandOver { reason: HandOverReason::NotSolved, articles: vec![] };
        assert!(s.bot_step(&shop, c.id, &[], &step).await?);
        let after = s.get_conversation(&Scope::All, c.id).await?;
        assert_eq!((after.status, after.bot_outcome), (ConversationStatus::New, Some(BotOutcome::HandedOver)));
        assert!(after.first_response_due_at.is_some() && after.first_response_at.is_none());
        // Once handed over, the bot can do nothing more.
        assert!(!s.bot_step(&shop, c.id, std::slice::from_ref(&said), &BotStep::Reply { answered: true }).await?);
        assert_eq!(s.bot_answers(c.id).await?, None);

        let r = open_with_bot(s.clone()).await?;
        assert!(s.bot_step(&shop, r.id, &[], &BotStep::Resolve { article: None }).await?);
        let resolved = s.get_conversation(&Scope::All, r.id).await?;
        assert_eq!((resolved.status, resolved.bot_outcome), (ConversationStatus::Closed, Some(BotOutcome::Resolved)));

        let (from, to) = (now() - chrono::Duration::hours(1), now() + chrono::Duration::hours(1));
        let f = s.bot_figures(&Scope::All, a, from, to).await?;
        assert_eq!((f.chats, f.resolved, f.handed_over, f.active), (2, 1, 1, 0));
        assert_eq!(s.bot_figures(&Scope::All, b, from, to).await?.chats, 0);
        assert!(is_not_found(s.bot_figures(&Scope::Merchants(vec![b]), a, from, to).await));
        Ok(())
    })
    .await
}
