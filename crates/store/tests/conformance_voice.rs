//! Store conformance (see `conformance.rs`): the phone channel on both databases — numbers that
//! lead to one shop, versioned flows, calls stored once on the caller's conversation (never on a
//! stranger's for a withheld number), events stored once per delivery with the call's state and
//! contact record derived from them.

mod common;

use common::*;
use madoguchi_core::voice::call::{CallDirection, CallEventKind, CallState};
use madoguchi_core::voice::caller::Caller;
use madoguchi_core::voice::flow::VoiceFlow;
use madoguchi_store::voice::calls::{NewCall, NewCallEvent};
use madoguchi_store::voice::numbers::NewPhoneNumber;

fn number(e164: &str, token: &str) -> NewPhoneNumber {
    NewPhoneNumber {
        e164: e164.into(),
        label: "代表".into(),
        flow_name: "main".into(),
        provider: "twilio".into(),
        inbound_token: token.into(),
        account_sid: Some("AC1".into()),
        auth_token: Some("secret".into()),
    }
}

fn flow(queue_skill: &str) -> VoiceFlow {
    serde_json::from_value(serde_json::json!({
        "start": "q", "steps": { "q": { "kind": "queue", "skill": queue_skill } }
    }))
    .expect("flow")
}

fn incoming(m: MerchantId, sid: &str, from: &str, second: i64) -> NewCall {
    NewCall {
        merchant: m,
        phone_number: None,
        provider: "twilio".into(),
        provider_call_id: sid.into(),
        direction: CallDirection::Inbound,
        caller: Caller::parse(from),
        to_e164: "+81501234567".into(),
        flow_name: Some("main".into()),
        flow_version: Some(1),
        at: at(8, 10) + chrono::Duration::seconds(second),
    }
}

fn event(kind: CallEventKind, second: i64, agent: Option<UserId>, key: &str) -> NewCallEvent {
    NewCallEvent {
        kind,
        at: at(8, 10) + chrono::Duration::seconds(second),
        agent,
        data: serde_json::json!({}),
        dedupe_key: Some(key.into()),
    }
}

#[tokio::test]
async fn a_number_leads_to_one_shop_and_flows_keep_their_versions() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "voice-a").await?;
        let b = merchant(&s, "voice-b").await?;
        let added = s.add_phone_number(&Scope::All, a, &number("+81501234567", "tok-a")).await?;
        assert_eq!(s.phone_number_by_token("tok-a").await?.map(|n| n.merchant_id), Some(a));
        assert!(s.phone_number_by_token("tok-x").await?.is_none());
        let taken = s.add_phone_number(&Scope::All, b, &number("+81501234567", "tok-b")).await;
        assert!(matches!(taken, Err(StoreError::Conflict { code: "number_taken", .. })), "{taken:?}");
        assert!(is_not_found(s.phone_numbers(&Scope::Merchants(vec![b]), a).await), "another shop's numbers");
        assert_eq!(s.phone_numbers(&Scope::All, a).await?, vec![added]);

        assert_eq!(s.save_voice_flow(&Scope::All, None, a, "main", &flow("配送")).await?, 1);
        assert_eq!(s.save_voice_flow(&Scope::All, None, a, "main", &flow("返品")).await?, 2);
        let newest = s.voice_flow(&Scope::All, a, "main", None).await?.expect("a flow");
        assert_eq!((newest.version, newest.flow), (2, flow("返品")));
        let first = s.voice_flow(&Scope::All, a, "main", Some(1)).await?.expect("version 1");
        assert_eq!(first.flow, flow("配送"), "a call that began on version 1 keeps it");
        assert!(s.voice_flow(&Scope::All, b, "main", None).await?.is_none(), "flows are per shop");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_call_is_stored_once_on_the_callers_conversation_and_a_withheld_one_on_nobodys() -> Result<()> {
    on_each_backend(|s| async move {
        let m = merchant(&s, "voice-calls").await?;
        let hanako = s.create_customer(&Scope::All, None, m, &profile("電話 花子"), &[phone("090-1234-5678")]).await?;

        let (call, made) = s.start_call(&incoming(m, "CA1", "+819012345678", 0)).await?;
        assert!(made);
        let conv = s.get_conversation(&Scope::All, call.conversation_id).await?;
        assert_eq!((conv.channel, conv.customer_id), (Channel::Phone, Some(hanako.id)), "her number, her history");
        assert_eq!(call.state, CallState::Ivr);
        // The provider asks again for the same call: the same call, no second conversation.
        let (again, made) = s.start_call(&incoming(m, "CA1", "+819012345678", 3)).await?;
        assert_eq!((again.id, made), (call.id, false));
        assert_eq!(s.calls_of_conversation(&Scope::All, conv.id).await?.len(), 1);

        // Two withheld calls: two conversations with no customer, and no customer made.
        let customers = || async {
            let filter = madoguchi_store::customers::CustomerFilter::default();
            Ok::<_, madoguchi_store::StoreError>(
                s.list_customers(&Scope::All, &filter, PageRequest::first(100)).await?.items.len(),
            )
        };
        let before = customers().await?;
        for sid in ["CA2", "CA3"] {
            let (c, _) = s.start_call(&incoming(m, sid, "anonymous", 10)).await?;
            assert_eq!(s.get_conversation(&Scope::All, c.conversation_id).await?.customer_id, None);
            assert_eq!(c.caller.shown_ja(), "非通知");
        }
        let after = customers().await?;
        assert_eq!(before, after, "a withheld number is nobody's");
        // A new number makes a new customer with that number.
        let (c, _) = s.start_call(&incoming(m, "CA4", "03-1234-5678", 20)).await?;
        let conv = s.get_conversation(&Scope::All, c.conversation_id).await?;
        let found = s.find_customer_by_identity(&Scope::All, m, IdentityKind::Phone, "+81312345678").await?;
        assert_eq!(conv.customer_id, Some(found.id));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn events_are_stored_once_and_the_call_follows_them_in_time_order() -> Result<()> {
    on_each_backend(|s| async move {
        let m = merchant(&s, "voice-events").await?;
        let agent = s
            .create_user(
                None,
                NewUserRecord {
                    public_name: String::new(),
                    login: "voice.agent".into(),
                    display_name: "電話 担当".into(),
                    role: Role::Agent,
                    password_hash: "$argon2id$not-a-real-hash".into(),
                    email: None,
                    merchants: vec![m],
                },
            )
            .await?;
        let (call, _) = s.start_call(&incoming(m, "CA9", "+819012345678", 0)).await?;
        assert!(s.record_call_event(call.id, &event(CallEventKind::Queued, 10, None, "queued")).await?);
        assert!(
            !s.record_call_event(call.id, &event(CallEventKind::Queued, 10, None, "queued")).await?,
            "twice is once"
        );
        s.record_call_event(call.id, &event(CallEventKind::AgentOffered, 30, Some(agent.id), "ring-1")).await?;
        let ringing = s.get_call(&Scope::All, call.id).await?;
        assert_eq!((ringing.state, ringing.offered_to), (CallState::Ringing, Some(agent.id)));
        // A phone memo typed in and left open is not a call: it does not make the agent busy.
        let mut memo = conv(m, Channel::Phone);
        memo.assignee_id = Some(agent.id);
        s.create_conversation(&Scope::All, None, &memo).await?;
        assert_eq!(s.live_contacts(agent.id).await?, 0, "ringing and a typed-in memo are not live contacts");
        s.record_call_event(call.id, &event(CallEventKind::Answered, 40, Some(agent.id), "answered")).await?;
        assert_eq!(s.live_contacts(agent.id).await?, 1, "on the call");
        // The hang-up arrives before the hold callbacks it follows in time.
        s.record_call_event(call.id, &event(CallEventKind::Ended, 200, None, "completed")).await?;
        s.record_call_event(call.id, &event(CallEventKind::Hold, 60, Some(agent.id), "hold-1")).await?;
        s.record_call_event(call.id, &event(CallEventKind::Unhold, 90, Some(agent.id), "unhold-1")).await?;
        let done = s.get_call(&Scope::All, call.id).await?;
        assert_eq!((done.state, done.agent_id, done.offered_to), (CallState::Ended, Some(agent.id), None));
        assert_eq!(s.live_contacts(agent.id).await?, 0, "the call is over");
        assert_eq!(done.ended_at, Some(at(8, 10) + chrono::Duration::seconds(200)));
        let r = &done.record;
        assert_eq!((r.queue_seconds, r.talk_seconds, r.hold_seconds, r.holds), (30, 160, 30, 1));
        assert!(!r.abandoned);
        let kinds: Vec<_> = s.call_events(&Scope::All, call.id).await?.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds.first(), Some(&CallEventKind::Offered));
        assert_eq!(kinds.len(), 7, "{kinds:?}");
        // Another shop's people cannot read the call.
        let other = merchant(&s, "voice-other").await?;
        assert!(is_not_found(s.get_call(&Scope::Merchants(vec![other]), call.id).await));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_queued_call_is_routed_an_agent_on_it_is_not_and_its_commands_are_claimed_once() -> Result<()> {
    use madoguchi_core::presence::Presence;
    use madoguchi_core::voice::control::CallCommand;
    on_each_backend(|s| async move {
        let m = merchant(&s, "voice-routing").await?;
        let agent = s
            .create_user(
                None,
                NewUserRecord {
                    public_name: String::new(),
                    login: "voice.router".into(),
                    display_name: "電話 受付".into(),
                    role: Role::Agent,
                    password_hash: "$argon2id$not-a-real-hash".into(),
                    email: None,
                    merchants: vec![m],
                },
            )
            .await?;
        s.set_presence(agent.id, Presence::Available).await?;
        let (call, _) = s.start_call(&incoming(m, "CA-route", "+819011112222", 0)).await?;
        let waiting = |s: madoguchi_store::Store| async move {
            let (contacts, _) = s.routing_snapshot(m).await?;
            Ok::<_, madoguchi_store::StoreError>(
                contacts.into_iter().map(|c| (c.conversation_id, c.queue)).collect::<Vec<_>>(),
            )
        };
        assert!(waiting(s.clone()).await?.is_empty(), "a call still in the shop's menu waits for no agent");
        s.set_call_flow(call.id, None, &Default::default(), Some("配送")).await?;
        s.record_call_event(call.id, &event(CallEventKind::Queued, 10, None, "queued")).await?;
        assert_eq!(
            waiting(s.clone()).await?,
            vec![(call.conversation_id, Some("配送".to_owned()))],
            "queued, it waits in its skill's queue"
        );
        // The board sees the caller waiting in that queue, and the call among today's.
        let day = call.created_at - chrono::Duration::hours(1);
        let calls = s.board(&Scope::All, m, day).await?.calls;
        assert_eq!(calls.queues.iter().map(|q| (q.queue.as_str(), q.waiting)).collect::<Vec<_>>(), vec![("配送", 1)]);
        assert_eq!((calls.offered, calls.answered, calls.on_call), (1, 0, 0));
        let tomorrow = call.created_at + chrono::Duration::hours(1);
        let later = s.board(&Scope::All, m, tomorrow).await?.calls;
        assert_eq!((later.offered, later.queues.len()), (0, 1), "still waiting on the next day's board");
        // Two routing passes at once cannot give the agent two calls: the second offer, made
        // on a snapshot taken before the first was applied, is refused.
        let (second, _) = s.start_call(&incoming(m, "CA-route-2", "+819033334444", 5)).await?;
        s.record_call_event(second.id, &event(CallEventKind::Queued, 12, None, "queued-2")).await?;
        use madoguchi_core::routing::Offer;
        assert!(s.apply_offer(m, Offer { conversation_id: call.conversation_id, user_id: agent.id }).await?);
        let again = Offer { conversation_id: second.conversation_id, user_id: agent.id };
        assert!(!s.apply_offer(m, again).await?, "offered one call, the agent is offered no other");
        // Ringing at the agent, the agent has no room for another call.
        s.record_call_event(call.id, &event(CallEventKind::AgentOffered, 20, Some(agent.id), "ring")).await?;
        let (_, agents) = s.routing_snapshot(m).await?;
        assert!(agents.iter().any(|a| a.user_id == agent.id && a.on_call), "{agents:?}");

        // Commands: claimed by one worker at a time, retried, then given up.
        let ring = CallCommand::RingAgent { agent: agent.id, ring_seconds: 25 };
        s.enqueue_call_command(m, call.id, &ring).await?;
        assert_eq!(s.call_commands_pending().await?, 1);
        let now = chrono::Utc::now();
        let lease = chrono::Duration::seconds(20);
        let item = s.claim_call_command(now, lease).await?.expect("due");
        assert_eq!((item.call_id, &item.command, item.attempts), (call.id, &ring, 1));
        assert!(s.claim_call_command(now, lease).await?.is_none(), "held by the first worker");
        assert!(!s.call_command_failed(&item, "Twilio: 503", false).await?, "tried again");
        let later = now + chrono::Duration::seconds(5);
        let again = s.claim_call_command(later, lease).await?.expect("due again");
        assert_eq!(again.attempts, 2);
        s.call_command_sent(&again, Some("CA-leg-1")).await?;
        assert_eq!(s.call_commands_pending().await?, 0);
        assert!(s.claim_call_command(later + lease * 2, lease).await?.is_none(), "sent is never sent again");
        s.enqueue_call_command(m, call.id, &CallCommand::BridgeCaller).await?;
        let bridge = s.claim_call_command(later, lease).await?.expect("due");
        assert!(s.call_command_failed(&bridge, "Twilio: 401", true).await?, "a refusal is given up at once");

        // The legs placed for the call: the latest to an agent is the one a cancel stops.
        s.add_call_leg(m, call.id, "agent", Some(agent.id), "CA-leg-1").await?;
        s.add_call_leg(m, call.id, "agent", Some(agent.id), "CA-leg-1").await?;
        s.add_call_leg(m, call.id, "agent", Some(agent.id), "CA-leg-2").await?;
        assert_eq!(s.agent_leg(call.id, agent.id).await?.as_deref(), Some("CA-leg-2"));

        // Live calls heard nothing of are found for the reconciler; one asked about is not again.
        let soon = chrono::Utc::now() + chrono::Duration::hours(1);
        let quiet = s.quiet_calls("twilio", soon, 10).await?;
        assert!(quiet.contains(&call.id) && quiet.contains(&second.id), "{quiet:?}");
        s.call_still_live(call.id, soon + chrono::Duration::seconds(1)).await?;
        assert_eq!(s.quiet_calls("twilio", soon, 10).await?, vec![second.id]);
        assert!(s.quiet_calls("pbx", soon, 10).await?.is_empty(), "by provider");
        Ok(())
    })
    .await
}
