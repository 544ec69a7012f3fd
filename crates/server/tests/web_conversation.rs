//! The conversation page in the console: timeline, customer panel, escalation, merging
//! suggested duplicates, typed-in contacts with scans, suggested answers, the shop's decision
//! on a request and delivery cases opened from it.

mod common;

use common::console::*;
use common::{PASSWORD, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn the_conversation_page_shows_the_shop_timeline_and_customer() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, _) = app
        .send(
            reqwest::Method::PATCH,
            "/api/v1/merchants/shop-a",
            "admin",
            serde_json::json!({ "greeting": "お電話ありがとうございます。A店でございます。",
                "greetings": { "mail_opening": "いつもA店をご利用いただきありがとうございます。" } }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK);
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let id = app.a.conversation.to_string();
    let (s, html) = page(&app, &c, &id).await?;
    assert_eq!(s, StatusCode::OK);
    for expected in [
        "shop-a 店",
        // A mail: the shop's words for mail are in view, not the phone's.
        "いつもA店をご利用いただきありがとうございます。",
        "shop-a の問い合わせ",
        "shop-a 客",
        "090-1234-5678",
        "123412341231",
        "ヤマト運輸",
    ] {
        assert!(html.contains(expected), "{expected} on the page");
    }
    assert!(html.contains("kuronekoyamato.co.jp"), "a tracking link");
    // Another shop's conversation does not exist for this agent.
    let (s, _) = page(&app, &c, &app.b.conversation.to_string()).await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = page(&app, &c, "not-an-id").await?;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Reply and note, through the forms.
    let csrf = csrf_of(&html);
    let url = format!("{}/desk/conversations/{id}/messages", app.base);
    let forged = c.post(&url).multipart(reply_form("forged", "outbound", "x")).send().await?;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let ok =
        c.post(&url).multipart(reply_form(csrf.as_str(), "outbound", "配送状況を確認いたしました。")).send().await?;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let note =
        c.post(&url).multipart(reply_form(csrf.as_str(), "internal_note", "社内メモ：再発送を検討")).send().await?;
    assert_eq!(note.status(), StatusCode::SEE_OTHER);
    let empty = c.post(&url).multipart(reply_form(csrf.as_str(), "outbound", "   ")).send().await?;
    assert_eq!(empty.status(), StatusCode::SEE_OTHER);
    assert!(empty.headers()["location"].to_str()?.contains("error=invalid"), "refused, back with the reason");
    let (_, html) = page(&app, &c, &id).await?;
    assert!(html.contains("配送状況を確認いたしました。") && html.contains("社内メモ：再発送を検討"));

    // Status, priority and assignee.
    let agent = app.users["agent"].to_string();
    let upd = c
        .post(format!("{}/desk/conversations/{id}/update", app.base))
        .form(&[("csrf", csrf.as_str()), ("status", "pending"), ("priority", "high"), ("assignee", agent.as_str())])
        .send()
        .await?;
    assert_eq!(upd.status(), StatusCode::SEE_OTHER);
    let (_, conv) = app.get(&format!("/api/v1/conversations/{id}"), "agent").await?;
    assert_eq!(
        (conv["conversation"]["status"].as_str(), conv["conversation"]["priority"].as_str()),
        (Some("pending"), Some("high"))
    );
    assert_eq!(conv["conversation"]["assignee_id"].as_str(), Some(agent.as_str()));

    // The shop's staff see the reply but not the desk's note, and get no note button.
    let staff = browser();
    sign_in(&app, &staff, "shop-a.staff", PASSWORD).await?;
    let (s, html) = page(&app, &staff, &id).await?;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("配送状況を確認いたしました。") && !html.contains("社内メモ"),
        "notes hidden from shop staff"
    );
    assert!(!html.contains("id=\"add-note\""));
    Ok(())
}

#[tokio::test]
async fn escalations_through_the_pages() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let agent = browser();
    sign_in(&app, &agent, "agent", PASSWORD).await?;
    let id = app.a.conversation.to_string();
    let (_, html) = page(&app, &agent, &id).await?;
    let csrf = csrf_of(&html);
    let url = format!("{}/desk/conversations/{id}/escalations", app.base);
    let bad = agent
        .post(&url)
        .form(&[("csrf", csrf.as_str()), ("question", "期限が変"), ("due", "not-a-date")])
        .send()
        .await?;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ok = agent
        .post(&url)
        .form(&[("csrf", csrf.as_str()), ("question", "交換品の在庫はありますか"), ("due", "2099-01-01T10:00")])
        .send()
        .await?;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &agent, &id).await?;
    assert!(html.contains("交換品の在庫はありますか") && html.contains("回答待ち"));

    // The shop's staff see A's questions only, and answer them.
    let staff = browser();
    sign_in(&app, &staff, "shop-a.staff", PASSWORD).await?;
    let portal = staff.get(format!("{}/portal", app.base)).send().await?.text().await?;
    assert!(portal.contains("交換品の在庫はありますか"), "{portal}");
    assert!(portal.contains("返品を受けてよいですか"), "the fixture's question of shop A");
    let answer_b = staff
        .post(format!("{}/portal/escalations/{}/answer", app.base, app.b.escalation))
        .form(&[("csrf", csrf_of(&portal).as_str()), ("answer", "乗っ取り")])
        .send()
        .await?;
    assert_eq!(answer_b.status(), StatusCode::NOT_FOUND, "another shop's escalation does not exist for them");
    // An agent cannot answer for the shop.
    let agent_portal = agent.get(format!("{}/portal", app.base)).send().await?.text().await?;
    let answer_a = agent
        .post(format!("{}/portal/escalations/{}/answer", app.base, app.a.escalation))
        .form(&[("csrf", csrf_of(&agent_portal).as_str()), ("answer", "代理回答")])
        .send()
        .await?;
    assert_eq!(answer_a.status(), StatusCode::FORBIDDEN);
    let answered = staff
        .post(format!("{}/portal/escalations/{}/answer", app.base, app.a.escalation))
        .form(&[("csrf", csrf_of(&portal).as_str()), ("answer", "返品を受けてください")])
        .send()
        .await?;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &agent, &id).await?;
    assert!(html.contains("返品を受けてください") && html.contains("ショップから回答"));
    Ok(())
}

/// A phone number given on the web form that belongs to another customer is not attached (anyone
/// can type it) but offered to the desk as a likely duplicate, through the API and on the
/// conversation page, where it can be merged or set aside as a different person.
#[tokio::test]
async fn a_known_phone_number_on_the_web_form_is_offered_for_merging() -> anyhow::Result<()> {
    use madoguchi_core::access::Scope;
    use madoguchi_core::enums::Channel;
    use madoguchi_store::channel_accounts::AccountSettings;
    let app = TestApp::start().await?;
    app.store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Email,
            "dup-mail-a",
            &AccountSettings { address: Some("support@shop-a.test".into()), ..AccountSettings::default() },
        )
        .await?;
    let form_page = app.client.get(format!("{}/form/shop-a", app.base)).send().await?.text().await?;
    let at = form_page.find("name=\"submission\" value=\"").map(|i| i + 25).unwrap_or(0);
    let submission = form_page[at..].split('"').next().unwrap_or_default().to_owned();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in [
        ("submission", submission.as_str()),
        ("name", "別名 さん"),
        ("email", "another.address@example.jp"),
        // The fixture customer's number, written the way people write it.
        ("phone", "０９０（１２３４）５６７８"),
        ("category", "その他"),
        ("message", "前回の問い合わせの続きです。"),
        ("website", ""),
    ] {
        form = form.text(k, v.to_owned());
    }
    let resp = app.client.post(format!("{}/form/shop-a", app.base)).multipart(form).send().await?;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await?);
    let f = madoguchi_store::conversations::ConversationFilter {
        merchant: Some(app.a.id),
        channel: Some(Channel::WebForm),
        ..Default::default()
    };
    let conv = app.store.list_conversations(&Scope::All, &f, madoguchi_core::page::PageRequest::first(5)).await?.items;
    let conv = conv.first().expect("the form opened a conversation");
    let newcomer = conv.customer_id.expect("a customer");
    assert_ne!(newcomer, app.a.customer, "a typed number does not decide who the customer is");

    let (s, dups) = app.get(&format!("/api/v1/customers/{newcomer}/duplicates"), "agent").await?;
    assert_eq!(s, StatusCode::OK, "{dups}");
    assert_eq!(dups["suggestions"][0]["customer"]["id"], app.a.customer.to_string(), "{dups}");
    assert_eq!(dups["suggestions"][0]["reasons"][0]["reason"], "shared_contact");
    assert_eq!(dups["suggestions"][0]["reasons"][0]["kind"], "phone");

    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let (s, html) = page(&app, &c, &conv.id.to_string()).await?;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("同一人物の可能性"), "{html}");
    assert!(html.contains(&format!("data-customer=\"{}\"", app.a.customer)));
    assert!(html.contains("同じ連絡先: 090-1234-5678"), "{html}");

    // Merge from the suggestion: the older record survives (other systems may hold its id) and
    // takes the newcomer's conversation and address.
    let resp = c
        .post(format!("{}/desk/conversations/{}/merge-customer", app.base, conv.id))
        .form(&[("csrf", csrf_of(&html)), ("customer", app.a.customer.to_string())])
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let merged = app.store.get_customer(&Scope::All, app.a.customer).await?;
    assert!(merged.identities.iter().any(|i| i.value == "another.address@example.jp"), "{merged:?}");
    assert!(app.store.get_customer(&Scope::All, newcomer).await.is_err());
    assert_eq!(app.store.get_conversation(&Scope::All, conv.id).await?.customer_id, Some(app.a.customer));
    let (_, html) = page(&app, &c, &conv.id.to_string()).await?;
    assert!(!html.contains("同一人物の可能性"), "nothing left to suggest");
    Ok(())
}

/// Staff type in a postcard with its scan: it lands once, as the customer's message, at the time
/// it was received, on the customer with that phone number; bad input is named and stores nothing.
#[tokio::test]
async fn staff_type_in_a_postcard_with_its_scan() -> anyhow::Result<()> {
    use madoguchi_core::access::Scope;
    use madoguchi_core::conversation::TimelineItem;
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let html = c.get(format!("{}/desk/contacts/new", app.base)).send().await?.text().await?;
    assert!(html.contains("受付入力"), "{html}");
    assert!(html.contains("value=\"shop-a\""));
    assert!(!html.contains("value=\"shop-b\""), "only the agent's own shops are offered");
    let at = html.find("name=\"submission\" value=\"").map(|i| i + 25).unwrap_or(0);
    let submission = html[at..].split('"').next().unwrap_or_default().to_owned();
    let received = (chrono::Utc::now() - chrono::Duration::days(1))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let fields = |sub: &str, merchant: &str| {
        vec![
            ("csrf", csrf_of(&html)),
            ("submission", sub.to_owned()),
            ("merchant", merchant.to_owned()),
            ("channel", "postcard".to_owned()),
            ("received_at", received.clone()),
            ("name", "はがき 太郎".to_owned()),
            // As printed on the card.
            ("phone", "０９０－１２３４－５６７８".to_owned()),
            ("category", "返品・交換".to_owned()),
            ("body", "サイズ違いのため交換を希望します。\n返送先を教えてください。".to_owned()),
        ]
    };
    let scan = b"\x89PNG\r\n\x1a\n-postcard-scan-".to_vec();
    let tiff = b"II*\x00-back-side-".to_vec();

    // Refused: a shop the agent does not serve, and a file that is not a scan. Nothing is stored.
    let count = |app: &TestApp| {
        let f = madoguchi_store::conversations::ConversationFilter {
            merchant: None,
            channel: Some(madoguchi_core::enums::Channel::Postcard),
            ..Default::default()
        };
        let store = app.store.clone();
        async move { store.list_conversations(&Scope::All, &f, madoguchi_core::page::PageRequest::first(50)).await }
    };
    let (s, refused, _) =
        contact_form(&app, &c, &fields(&submission, "shop-b"), vec![("virus.exe", b"MZ\x90\x00".to_vec())]).await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("ショップを選んでください"), "{refused}");
    assert!(refused.contains("virus.exe: 添付できるのは画像"), "{refused}");
    assert!(refused.contains("サイズ違いのため交換を希望します。"), "what was typed is kept");
    assert!(count(&app).await?.items.is_empty());

    let (s, _, location) =
        contact_form(&app, &c, &fields(&submission, "shop-a"), vec![("はがき表.png", scan.clone()), ("裏.tif", tiff)])
            .await?;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let location = location.unwrap_or_default();
    let convs = count(&app).await?.items;
    assert_eq!(convs.len(), 1);
    let conv = &convs[0];
    assert_eq!(location, format!("/desk/conversations/{}", conv.id));
    assert_eq!(conv.customer_id, Some(app.a.customer), "the card's phone number finds the customer");
    assert_eq!(conv.subject.as_deref(), Some("サイズ違いのため交換を希望します。"));
    assert_eq!(conv.category.as_deref(), Some("返品・交換"));
    let expected = chrono::NaiveDateTime::parse_from_str(&received, "%Y-%m-%dT%H:%M")?;
    let opened = conv.created_at.with_timezone(&chrono_tz::Asia::Tokyo).naive_local();
    assert_eq!(opened, expected, "the conversation dates from when the card arrived");
    let timeline = app.store.timeline(&Scope::All, conv.id, true).await?;
    let msg = timeline
        .iter()
        .find_map(|i| match i {
            TimelineItem::Message(m) => Some(m.clone()),
            _ => None,
        })
        .expect("the typed-in message");
    assert_eq!(msg.direction, madoguchi_core::enums::Direction::Inbound);
    assert_eq!(msg.attachments.len(), 2);
    assert_eq!(msg.attachments[0].filename, "はがき表.png");
    assert_eq!(msg.attachments[1].content_type, "image/tiff");
    let (_, shown) = page(&app, &c, &conv.id.to_string()).await?;
    assert!(shown.contains("はがき表.png"), "the scan is linked from the timeline");

    // Sent twice (a double click): still one.
    let (s, _, again) = contact_form(&app, &c, &fields(&submission, "shop-a"), vec![]).await?;
    assert_eq!((s, again), (StatusCode::SEE_OTHER, Some(location)));
    assert_eq!(count(&app).await?.items.len(), 1);

    // A walk-in with a name only: a new customer by that name.
    let mut walk_in = fields(&uuid::Uuid::now_v7().to_string(), "shop-a");
    walk_in.retain(|(k, _)| *k != "phone");
    walk_in.push(("channel", "walk_in".into()));
    walk_in.retain(|(k, v)| *k != "channel" || v == "walk_in");
    let (s, body, _) = contact_form(&app, &c, &walk_in, vec![]).await?;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let f = madoguchi_store::conversations::ConversationFilter {
        channel: Some(madoguchi_core::enums::Channel::WalkIn),
        ..Default::default()
    };
    let walk = app.store.list_conversations(&Scope::All, &f, madoguchi_core::page::PageRequest::first(5)).await?;
    let customer = app.store.get_customer(&Scope::All, walk.items[0].customer_id.expect("a customer")).await?;
    assert_eq!(customer.name.as_deref(), Some("はがき 太郎"));
    assert!(customer.identities.is_empty());
    assert_ne!(customer.id, app.a.customer);
    Ok(())
}

/// Agent assist: for the customer's latest message the conversation page offers the matching
/// FAQ answer and puts the fitting canned response first, marked.
#[tokio::test]
async fn the_conversation_page_suggests_answers_for_the_latest_message() -> anyhow::Result<()> {
    use serde_json::json;
    let app = TestApp::start().await?;
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            "/api/v1/merchants/shop-a/canned-responses",
            "merchant_admin",
            json!({ "title": "返品のご案内", "body": "返品は商品到着後8日以内に承ります。" }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    let (_, conv) = app
        .send(
            reqwest::Method::POST,
            "/api/v1/conversations",
            "agent",
            json!({ "merchant": "shop-a", "channel": "chat",
                "message": { "kind": "inbound", "body_text": "サイズが合わなかったので返品したいのですが" } }),
        )
        .await?;
    let id = conv["id"].as_str().unwrap_or_default().to_owned();
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let mut html = String::new();
    for _ in 0..50 {
        let (_, h) = page(&app, &c, &id).await?;
        html = h;
        if html.contains("id=\"assist\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains("おすすめFAQ") && html.contains("返品はできますか？"), "{html}");
    assert!(html.contains("data-text=\"商品到着後8日以内にご連絡ください。\""), "the answer is ready to insert");
    // The numbered keys keep the shop's order; the one that fits is suggested apart.
    let suggested =
        html.split("id=\"canned-suggested\"").nth(1).and_then(|s| s.split("</div>").next()).unwrap_or_default();
    assert!(suggested.contains("★ 返品のご案内"), "{suggested}");
    assert!(html.contains("id=\"canned-all\""), "every canned response is in the searchable list");
    Ok(())
}

#[tokio::test]
async fn the_shops_decision_beside_the_conversation_and_the_agents_choice() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let id = app.a.conversation.to_string();
    let order = app.a.order.to_string();
    let asked = c
        .get(format!("{}/desk/conversations/{id}?order={order}&request=cancel", app.base))
        .send()
        .await?
        .text()
        .await?;
    // The fixture's parcel has left: a cancellation is refused, with what to say instead.
    assert!(asked.contains("キャンセル: 対応不可"), "{asked}");
    assert!(asked.contains("発送済みのため"), "the reason in Japanese");
    assert!(asked.contains("ポリシー版 0"), "the defaults");
    assert!(!asked.contains("choice-accepted"), "a refused request offers no 'accepted'");
    let csrf = csrf_of(&asked);
    let post = |form: Vec<(&'static str, String)>| {
        c.post(format!("{}/desk/conversations/{id}/decisions", app.base)).form(&form).send()
    };
    let form = |choice: &str, order: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("order", order.to_owned()),
            ("request", "cancel".to_owned()),
            ("choice", choice.to_owned()),
        ]
    };
    assert_eq!(post(form("accepted", &order)).await?.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another shop's order through this conversation does not exist.
    assert_eq!(post(form("escalated", &app.b.order.to_string())).await?.status(), StatusCode::NOT_FOUND);
    let done = post(form("escalated", &order)).await?;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &c, &id).await?;
    assert!(html.contains("記録した判定") && html.contains("キャンセル → ショップに確認"), "{html}");
    let (_, recorded) = app.get(&format!("/api/v1/orders/{order}/decisions"), "admin").await?;
    assert_eq!(recorded[0]["conversation_id"], id.as_str());
    assert_eq!(recorded[0]["choice"], "escalated");
    Ok(())
}

#[tokio::test]
async fn a_case_is_opened_from_the_conversation_with_its_form() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let id = app.a.conversation.to_string();
    let order = app.a.order.to_string();
    let html = c
        .get(format!("{}/desk/conversations/{id}?order={order}&case=damaged_in_transit", app.base))
        .send()
        .await?
        .text()
        .await?;
    assert!(
        html.contains("id=\"case-form\"")
            && html.contains("name=\"field.damage\"")
            && html.contains("破損・汚損の内容 *"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let post = |fields: Vec<(&'static str, String)>| {
        c.post(format!("{}/desk/conversations/{id}/cases", app.base)).form(&fields).send()
    };
    let base = |order: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("order", order.to_owned()),
            ("kind", "damaged_in_transit".to_owned()),
            ("field.damage", "箱が濡れていた".to_owned()),
        ]
    };
    // Photos are required for a damaged parcel.
    assert_eq!(post(base(&order)).await?.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut full = base(&order);
    full.push(("field.photos", "scan-1".to_owned()));
    assert_eq!(post(full.clone()).await?.status(), StatusCode::SEE_OTHER);
    let mut foreign = base(&app.b.order.to_string());
    foreign.push(("field.photos", "scan-1".to_owned()));
    assert_eq!(post(foreign).await?.status(), StatusCode::NOT_FOUND);
    let (_, html) = page(&app, &c, &id).await?;
    assert!(html.contains("配送中の汚破損 0/3"), "the case and its checklist under the order");
    // The form speaks English to someone who chose it.
    c.get(format!("{}/desk?lang=en", app.base)).send().await?;
    let en = c
        .get(format!("{}/desk/conversations/{id}?order={order}&case=damaged_in_transit", app.base))
        .send()
        .await?
        .text()
        .await?;
    assert!(en.contains("What is damaged or soiled *") && !en.contains("破損・汚損の内容"), "{en}");
    c.get(format!("{}/desk?lang=ja", app.base)).send().await?;
    let (_, queue) = app.get("/api/v1/tasks?merchant=shop-a", "agent").await?;
    assert!(queue.to_string().contains("運送会社に事故報告をする"), "its tasks are in the queue");
    Ok(())
}

#[tokio::test]
async fn every_field_is_edited_from_the_page_and_a_category_brings_its_talk_script() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    app.store
        .put_script(
            &madoguchi_core::access::Scope::All,
            app.users["admin"],
            app.a.id,
            "ギフト・のし",
            "のしの種類と名入れを伺います。",
        )
        .await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let id = app.a.conversation.to_string();
    let (_, html) = page(&app, &c, &id).await?;
    assert!(html.contains("<option value=\"ギフト・のし\""), "the shop's own categories are offered");
    assert!(!html.contains("のしの種類と名入れ"), "no script before the category is chosen");
    let csrf = csrf_of(&html);
    let url = format!("{}/desk/conversations/{id}/update", app.base);
    let order = app.a.order.to_string();
    let ok = c
        .post(&url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("category", "ギフト・のし"),
            ("subject", "のしの名入れ"),
            ("tags", "ギフト、ＶＩＰ　要注意"),
            ("order", order.as_str()),
        ])
        .send()
        .await?;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let (_, conv) = app.get(&format!("/api/v1/conversations/{id}"), "agent").await?;
    let conv = &conv["conversation"];
    assert_eq!(conv["category"], "ギフト・のし");
    assert_eq!(conv["subject"], "のしの名入れ");
    assert_eq!(conv["order_id"].as_str(), Some(order.as_str()));
    let tags: Vec<&str> = conv["tags"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    assert_eq!(tags.len(), 3, "three tags typed in one line: {tags:?}");
    assert!(tags.contains(&"VIP"), "full-width letters are folded: {tags:?}");
    let (_, html) = page(&app, &c, &id).await?;
    assert!(html.contains("のしの種類と名入れ"), "the category's talk script is shown");
    assert!(html.contains("class=\"order linked\""), "the linked order is marked in the customer panel");

    // Another shop's order is refused by name, and nothing else changes with it.
    let other = app.b.order.to_string();
    let refused = c
        .post(&url)
        .form(&[("csrf", csrf.as_str()), ("order", other.as_str()), ("subject", "変えない")])
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    let to = refused.headers()["location"].to_str()?.to_owned();
    assert!(to.ends_with("error=invalid&field=order"), "{to}");
    let (_, html) = page(&app, &c, &to.trim_start_matches(&format!("/desk/conversations/"))).await?;
    assert!(html.contains("入力内容を確認してください：関連する注文"), "the refused field is named");
    let (_, conv) = app.get(&format!("/api/v1/conversations/{id}"), "agent").await?;
    assert_eq!(conv["conversation"]["subject"], "のしの名入れ");
    assert_eq!(conv["conversation"]["order_id"].as_str(), Some(order.as_str()));

    // A tag too long is refused by its field.
    let long = "あ".repeat(200);
    let refused = c.post(&url).form(&[("csrf", csrf.as_str()), ("tags", long.as_str())]).send().await?;
    assert!(refused.headers()["location"].to_str()?.ends_with("field=tags"));
    Ok(())
}

/// On a shared desk the shop's staff answer the desk's escalations from the conversation page
/// and do not write to customers, unless the shop lets them; each channel has its own words.
#[tokio::test]
async fn shop_staff_answer_escalations_on_the_conversation_and_reply_only_when_the_shop_allows() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let staff = browser();
    sign_in(&app, &staff, "shop-a.staff", PASSWORD).await?;
    let id = app.a.conversation.to_string();
    let (_, html) = page(&app, &staff, &id).await?;
    assert!(!html.contains("id=\"composer\"") && html.contains("id=\"reply-by-desk\""), "no composer for shop staff");
    assert!(
        html.contains(&format!("/portal/escalations/{}/answer", app.a.escalation)),
        "the open escalation can be answered here"
    );
    let csrf = csrf_of(&html);
    let refused = staff
        .post(format!("{}/desk/conversations/{id}/messages", app.base))
        .multipart(reply_form(csrf.as_str(), "outbound", "直接お返事します"))
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "the shop's staff do not write to customers");
    let answered = staff
        .post(format!("{}/portal/escalations/{}/answer", app.base, app.a.escalation))
        .form(&[("csrf", csrf.as_str()), ("answer", "在庫あります"), ("from_conversation", "true")])
        .send()
        .await?;
    assert_eq!(
        answered.headers()["location"].to_str()?,
        format!("/desk/conversations/{id}"),
        "back to the conversation"
    );
    let (_, html) = page(&app, &staff, &id).await?;
    assert!(html.contains("在庫あります"));

    // The shop's admin lets its staff reply and gives the mail its own words.
    let admin = browser();
    sign_in(&app, &admin, "merchant_admin", PASSWORD).await?;
    let settings = admin.get(format!("{}/settings/shop-a", app.base)).send().await?.text().await?;
    let saved = admin
        .post(format!("{}/settings/shop-a/general", app.base))
        .form(&[
            ("csrf", csrf_of(&settings).as_str()),
            ("greeting", "お電話ありがとうございます。A店です。"),
            ("first_response_minutes", "1時間"),
            ("resolution_minutes", "18時間"),
            ("chat_greeting", "A店のチャット窓口です。"),
            ("line_greeting", ""),
            ("mail_opening", "いつもA店をご利用いただきありがとうございます。"),
            ("mail_signature", "A店 お客様窓口"),
            ("staff_may_reply", "1"),
        ])
        .send()
        .await?;
    assert!(saved.status().is_redirection(), "{}", saved.status());
    let (_, html) = page(&app, &staff, &id).await?;
    assert!(html.contains("id=\"composer\""), "the composer is there once the shop allows it");
    assert!(html.contains("data-signature=\"A店 お客様窓口\""), "a mail reply can take the shop's signature");
    assert!(html.contains("いつもA店をご利用いただきありがとうございます。"), "the mail's own greeting is in view");
    let sent = staff
        .post(format!("{}/desk/conversations/{id}/messages", app.base))
        .multipart(reply_form(csrf.as_str(), "outbound", "直接お返事します"))
        .send()
        .await?;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    Ok(())
}
