//! Delivery cases over real HTTP: every kind opens its checklist, is worked through to the end
//! and closes — on the desk alone when no task is the shop's; bad forms name their field;
//! every step is in the audit log; the task queue is the open tasks by due time.

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn every_kind_of_case_runs_its_checklist_to_the_end() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (status, kinds) = app.get("/api/v1/case-kinds", "agent").await?;
    assert_eq!(status, StatusCode::OK);
    let kinds = kinds.as_array().cloned().unwrap_or_default();
    assert_eq!(kinds.len(), 8, "every kind of case the desk handles");
    let order = app.a.order.to_string();
    for k in &kinds {
        let kind = k["kind"].as_str().unwrap_or_default();
        let fields: serde_json::Map<String, Value> = k["form"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["required"] == true)
            .map(|f| {
                let key = f["key"].as_str().unwrap_or_default().to_owned();
                let value = if key == "amount" { json!("4,200円") } else { json!("記入済み") };
                (key, value)
            })
            .collect();
        let (status, case) = app
            .send(
                Method::POST,
                &format!("/api/v1/orders/{order}/cases"),
                "agent",
                json!({ "kind": kind, "conversation_id": app.a.conversation, "fields": fields }),
            )
            .await?;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {case}");
        let tasks = case["tasks"].as_array().cloned().unwrap_or_default();
        assert_eq!(tasks.len(), k["checklist"].as_array().map_or(0, Vec::len), "{kind}");
        assert!(tasks.iter().all(|t| t["due_at"].is_string() && t["done_at"].is_null()));
        let id = case["id"].as_str().unwrap_or_default().to_owned();
        // Worked through in order; the case stays open until the last task.
        for (i, t) in tasks.iter().enumerate() {
            let (status, after) = app
                .send(
                    Method::POST,
                    &format!("/api/v1/cases/{id}/tasks/{}/done", t["id"].as_str().unwrap_or_default()),
                    "agent",
                    json!({ "note": format!("手順{}完了", i + 1) }),
                )
                .await?;
            assert_eq!(status, StatusCode::OK, "{kind}: {after}");
            let last = i + 1 == tasks.len();
            assert_eq!(after["status"], if last { "closed" } else { "open" }, "{kind} after task {i}");
        }
        let (_, closed) = app.get(&format!("/api/v1/cases/{id}"), "supervisor").await?;
        let on_desk = k["settled_on_desk"] == true;
        assert_eq!(closed["resolution"], if on_desk { "settled_on_desk" } else { "settled_with_merchant" }, "{kind}");
        assert!(closed["tasks"].as_array().into_iter().flatten().all(|t| t["done_by"].is_string()));
        // Opened, each task, closed: all in the audit log.
        let (_, log) =
            app.get(&format!("/api/v1/audit-events?merchant=shop-a&subject_id={id}&limit=50"), "admin").await?;
        let entries = log["items"].as_array().map_or(0, Vec::len);
        assert_eq!(entries, tasks.len() + 2, "{kind}: {log}");
    }
    Ok(())
}

#[tokio::test]
async fn bad_forms_and_the_task_queue() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let path = format!("/api/v1/orders/{}/cases", app.a.order);
    let open = |body: Value| app.send(Method::POST, &path, "agent", body);
    let (status, e) = open(json!({ "kind": "damaged_in_transit", "fields": { "damage": "角が潰れている" } })).await?;
    assert_eq!((status, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fields.photos")), "{e}");
    let (status, e) =
        open(json!({ "kind": "redelivery", "fields": { "desired_date": "明日", "time_slot": "午前", "tip": "x" } }))
            .await?;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field")));
    let (status, _) = open(json!({ "kind": "teleport", "fields": {} })).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A refund by bank transfer needs the account, checked as banks take it.
    let transfer = json!({ "amount": "4200", "method": "銀行振込", "bank_name": "みずほ銀行", "bank_code": "0001",
        "branch_name": "東京営業部", "branch_code": "001", "account_type": "普通", "account_number": "12345", "holder_kana": "山田花子" });
    let (status, e) = open(json!({ "kind": "refund_processing", "fields": transfer })).await?;
    assert_eq!((status, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fields.holder_kana")), "{e}");
    let mut fixed = transfer.clone();
    fixed["holder_kana"] = json!("ヤマダ ハナコ");
    let (status, case) = open(json!({ "kind": "refund_processing", "fields": fixed })).await?;
    assert_eq!((status, case["fields"]["account_number"].as_str()), (StatusCode::CREATED, Some("0012345")), "{case}");

    // The queue: the fixture's redelivery case is open; its tasks come soonest due first.
    let (status, queue) = app.get("/api/v1/tasks?merchant=shop-a&owner=desk", "agent").await?;
    assert_eq!(status, StatusCode::OK);
    let due: Vec<&str> = queue.as_array().into_iter().flatten().filter_map(|t| t["due_at"].as_str()).collect();
    assert!(due.len() >= 2, "{queue}");
    assert!(due.windows(2).all(|w| w[0] <= w[1]), "soonest first: {due:?}");
    assert!(queue.to_string().contains(&app.a.case.to_string()));
    assert!(!queue.to_string().contains(&app.b.case.to_string()), "another shop's tasks stay out");
    // Shop staff see their shop's tasks; a task done is no longer in the queue; doing it twice is harmless.
    let (_, staff) = app.get("/api/v1/tasks", "merchant_staff").await?;
    assert!(staff.to_string().contains(&app.a.task.to_string()));
    let done = format!("/api/v1/cases/{}/tasks/{}/done", app.a.case, app.a.task);
    for _ in 0..2 {
        let (status, _) = app.send(Method::POST, &done, "agent", json!({})).await?;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, queue) = app.get("/api/v1/tasks?merchant=shop-a", "agent").await?;
    assert!(!queue.to_string().contains(&app.a.task.to_string()));
    Ok(())
}

/// The shop's admin replaces a kind's checklist; cases opened afterwards get it; staff cannot
/// change it; a bad list names its field; a reset brings the built-in one back.
#[tokio::test]
async fn a_shops_admin_edits_a_kinds_checklist() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let path = "/api/v1/merchants/shop-a/case-kinds/redelivery/checklist";
    let (status, builtin) = app.get(path, "agent").await?;
    assert_eq!((status, builtin["custom"].as_bool()), (StatusCode::OK, Some(false)), "{builtin}");
    let own = json!({ "tasks": [
        { "title": "運送会社に再配達を依頼する", "owner": "desk", "due_hours": 1 },
        { "key": "tell_customer", "title": "お客様に再配達日をお伝えする", "owner": "desk", "due_hours": 3 },
    ] });
    let (status, _) = app.send(Method::PUT, path, "merchant_staff", own.clone()).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = app
        .send(
            Method::PUT,
            path,
            "merchant_admin",
            json!({ "tasks": [{ "title": "x", "owner": "desk", "due_hours": 0 }] }),
        )
        .await?;
    assert_eq!((status, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("tasks.0.due_hours")), "{e}");
    let (status, _) = app
        .send(Method::PUT, "/api/v1/merchants/shop-a/case-kinds/teleport/checklist", "merchant_admin", own.clone())
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, saved) = app.send(Method::PUT, path, "merchant_admin", own).await?;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["tasks"][0]["key"], "step_1");
    let (_, read) = app.get(path, "agent").await?;
    assert_eq!((read["custom"].as_bool(), read["tasks"].as_array().map(Vec::len)), (Some(true), Some(2)));
    let (_, other) = app.get("/api/v1/merchants/shop-b/case-kinds/redelivery/checklist", "admin").await?;
    assert_eq!(other["custom"], false, "another shop keeps the built-in one");
    let (_, kinds) = app.get("/api/v1/case-kinds?merchant=shop-a", "agent").await?;
    let redelivery =
        kinds.as_array().into_iter().flatten().find(|k| k["kind"] == "redelivery").cloned().unwrap_or_default();
    assert_eq!(
        (redelivery["custom"].as_bool(), redelivery["checklist"][1]["key"].as_str()),
        (Some(true), Some("tell_customer"))
    );

    let fields = json!({ "desired_date": "明日", "time_slot": "午前" });
    let (status, case) = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{}/cases", app.a.order),
            "agent",
            json!({ "kind": "redelivery", "fields": fields }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED);
    let keys: Vec<&str> = case["tasks"].as_array().into_iter().flatten().filter_map(|t| t["key"].as_str()).collect();
    assert_eq!(keys, ["step_1", "tell_customer"]);

    let (status, reset) = app.send(Method::DELETE, path, "merchant_admin", json!(null)).await?;
    assert_eq!((status, reset["custom"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(reset["tasks"], builtin["tasks"]);
    Ok(())
}
