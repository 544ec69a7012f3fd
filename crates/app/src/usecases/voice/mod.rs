//! Calls through the shop's flow, whatever carries them: a call comes in on a shop's number
//! and is stored once on the caller's phone conversation, the flow is walked one input at a
//! time with the position kept on the call, and what happens is recorded as the call's events.
//! An adapter ([`twilio`]) turns a provider's requests into these steps and the resulting turn
//! into what the provider plays; a centre's own PBX reports its calls through [`cti`].

pub mod agents;
pub mod cti;
pub mod desk;
pub mod setup;
pub mod transfer;
pub mod twilio;

use madoguchi_core::access::Scope;
use madoguchi_core::calendar::BusinessCalendar;
use madoguchi_core::enums::ShipmentStatus;
use madoguchi_core::ids::CustomerId;
use madoguchi_core::merchant::Merchant;
use madoguchi_core::page::PageRequest;
use madoguchi_core::time::now;
use madoguchi_core::voice::call::CallEventKind;
use madoguchi_core::voice::flow::VoiceFlow;
use madoguchi_core::voice::ivr::{self, Clock, Input, Turn, Wait};
use madoguchi_store::Store;
use madoguchi_store::merchants::MerchantKey;
use madoguchi_store::orders::OrderFilter;
use madoguchi_store::voice::calls::{Call, NewCallEvent};

use super::error::UseCaseResult;

/// The next turn of `call` after `input`, with the position, what the caller typed and the
/// events it makes stored before the provider is answered. A parcel lookup is done here and
/// walked on at once, so the caller hears the answer in the same turn.
pub async fn step(
    store: &Store,
    merchant: &Merchant,
    flow: &VoiceFlow,
    call: &Call,
    input: Input,
) -> UseCaseResult<Turn> {
    let closed = merchant.closed_day_pairs();
    let calendar = BusinessCalendar { timezone: merchant.tz(), hours: &merchant.business_hours, closed_days: &closed };
    let clock = Clock { calendar: &calendar, now: now() };
    let mut vars = call.vars.clone();
    let keys = match &input {
        Input::Keys(k) => Some(k.clone()),
        _ => None,
    };
    let at = call.position.as_ref();
    if let (Some(k), Some(p)) = (&keys, at) {
        let e = event(
            CallEventKind::IvrInput,
            serde_json::json!({ "keys": k, "step": p.step }),
            format!("keys:{}:{}", p.step, p.tries),
        );
        store.record_call_event(call.id, &e).await?;
    }
    let mut turn = ivr::advance(flow, at, input, &mut vars, &clock);
    // Lookups one after another are each answered (the flow check rules out a loop of them).
    for _ in 0..4 {
        let Wait::ParcelLookup { order } = &turn.wait else { break };
        let found = parcel_status(store, merchant, customer_of(store, call).await?, order.as_deref()).await?;
        let said = std::mem::take(&mut turn.say);
        let mut next = ivr::advance(flow, Some(&turn.at), Input::Looked(found), &mut vars, &clock);
        next.say = said.into_iter().chain(next.say).collect();
        next.path = turn.path.into_iter().chain(next.path).collect();
        turn = next;
    }
    let skill = match &turn.wait {
        Wait::Queue { skill, .. } => skill.clone(),
        _ => None,
    };
    store.set_call_flow(call.id, Some(&turn.at), &vars, skill.as_deref()).await?;
    match &turn.wait {
        Wait::Queue { skill, .. } => {
            let e =
                event(CallEventKind::Queued, serde_json::json!({ "queue": skill }), format!("queued:{}", turn.at.step));
            if store.record_call_event(call.id, &e).await? {
                // Offered to an agent at once, not at the sweep's next pass.
                super::routing::route_soon(store, call.merchant_id);
            }
        }
        Wait::Transfer { number } => {
            let e = event(
                CallEventKind::TransferRequested,
                serde_json::json!({ "kind": "blind", "to": number }),
                format!("transfer:{}", turn.at.step),
            );
            store.record_call_event(call.id, &e).await?;
        }
        Wait::Callback => {
            let number = call.caller.number().map(str::to_owned);
            let e = event(CallEventKind::CallbackRequested, serde_json::json!({ "number": number }), "callback".into());
            store.record_call_event(call.id, &e).await?;
        }
        _ => {}
    }
    Ok(turn)
}

/// An event of the call now, stored once under `key`.
pub fn event(kind: CallEventKind, data: serde_json::Value, key: String) -> NewCallEvent {
    NewCallEvent { kind, at: now(), agent: None, data, dedupe_key: Some(key) }
}

/// The shop whose number was called.
pub async fn merchant_of(store: &Store, call: &Call) -> UseCaseResult<Merchant> {
    Ok(store.get_merchant(&Scope::All, MerchantKey::Id(call.merchant_id)).await?)
}

/// The customer the call's conversation is on (none for an unknown caller).
async fn customer_of(store: &Store, call: &Call) -> UseCaseResult<Option<CustomerId>> {
    Ok(store.get_conversation(&Scope::All, call.conversation_id).await?.customer_id)
}

/// What to read out about the caller's parcel: of the order typed in, else of the caller's
/// latest order; `None` when neither has a parcel (or the caller is unknown).
async fn parcel_status(
    store: &Store,
    merchant: &Merchant,
    customer: Option<CustomerId>,
    order_number: Option<&str>,
) -> UseCaseResult<Option<String>> {
    let scope = Scope::Merchants(vec![merchant.id]);
    let filter = match (order_number, customer) {
        (Some(n), _) => {
            OrderFilter { merchant: Some(merchant.id), order_number: Some(n.to_owned()), ..Default::default() }
        }
        (None, Some(c)) => OrderFilter { merchant: Some(merchant.id), customer: Some(c), ..Default::default() },
        (None, None) => return Ok(None),
    };
    let orders = store.list_orders(&scope, &filter, PageRequest::first(5)).await?.items;
    let Some(order) = orders.into_iter().max_by_key(|o| o.ordered_at) else { return Ok(None) };
    let Some(parcel) = order.shipments.iter().max_by_key(|s| s.shipped_at) else { return Ok(None) };
    let tz = merchant.tz();
    let day = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%-m月%-d日").to_string();
    let status = match parcel.status {
        ShipmentStatus::Preparing => "発送の準備中です".to_owned(),
        ShipmentStatus::Shipped | ShipmentStatus::InTransit => match parcel.shipped_at {
            Some(t) => format!("{}に発送し、お届けに向かっています", day(t)),
            None => "お届けに向かっています".to_owned(),
        },
        ShipmentStatus::OutForDelivery => "本日お届けの予定です".to_owned(),
        ShipmentStatus::Delivered => match parcel.delivered_at {
            Some(t) => format!("{}にお届けが完了しています", day(t)),
            None => "お届けが完了しています".to_owned(),
        },
        ShipmentStatus::Absent => "ご不在のため持ち戻りとなっています".to_owned(),
        ShipmentStatus::Returned => "当店へ返送されています".to_owned(),
        ShipmentStatus::Exception => "配送に問題が生じているため、担当者よりご案内します".to_owned(),
    };
    // Digits read one by one, as an order number is spoken.
    let number: String = order.order_number.chars().map(String::from).collect::<Vec<_>>().join("、");
    Ok(Some(format!("ご注文番号、{number}、のお荷物は、{status}。")))
}
