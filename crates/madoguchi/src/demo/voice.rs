//! The demo's phone numbers: each shop a number and a flow — the gift shop's menu (1 ご注文・
//! お届け with the order number and its parcel read back, 2 返品・交換, 3 その他; voicemail after
//! hours or when nobody is free), the produce shop's shorter one — and the Auth Token the
//! demo's calls are signed with, for `madoguchi simulate-call` and a real provider alike.

use madoguchi_core::access::Scope;
use madoguchi_core::merchant::Merchant;
use madoguchi_core::voice::flow::VoiceFlow;
use madoguchi_store::Store;
use madoguchi_store::voice::numbers::NewPhoneNumber;
use serde::{Deserialize, Serialize};

/// A demo shop's number, where a provider is pointed, and the secret its requests carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoPhoneNumber {
    pub merchant: String,
    pub number: String,
    pub voice_url: String,
    pub account_sid: String,
    pub auth_token: String,
}

fn gift_flow(shop: &str) -> serde_json::Value {
    serde_json::json!({
        "start": "notice",
        "steps": {
            "notice": { "kind": "announce", "prompt": { "kind": "text", "text": format!("お電話ありがとうございます。{shop}でございます。この通話は品質向上のため録音させていただきます。") }, "next": "hours" },
            "hours": { "kind": "hours", "open": "menu", "closed": "after_hours", "holiday": "after_hours" },
            "menu": { "kind": "menu", "prompt": { "kind": "text", "text": "ご注文・お届けについては1を、返品・交換については2を、その他のお問い合わせは3を押してください。" },
                      "options": { "1": "order", "2": "returns", "3": "other" }, "otherwise": "other" },
            "order": { "kind": "collect", "prompt": { "kind": "text", "text": "ご注文番号を入力し、最後にシャープを押してください。わからない場合はそのままお待ちください。" },
                       "store_as": "order", "min_digits": 4, "max_digits": 12, "read_back": true, "next": "parcel", "otherwise": "delivery" },
            "parcel": { "kind": "parcel_status", "next": "delivery", "not_found": "delivery" },
            "delivery": { "kind": "queue", "max_wait_seconds": 300, "overflow": "busy" },
            "returns": { "kind": "queue", "max_wait_seconds": 300, "overflow": "busy" },
            "other": { "kind": "queue", "max_wait_seconds": 300, "overflow": "busy" },
            "after_hours": { "kind": "voicemail", "prompt": { "kind": "text", "text": "本日の受付は終了いたしました。受付時間は平日9時から18時、土曜日は10時から17時です。発信音のあとにご用件とお名前をお話しください。" } },
            "busy": { "kind": "voicemail", "prompt": { "kind": "text", "text": "ただいま電話が大変混み合っております。発信音のあとにご用件とお名前をお話しください。折り返しご連絡いたします。" } }
        }
    })
}

fn produce_flow(shop: &str) -> serde_json::Value {
    serde_json::json!({
        "start": "notice",
        "steps": {
            "notice": { "kind": "announce", "prompt": { "kind": "text", "text": format!("お電話ありがとうございます。{shop}です。この通話は品質向上のため録音させていただきます。") }, "next": "hours" },
            "hours": { "kind": "hours", "open": "desk", "closed": "after_hours" },
            "desk": { "kind": "queue", "max_wait_seconds": 180, "overflow": "after_hours" },
            "after_hours": { "kind": "voicemail", "prompt": { "kind": "text", "text": "ただいま電話に出ることができません。発信音のあとにご用件をお話しください。" } }
        }
    })
}

/// A number and a flow for the shop (the `n`-th demo shop), with the secrets to sign its calls.
pub async fn seed(store: &Store, merchant: &Merchant, n: usize, base_url: &str) -> anyhow::Result<DemoPhoneNumber> {
    let flow = if n == 0 { gift_flow(&merchant.name) } else { produce_flow(&merchant.name) };
    let flow: VoiceFlow = serde_json::from_value(flow)?;
    flow.validate()?;
    store.save_voice_flow(&Scope::All, None, merchant.id, "main", &flow).await?;
    // 050-5550-01xx: numbers of the demo, not anyone's.
    let number = format!("+8150555001{:02}", n + 1);
    let token = madoguchi_app::new_inbound_token();
    let account_sid = format!("AC{}", &madoguchi_app::new_inbound_token()[..32]);
    let auth_token = madoguchi_app::new_inbound_token();
    let added = store
        .add_phone_number(
            &Scope::All,
            merchant.id,
            &NewPhoneNumber {
                e164: number.clone(),
                label: "代表".into(),
                flow_name: "main".into(),
                provider: "twilio".into(),
                inbound_token: token.clone(),
                account_sid: Some(account_sid.clone()),
                auth_token: Some(auth_token.clone()),
            },
        )
        .await?;
    Ok(DemoPhoneNumber {
        merchant: merchant.slug.clone(),
        number: added.e164,
        voice_url: format!("{base_url}/api/v1/inbound/voice/twilio/{token}"),
        account_sid,
        auth_token,
    })
}
