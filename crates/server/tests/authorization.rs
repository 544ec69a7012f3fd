//! The authorization matrix: every route in the OpenAPI document, called by every
//! merchant-scoped role with another merchant's ids, answers 404 — and changes nothing.
//! Routes without a merchant-scoped input are checked for leaks in what they return.

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SCOPED_ROLES: [&str; 4] = ["supervisor", "agent", "merchant_admin", "merchant_staff"];

/// How a route is checked.
enum Case {
    /// Called with the foreign merchant's ids: must be 404 for every scoped role.
    Foreign { path: String, body: Option<Value> },
    /// Returns lists or the caller's own data: must not contain any foreign id.
    NoLeak { path: String },
    /// Takes no merchant data at all (health, metrics, the document, sign-in).
    Public,
    /// Desk-wide administration with no foreign id in it; scoped roles get 403.
    AdminOnly { body: Value },
}

fn default_policies() -> Value {
    serde_json::to_value(madoguchi_core::policy::Policies::default()).unwrap_or_default()
}

fn cases(app: &TestApp, b_call: &str, method: &Method, template: &str) -> Option<Vec<Case>> {
    let a = &app.a;
    let b = &app.b;
    let fill = |t: &str| {
        t.replace("{merchant}", &b.slug)
            .replace("{customer}", &b.customer.to_string())
            .replace("{identity}", &b.identity.to_string())
            .replace("{order}", &b.order.to_string())
            .replace("{shipment}", &b.shipment.to_string())
            .replace("{conversation}", &b.conversation.to_string())
            .replace("{user}", &b.staff_user.to_string())
            .replace("{token}", &b.staff_token_id.to_string())
            .replace("{queue}", &b.queue.to_string())
            .replace("{escalation}", &b.escalation.to_string())
            .replace("{canned}", &b.canned.to_string())
            .replace("{file}", &b.file.to_string())
            .replace("{article}", &b.article.to_string())
            .replace("{case}", &b.case.to_string())
            .replace("{task}", &b.task.to_string())
            .replace("{call}", b_call)
    };
    let foreign = |path: String, body: Option<Value>| Case::Foreign { path, body };
    let p = fill(template);
    let bm = &b.slug;
    let when = "2026-11-01T00:00:00Z";
    let order_body = json!({ "merchant": bm, "order_number": "X-1", "ordered_at": when });
    let c = match (method.as_str(), template) {
        ("GET", "/healthz" | "/readyz" | "/metrics" | "/api/openapi.json") | ("POST", "/api/v1/auth/tokens") => {
            vec![Case::Public]
        }
        ("GET", "/api/v1/me") => vec![Case::NoLeak { path: p }],
        ("GET", "/api/v1/merchants") => vec![Case::NoLeak { path: p }],
        ("POST", "/api/v1/merchants") => {
            vec![Case::AdminOnly { body: json!({ "slug": "new-shop", "name": "新店" }) }]
        }
        ("GET", "/api/v1/merchants/{merchant}") => {
            vec![foreign(p, None), foreign(format!("/api/v1/merchants/{}", b.id), None)]
        }
        ("PATCH", "/api/v1/merchants/{merchant}") => vec![foreign(p, Some(json!({ "greeting": "乗っ取り" })))],
        ("GET", "/api/v1/merchants/{merchant}/calendar") => vec![foreign(p, None)],
        ("GET", "/api/v1/users") => vec![Case::NoLeak { path: p }],
        ("POST", "/api/v1/users") => vec![
            foreign(
                p.clone(),
                Some(
                    json!({ "login": "intruder", "display_name": "x", "role": "merchant_staff", "password": "long-enough-pw", "merchants": [bm] }),
                ),
            ),
            foreign(
                p,
                Some(
                    json!({ "login": "intruder2", "display_name": "x", "role": "merchant_staff", "email": "in@example.jp", "merchants": [bm] }),
                ),
            ),
        ],
        ("GET", "/api/v1/users/{user}") => vec![foreign(p, None)],
        ("PATCH", "/api/v1/users/{user}") => vec![foreign(p, Some(json!({ "display_name": "x" })))],
        ("GET", "/api/v1/users/{user}/tokens") => vec![foreign(p, None)],
        ("POST", "/api/v1/users/{user}/tokens") => vec![foreign(p, Some(json!({ "label": "x" })))],
        ("DELETE", "/api/v1/users/{user}/tokens/{token}") => vec![foreign(p, None)],
        ("POST", "/api/v1/users/{user}/unlock") => vec![foreign(p, None)],
        ("POST", "/api/v1/users/{user}/password_link") => {
            vec![foreign(p, Some(json!({ "email": "intruder@example.jp" })))]
        }
        ("GET", "/api/v1/customers") => vec![foreign(format!("{p}?merchant={bm}"), None), Case::NoLeak { path: p }],
        ("POST", "/api/v1/customers") => vec![foreign(p, Some(json!({ "merchant": bm, "name": "x" })))],
        ("GET", "/api/v1/customers/lookup") => vec![
            foreign(format!("{p}?merchant={bm}&kind=phone&value=090-1234-5678"), None),
            foreign(format!("{p}?merchant={}&kind=phone&value=090-1234-5678", b.id), None),
        ],
        ("GET", "/api/v1/customers/{customer}") => vec![foreign(p, None)],
        ("PATCH", "/api/v1/customers/{customer}") => vec![foreign(p, Some(json!({ "notes": "x" })))],
        ("DELETE", "/api/v1/customers/{customer}") => vec![foreign(p, None)],
        ("POST", "/api/v1/customers/{customer}/identities") => {
            vec![foreign(p, Some(json!({ "kind": "email", "value": "x@example.com" })))]
        }
        ("DELETE", "/api/v1/customers/{customer}/identities/{identity}") => vec![foreign(p, None)],
        ("POST", "/api/v1/customers/{customer}/merge") => vec![
            foreign(p, Some(json!({ "from": a.customer }))),
            foreign(format!("/api/v1/customers/{}/merge", a.customer), Some(json!({ "from": b.customer }))),
        ],
        ("GET", "/api/v1/customers/{customer}/duplicates") => vec![foreign(p, None)],
        ("POST", "/api/v1/customers/{customer}/distinct") => vec![
            foreign(p, Some(json!({ "other": a.customer }))),
            foreign(format!("/api/v1/customers/{}/distinct", a.customer), Some(json!({ "other": b.customer }))),
        ],
        ("GET", "/api/v1/orders") => vec![
            foreign(format!("{p}?merchant={bm}"), None),
            foreign(format!("{p}?customer={}", b.customer), None),
            Case::NoLeak { path: p },
        ],
        // The body is not a file: the merchant is checked before the content.
        ("POST", "/api/v1/merchants/{merchant}/files") => {
            vec![foreign(format!("{p}?filename=x.png"), Some(json!({ "scan": "x" })))]
        }
        ("GET", "/api/v1/files/{file}") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/channels") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/phone_numbers") => vec![foreign(p, None)],
        ("POST", "/api/v1/merchants/{merchant}/phone_numbers") => vec![foreign(
            p,
            Some(json!({ "number": "050-1111-2222", "provider": "twilio", "auth_token": "hijack-token-1" })),
        )],
        ("GET", "/api/v1/merchants/{merchant}/voice/flows/{name}") => vec![foreign(p.replace("{name}", "main"), None)],
        ("PUT", "/api/v1/merchants/{merchant}/voice/flows/{name}") => vec![foreign(
            p.replace("{name}", "main"),
            Some(json!({ "start": "h", "steps": { "h": { "kind": "hangup" } } })),
        )],
        ("GET", "/api/v1/merchants/{merchant}/kb/articles") => vec![foreign(p, None)],
        ("POST", "/api/v1/merchants/{merchant}/kb/articles") => {
            vec![foreign(p, Some(json!({ "category": "配送", "question": "q", "answer": "a" })))]
        }
        ("GET", "/api/v1/kb/articles/{article}") => vec![foreign(p, None)],
        ("PATCH", "/api/v1/kb/articles/{article}") => vec![foreign(p, Some(json!({ "answer": "乗っ取り" })))],
        ("DELETE", "/api/v1/kb/articles/{article}") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/kb/search") => vec![foreign(format!("{p}?q=%E8%BF%94%E5%93%81"), None)],
        ("GET", "/api/v1/merchants/{merchant}/kb/export") => vec![foreign(p, None)],
        ("POST", "/api/v1/merchants/{merchant}/kb/import") => vec![foreign(p, Some(json!({ "x": 1 })))],
        ("GET", "/api/v1/merchants/{merchant}/kb/gaps") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/bot/figures") => vec![foreign(p, None)],
        ("GET", "/api/v1/search") => {
            vec![foreign(format!("{p}?q=x&merchant={bm}"), None), Case::NoLeak { path: format!("{p}?q=%E5%BA%97") }]
        }
        ("PUT", "/api/v1/merchants/{merchant}/channels/{kind}") => {
            vec![foreign(p.replace("{kind}", "email"), Some(json!({ "address": "hijack@example.jp" })))]
        }
        ("POST", "/api/v1/orders") => vec![foreign(p, Some(order_body.clone()))],
        ("POST", "/api/v1/orders/bulk") => vec![foreign(p, Some(json!({ "orders": [order_body.clone()] })))],
        ("GET", "/api/v1/merchants/{merchant}/orders/import/mapping") => vec![foreign(p, None)],
        ("PUT", "/api/v1/merchants/{merchant}/orders/import/mapping") => {
            vec![foreign(p, Some(json!({ "columns": { "order_number": "乗っ取り" } })))]
        }
        ("POST", "/api/v1/merchants/{merchant}/orders/import") => vec![foreign(p, Some(json!({ "x": 1 })))],
        ("GET", "/api/v1/merchants/{merchant}/orders/webhook") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/policies") => vec![foreign(p, None)],
        ("PUT", "/api/v1/merchants/{merchant}/policies") => vec![foreign(p, Some(default_policies()))],
        ("POST", "/api/v1/merchants/{merchant}/policies/preview") => {
            vec![foreign(p, Some(json!({ "policies": default_policies(), "order_id": b.order, "request": "return" })))]
        }
        ("GET", "/api/v1/orders/{order}/decision") => vec![foreign(format!("{p}?request=return"), None)],
        ("POST", "/api/v1/orders/{order}/decisions") => {
            vec![foreign(p, Some(json!({ "request": "return", "choice": "escalated" })))]
        }
        ("GET", "/api/v1/orders/{order}/decisions") => vec![foreign(p, None)],
        ("GET", "/api/v1/case-kinds") => vec![Case::Public, foreign(format!("{p}?merchant={bm}"), None)],
        ("GET", "/api/v1/merchants/{merchant}/case-kinds/{kind}/checklist") => {
            vec![foreign(p.replace("{kind}", "redelivery"), None)]
        }
        ("PUT", "/api/v1/merchants/{merchant}/case-kinds/{kind}/checklist") => vec![foreign(
            p.replace("{kind}", "redelivery"),
            Some(json!({ "tasks": [{ "title": "乗っ取り", "owner": "desk", "due_hours": 1 }] })),
        )],
        ("DELETE", "/api/v1/merchants/{merchant}/case-kinds/{kind}/checklist") => {
            vec![foreign(p.replace("{kind}", "redelivery"), None)]
        }
        ("POST", "/api/v1/orders/{order}/cases") => vec![foreign(
            p,
            Some(json!({ "kind": "redelivery", "fields": { "desired_date": "明日", "time_slot": "午前" } })),
        )],
        ("GET", "/api/v1/cases/{case}") => vec![foreign(p, None)],
        ("POST", "/api/v1/cases/{case}/tasks/{task}/done") => vec![foreign(p, Some(json!({})))],
        ("GET", "/api/v1/tasks") => {
            vec![foreign(format!("{p}?merchant={bm}"), None), Case::NoLeak { path: p.clone() }]
        }
        ("POST", "/api/v1/merchants/{merchant}/orders/webhook") => vec![foreign(p, None)],
        ("GET", "/api/v1/orders/{order}") => vec![foreign(p, None)],
        ("PATCH", "/api/v1/orders/{order}") => vec![foreign(p, Some(json!({ "status": "cancelled" })))],
        ("DELETE", "/api/v1/orders/{order}") => vec![foreign(p, None)],
        ("POST", "/api/v1/orders/{order}/shipments") => vec![foreign(p, Some(json!({ "carrier": "yamato" })))],
        ("GET", "/api/v1/shipments/{shipment}") => vec![foreign(p, None)],
        ("PATCH", "/api/v1/shipments/{shipment}") => vec![foreign(p, Some(json!({ "status": "delivered" })))],
        ("DELETE", "/api/v1/shipments/{shipment}") => vec![foreign(p, None)],
        ("POST", "/api/v1/shipments/{shipment}/events") => {
            vec![foreign(p, Some(json!({ "status": "delivered", "occurred_at": when })))]
        }
        ("GET", "/api/v1/conversations") => vec![
            foreign(format!("{p}?merchant={bm}"), None),
            foreign(format!("{p}?customer={}", b.customer), None),
            Case::NoLeak { path: p },
        ],
        ("POST", "/api/v1/conversations") => vec![
            foreign(p.clone(), Some(json!({ "merchant": bm, "channel": "phone" }))),
            foreign(p.clone(), Some(json!({ "merchant": a.slug, "channel": "phone", "customer_id": b.customer }))),
            foreign(p, Some(json!({ "merchant": a.slug, "channel": "phone", "order_id": b.order }))),
        ],
        ("GET", "/api/v1/conversations/{conversation}") => vec![foreign(p, None)],
        ("PATCH", "/api/v1/conversations/{conversation}") => vec![
            foreign(p, Some(json!({ "priority": "urgent" }))),
            foreign(format!("/api/v1/conversations/{}", a.conversation), Some(json!({ "order_id": b.order }))),
            foreign(format!("/api/v1/conversations/{}", a.conversation), Some(json!({ "customer_id": b.customer }))),
        ],
        ("GET", "/api/v1/conversations/{conversation}/messages") => vec![foreign(p, None)],
        ("POST", "/api/v1/conversations/{conversation}/messages") => {
            vec![foreign(p, Some(json!({ "kind": "inbound", "body_text": "x" })))]
        }
        ("GET", "/api/v1/me/presence") => vec![Case::NoLeak { path: p }],
        // The caller's own phone: the call on it is theirs only.
        ("GET", "/api/v1/me/phone") => vec![Case::NoLeak { path: p }],
        // No browser phone is set up in the tests: 409 for the desk, 403 for the shops.
        ("POST", "/api/v1/me/phone/token") => vec![Case::Public],
        ("POST", "/api/v1/calls/{call}/hold") => vec![foreign(p, Some(json!({ "hold": true })))],
        ("POST", "/api/v1/calls/{call}/transfer") => vec![foreign(p, Some(json!({ "number": "0312345678" })))],
        ("POST", "/api/v1/calls/{call}/offer") => {
            vec![foreign(p, Some(json!({ "agent": "00000000-0000-0000-0000-000000000000" })))]
        }
        // Sets only the caller's own state; no merchant data goes in or out.
        ("PUT", "/api/v1/me/presence") => vec![Case::Public],
        ("GET", "/api/v1/users/{user}/agent-profile") => vec![foreign(p, None)],
        ("PATCH", "/api/v1/users/{user}/agent-profile") => vec![foreign(p, Some(json!({ "max_messaging": 5 })))],
        ("GET", "/api/v1/merchants/{merchant}/agents") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/board") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/queues") => vec![foreign(p, None)],
        ("POST", "/api/v1/merchants/{merchant}/queues") => vec![foreign(p, Some(json!({ "name": "乗っ取り" })))],
        ("DELETE", "/api/v1/queues/{queue}") => vec![foreign(p, None)],
        ("POST", "/api/v1/conversations/{conversation}/escalations") => {
            vec![foreign(p, Some(json!({ "question": "x", "due_at": "2099-01-01T00:00:00Z" })))]
        }
        ("GET", "/api/v1/escalations") => vec![
            foreign(format!("{p}?merchant={bm}"), None),
            foreign(format!("{p}?conversation={}", b.conversation), None),
            Case::NoLeak { path: p },
        ],
        ("GET", "/api/v1/escalations/{escalation}") => vec![foreign(p, None)],
        ("POST", "/api/v1/escalations/{escalation}/answer") => vec![foreign(p, Some(json!({ "answer": "乗っ取り" })))],
        ("GET", "/api/v1/merchants/{merchant}/scripts") => vec![foreign(p, None)],
        ("PUT", "/api/v1/merchants/{merchant}/scripts") => {
            vec![foreign(p, Some(json!({ "category": "配送", "body": "乗っ取り" })))]
        }
        ("GET", "/api/v1/merchants/{merchant}/canned-responses") => vec![foreign(p, None)],
        ("POST", "/api/v1/merchants/{merchant}/canned-responses") => {
            vec![foreign(p, Some(json!({ "title": "x", "body": "乗っ取り" })))]
        }
        ("DELETE", "/api/v1/canned-responses/{canned}") => vec![foreign(p, None)],
        ("GET", "/api/v1/merchants/{merchant}/disposition-codes") => vec![foreign(p, None)],
        ("POST", "/api/v1/merchants/{merchant}/disposition-codes") => {
            vec![foreign(p, Some(json!({ "code": "HIJACK", "label": "x" })))]
        }
        ("GET", "/api/v1/conversations/{conversation}/wrap-ups") => vec![foreign(p, None)],
        ("POST", "/api/v1/conversations/{conversation}/wrap-ups") => {
            vec![foreign(p, Some(json!({ "disposition_code": "DELIVERY_INFO", "acw_seconds": 30 })))]
        }
        ("GET", "/api/v1/audit-events") => vec![foreign(format!("{p}?merchant={bm}"), None), Case::NoLeak { path: p }],
        _ => return None,
    };
    Some(c)
}

fn foreign_ids(app: &TestApp) -> Vec<String> {
    let b = &app.b;
    vec![
        b.id.to_string(),
        b.slug.clone(),
        b.customer.to_string(),
        b.order.to_string(),
        b.shipment.to_string(),
        b.conversation.to_string(),
        b.staff_user.to_string(),
        b.case.to_string(),
        b.task.to_string(),
    ]
}

async fn b_call(app: &TestApp) -> anyhow::Result<madoguchi_core::ids::CallId> {
    use madoguchi_core::voice::call::{CallDirection, CallEventKind};
    use madoguchi_store::voice::calls::{NewCall, NewCallEvent};
    let new = NewCall {
        merchant: app.b.id,
        phone_number: None,
        provider: "twilio".into(),
        provider_call_id: "CA-shop-b".into(),
        direction: CallDirection::Inbound,
        caller: madoguchi_core::voice::caller::Caller::parse("090-3333-4444"),
        to_e164: "+815099990000".into(),
        flow_name: None,
        flow_version: None,
        at: madoguchi_core::time::now(),
    };
    let (call, _) = app.store.start_call(&new).await?;
    let agent = Some(app.users["shared_agent"]);
    for kind in [CallEventKind::Queued, CallEventKind::AgentOffered, CallEventKind::Answered] {
        let e = NewCallEvent { kind, at: madoguchi_core::time::now(), agent, data: json!({}), dedupe_key: None };
        app.store.record_call_event(call.id, &e).await?;
    }
    Ok(call.id)
}

#[tokio::test]
async fn foreign_merchant_ids_are_not_found_on_every_route_for_every_scoped_role() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (status, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await?;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths in the OpenAPI document");
    assert!(paths.len() >= 25, "expected the whole API, got {} paths", paths.len());

    // Give the audit log entries about B (an admin reads B's customer) that A must not see.
    let (status, _) = app.get(&format!("/api/v1/customers/{}", app.b.customer), "admin").await?;
    assert_eq!(status, StatusCode::OK);
    // A call to shop B, answered by B's agent, that nobody of A may hold.
    let b_call = b_call(&app).await?.to_string();
    let mut checked = BTreeSet::new();
    let mut uncovered = Vec::new();
    for (template, item) in paths {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let m: Method = method.to_uppercase().parse()?;
            let Some(cases) = cases(&app, &b_call, &m, template) else {
                uncovered.push(format!("{method} {template}"));
                continue;
            };
            for case in cases {
                for role in SCOPED_ROLES {
                    match &case {
                        Case::Foreign { path, body } => {
                            let (status, json) = app.call(m.clone(), path, Some(app.token(role)), body.clone()).await?;
                            assert_eq!(status, StatusCode::NOT_FOUND, "{role} {m} {path}: {json}");
                            assert_eq!(json["code"], "not_found", "{role} {m} {path}");
                        }
                        Case::NoLeak { path } => {
                            let (status, json) = app.get(path, role).await?;
                            if status == StatusCode::OK {
                                let text = json.to_string();
                                for id in foreign_ids(&app) {
                                    assert!(!text.contains(&id), "{role} GET {path} leaks {id}");
                                }
                            } else {
                                assert_eq!(status, StatusCode::FORBIDDEN, "{role} GET {path}: {json}");
                            }
                        }
                        Case::AdminOnly { body } => {
                            let (status, json) =
                                app.call(m.clone(), template, Some(app.token(role)), Some(body.clone())).await?;
                            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {m} {template}: {json}");
                        }
                        Case::Public => {}
                    }
                }
            }
            checked.insert(format!("{method} {template}"));
        }
    }
    assert!(uncovered.is_empty(), "routes missing from the authorization matrix: {uncovered:?}");
    assert!(checked.len() >= 40, "only {} operations checked", checked.len());

    // The foreign ids are real: an admin sees them.
    for path in [
        format!("/api/v1/merchants/{}", app.b.slug),
        format!("/api/v1/customers/{}", app.b.customer),
        format!("/api/v1/orders/{}", app.b.order),
        format!("/api/v1/shipments/{}", app.b.shipment),
        format!("/api/v1/conversations/{}", app.b.conversation),
        format!("/api/v1/users/{}", app.b.staff_user),
    ] {
        let (status, _) = app.get(&path, "admin").await?;
        assert_eq!(status, StatusCode::OK, "admin GET {path}");
    }
    // …and nothing of B changed.
    let (_, conv) = app.get(&format!("/api/v1/conversations/{}", app.b.conversation), "admin").await?;
    assert_eq!(conv["conversation"]["priority"], "normal");
    let messages = conv["timeline"].as_array().map_or(0, |t| t.iter().filter(|i| i["type"] == "message").count());
    assert_eq!(messages, 1);
    let (_, merchant) = app.get(&format!("/api/v1/merchants/{}", app.b.slug), "admin").await?;
    assert_ne!(merchant["greeting"], "乗っ取り");
    let (_, cust) = app.get(&format!("/api/v1/customers/{}", app.b.customer), "admin").await?;
    assert_eq!(cust["identities"].as_array().map(Vec::len), Some(1));
    assert!(cust["notes"].is_null());
    let (_, order) = app.get(&format!("/api/v1/orders/{}", app.b.order), "admin").await?;
    assert_eq!(order["status"], "shipped");
    assert_eq!(order["shipments"].as_array().map(Vec::len), Some(1));
    let (status, _) = app.get(&format!("/api/v1/users/{}/tokens", app.b.staff_user), "admin").await?;
    assert_eq!(status, StatusCode::OK);
    let (_, tokens) = app.get(&format!("/api/v1/users/{}/tokens", app.b.staff_user), "admin").await?;
    assert_eq!(tokens["items"].as_array().map(Vec::len), Some(1), "B's token survived");
    let (_, esc) = app.get(&format!("/api/v1/escalations/{}", app.b.escalation), "admin").await?;
    assert_eq!(esc["status"], "open", "B's escalation unanswered");
    let (_, canned) = app.get(&format!("/api/v1/merchants/{}/canned-responses", app.b.slug), "admin").await?;
    assert_eq!(canned.as_array().map(Vec::len), Some(1), "B's canned response survived");
    let (_, wraps) = app.get(&format!("/api/v1/conversations/{}/wrap-ups", app.b.conversation), "admin").await?;
    assert_eq!(wraps.as_array().map(Vec::len), Some(0), "no wrap-up slipped into B");
    let (_, queues) = app.get(&format!("/api/v1/merchants/{}/queues", app.b.slug), "admin").await?;
    assert_eq!(queues.as_array().map(Vec::len), Some(1), "B's queues unchanged");
    Ok(())
}

#[tokio::test]
async fn own_merchant_is_visible_to_every_scoped_role() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    for role in SCOPED_ROLES {
        for path in [
            format!("/api/v1/merchants/{}", app.a.slug),
            format!("/api/v1/customers/{}", app.a.customer),
            format!("/api/v1/orders/{}", app.a.order),
            format!("/api/v1/conversations/{}", app.a.conversation),
        ] {
            let (status, json) = app.get(&path, role).await?;
            assert_eq!(status, StatusCode::OK, "{role} GET {path}: {json}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn role_limits_within_the_own_merchant() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let a = app.a.slug.clone();
    // Only admins onboard merchants.
    let (s, _) =
        app.send(Method::POST, "/api/v1/merchants", "admin", json!({ "slug": "third-shop", "name": "三号店" })).await?;
    assert_eq!(s, StatusCode::CREATED);
    // Agents and staff cannot change merchant settings; the merchant admin can.
    for role in ["agent", "supervisor", "merchant_staff"] {
        let (s, j) =
            app.send(Method::PATCH, &format!("/api/v1/merchants/{a}"), role, json!({ "greeting": "x" })).await?;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {j}");
    }
    let (s, j) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/merchants/{a}"),
            "merchant_admin",
            json!({ "greeting": "はい、A店です。" }),
        )
        .await?;
    assert_eq!((s, j["greeting"].as_str()), (StatusCode::OK, Some("はい、A店です。")));
    // The audit log is for admins and merchant admins.
    for role in ["agent", "supervisor", "merchant_staff"] {
        let (s, _) = app.get(&format!("/api/v1/audit-events?merchant={a}"), role).await?;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
    }
    let (s, log) = app.get(&format!("/api/v1/audit-events?merchant={a}"), "merchant_admin").await?;
    assert_eq!(s, StatusCode::OK);
    assert!(log["items"].as_array().is_some_and(|i| !i.is_empty()));
    // A merchant admin creates staff for the own shop, never desk roles.
    let staff = json!({ "login": "a.new", "display_name": "新人", "role": "merchant_staff", "password": "long-enough-pw", "merchants": [a] });
    let (s, _) = app.send(Method::POST, "/api/v1/users", "merchant_admin", staff).await?;
    assert_eq!(s, StatusCode::CREATED);
    let agent = json!({ "login": "a.agent", "display_name": "x", "role": "agent", "password": "long-enough-pw", "merchants": [a] });
    let (s, _) = app.send(Method::POST, "/api/v1/users", "merchant_admin", agent.clone()).await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.send(Method::POST, "/api/v1/users", "agent", agent).await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Merchant staff cannot write internal notes and do not see them.
    let conv = format!("/api/v1/conversations/{}", app.a.conversation);
    let (s, _) = app
        .send(
            Method::POST,
            &format!("{conv}/messages"),
            "merchant_staff",
            json!({ "kind": "internal_note", "body_text": "x" }),
        )
        .await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .send(
            Method::POST,
            &format!("{conv}/messages"),
            "agent",
            json!({ "kind": "internal_note", "body_text": "要注意のお客様" }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    let (_, seen_by_staff) = app.get(&conv, "merchant_staff").await?;
    assert!(!seen_by_staff.to_string().contains("要注意のお客様"));
    let (_, seen_by_agent) = app.get(&conv, "agent").await?;
    assert!(seen_by_agent.to_string().contains("要注意のお客様"));
    let (_, staff_page) = app.get(&format!("{conv}/messages"), "merchant_staff").await?;
    assert!(!staff_page.to_string().contains("要注意のお客様"));
    // Deleting records needs a supervisor or admin.
    let (s, _) =
        app.call(Method::DELETE, &format!("/api/v1/orders/{}", app.a.order), Some(app.token("agent")), None).await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    Ok(())
}
