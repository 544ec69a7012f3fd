//! A node's role decides what it serves and which background jobs it runs.

mod common;

use common::TestApp;
use madoguchi_app::jobs::NodeRole;
use madoguchi_app::settings::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let resp = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_role_says_what_it_runs_and_a_jobs_node_serves_only_health() {
    for (role, name, jobs) in [
        (NodeRole::All, "all", json!(["indexer", "sweep", "delivery", "mail_polling", "bot_retries", "call_control"])),
        (NodeRole::Web, "web", json!(["indexer"])),
        (NodeRole::Jobs, "jobs", json!(["sweep", "delivery", "mail_polling", "bot_retries", "call_control"])),
    ] {
        let app = TestApp::start_with(Settings { role, ..Settings::default() }).await.unwrap();
        let (s, ready) = get(&app, "/readyz").await;
        assert_eq!(s, StatusCode::OK, "{name}");
        assert_eq!((ready["role"].clone(), ready["jobs"].clone()), (json!(name), jobs), "{ready}");
        assert_eq!(get(&app, "/healthz").await.0, StatusCode::OK, "{name}");
        let console = app.client.get(format!("{}/login", app.base)).send().await.unwrap().status();
        let api =
            app.client.get(format!("{}/api/v1/me", app.base)).bearer_auth(&app.tokens["admin"]).send().await.unwrap();
        if role == NodeRole::Jobs {
            assert_eq!((console, api.status()), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        } else {
            assert_eq!((console, api.status()), (StatusCode::OK, StatusCode::OK), "{name}");
        }
    }
}
