//! A shop's phone set-up over the API: flows checked whole and versioned, numbers in E.164 with
//! the URLs to give the provider and the secret never returned, one shop per number, for the
//! shop's admin and the centre's admins only — and a number set up this way answers a call.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use common::TestApp;
use madoguchi_channels::voice::twilio::signature;
use madoguchi_server::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PUBLIC: &str = "https://desk.example.jp";

fn menu() -> Value {
    json!({ "start": "menu", "steps": {
        "menu": { "kind": "menu", "prompt": { "kind": "text", "text": "ご用件の番号を押してください。" },
                  "options": { "1": "q" }, "otherwise": "q" },
        "q": { "kind": "queue" } } })
}

#[tokio::test]
async fn a_shops_admin_sets_up_a_flow_and_a_number_that_answers_a_call() -> anyhow::Result<()> {
    let app = TestApp::start_with(Settings { public_url: Some(PUBLIC.into()), ..Settings::default() }).await?;
    let flows = "/api/v1/merchants/shop-a/voice/flows/main";

    let (s, v) = app.send(Method::PUT, flows, "merchant_admin", menu()).await?;
    assert_eq!((s, v["version"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    let (s, v) = app.send(Method::PUT, flows, "merchant_admin", menu()).await?;
    assert_eq!((s, v["version"].as_i64()), (StatusCode::OK, Some(2)), "each save a version");
    let (_, v) = app.get(flows, "merchant_admin").await?;
    assert_eq!((v["version"].as_i64(), &v["flow"]["steps"]["menu"]["options"]), (Some(2), &json!({ "1": "q" })));
    let m = &v["flow"]["steps"]["menu"];
    assert_eq!(
        (m["retries"].as_i64(), m["timeout_seconds"].as_i64()),
        (Some(2), Some(5)),
        "the defaults are written out"
    );

    // A flow that strands a caller is refused with the step named; so is a misspelt kind.
    let dangling = json!({ "start": "a", "steps": { "a": { "kind": "announce", "prompt": { "kind": "text", "text": "x" }, "next": "b" } } });
    let (s, e) = app.send(Method::PUT, flows, "merchant_admin", dangling).await?;
    assert_eq!(
        (s, e["code"].as_str(), e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_step"), Some("steps.a")),
        "{e}"
    );
    let (s, _) = app
        .send(Method::PUT, flows, "merchant_admin", json!({ "start": "a", "steps": { "a": { "kind": "dance" } } }))
        .await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A recorded prompt would play nothing while recordings are not served: refused.
    let recorded = json!({ "start": "a", "steps": {
        "a": { "kind": "hangup", "prompt": { "kind": "recording", "file": "prompts/closing.wav" } } } });
    let (s, e) = app.send(Method::PUT, flows, "merchant_admin", recorded).await?;
    assert_eq!(
        (s, e["code"].as_str(), e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_supported"), Some("steps.a")),
        "{e}"
    );
    let (s, e) = app.send(Method::PUT, "/api/v1/merchants/shop-a/voice/flows/Main!", "merchant_admin", menu()).await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_key")), "{e}");
    // Not the desk's agents, not another shop's admin.
    assert_eq!(app.send(Method::PUT, flows, "agent", menu()).await?.0, StatusCode::FORBIDDEN);
    let other = "/api/v1/merchants/shop-b/voice/flows/main";
    assert_eq!(app.send(Method::PUT, other, "merchant_admin", menu()).await?.0, StatusCode::NOT_FOUND);

    // A number typed as people write it, with the URLs for the provider and no secret back.
    let numbers = "/api/v1/merchants/shop-a/phone_numbers";
    let auth = "twilio-auth-token-0123";
    let body =
        json!({ "number": "０５０（１２３４）５６７８", "label": "代表", "provider": "twilio", "auth_token": auth });
    let (s, n) = app.send(Method::POST, numbers, "merchant_admin", body.clone()).await?;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    assert_eq!((n["number"].as_str(), n["flow"].as_str()), (Some("+815012345678"), Some("main")));
    let voice_url = n["voice_url"].as_str().unwrap().to_owned();
    assert!(voice_url.starts_with(&format!("{PUBLIC}/api/v1/inbound/voice/twilio/")), "{voice_url}");
    assert_eq!(n["status_callback_url"].as_str(), Some(format!("{voice_url}?e=status").as_str()));
    let (_, list) = app.get(numbers, "merchant_admin").await?;
    assert!(!list.to_string().contains(auth) && !n.to_string().contains(auth), "the secret never comes back");
    assert_eq!(list["numbers"][0]["auth_token_set"], true);

    // The same number for another shop: refused, the dialled number decides the shop.
    let (s, e) = app.send(Method::POST, "/api/v1/merchants/shop-b/phone_numbers", "admin", body).await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("number_taken")), "{e}");
    for (field, bad) in [
        ("number", json!({ "number": "12", "provider": "twilio", "auth_token": auth })),
        ("provider", json!({ "number": "050-9999-0000", "provider": "vonage", "auth_token": auth })),
        ("auth_token", json!({ "number": "050-9999-0000", "provider": "twilio", "auth_token": "" })),
    ] {
        let (s, e) = app.send(Method::POST, numbers, "merchant_admin", bad).await?;
        assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{e}");
    }
    assert_eq!(
        app.send(
            Method::POST,
            numbers,
            "agent",
            json!({ "number": "050-9999-0001", "provider": "twilio", "auth_token": auth })
        )
        .await?
        .0,
        StatusCode::FORBIDDEN
    );

    // Twilio calls the number: the shop's menu answers.
    let path = voice_url.strip_prefix(PUBLIC).unwrap();
    let params: Vec<(String, String)> =
        [("CallSid", "CA00000000000000000000000000000a1"), ("From", "+819012345678"), ("To", "+815012345678")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("X-Twilio-Signature", signature(&voice_url, &params, auth))
        .form(&params)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    let xml = r.text().await?;
    assert!(xml.contains("ご用件の番号を押してください。") && xml.contains("<Gather"), "{xml}");
    Ok(())
}
