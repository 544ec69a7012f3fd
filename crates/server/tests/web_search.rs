//! Search that leads somewhere: a phone number typed in groups lands on the customer's page,
//! a tracking number finds its order and parcel, a ticket code its conversation, hiragana finds
//! kanji, a conversation is one row however many of its messages match, FAQ snippets are text.
//! Always within the user's shops: shop B has the same phone number and tracking number.

mod common;

use common::console::*;
use common::{PASSWORD, TestApp};
use reqwest::StatusCode;

/// The search page for `q`, once the index has caught up with `ready` (a text on the page).
async fn search(app: &TestApp, c: &reqwest::Client, q: &str, ready: &str) -> anyhow::Result<reqwest::Response> {
    let url = reqwest::Url::parse_with_params(&format!("{}/desk/search", app.base), &[("q", q)])?;
    for _ in 0..100 {
        let resp = c.get(url.clone()).send().await?;
        if resp.status() != StatusCode::OK {
            return Ok(resp);
        }
        let html = resp.text().await?;
        if html.contains(ready) {
            return Ok(c.get(url.clone()).send().await?);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the search for {q} never showed {ready}")
}

#[tokio::test]
async fn a_phone_lookup_lands_on_the_customer_page_within_the_users_shops() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let url = reqwest::Url::parse_with_params(&format!("{}/desk/search", app.base), &[("q", "+81 90 1234 5678")])?;
    let mut landed = None;
    for _ in 0..100 {
        let resp = c.get(url.clone()).send().await?;
        if resp.status() == StatusCode::SEE_OTHER {
            landed = Some(resp.headers()["location"].to_str()?.to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let to = landed.expect("the phone number typed in groups leads to one customer");
    assert_eq!(to, format!("/desk/customers/{}", app.a.customer), "shop A's customer, not shop B's");

    let page = c.get(format!("{}{to}", app.base)).send().await?;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await?;
    for expected in ["shop-a 客", "電話 090-1234-5678", "shop-a-1", "123412341231", "届きません"] {
        assert!(html.contains(expected), "{expected} on the customer page");
    }
    assert!(!html.contains("phone:"), "contact details are labelled in words, not by internal kind");
    assert!(html.contains(&format!("/desk/contacts/new?customer={}", app.a.customer)), "a new contact starts here");
    assert!(html.contains(&format!("/desk/conversations/{}", app.a.conversation)), "the conversations link");
    let m = app
        .store
        .get_merchant(&madoguchi_core::access::Scope::All, madoguchi_store::merchants::MerchantKey::Id(app.a.id))
        .await?;
    assert!(html.contains(&format!("{}-", m.code)), "tickets show the shop's code");
    // A new contact for the customer starts filled in, as a call.
    let form =
        c.get(format!("{}/desk/contacts/new?customer={}", app.base, app.a.customer)).send().await?.text().await?;
    assert!(form.contains("value=\"090-1234-5678\""), "the phone number is filled in");
    assert!(form.contains("value=\"shop-a\" selected"), "the customer's shop is chosen");
    let refused = c.get(format!("{}/desk/contacts/new?customer={}", app.base, app.b.customer)).send().await?;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND, "another shop's customer cannot be filled in");
    // Shop B's customer does not exist for shop A's agent.
    let other = c.get(format!("{}/desk/customers/{}", app.base, app.b.customer)).send().await?;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn tracking_numbers_tickets_and_kana_lead_to_orders_and_conversations() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;

    // The slip's tracking number, in groups: shop A's order only.
    let html = search(&app, &c, "1234-1234-1231", "shop-a-1").await?.text().await?;
    assert!(html.contains(&format!("/desk/customers/{}", app.a.customer)), "the order leads to its customer");
    assert!(html.contains("伝票番号"), "{html}");
    assert!(!html.contains("shop-b-1"), "shop B's parcel with the same number is not shown");

    // The ticket code.
    let scope = madoguchi_core::access::Scope::All;
    let m = app.store.get_merchant(&scope, madoguchi_store::merchants::MerchantKey::Id(app.a.id)).await?;
    let conv = app.store.get_conversation(&scope, app.a.conversation).await?;
    let ticket = m.ticket(conv.number).to_lowercase();
    let html = search(&app, &c, &ticket, "/desk/conversations/").await?.text().await?;
    assert!(html.contains(&format!("/desk/conversations/{}", app.a.conversation)), "{ticket} finds its conversation");

    // Hiragana finds kanji, and a conversation is one row for all its matching messages.
    let (s, created) = app
        .send(
            reqwest::Method::POST,
            "/api/v1/conversations",
            "agent",
            serde_json::json!({ "merchant": "shop-a", "channel": "email", "subject": "荷物について",
                "message": { "kind": "inbound", "body_text": "注文した荷物が届かないのですが" } }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{id}/messages"),
            "agent",
            serde_json::json!({ "kind": "inbound", "body_text": "まだ届かないので再送をお願いします" }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    let html = search(&app, &c, "とどかない", "荷物について").await?.text().await?;
    assert_eq!(html.matches(&format!("/desk/conversations/{id}\"")).count(), 1, "one row for the conversation: {html}");

    // FAQ results quote text, not Markdown.
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            "/api/v1/merchants/shop-a/kb/articles",
            "merchant_admin",
            serde_json::json!({ "category": "配送", "question": "送料はいくらですか", "answer": "## 送料\n\n全国一律 **550円** です。" }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    let html = search(&app, &c, "そうりょう", "550円").await?.text().await?;
    assert!(!html.contains("**") && !html.contains("##"), "the snippet is text: {html}");
    Ok(())
}
