//! The API end to end through the real router: customers, orders, conversations, tokens,
//! audit, health and metrics.

mod common;

use common::{PASSWORD, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn customers_are_found_by_any_spelling_and_every_read_is_audited() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let body = json!({
        "merchant": "shop-a",
        "name": "山田 花子",
        "name_kana": "やまだ はなこ",
        "identities": [{ "kind": "phone", "value": "０８０－９８７６－５４３２" }, { "kind": "email", "value": "Hanako@Example.JP" }],
        "address": { "postal_code": "〒１５０－０００１", "prefecture": "東京都", "city": "渋谷区", "line1": "神宮前1-2-3" },
        "tags": ["ＶＩＰ"],
    });
    let (s, c) = app.send(Method::POST, "/api/v1/customers", "agent", body).await?;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["name_kana"], "ヤマダ ハナコ");
    assert_eq!(c["address"]["postal_code"], "150-0001");
    assert_eq!(c["tags"], json!(["VIP"]));
    assert_eq!(c["identities"][0]["value"], "+818098765432");
    assert_eq!(c["identities"][0]["display"], "080-9876-5432");
    let id = c["id"].as_str().unwrap_or_default().to_owned();

    for spelling in ["+81%2080%209876%205432", "08098765432", "080-9876-5432"] {
        let (s, found) =
            app.get(&format!("/api/v1/customers/lookup?merchant=shop-a&kind=phone&value={spelling}"), "agent").await?;
        assert_eq!((s, found["id"].as_str()), (StatusCode::OK, Some(id.as_str())), "{spelling}");
    }
    let (s, _) = app
        .get("/api/v1/customers/lookup?merchant=shop-a&kind=email&value=hanako@example.jp", "merchant_staff")
        .await?;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/api/v1/customers/{id}"), "supervisor").await?;
    assert_eq!(s, StatusCode::OK);

    let (_, log) =
        app.get(&format!("/api/v1/audit-events?subject_type=customer&subject_id={id}&limit=200"), "admin").await?;
    let items = log["items"].as_array().cloned().unwrap_or_default();
    let reads: Vec<_> = items.iter().filter(|e| e["action"] == "read").collect();
    assert_eq!(reads.len(), 5, "three lookups by the agent, one by staff, one by the supervisor: {items:?}");
    let readers: std::collections::BTreeSet<&str> = reads.iter().filter_map(|e| e["actor_user_id"].as_str()).collect();
    assert_eq!(readers.len(), 3);
    assert!(items.iter().any(|e| e["action"] == "create"));
    Ok(())
}

#[tokio::test]
async fn conversation_lifecycle_with_idempotent_messages_and_timeline() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, conv) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({
                "merchant": "shop-a",
                "channel": "line",
                "subject": "再配達の依頼",
                "customer_identity": { "kind": "line", "value": "U0123456789abcdef0123456789abcdef" },
                "category": "配送",
                "tags": ["再配達"],
                "message": { "kind": "inbound", "body_text": "不在票が入っていました。", "provider_message_id": "line-msg-1" }
            }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{conv}");
    assert_eq!(conv["status"], "new");
    assert_eq!(conv["number"], 2, "shop-a's second conversation");
    let cid = conv["id"].as_str().unwrap_or_default().to_owned();
    let msgs = format!("/api/v1/conversations/{cid}/messages");

    // The provider redelivers: 200, same message, nothing new.
    let again =
        json!({ "kind": "inbound", "body_text": "不在票が入っていました。", "provider_message_id": "line-msg-1" });
    let (s, dup) = app.send(Method::POST, &msgs, "agent", again).await?;
    assert_eq!((s, dup["created"].as_bool()), (StatusCode::OK, Some(false)));

    let html = "<p>再配達を手配しました。<script>alert(1)</script><img src=x onerror=alert(2)></p>";
    let (s, reply) = app
        .send(
            Method::POST,
            &msgs,
            "agent",
            json!({ "kind": "outbound", "body_text": "再配達を手配しました。", "body_html": html }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(reply["message"]["delivery_status"], "queued");
    let stored_html = reply["message"]["body_html"].as_str().unwrap_or_default();
    assert!(
        stored_html.contains("再配達を手配しました")
            && !stored_html.contains("script")
            && !stored_html.contains("onerror"),
        "{stored_html}"
    );

    let agent_id = app.users["agent"].to_string();
    let (s, patched) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/conversations/{cid}"),
            "agent",
            json!({ "assignee_id": agent_id, "status": "pending", "priority": "high" }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!((patched["status"].as_str(), patched["priority"].as_str()), (Some("pending"), Some("high")));
    assert!(patched["first_response_at"].is_string());

    let (_, detail) = app.get(&format!("/api/v1/conversations/{cid}"), "agent").await?;
    let kinds: Vec<String> = detail["timeline"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|i| {
                    format!(
                        "{}:{}",
                        i["type"].as_str().unwrap_or(""),
                        i["kind"].as_str().or(i["direction"].as_str()).unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for expected in [
        "event:created",
        "message:inbound",
        "message:outbound",
        "event:first_response",
        "event:assigned",
        "event:status_changed",
    ] {
        assert!(kinds.iter().any(|k| k == expected), "{expected} in {kinds:?}");
    }

    // Filters.
    let (_, mine) = app.get("/api/v1/conversations?assignee=me&status=pending", "agent").await?;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let (_, unassigned) = app.get("/api/v1/conversations?assignee=none&merchant=shop-a", "agent").await?;
    assert!(unassigned["items"].as_array().is_some_and(|i| i.iter().all(|c| c["assignee_id"].is_null())));
    let (_, by_channel) = app.get("/api/v1/conversations?channel=line", "agent").await?;
    assert_eq!(by_channel["items"][0]["id"].as_str(), Some(cid.as_str()));

    // Resolving stamps the time; reopening clears it.
    let (_, resolved) = app
        .send(Method::PATCH, &format!("/api/v1/conversations/{cid}"), "agent", json!({ "status": "resolved" }))
        .await?;
    assert!(resolved["resolved_at"].is_string());
    let (_, reopened) =
        app.send(Method::PATCH, &format!("/api/v1/conversations/{cid}"), "agent", json!({ "status": "open" })).await?;
    assert!(reopened["resolved_at"].is_null());
    Ok(())
}

#[tokio::test]
async fn keyset_pagination_through_the_api() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    for i in 0..7 {
        let (s, _) = app
            .send(
                Method::POST,
                "/api/v1/conversations",
                "agent",
                json!({ "merchant": "shop-a", "channel": "phone", "subject": format!("件名{i}") }),
            )
            .await?;
        assert_eq!(s, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/conversations?merchant=shop-a&limit=3".to_owned();
    loop {
        let (s, page) = app.get(&url, "agent").await?;
        assert_eq!(s, StatusCode::OK);
        seen.extend(
            page["items"].as_array().cloned().unwrap_or_default().into_iter().filter_map(|c| c["number"].as_i64()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/conversations?merchant=shop-a&limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec![8, 7, 6, 5, 4, 3, 2, 1]);
    Ok(())
}

#[tokio::test]
async fn orders_and_shipments_through_the_api() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let order = json!({
        "merchant": "shop-a", "order_number": "ＨＭ－２０００", "ordered_at": "2026-11-20T10:00:00+09:00", "customer_id": app.a.customer,
        "lines": [{ "sku": "FL-1", "name": "カーネーション", "quantity": 2, "unit_price": 2980, "category": "花" }],
        "shipments": [{ "carrier": "sagawa", "tracking_number": "１２３４－５６７８－９０１３", "status": "shipped" }]
    });
    let (s, o) = app.send(Method::POST, "/api/v1/orders", "agent", order.clone()).await?;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!((o["order_number"].as_str(), o["total_amount"].as_i64()), (Some("HM-2000"), Some(5960)));
    assert_eq!(o["shipments"][0]["tracking_number"], "123456789013");
    let (s, j) = app.send(Method::POST, "/api/v1/orders", "agent", order).await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::CONFLICT, Some("order_number_taken")));

    let ship = o["shipments"][0]["id"].as_str().unwrap_or_default().to_owned();
    let (s, sh) = app
        .send(
            Method::POST,
            &format!("/api/v1/shipments/{ship}/events"),
            "agent",
            json!({ "status": "delivered", "occurred_at": "2026-11-22T14:00:00+09:00", "location": "渋谷営業所" }),
        )
        .await?;
    assert_eq!((s, sh["status"].as_str()), (StatusCode::OK, Some("delivered")));
    assert_eq!(sh["delivered_at"], "2026-11-22T05:00:00Z");
    let (_, by_customer) = app.get(&format!("/api/v1/orders?customer={}", app.a.customer), "agent").await?;
    assert_eq!(by_customer["items"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn tokens_are_shown_once_and_revocable() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, issued) = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            None,
            Some(json!({ "login": "AGENT", "password": PASSWORD, "label": "スクリプト" })),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let token = issued["token"].as_str().unwrap_or_default().to_owned();
    let (s, me) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await?;
    assert_eq!((s, me["login"].as_str()), (StatusCode::OK, Some("agent")));
    let uid = me["id"].as_str().unwrap_or_default().to_owned();
    let (_, list) = app.call(Method::GET, &format!("/api/v1/users/{uid}/tokens"), Some(&token), None).await?;
    assert!(!list.to_string().contains(&token), "the secret is never listed");
    let tid = issued["id"].as_str().unwrap_or_default();
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/users/{uid}/tokens/{tid}"), Some(&token), None).await?;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await?;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn merchant_calendar_knows_holidays_and_closed_days() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, m) = app
        .send(
            Method::PATCH,
            "/api/v1/merchants/shop-a",
            "admin",
            json!({ "closed_days": [{ "date": "2026-12-31", "label": "年末休業" }] }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (s, days) = app.get("/api/v1/merchants/shop-a/calendar?from=2026-11-21&days=3", "agent").await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(days[0]["kind"], "weekly_closed", "Saturday");
    assert_eq!(days[2]["kind"], "national_holiday", "2026-11-23 勤労感謝の日");
    assert!(days[2]["name"].as_str().is_some_and(|n| n.contains("勤労感謝")));
    let (_, end) = app.get("/api/v1/merchants/shop-a/calendar?from=2026-12-30&days=2", "agent").await?;
    assert_eq!((end[0]["kind"].as_str(), end[1]["kind"].as_str()), (Some("open"), Some("closed_day")));
    let (s, j) = app
        .send(
            Method::PATCH,
            "/api/v1/merchants/shop-a",
            "admin",
            json!({ "business_hours": { "mon": [{ "open": "18:00", "close": "09:00" }] } }),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_business_hours")));
    Ok(())
}

#[tokio::test]
async fn health_readiness_metrics_and_the_openapi_document() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, h) = app.call(Method::GET, "/healthz", None, None).await?;
    assert_eq!((s, h["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (s, r) = app.call(Method::GET, "/readyz", None, None).await?;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("ready")));
    app.get("/api/v1/me", "agent").await?;
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await?.text().await?;
    assert!(metrics.contains("madoguchi_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/me\""), "{metrics}");
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await?;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in [
        "/api/v1/conversations",
        "/api/v1/customers/lookup",
        "/api/v1/orders/bulk",
        "/api/v1/audit-events",
        "/metrics",
        "/api/openapi.json",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc["components"]["schemas"].get("Conversation").is_some());
    assert!(doc["components"]["securitySchemes"].get("bearer").is_some());
    Ok(())
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    app.store.close().await;
    let (s, r) = app.call(Method::GET, "/readyz", None, None).await?;
    assert_eq!((s, r["status"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("database_unreachable")));
    // Requests that need the database fail as opaque 500s, without internals.
    let (s, j) = app.get("/api/v1/me", "agent").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::INTERNAL_SERVER_ERROR, Some("internal_error")));
    assert!(!j.to_string().to_lowercase().contains("sqlx") && !j.to_string().contains("pool"));
    Ok(())
}

#[tokio::test]
async fn merging_customers_through_the_api() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (_, other) = app
        .send(
            Method::POST,
            "/api/v1/customers",
            "agent",
            json!({ "merchant": "shop-a", "identities": [{ "kind": "email", "value": "dup@example.com" }] }),
        )
        .await?;
    let other_id = other["id"].as_str().unwrap_or_default().to_owned();
    let (s, conv) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({ "merchant": "shop-a", "channel": "email", "customer_id": other_id }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    let (s, merged) = app
        .send(
            Method::POST,
            &format!("/api/v1/customers/{}/merge", app.a.customer),
            "agent",
            json!({ "from": other_id }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK, "{merged}");
    assert_eq!(merged["identities"].as_array().map(Vec::len), Some(2));
    let (_, moved) =
        app.get(&format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap_or_default()), "agent").await?;
    assert_eq!(moved["conversation"]["customer_id"].as_str(), Some(app.a.customer.to_string().as_str()));
    let (s, _) = app.get(&format!("/api/v1/customers/{other_id}"), "agent").await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .send(
            Method::POST,
            &format!("/api/v1/customers/{}/merge", app.a.customer),
            "merchant_staff",
            json!({ "from": app.a.customer }),
        )
        .await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn sla_targets_are_per_merchant_and_give_due_times() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, j) = app
        .send(
            Method::PATCH,
            "/api/v1/merchants/shop-a",
            "merchant_admin",
            json!({ "sla": { "first_response_minutes": 0, "resolution_minutes": 60 } }),
        )
        .await?;
    assert_eq!(
        (s, j["code"].as_str(), j["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_range"), Some("sla.first_response_minutes"))
    );
    let (s, m) = app
        .send(
            Method::PATCH,
            "/api/v1/merchants/shop-a",
            "merchant_admin",
            json!({ "sla": { "first_response_minutes": 30, "resolution_minutes": 240 } }),
        )
        .await?;
    assert_eq!((s, m["sla"]["first_response_minutes"].as_u64()), (StatusCode::OK, Some(30)));
    let (s, c) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({ "merchant": "shop-a", "channel": "email", "subject": "期限" }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    let created = chrono::DateTime::parse_from_rfc3339(c["created_at"].as_str().unwrap_or_default())?;
    let due = chrono::DateTime::parse_from_rfc3339(c["first_response_due_at"].as_str().unwrap_or_default())?;
    let resolution = chrono::DateTime::parse_from_rfc3339(c["resolution_due_at"].as_str().unwrap_or_default())?;
    assert!(due >= created + chrono::Duration::minutes(30), "due after at least 30 minutes");
    assert!(resolution > due);
    Ok(())
}

#[tokio::test]
async fn escalation_to_the_merchant_and_back() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (_, conv) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({ "merchant": "shop-a", "channel": "phone", "subject": "返品の可否" }),
        )
        .await?;
    let cid = conv["id"].as_str().unwrap_or_default().to_owned();
    let due = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let path = format!("/api/v1/conversations/{cid}/escalations");
    let (s, j) = app
        .send(
            Method::POST,
            &path,
            "agent",
            json!({ "question": "開封済みの返品を受けてよいですか", "due_at": "2000-01-01T00:00:00Z" }),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("due_in_past")));
    let (s, _) = app.send(Method::POST, &path, "merchant_staff", json!({ "question": "x", "due_at": due })).await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app
        .send(Method::POST, &path, "agent", json!({ "question": "開封済みの返品を受けてよいですか", "due_at": due }))
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let eid = e["id"].as_str().unwrap_or_default().to_owned();
    let (_, c) = app.get(&format!("/api/v1/conversations/{cid}"), "agent").await?;
    assert_eq!(c["conversation"]["status"], "escalated");

    // The shop's staff see it in their list and answer; agents cannot answer for them.
    let (_, open) = app.get("/api/v1/escalations?status=open", "merchant_staff").await?;
    assert!(open["items"].as_array().is_some_and(|i| i.iter().any(|x| x["id"].as_str() == Some(eid.as_str()))));
    let answer = format!("/api/v1/escalations/{eid}/answer");
    let (s, _) = app.send(Method::POST, &answer, "agent", json!({ "answer": "x" })).await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, done) = app
        .send(
            Method::POST,
            &answer,
            "merchant_staff",
            json!({ "answer": "未使用なら受けてください。送料は当店負担です。" }),
        )
        .await?;
    assert_eq!((s, done["status"].as_str()), (StatusCode::OK, Some("answered")));
    let (s, j) = app.send(Method::POST, &answer, "merchant_admin", json!({ "answer": "二重回答" })).await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::CONFLICT, Some("already_answered")));

    // The answer is in the conversation and it is back with the desk.
    let (_, c) = app.get(&format!("/api/v1/conversations/{cid}"), "agent").await?;
    assert_eq!(c["conversation"]["status"], "open");
    assert!(c["timeline"].as_array().is_some_and(|t| t.iter().any(|i| i["kind"] == "escalation_answered"
        && i["data"]["answer"].as_str().is_some_and(|a| a.contains("送料は当店負担")))));
    Ok(())
}

#[tokio::test]
async fn playbook_and_wrap_up_before_closing_a_call() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    // The shop's admin keeps the playbook; agents and staff read it.
    let (s, script) = app
        .send(
            Method::PUT,
            "/api/v1/merchants/shop-a/scripts",
            "merchant_admin",
            json!({ "category": "配送", "body": "まずお届け先の郵便番号を確認します。" }),
        )
        .await?;
    assert_eq!((s, script["category"].as_str()), (StatusCode::OK, Some("配送")));
    let (s, _) = app
        .send(
            Method::PUT,
            "/api/v1/merchants/shop-a/scripts",
            "merchant_admin",
            json!({ "category": "配送", "body": "改訂版" }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK);
    let (_, scripts) = app.get("/api/v1/merchants/shop-a/scripts", "agent").await?;
    assert_eq!((scripts.as_array().map(Vec::len), scripts[0]["body"].as_str()), (Some(1), Some("改訂版")));
    let (s, _) = app
        .send(Method::PUT, "/api/v1/merchants/shop-a/scripts", "agent", json!({ "category": "x", "body": "x" }))
        .await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, j) = app
        .send(
            Method::POST,
            "/api/v1/merchants/shop-a/canned-responses",
            "merchant_admin",
            json!({ "title": "x", "body": "{name}様" }),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_placeholder")));
    let (s, j) = app
        .send(
            Method::POST,
            "/api/v1/merchants/shop-a/disposition-codes",
            "merchant_admin",
            json!({ "code": "delivery_info", "label": "重複" }),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::CONFLICT, Some("code_exists")));

    // A call cannot be closed before its wrap-up.
    let (_, call) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({ "merchant": "shop-a", "channel": "phone", "subject": "配送の問い合わせ" }),
        )
        .await?;
    let cid = call["id"].as_str().unwrap_or_default().to_owned();
    let (s, j) = app
        .send(Method::PATCH, &format!("/api/v1/conversations/{cid}"), "agent", json!({ "status": "resolved" }))
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrap_up_required")));
    let wrap = format!("/api/v1/conversations/{cid}/wrap-ups");
    let (s, j) =
        app.send(Method::POST, &wrap, "agent", json!({ "disposition_code": "NOPE", "acw_seconds": 30 })).await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_disposition")));
    let (s, _) = app
        .send(Method::POST, &wrap, "merchant_staff", json!({ "disposition_code": "DELIVERY_INFO", "acw_seconds": 30 }))
        .await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, w) = app
        .send(
            Method::POST,
            &wrap,
            "agent",
            json!({ "disposition_code": "delivery_info", "note": "再配達を手配", "acw_seconds": 95 }),
        )
        .await?;
    assert_eq!((s, w["disposition_code"].as_str()), (StatusCode::CREATED, Some("DELIVERY_INFO")));
    // The server measures after-contact work from the contact's end (here its creation a
    // moment ago); the 95 seconds a client's timer claims count for nothing.
    let acw = w["acw_seconds"].as_i64().expect("acw_seconds");
    assert!((0..30).contains(&acw), "after-contact work measured by the server: {acw}");
    let (s, closed) = app
        .send(Method::PATCH, &format!("/api/v1/conversations/{cid}"), "agent", json!({ "status": "closed" }))
        .await?;
    assert_eq!((s, closed["status"].as_str()), (StatusCode::OK, Some("closed")));
    // Mail needs no wrap-up.
    let (_, mail) = app
        .send(Method::POST, "/api/v1/conversations", "agent", json!({ "merchant": "shop-a", "channel": "email" }))
        .await?;
    let (s, _) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/conversations/{}", mail["id"].as_str().unwrap_or_default()),
            "agent",
            json!({ "status": "resolved" }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK);
    Ok(())
}

/// A FAX typed in by staff: the scan is uploaded, then attached to the customer's message, on
/// the customer the fax number belongs to; the file downloads for the shop and for nobody else.
#[tokio::test]
async fn a_typed_in_fax_carries_its_scan_on_the_right_customer() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let pdf = b"%PDF-1.4\n% scanned fax\n".to_vec();
    let upload = |merchant: &str, name: &str, body: Vec<u8>, role: &str| {
        let req = app
            .client
            .post(format!("{}/api/v1/merchants/{merchant}/files?filename={name}", app.base))
            .bearer_auth(app.token(role))
            .body(body);
        async move {
            let r = req.send().await?;
            let s = r.status();
            anyhow::Ok((s, r.json::<Value>().await.unwrap_or(Value::Null)))
        }
    };
    let (s, file) = upload("shop-a", "FAX%E6%B3%A8%E6%96%87%E6%9B%B8.pdf", pdf.clone(), "agent").await?;
    assert_eq!(s, StatusCode::CREATED, "{file}");
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["filename"], "FAX注文書.pdf");
    assert_eq!(file["size"], pdf.len());

    // What is not a scan, or nothing at all, is refused with a code.
    let (s, e) = upload("shop-a", "x.html", b"<html><script>".to_vec(), "agent").await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_file_type")));
    let (s, e) = upload("shop-a", "x.pdf", vec![], "agent").await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_file")));
    let mut big = b"%PDF-".to_vec();
    big.resize(madoguchi_server::files::MAX_UPLOAD_BYTES + 1, b' ');
    let (s, _) = upload("shop-a", "big.pdf", big, "agent").await?;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);

    // The fax comes from the number of shop A's customer (typed as printed on the fax).
    let (s, conv) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({
                "merchant": "shop-a", "channel": "fax", "subject": "FAXでのご注文",
                "customer_identity": { "kind": "phone", "value": "０９０（１２３４）５６７８" },
                "message": { "kind": "inbound", "body_text": "FAX受信：商品A 2点の注文", "attachments": [file.clone()] }
            }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{conv}");
    assert_eq!(conv["customer_id"], app.a.customer.to_string(), "the fax lands on the customer with that number");
    let (_, detail) =
        app.get(&format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap_or_default()), "agent").await?;
    let msg = &detail["timeline"][0];
    assert_eq!(msg["attachments"][0]["storage_key"], file["storage_key"]);
    assert_eq!(msg["direction"], "inbound");

    let key = file["storage_key"].as_str().unwrap_or_default();
    let get =
        |role: &str| app.client.get(format!("{}/api/v1/files/{key}", app.base)).bearer_auth(app.token(role)).send();
    let r = get("merchant_staff").await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/octet-stream", "a PDF is downloaded, not shown in place");
    assert!(r.headers()["content-disposition"].to_str()?.contains("filename*=UTF-8''FAX%E6%B3%A8"));
    assert_eq!(r.bytes().await?.as_ref(), pdf.as_slice());

    // Shop B's scan cannot be attached to shop A's conversation, nor read by shop A's people.
    let foreign =
        json!({ "filename": "fax.png", "content_type": "image/png", "size": 1, "storage_key": app.b.file.to_string() });
    let (s, e) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({ "merchant": "shop-a", "channel": "postcard",
                "message": { "kind": "inbound", "body_text": "はがき", "attachments": [foreign] } }),
        )
        .await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_attachment")), "{e}");
    let r = app
        .client
        .get(format!("{}/api/v1/files/{}", app.base, app.b.file))
        .bearer_auth(app.token("agent"))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    Ok(())
}

/// Channel set-up by the shop's admin: secrets go in and never come out (the chat identity
/// secret once, when made), each kind takes only its own fields, and desk roles cannot change it.
#[tokio::test]
async fn shops_set_up_their_channels_without_secrets_leaking() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let put = |kind: &str, role: &'static str, body: Value| {
        let path = format!("/api/v1/merchants/shop-a/channels/{kind}");
        let app = &app;
        async move { app.send(Method::PUT, &path, role, body).await }
    };
    let (s, e) = put("email", "merchant_admin", json!({})).await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("required")), "{e}");
    let (s, e) = put("email", "merchant_admin", json!({ "address": "not-mail" })).await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_email")));
    let (s, mail) = put("email", "merchant_admin", json!({ "address": "Support@Shop-A.example" })).await?;
    assert_eq!(s, StatusCode::OK, "{mail}");
    assert_eq!(mail["address"], "support@shop-a.example");
    assert!(mail["endpoint"].as_str().unwrap_or_default().contains("/api/v1/inbound/email/"));
    assert!(mail["form_url"].as_str().unwrap_or_default().ends_with("/form/shop-a"));
    // IMAP needs its password once; after that it is kept and never shown.
    let imap = json!({ "host": "imap.shop-a.example", "port": 993, "username": "support" });
    let (s, e) = put("email", "merchant_admin", json!({ "imap": imap })).await?;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("imap.password")), "{e}");
    let mut with_pw = imap.clone();
    with_pw["password"] = json!("mailbox-password-123");
    let (s, mail) = put("email", "merchant_admin", json!({ "imap": with_pw })).await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((mail["imap"]["password_set"].as_bool(), mail["imap"]["tls"].as_bool()), (Some(true), Some(true)));
    let (s, mail) = put("email", "merchant_admin", json!({ "imap": imap })).await?;
    assert_eq!((s, mail["imap"]["password_set"].as_bool()), (StatusCode::OK, Some(true)), "the password is kept");
    let (s, e) = put("email", "merchant_admin", json!({ "access_token": "x" })).await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_for_channel")));

    // LINE needs both secrets to start.
    let (s, _) = put("line", "merchant_admin", json!({ "channel_secret": "line-secret" })).await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, line) =
        put("line", "merchant_admin", json!({ "channel_secret": "line-secret", "access_token": "line-token" })).await?;
    assert_eq!(s, StatusCode::OK, "{line}");
    assert!(line["endpoint"].as_str().unwrap_or_default().contains("/api/v1/inbound/line/"));

    // The chat secret is shown once; sites are normalised; a bad one is named.
    let (s, chat) = put("chat", "merchant_admin", json!({ "allowed_origins": ["https://Shop-A.example/"] })).await?;
    assert_eq!(s, StatusCode::OK, "{chat}");
    let secret = chat["identity_secret"].as_str().unwrap_or_default().to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(chat["allowed_origins"], json!(["https://shop-a.example"]));
    let (s, e) = put("chat", "merchant_admin", json!({ "allowed_origins": ["shop-a.example/path"] })).await?;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_origin")));
    let (_, again) = put("chat", "merchant_admin", json!({})).await?;
    assert!(again["identity_secret"].is_null(), "not shown again");
    let (_, rotated) = put("chat", "merchant_admin", json!({ "rotate_secret": true })).await?;
    assert_ne!(rotated["identity_secret"].as_str(), Some(secret.as_str()));

    let (s, list) = app.get("/api/v1/merchants/shop-a/channels", "merchant_admin").await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["channels"].as_array().map(Vec::len), Some(3));
    let text = list.to_string();
    for secret in ["mailbox-password-123", "line-secret", "line-token", secret.as_str()] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    for role in ["agent", "merchant_staff", "supervisor"] {
        let (s, _) = put("email", role, json!({ "address": "x@shop-a.example" })).await?;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
    }
    let (s, _) = put("fax", "merchant_admin", json!({})).await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    Ok(())
}
