//! `madoguchi simulate-call` against `madoguchi demo`: with no provider at all, a call to the
//! gift shop's number goes through its menu, rings the one agent at work, is answered on the
//! (simulated) desk phone, and ends with the agent in after-call work and the board counting
//! it. A number that is not the demo's is refused.

mod common;

use common::{BIN, spawn, wait_for_credentials};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

async fn call(method: reqwest::Method, base: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{base}{path}")).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    match req.send().await {
        Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or(Value::Null)),
        Err(_) => (0, Value::Null),
    }
}

fn token<'a>(creds: &'a Value, login: &str) -> &'a str {
    creds["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["login"] == login))
        .and_then(|u| u["api_token"].as_str())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_call_rings_the_agent_at_work_and_is_answered() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let _demo = spawn(dir.path(), &["demo"], &[])?;
    let creds = wait_for_credentials(dir.path(), None)?;
    let base = creds["base_url"].as_str().unwrap_or_default().to_owned();
    assert!(creds["phone_simulator"].as_str().is_some_and(|a| a.starts_with("http://127.0.0.1:")), "{creds}");
    let admin = token(&creds, "admin");
    let deadline = Instant::now() + Duration::from_secs(60);
    while call(reqwest::Method::GET, &base, "/api/v1/me/presence", admin, None).await.0 != 200 {
        anyhow::ensure!(Instant::now() < deadline, "the demo did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Open round the clock, and only 佐藤 at work.
    let day = json!([{ "open": "00:00", "close": "24:00" }]);
    let hours = json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day, "closed_on_national_holidays": false });
    let body = json!({ "business_hours": hours, "closed_days": [] });
    let (s, b) = call(reqwest::Method::PATCH, &base, "/api/v1/merchants/hanamaru-gift", admin, Some(body)).await;
    anyhow::ensure!(s == 200, "{s} {b}");
    for u in creds["users"].as_array().into_iter().flatten().filter(|u| u["login"] != "agent.sato") {
        let t = u["api_token"].as_str().unwrap_or_default();
        call(reqwest::Method::PUT, &base, "/api/v1/me/presence", t, Some(json!({ "presence": "offline" }))).await;
    }
    let sato = token(&creds, "agent.sato");
    let (s, b) =
        call(reqwest::Method::PUT, &base, "/api/v1/me/presence", sato, Some(json!({ "presence": "available" }))).await;
    anyhow::ensure!(s == 200, "{s} {b}");

    let simulate = |args: &[&str]| {
        Command::new(BIN)
            .arg("simulate-call")
            .args(args)
            .env("MADOGUCHI_DATA_DIR", dir.path())
            .env("MADOGUCHI_LOG", "warn")
            .output()
    };
    let out = tokio::task::block_in_place(|| {
        simulate(&["--to", "050-5550-0101", "--digits", "3", "--answer-after", "1", "--talk", "2"])
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for said in ["ギフトの花まる", "⌨ 3", "呼び出しています", "担当者とつながりました", "お客様が電話を切りました"]
    {
        assert!(stdout.contains(said), "{said} in:\n{stdout}");
    }
    // The desk saw a real call: answered, over, the agent in after-call work.
    let (_, me) = call(reqwest::Method::GET, &base, "/api/v1/me/presence", sato, None).await;
    assert_eq!(me["presence"], "after_contact_work", "{me}");
    let sv = token(&creds, "sv.tanaka");
    let (_, board) = call(reqwest::Method::GET, &base, "/api/v1/merchants/hanamaru-gift/board", sv, None).await;
    assert_eq!((&board["calls"]["offered"], &board["calls"]["answered"]), (&json!(1), &json!(1)), "{board}");
    let (_, phone) = call(reqwest::Method::GET, &base, "/api/v1/me/phone", sato, None).await;
    assert_eq!(phone["call"], Value::Null, "nothing is left on the phone: {phone}");

    let out = tokio::task::block_in_place(|| simulate(&["--to", "03-1234-5678"]))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("is not a demo number"), "{stderr}");
    Ok(())
}
