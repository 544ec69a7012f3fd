//! Bad input gets a clear error with a stable code, never a panic or a 500, and leaves nothing
//! half-written.

mod common;

use common::TestApp;
use madoguchi_app::Settings;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> anyhow::Result<(StatusCode, serde_json::Value)> {
    let mut req = app.client.request(method, format!("{}{path}", app.base)).bearer_auth(app.token("agent")).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let json = resp.json().await.unwrap_or(serde_json::Value::Null);
    Ok((status, json))
}

#[tokio::test]
async fn malformed_and_mistyped_bodies() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let json_ct = Some("application/json");
    let cases: Vec<(&[u8], StatusCode, &str)> = vec![
        (b"{\"merchant\": ", StatusCode::BAD_REQUEST, "malformed_json"),
        (b"not json at all", StatusCode::BAD_REQUEST, "malformed_json"),
        (b"{\"merchant\": \"shop-a\", \"name\": 42}", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (b"{\"merchant\": \"shop-a\", \"nmae\": \"typo\"}", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (
            b"{\"merchant\": \"shop-a\", \"identities\": [{\"kind\": \"fax\", \"value\": \"1\"}]}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        // Invalid UTF-8 inside a JSON string.
        (b"{\"merchant\": \"shop-a\", \"name\": \"\xff\xfe\"}", StatusCode::BAD_REQUEST, "malformed_json"),
    ];
    for (body, status, code) in cases {
        let (s, j) = raw(&app, Method::POST, "/api/v1/customers", json_ct, body.to_vec()).await?;
        assert_eq!((s, j["code"].as_str()), (status, Some(code)), "{}: {j}", String::from_utf8_lossy(body));
        assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (s, j) = raw(&app, Method::POST, "/api/v1/customers", Some("text/plain"), b"{}".to_vec()).await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));
    // Nothing was created by any of them.
    let (_, list) = app.get("/api/v1/customers?merchant=shop-a", "agent").await?;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn unknown_enum_values_over_long_fields_and_invalid_identities() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, j) = app
        .send(Method::POST, "/api/v1/conversations", "agent", json!({ "merchant": "shop-a", "channel": "telegram" }))
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")), "{j}");
    assert!(j["message"].as_str().is_some_and(|m| m.contains("telegram")), "{j}");

    let long = "あ".repeat(201);
    let (s, j) =
        app.send(Method::POST, "/api/v1/customers", "agent", json!({ "merchant": "shop-a", "name": long })).await?;
    assert_eq!(
        (s, j["code"].as_str(), j["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_long"), Some("name"))
    );

    let (s, j) = app
        .send(
            Method::POST,
            "/api/v1/customers",
            "agent",
            json!({ "merchant": "shop-a", "identities": [{ "kind": "phone", "value": "電話" }] }),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_phone")));

    let (s, j) = app.get("/api/v1/conversations?status=archived", "agent").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    let (s, j) = app.get("/api/v1/conversations?cursor=%25%25", "agent").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_cursor")));
    let (s, j) = app.get("/api/v1/conversations?limit=100000", "agent").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_range")));
    let (s, j) = app.get("/api/v1/customers/not-a-uuid", "agent").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    Ok(())
}

#[tokio::test]
async fn oversized_bodies_get_413() -> anyhow::Result<()> {
    let app = TestApp::start_with(Settings { max_body_bytes: 64 * 1024, ..Settings::default() }).await?;
    let big = json!({ "kind": "inbound", "body_text": "あ".repeat(40_000) });
    let path = format!("/api/v1/conversations/{}/messages", app.a.conversation);
    let (s, j) = app.send(Method::POST, &path, "agent", big).await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{j}");
    let (_, page) = app.get(&format!("{path}?limit=50"), "agent").await?;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "nothing stored");
    Ok(())
}

#[tokio::test]
async fn missing_and_bad_tokens_are_401() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, j) = app.call(Method::GET, "/api/v1/me", None, None).await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (s, _) = app.call(Method::GET, "/api/v1/me", Some("mdg_not-a-real-token"), None).await?;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let resp = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Wrong password and unknown login look the same.
    let (s1, j1) = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            None,
            Some(json!({ "login": "agent", "password": "wrong-password" })),
        )
        .await?;
    let (s2, j2) = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            None,
            Some(json!({ "login": "nobody", "password": "wrong-password" })),
        )
        .await?;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(j1["message"], j2["message"]);
    Ok(())
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, j) = app.get("/api/v1/nothing-here", "agent").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (s, j) = app.call(Method::PUT, "/api/v1/merchants", Some(app.token("agent")), Some(json!({}))).await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")));
    Ok(())
}

#[tokio::test]
async fn a_bulk_upsert_with_one_bad_order_stores_none() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let good = json!({ "merchant": "shop-a", "order_number": "BULK-1", "ordered_at": "2026-11-01T10:00:00+09:00",
        "lines": [{ "sku": "A", "name": "りんご", "quantity": 1, "unit_price": 500 }] });
    let bad = json!({ "merchant": "shop-a", "order_number": "BULK-2", "ordered_at": "2026-11-01T10:00:00+09:00",
        "lines": [{ "sku": "A", "name": "りんご", "quantity": 0, "unit_price": 500 }] });
    let (s, j) =
        app.send(Method::POST, "/api/v1/orders/bulk", "agent", json!({ "orders": [good.clone(), bad] })).await?;
    assert_eq!(
        (s, j["code"].as_str(), j["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_range"), Some("orders[1].lines.quantity"))
    );
    let (_, list) = app.get("/api/v1/orders?order_number=BULK-1", "agent").await?;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    // A conflict discovered inside the transaction (a customer of another shop) rolls back too.
    let mut foreign = good.clone();
    foreign["order_number"] = json!("BULK-3");
    foreign["customer_id"] = json!(app.b.customer);
    let (s, _) =
        app.send(Method::POST, "/api/v1/orders/bulk", "admin", json!({ "orders": [good.clone(), foreign] })).await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/orders?order_number=BULK-1", "agent").await?;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    // The good one alone goes in.
    let (s, j) = app.send(Method::POST, "/api/v1/orders/bulk", "agent", json!({ "orders": [good] })).await?;
    assert_eq!((s, j["results"][0]["outcome"].as_str()), (StatusCode::OK, Some("created")));
    Ok(())
}

#[tokio::test]
async fn the_token_endpoint_shares_the_sign_in_lockout() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    for _ in 0..5 {
        let (s, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/tokens",
                None,
                Some(json!({ "login": "agent", "password": "wrong-password" })),
            )
            .await?;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, j) = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            None,
            Some(json!({ "login": "agent", "password": common::PASSWORD })),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("login_locked")), "{j}");
    assert!(j["message"].as_str().is_some_and(|m| m.contains("minutes")));
    // Another login still works.
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            None,
            Some(json!({ "login": "supervisor", "password": common::PASSWORD })),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    Ok(())
}
