//! A stand-in for Twilio in the voice tests: a shop A number with the gift shop's flow, and a
//! caller whose requests are signed with the number's Auth Token over the desk's public URL and
//! follow the TwiML's URLs as Twilio would.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

use madoguchi_channels::voice::twilio::signature;
use madoguchi_core::access::Scope;
use madoguchi_server::Settings;
use madoguchi_store::voice::numbers::NewPhoneNumber;
use reqwest::StatusCode;
use serde_json::json;

use super::TestApp;
use super::chat::set_hours;

pub const PUBLIC: &str = "https://desk.example.jp";
pub const TOKEN: &str = "voice-token-shop-a";
pub const AUTH: &str = "twilio-auth-token-a";
pub const NUMBER: &str = "+815012345678";

/// The gift shop's flow: notice, hours, menu (1 order with digits, 2 returns, 3 other), a
/// queue that overflows to voicemail after five minutes, voicemail after hours.
pub fn flow() -> serde_json::Value {
    json!({
        "start": "notice",
        "steps": {
            "notice": { "kind": "announce", "prompt": { "kind": "text", "text": "お電話ありがとうございます。A店です。この通話は品質向上のため録音させていただきます。" }, "next": "hours" },
            "hours": { "kind": "hours", "open": "menu", "closed": "after_hours" },
            "menu": { "kind": "menu", "prompt": { "kind": "text", "text": "ご注文・お届けは1を、返品・交換は2を、その他は3を押してください。" },
                      "options": { "1": "order", "2": "returns", "3": "other" }, "otherwise": "other" },
            "order": { "kind": "collect", "prompt": { "kind": "text", "text": "ご注文番号を入力し、最後にシャープを押してください。" },
                       "store_as": "order", "min_digits": 4, "max_digits": 12, "read_back": true, "next": "parcel", "otherwise": "delivery" },
            "parcel": { "kind": "parcel_status", "next": "delivery", "not_found": "delivery" },
            "delivery": { "kind": "queue", "skill": "配送", "max_wait_seconds": 300, "overflow": "voicemail" },
            "returns": { "kind": "queue", "skill": "返品・交換" },
            "other": { "kind": "queue" },
            "after_hours": { "kind": "voicemail", "prompt": { "kind": "text", "text": "本日の受付は終了しました。発信音のあとにご用件をお話しください。" } },
            "voicemail": { "kind": "voicemail", "prompt": { "kind": "text", "text": "ただいま混み合っております。発信音のあとにご用件をお話しください。" } }
        }
    })
}

/// The account the number belongs to.
pub const ACCOUNT: &str = "AC00000000000000000000000000000000";

pub async fn app() -> TestApp {
    app_with(Settings::default()).await
}

/// The server with these settings (and the public URL Twilio is given), shop A's number and
/// flow, and shop A open now.
pub async fn app_with(settings: Settings) -> TestApp {
    let settings = Settings { public_url: Some(PUBLIC.into()), ..settings };
    let app = TestApp::start_with(settings).await.unwrap();
    let number = NewPhoneNumber {
        e164: NUMBER.into(),
        label: "代表".into(),
        flow_name: "main".into(),
        provider: "twilio".into(),
        inbound_token: TOKEN.into(),
        account_sid: Some(ACCOUNT.into()),
        auth_token: Some(AUTH.into()),
    };
    app.store.add_phone_number(&Scope::All, app.a.id, &number).await.unwrap();
    let flow = serde_json::from_value(flow()).unwrap();
    app.store.save_voice_flow(&Scope::All, None, app.a.id, "main", &flow).await.unwrap();
    set_hours(&app, "shop-a", true).await;
    app
}

/// Twilio, posting to the number's URL with `?e=event` and signing what it sends.
pub struct Twilio<'a> {
    pub app: &'a TestApp,
    pub sid: String,
    pub from: String,
}

impl Twilio<'_> {
    pub fn params(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut p = vec![
            ("AccountSid".to_owned(), "AC00000000000000000000000000000000".to_owned()),
            ("CallSid".to_owned(), self.sid.clone()),
            ("From".to_owned(), self.from.clone()),
            ("To".to_owned(), NUMBER.to_owned()),
            ("Direction".to_owned(), "inbound".to_owned()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        ];
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            p.push(((*k).to_owned(), (*v).to_owned()));
        }
        p
    }

    pub async fn post_signed(
        &self,
        path_and_query: &str,
        params: &[(String, String)],
        sig: Option<String>,
    ) -> (StatusCode, String) {
        let mut req = self.app.client.post(format!("{}{path_and_query}", self.app.base)).form(params);
        if let Some(s) = sig {
            req = req.header("X-Twilio-Signature", s);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// A request for `event` (none: the incoming call) with these extra parameters.
    pub async fn post(&self, event: Option<&str>, extra: &[(&str, &str)]) -> String {
        let path = match event {
            Some(e) => format!("/api/v1/inbound/voice/twilio/{TOKEN}?e={e}"),
            None => format!("/api/v1/inbound/voice/twilio/{TOKEN}"),
        };
        let params = self.params(extra);
        let sig = signature(&format!("{PUBLIC}{path}"), &params, AUTH);
        let (s, body) = self.post_signed(&path, &params, Some(sig)).await;
        assert_eq!(s, StatusCode::OK, "{event:?}: {body}");
        assert!(body.starts_with("<?xml"), "TwiML: {body}");
        body
    }

    /// A request to a URL the desk gave Twilio (its public address, as in a REST call's `Url`),
    /// signed over that URL.
    pub async fn post_to(&self, url: &str, extra: &[(&str, &str)]) -> String {
        let path = url.strip_prefix(PUBLIC).unwrap_or_else(|| panic!("{url} is not the desk's public URL"));
        let params = self.params(extra);
        let sig = signature(url, &params, AUTH);
        let (s, body) = self.post_signed(path, &params, Some(sig)).await;
        assert_eq!(s, StatusCode::OK, "{url}: {body}");
        assert!(body.starts_with("<?xml"), "TwiML: {body}");
        body
    }

    /// Like [`Twilio::post`], as one delivery Twilio may send again (`I-Twilio-Idempotency-Token`).
    pub async fn post_delivery(&self, event: &str, extra: &[(&str, &str)], delivery: &str) -> String {
        let path = format!("/api/v1/inbound/voice/twilio/{TOKEN}?e={event}");
        let params = self.params(extra);
        let sig = signature(&format!("{PUBLIC}{path}"), &params, AUTH);
        let r = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .form(&params)
            .header("X-Twilio-Signature", sig)
            .header("I-Twilio-Idempotency-Token", delivery)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.unwrap()
    }

    pub async fn call(&self) -> madoguchi_store::voice::calls::Call {
        self.app.store.call_by_provider_id("twilio", &self.sid).await.unwrap().expect("the call is stored")
    }
}

pub fn twilio<'a>(app: &'a TestApp, sid: &str, from: &str) -> Twilio<'a> {
    Twilio { app, sid: sid.into(), from: from.into() }
}

/// The URL a verb's attribute points Twilio at, as Twilio would follow it.
pub fn follows(xml: &str, attr: &str) -> String {
    let start = xml.find(&format!("{attr}=\"")).unwrap_or_else(|| panic!("no {attr} in {xml}")) + attr.len() + 2;
    let end = start + xml[start..].find('"').unwrap();
    xml[start..end].replace("&amp;", "&")
}
