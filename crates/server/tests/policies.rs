//! A shop's policies and the desk's decisions over real HTTP: defaults until edited, each edit a
//! new version in force at once, a preview that saves nothing, decisions computed on the server
//! and recorded with the version and the agent's choice.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn new_order(app: &TestApp, number: &str, delivered_days_ago: Option<i64>) -> anyhow::Result<String> {
    let now = Utc::now();
    let shipments = match delivered_days_ago {
        Some(d) => json!([{ "carrier": "yamato", "status": "delivered",
            "shipped_at": now - Duration::days(d + 1), "delivered_at": now - Duration::days(d) }]),
        None => json!([]),
    };
    let (status, o) = app
        .send(
            Method::POST,
            "/api/v1/orders",
            "agent",
            json!({ "merchant": "shop-a", "order_number": number, "ordered_at": now - Duration::days(7),
                "status": if delivered_days_ago.is_some() { "delivered" } else { "confirmed" },
                "payment_method": "クレジットカード",
                "lines": [{ "sku": "CUP-1", "name": "マグカップ", "quantity": 1, "unit_price": 2400, "category": "雑貨" }],
                "shipments": shipments }),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    Ok(o["id"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn policies_are_versioned_and_decisions_record_the_version_and_choice() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (_, current) = app.get("/api/v1/merchants/shop-a/policies", "agent").await?;
    assert_eq!(current["version"], 0, "the defaults until the shop edits them");
    assert_eq!(current["policies"]["returns"]["window_days"], 8);

    let delivered = new_order(&app, "P-1", Some(3)).await?;
    let (status, d) = app.get(&format!("/api/v1/orders/{delivered}/decision?request=return"), "agent").await?;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!((d["policy_version"].as_i64(), d["decision"]["eligible"].as_bool()), (Some(0), Some(true)), "{d}");
    assert_eq!(d["decision"]["return_shipping"], "customer");
    assert!(d["decision"]["script"][0].as_str().is_some_and(|s| s.contains("返品を承ります")), "{d}");

    // The shop shortens its window: version 1, in force at once.
    let mut edited = current["policies"].clone();
    edited["returns"]["window_days"] = json!(2);
    edited["cancellation"]["retention_offers"] =
        json!([{ "code": "next1000", "label": "次回使える1,000円引きクーポン", "discount_yen": 1000 }]);
    let (status, saved) =
        app.send(Method::PUT, "/api/v1/merchants/shop-a/policies", "merchant_admin", edited.clone()).await?;
    assert_eq!((status, saved["version"].as_i64()), (StatusCode::OK, Some(1)), "{saved}");
    let (_, d) = app.get(&format!("/api/v1/orders/{delivered}/decision?request=return"), "agent").await?;
    assert_eq!(d["policy_version"], 1);
    assert_eq!(d["decision"]["eligible"], false);
    assert_eq!(d["decision"]["reasons"][0]["code"], "return_window_passed", "{d}");

    // Agents read policies but do not edit them; a bad edit names its field.
    let (status, _) = app.send(Method::PUT, "/api/v1/merchants/shop-a/policies", "agent", edited.clone()).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut bad = edited.clone();
    bad["returns"]["window_days"] = json!(0);
    let (status, e) = app.send(Method::PUT, "/api/v1/merchants/shop-a/policies", "merchant_admin", bad).await?;
    assert_eq!((status, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("returns.window_days")), "{e}");

    // A preview tries an edit on a sample order and saves nothing.
    let mut longer = edited.clone();
    longer["returns"]["window_days"] = json!(30);
    let (status, preview) = app
        .send(
            Method::POST,
            "/api/v1/merchants/shop-a/policies/preview",
            "merchant_admin",
            json!({ "policies": longer, "order_id": delivered, "request": "return" }),
        )
        .await?;
    assert_eq!((status, preview["eligible"].as_bool()), (StatusCode::OK, Some(true)), "{preview}");
    let (_, still) = app.get("/api/v1/merchants/shop-a/policies", "agent").await?;
    assert_eq!(still["version"], 1);

    // Recording: the server decides again; "accepted" on a refused request is not possible.
    let app = &app;
    let record = |order: &str, body: Value| {
        let path = format!("/api/v1/orders/{order}/decisions");
        async move { app.send(Method::POST, &path, "agent", body).await }
    };
    let (status, e) = record(&delivered, json!({ "request": "return", "choice": "accepted" })).await?;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_eligible")), "{e}");
    let (status, r) = record(
        &delivered,
        json!({ "request": "return", "choice": "escalated", "conversation_id": app.a.conversation, "note": "お客様が強く希望" }),
    )
    .await?;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!((r["policy_version"].as_i64(), r["decision"]["eligible"].as_bool()), (Some(1), Some(false)));

    // Cancelling an order not yet shipped: the offer comes first, and taking it is recorded.
    let open = new_order(app, "P-2", None).await?;
    let (_, d) = app.get(&format!("/api/v1/orders/{open}/decision?request=cancel"), "agent").await?;
    assert_eq!(d["decision"]["offers"][0]["code"], "next1000", "{d}");
    let (status, e) =
        record(&open, json!({ "request": "cancel", "choice": "offer_accepted", "offer_code": "other" })).await?;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_offer")), "{e}");
    let (status, r) =
        record(&open, json!({ "request": "cancel", "choice": "offer_accepted", "offer_code": "next1000" })).await?;
    assert_eq!(status, StatusCode::CREATED, "{r}");

    let (_, list) = app.get(&format!("/api/v1/orders/{delivered}/decisions"), "supervisor").await?;
    let list = list.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0]["choice"].as_str(), list[0]["note"].as_str()), (Some("escalated"), Some("お客様が強く希望")));
    // A conversation of another shop cannot be named.
    let (status, _) =
        record(&open, json!({ "request": "cancel", "choice": "withdrawn", "conversation_id": app.b.conversation }))
            .await?;
    assert_ne!(status, StatusCode::CREATED);
    Ok(())
}

/// A window in business days skips the shop's own closed days as well as weekends and
/// national holidays: closing the shop for the days ahead moves the return deadline later.
#[tokio::test]
async fn business_day_windows_skip_the_shops_closed_days() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (_, current) = app.get("/api/v1/merchants/shop-a/policies", "agent").await?;
    let mut edited = current["policies"].clone();
    edited["returns"]["day_count"] = json!("business_days");
    edited["returns"]["window_days"] = json!(3);
    let (status, _) = app.send(Method::PUT, "/api/v1/merchants/shop-a/policies", "merchant_admin", edited).await?;
    assert_eq!(status, StatusCode::OK);
    let order = new_order(&app, "P-9", Some(0)).await?;
    let deadline = |d: &Value| d["decision"]["deadline"].as_str().unwrap_or_default().to_owned();
    let (_, before) = app.get(&format!("/api/v1/orders/{order}/decision?request=return"), "agent").await?;
    // The shop closes for the next three weeks (a long renovation).
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Tokyo).date_naive();
    let closed: Vec<Value> =
        (1..=21).map(|i| json!({ "date": today + Duration::days(i), "label": "改装休業" })).collect();
    let (status, m) =
        app.send(Method::PATCH, "/api/v1/merchants/shop-a", "admin", json!({ "closed_days": closed })).await?;
    assert_eq!(status, StatusCode::OK, "{m}");
    let (_, after) = app.get(&format!("/api/v1/orders/{order}/decision?request=return"), "agent").await?;
    assert!(!deadline(&before).is_empty() && deadline(&after) > deadline(&before), "{before} → {after}");
    let last = chrono::DateTime::parse_from_rfc3339(&deadline(&after))?.with_timezone(&chrono_tz::Asia::Tokyo);
    assert!(last.date_naive() > today + Duration::days(21), "the window starts after the closing: {last}");
    Ok(())
}
