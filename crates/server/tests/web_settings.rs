//! The console's pages beside the inbox: shop settings, search, the help center, the
//! knowledge-base editor, the task queue, the policy and checklist editors, order data.

mod common;

use common::console::*;
use common::{PASSWORD, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn shop_settings_page_for_the_shops_admin() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let admin = reqwest::Client::builder().cookie_store(true).build()?;
    let page = admin.get(format!("{}/login", app.base)).send().await?.text().await?;
    admin
        .post(format!("{}/login", app.base))
        .form(&[("login", "merchant_admin"), ("password", PASSWORD), ("csrf", csrf_of(&page).as_str())])
        .send()
        .await?;
    let resp = admin.get(format!("{}/settings/shop-a", app.base)).send().await?;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await?;
    assert!(html.contains("DELIVERY_INFO") && html.contains("発送案内") && html.contains("配送"), "playbook listed");
    assert!(html.contains("山田 花子様、ご注文HM-10001は発送済みです。"), "canned preview filled with the sample");
    assert_eq!(admin.get(format!("{}/settings/shop-b", app.base)).send().await?.status(), StatusCode::NOT_FOUND);
    let csrf = csrf_of(&html);

    // Changes go through the same validation as the API; errors come back on the page.
    let bad = admin
        .post(format!("{}/settings/shop-a/general", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("greeting", "はい、A店です。"),
            ("first_response_minutes", "0"),
            ("resolution_minutes", "600"),
        ])
        .send()
        .await?;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_html = bad.text().await?;
    // Said as the page calls the field, in Japanese, with the field's code for scripts; what was
    // typed stays in the form.
    assert!(
        bad_html.contains("id=\"settings-error\" data-field=\"sla.first_response_minutes\"")
            && bad_html.contains("「30分」「4時間」「2日」のように入力してください"),
        "{bad_html}"
    );
    assert!(
        bad_html.contains(">はい、A店です。</textarea>") && bad_html.contains("value=\"0\""),
        "the form keeps what was typed"
    );
    let too_long = admin
        .post(format!("{}/settings/shop-a/general", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("greeting", "はい、A店です。"),
            ("first_response_minutes", "100日"),
            ("resolution_minutes", "600"),
        ])
        .send()
        .await?
        .text()
        .await?;
    assert!(too_long.contains("初回応答目標（営業時間の分）: 1–86400分の範囲で入力してください"), "{too_long}");
    let ok = admin
        .post(format!("{}/settings/shop-a/general", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("greeting", "はい、A店です。"),
            ("first_response_minutes", "４５"),
            ("resolution_minutes", "600"),
        ])
        .send()
        .await?;
    assert!(ok.text().await?.contains("id=\"settings-saved\""));
    let (_, m) = app.get("/api/v1/merchants/shop-a", "agent").await?;
    assert_eq!(
        (m["greeting"].as_str(), m["sla"]["first_response_minutes"].as_u64()),
        (Some("はい、A店です。"), Some(45))
    );
    let canned = admin
        .post(format!("{}/settings/shop-a/canned", app.base))
        .form(&[("csrf", csrf.as_str()), ("title", "x"), ("body", "{名前}様")])
        .send()
        .await?
        .text()
        .await?;
    assert!(canned.contains("本文: 使えない差し込み項目があります"), "{canned}");
    assert!(
        canned.contains(">{名前}様</textarea>") && canned.contains("value=\"x\""),
        "the refused canned response is still in its form"
    );
    let empty = admin
        .post(format!("{}/settings/shop-a/scripts", app.base))
        .header("accept-language", "en-US,en")
        .form(&[("csrf", csrf.as_str()), ("category", "返品・交換"), ("body", "  ")])
        .send()
        .await?;
    // Shown to this reader in English, with the category still typed in.
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let empty = empty.text().await?;
    assert!(empty.contains("data-field=\"body\"") && empty.contains("Body: body must not be empty"), "{empty}");
    assert!(empty.contains("value=\"返品・交換\""), "the category is kept");
    let script = admin
        .post(format!("{}/settings/shop-a/scripts", app.base))
        .form(&[("csrf", csrf.as_str()), ("category", "返品・交換"), ("body", "返品の条件を確認します。")])
        .send()
        .await?
        .text()
        .await?;
    assert!(script.contains("返品の条件を確認します。"));

    // Durations in hours; every entry edited, not only added; deleting a script.
    let ok = admin
        .post(format!("{}/settings/shop-a/general", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("greeting", "はい、A店です。"),
            ("first_response_minutes", "4時間"),
            ("resolution_minutes", "2日"),
        ])
        .send()
        .await?;
    assert!(ok.text().await?.contains("value=\"4時間\""), "hours are shown as hours");
    let (_, m) = app.get("/api/v1/merchants/shop-a", "agent").await?;
    assert_eq!(m["sla"]["resolution_minutes"].as_u64(), Some(2880));
    let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        std::iter::once(("csrf".to_owned(), csrf.clone()))
            .chain(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
            .collect()
    };
    let canned_id = app.a.canned.to_string();
    let edited = admin
        .post(format!("{}/settings/shop-a/canned/{canned_id}", app.base))
        .form(&form(&[("title", "発送のご案内"), ("body", "{お客様名}様、発送いたしました。")]))
        .send()
        .await?;
    assert!(
        edited.text().await?.contains("山田 花子様、発送いたしました。"),
        "the edited canned response is previewed"
    );
    let other_shop = admin
        .post(format!("{}/settings/shop-a/canned/{}", app.base, app.b.canned))
        .form(&form(&[("title", "x"), ("body", "y")]))
        .send()
        .await?;
    assert_eq!(other_shop.status(), StatusCode::NOT_FOUND, "another shop's canned response is not there");
    let relabelled = admin
        .post(format!("{}/settings/shop-a/dispositions/DELIVERY_INFO", app.base))
        .form(&form(&[("label", "配送状況をご案内")]))
        .send()
        .await?;
    assert!(relabelled.text().await?.contains("value=\"配送状況をご案内\""));
    let added = admin
        .post(format!("{}/settings/shop-a/dispositions", app.base))
        .form(&form(&[("label", "住所変更を受付")]))
        .send()
        .await?;
    assert!(added.status().is_success() || added.status().is_redirection());
    let codes = app.store.list_disposition_codes(&madoguchi_core::access::Scope::All, app.a.id).await?;
    assert!(
        codes.iter().any(|d| d.label == "住所変更を受付" && d.code.starts_with('C')),
        "a code is made for a label alone"
    );
    let renamed = admin
        .post(format!("{}/settings/shop-a/queues/{}", app.base, app.a.queue))
        .form(&form(&[("name", "配送・再配達")]))
        .send()
        .await?;
    assert!(renamed.text().await?.contains("value=\"配送・再配達\""));
    let deleted = admin
        .post(format!("{}/settings/shop-a/scripts", app.base))
        .form(&form(&[("category", "返品・交換"), ("body", ""), ("delete", "1")]))
        .send()
        .await?;
    assert!(!deleted.text().await?.contains("返品の条件を確認します。"), "the script is gone");

    // Agents do not edit shop settings.
    let agent = browser();
    sign_in(&app, &agent, "agent", PASSWORD).await?;
    assert_eq!(agent.get(format!("{}/settings/shop-a", app.base)).send().await?.status(), StatusCode::FORBIDDEN);
    Ok(())
}

/// The console's search: one box, the user's shops only, matches marked, customer content
/// escaped, a link to the conversation.
#[tokio::test]
async fn the_search_page_finds_and_escapes() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    for (shop, role) in [("shop-a", "agent"), ("shop-b", "admin")] {
        let (s, c) = app
            .send(
                reqwest::Method::POST,
                "/api/v1/conversations",
                role,
                serde_json::json!({ "merchant": shop, "channel": "chat", "subject": "梱包について",
                    "message": { "kind": "inbound", "body_text": "<script>alert('x')</script>緩衝材が足りず割れていました" } }),
            )
            .await?;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let desk = c.get(format!("{}/desk", app.base)).send().await?.text().await?;
    assert!(desk.contains("action=\"/desk/search\""), "a search box on the inbox");
    let url = format!("{}/desk/search?q=%E5%89%B2%E3%82%8C%E3%82%8B", app.base); // 割れる
    let mut html = String::new();
    for _ in 0..50 {
        html = c.get(&url).send().await?.text().await?;
        if html.contains("class=\"result") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(html.matches("class=\"result").count(), 1, "only shop A's: {html}");
    assert!(html.contains("<mark>"), "{html}");
    assert!(!html.contains("<script>alert"), "customer text is escaped");
    assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script"), "{html}");
    assert!(html.contains("/desk/conversations/"));
    let none = c
        .get(format!("{}/desk/search?q=%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84%E8%AA%9E", app.base))
        .send()
        .await?;
    assert!(none.text().await?.contains("該当するものはありません"));
    Ok(())
}

/// The public help center: published articles by category, search in a sentence, the answer's
/// Markdown rendered without scripts, one vote per reader, and what it could not answer in the
/// shop's FAQ-gap report. Drafts and other shops' articles are not there.
#[tokio::test]
async fn the_help_center_answers_and_learns_what_it_cannot() -> anyhow::Result<()> {
    use serde_json::json;
    let app = TestApp::start().await?;
    let create = |body: serde_json::Value| {
        app.send(reqwest::Method::POST, "/api/v1/merchants/shop-a/kb/articles", "merchant_admin", body)
    };
    let (_, shipping) = create(json!({ "category": "送料・手数料", "question": "送料はいくらですか？",
        "answer": "**全国一律550円**です。\n\n<script>alert(1)</script>", "keywords": ["配送料"] }))
    .await?;
    let (_, draft) =
        create(json!({ "category": "配送", "question": "下書きの質問", "answer": "まだ", "published": false })).await?;
    let (_, other) = app
        .send(
            reqwest::Method::POST,
            "/api/v1/merchants/shop-b/kb/articles",
            "admin",
            json!({ "category": "配送", "question": "B店の質問", "answer": "B" }),
        )
        .await?;
    let c = browser();
    let home = c.get(format!("{}/help/shop-a", app.base)).send().await?.text().await?;
    assert!(home.contains("送料・手数料") && home.contains("送料はいくらですか？"), "{home}");
    assert!(home.contains("返品はできますか？"), "the fixture's article");
    assert!(!home.contains("下書きの質問") && !home.contains("B店の質問"));

    let q = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let mut found = String::new();
    for _ in 0..50 {
        found =
            c.get(format!("{}/help/shop-a/search?q={}", app.base, q("送料っていくら"))).send().await?.text().await?;
        if found.contains("送料はいくらですか？") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found.contains("送料はいくらですか？"), "{found}");
    for _ in 0..2 {
        let none = c
            .get(format!("{}/help/shop-a/search?q={}", app.base, q("ギフト券は使えますか")))
            .send()
            .await?
            .text()
            .await?;
        assert!(none.contains("該当する質問が見つかりませんでした"), "{none}");
    }
    let (_, gaps) = app.get("/api/v1/merchants/shop-a/kb/gaps", "merchant_admin").await?;
    assert_eq!(gaps["unanswered"][0]["query"], "ギフト券は使えますか", "{gaps}");
    assert_eq!(gaps["unanswered"][0]["count"], 2);

    let id = shipping["id"].as_str().unwrap_or_default();
    let page = c.get(format!("{}/help/shop-a/articles/{id}", app.base)).send().await?.text().await?;
    assert!(page.contains("<strong>全国一律550円</strong>"), "{page}");
    assert!(!page.contains("<script>alert"), "no script from the answer");
    assert!(page.contains("この回答は役に立ちましたか？"));
    for _ in 0..3 {
        let r = c
            .post(format!("{}/help/shop-a/articles/{id}/feedback", app.base))
            .form(&[("helpful", "no")])
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let article = app.store.get_article(&madoguchi_core::access::Scope::All, id.parse()?).await?;
    assert_eq!(article.unhelpful, 1, "one vote per reader");
    let forged = browser()
        .post(format!("{}/help/shop-a/articles/{id}/feedback", app.base))
        .header("origin", "https://elsewhere.example")
        .form(&[("helpful", "yes")])
        .send()
        .await?;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "a vote from another site");
    let thanks = c.get(format!("{}/help/shop-a/articles/{id}", app.base)).send().await?.text().await?;
    assert!(thanks.contains("ご回答ありがとうございました"));

    for path in [
        format!("/help/shop-a/articles/{}", draft["id"].as_str().unwrap_or_default()),
        format!("/help/shop-a/articles/{}", other["id"].as_str().unwrap_or_default()),
        "/help/no-such-shop".to_owned(),
    ] {
        let r = c.get(format!("{}{path}", app.base)).send().await?;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    Ok(())
}

/// The knowledge-base editor: a new article, the same form to change it, a bad one named,
/// delete; agents cannot edit, other shops' pages are not there.
#[tokio::test]
async fn the_knowledge_base_editor() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "merchant_admin", PASSWORD).await?;
    let url = format!("{}/settings/shop-a/kb", app.base);
    let html = c.get(&url).send().await?.text().await?;
    assert!(html.contains("返品はできますか？"), "the fixture's article: {html}");
    assert!(html.contains("<option value=\"サービス概要\">"), "default categories offered");
    let csrf = csrf_of(&html);
    let post = |fields: Vec<(&'static str, String)>| c.post(&url).form(&fields).send();
    let r = post(vec![
        ("csrf", csrf.clone()),
        ("category", "配送".into()),
        ("question", "海外に発送できますか？".into()),
        ("answer", "申し訳ございません、国内のみです。".into()),
        ("keywords", "海外発送、国外".into()),
        ("published", "1".into()),
    ])
    .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = app.store.list_articles(&madoguchi_core::access::Scope::All, app.a.id, Some("配送"), false).await?;
    let a = list.iter().find(|a| a.question == "海外に発送できますか？").expect("created");
    assert_eq!(a.keywords, vec!["海外発送", "国外"]);
    assert!(a.published);

    let form = c.get(format!("{url}?edit={}", a.id)).send().await?.text().await?;
    assert!(form.contains("value=\"海外発送、国外\"") && form.contains(&format!("value=\"{}\"", a.id)), "{form}");
    let r = post(vec![
        ("csrf", csrf.clone()),
        ("id", a.id.to_string()),
        ("category", "配送".into()),
        ("question", "海外に発送できますか？".into()),
        ("answer", "国内のみのお届けです。".into()),
        ("keywords", "".into()),
    ])
    .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let changed = app.store.get_article(&madoguchi_core::access::Scope::All, a.id).await?;
    assert_eq!((changed.answer.as_str(), changed.published), ("国内のみのお届けです。", false), "unchecked: a draft");

    let r = post(vec![
        ("csrf", csrf.clone()),
        ("category", "配送".into()),
        ("question", " ".into()),
        ("answer", "x".into()),
    ])
    .await?;
    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
    assert!(location.contains("error=question"), "{location}");
    let shown = c.get(format!("{}{location}", app.base)).send().await?.text().await?;
    assert!(shown.contains("質問を入力してください。"), "the problem in Japanese: {shown}");

    let r = c.post(format!("{url}/{}/delete", a.id)).form(&[("csrf", csrf.as_str())]).send().await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.store.get_article(&madoguchi_core::access::Scope::All, a.id).await.is_err());
    assert_eq!(c.get(format!("{}/settings/shop-b/kb", app.base)).send().await?.status(), StatusCode::NOT_FOUND);

    let agent = browser();
    sign_in(&app, &agent, "agent", PASSWORD).await?;
    assert_eq!(agent.get(&url).send().await?.status(), StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn the_task_queue_page_lists_open_tasks_and_marks_them_done() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let html = c.get(format!("{}/desk/tasks", app.base)).send().await?.text().await?;
    // The fixture's redelivery case: its two desk tasks, the first soonest.
    let first = html.find("運送会社に再配達を依頼する").expect("the first task is listed");
    let second = html.find("お客様に再配達日時を伝える").expect("the second task is listed");
    assert!(first < second, "soonest due first");
    assert!(html.contains("不在・再配達") && html.contains(&format!("/desk/conversations/{}", app.a.conversation)));
    assert!(!html.contains(&app.b.task.to_string()), "another shop's tasks stay out");
    let resp = c
        .post(format!("{}/desk/tasks/{}/{}/done", app.base, app.a.case, app.a.task))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let after = c.get(format!("{}/desk/tasks", app.base)).send().await?.text().await?;
    assert!(!after.contains("運送会社に再配達を依頼する") && after.contains("お客様に再配達日時を伝える"), "{after}");
    // Another shop's task cannot be done from here; a forged form is refused.
    let resp = c
        .post(format!("{}/desk/tasks/{}/{}/done", app.base, app.b.case, app.b.task))
        .form(&[("csrf", csrf_of(&after))])
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = c
        .post(format!("{}/desk/tasks/{}/{}/done", app.base, app.a.case, app.a.task))
        .form(&[("csrf", "forged")])
        .send()
        .await?;
    assert_ne!(resp.status(), StatusCode::SEE_OTHER);
    Ok(())
}

/// The shop's admin edits its policies as a form: a preview on one of its orders decides with
/// the unsaved rules, a bad value comes back with the reason and what was typed, a save makes
/// the next version that the API and the desk then use.
#[tokio::test]
async fn the_policy_editor_previews_validates_and_saves_a_version() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let admin = browser();
    sign_in(&app, &admin, "merchant_admin", PASSWORD).await?;
    let url = format!("{}/settings/shop-a/policies", app.base);
    let resp = admin.get(&url).send().await?;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await?;
    assert!(
        html.contains("初期設定（未編集）") && html.contains("name=\"window_days\" inputmode=\"numeric\" value=\"8\""),
        "{html}"
    );
    assert!(html.contains("shop-a-1 ・ 発送済み"), "the shop's orders to preview on");
    assert!(!html.contains("shop-b-1"), "another shop's order offered");
    let csrf = csrf_of(&html);
    let order = app.a.order.to_string();
    let form = |window: &'static str, action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            // Not "until shipped": the shipped sample order can still be cancelled.
            ("within_hours", "".into()),
            ("offer.0.code", "COUPON1000".into()),
            ("offer.0.label", "次回使える1,000円引きクーポン".into()),
            ("offer.0.discount", "１，０００円".into()),
            ("returns_accepted", "1".into()),
            ("window_days", window.into()),
            ("day_count", "business_days".into()),
            ("condition", "unopened".into()),
            ("condition", "tags_attached".into()),
            ("excluded", "生鮮\nｾｰﾙ品\n".into()),
            ("payer", "merchant".into()),
            ("return_steps", "受付番号をお伝えする\n着払いで返送していただく".into()),
            ("refund.0.method", "card_reversal".into()),
            ("refund.0.payments", "クレジット、カード".into()),
            ("refund.1.method", "bank_transfer".into()),
            ("refund.1.payments", "".into()),
            ("report_days", "30".into()),
            ("remedy.0", "repair".into()),
            ("remedy.1", "refund".into()),
            ("photos", "1".into()),
            ("defect_steps", "写真を送っていただく".into()),
            ("preview_order", order.clone()),
            ("preview_request", "cancel".into()),
            ("action", action.into()),
        ]
    };

    let preview = admin.post(&url).form(&form("14", "preview")).send().await?;
    assert_eq!(preview.status(), StatusCode::OK);
    let html = preview.text().await?;
    assert!(html.contains("id=\"decision\"") && html.contains("まだ保存されていません"), "{html}");
    assert!(
        html.contains("COUPON1000") && html.contains("次回使える1,000円引きクーポン"),
        "the offer is in the decision"
    );
    assert!(html.contains("value=\"14\""), "the edited values stay on the page");
    let (_, current) = app.get("/api/v1/merchants/shop-a/policies", "merchant_admin").await?;
    assert_eq!(current["version"], 0, "a preview saves nothing");

    let bad = admin.post(&url).form(&form("0", "save")).send().await?;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await?;
    assert!(html.contains("id=\"policy-error\"") && html.contains("returns.window_days"), "{html}");
    assert!(html.contains("受付期間（商品到着後の日数）: 1–366日の範囲で入力してください"), "said in Japanese: {html}");
    assert!(html.contains("value=\"COUPON1000\"") && html.contains("value=\"0\""), "what was typed comes back");
    let mut unknown = form("14", "save");
    unknown.push(("remedy.2", "magic".into()));
    let html = admin.post(&url).form(&unknown).send().await?.text().await?;
    assert!(html.contains("defects.remedies"), "{html}");

    let saved = admin.post(&url).form(&form("14", "save")).send().await?;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers().get("location").and_then(|l| l.to_str().ok()),
        Some("/settings/shop-a/policies?saved=1")
    );
    let (_, now) = app.get("/api/v1/merchants/shop-a/policies", "merchant_admin").await?;
    let p = &now["policies"];
    assert_eq!(now["version"], 1);
    assert_eq!(p["cancellation"]["until_shipped"], false);
    assert_eq!(p["cancellation"]["retention_offers"][0]["discount_yen"], 1000);
    assert_eq!(p["returns"]["window_days"], 14);
    assert_eq!(p["returns"]["day_count"], "business_days");
    assert_eq!(p["returns"]["conditions"], serde_json::json!(["unopened", "tags_attached"]));
    assert_eq!(p["returns"]["excluded_categories"], serde_json::json!(["生鮮", "セール品"]));
    assert_eq!(p["refunds"]["methods"][0]["payment_methods"], serde_json::json!(["クレジット", "カード"]));
    assert_eq!(p["defects"]["remedies"], serde_json::json!(["repair", "refund"]));
    // The desk decides with the new version: the shipped order can be cancelled, with the offer.
    let (_, d) = app.get(&format!("/api/v1/orders/{order}/decision?request=cancel"), "agent").await?;
    assert_eq!((d["policy_version"].as_i64(), d["decision"]["eligible"].as_bool()), (Some(1), Some(true)));
    let page = admin.get(&url).send().await?.text().await?;
    assert!(page.contains("id=\"policy-version\"") && !page.contains("初期設定（未編集）"), "{page}");

    // Staff do not edit policies; another shop's are not there.
    let staff = browser();
    sign_in(&app, &staff, "shop-a.staff", PASSWORD).await?;
    assert_eq!(staff.get(&url).send().await?.status(), StatusCode::FORBIDDEN);
    let staff_page = staff.get(format!("{}/desk", app.base)).send().await?.text().await?;
    let forged = staff.post(&url).form(&[("csrf", csrf_of(&staff_page).as_str()), ("action", "save")]).send().await?;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        admin.get(format!("{}/settings/shop-b/policies", app.base)).send().await?.status(),
        StatusCode::NOT_FOUND
    );
    Ok(())
}

/// The shop's admin edits a kind's checklist on its page: a bad row comes back as typed with
/// the reason; a saved list is what the next case gets; a reset brings the built-in one back.
#[tokio::test]
async fn the_checklist_editor_changes_what_new_cases_get() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let admin = browser();
    sign_in(&app, &admin, "merchant_admin", PASSWORD).await?;
    let settings = admin.get(format!("{}/settings/shop-a", app.base)).send().await?.text().await?;
    assert!(settings.contains("/settings/shop-a/checklists"), "linked from the settings page");
    let url = format!("{}/settings/shop-a/checklists", app.base);
    let html = admin.get(&url).send().await?.text().await?;
    assert!(html.contains("id=\"kind-redelivery\"") && html.contains("不在・再配達"), "{html}");
    let csrf = csrf_of(&html);
    let post = |rows: Vec<(&'static str, &'static str)>, action: &'static str| {
        let mut form: Vec<(&str, String)> = vec![("csrf", csrf.clone()), ("action", action.into())];
        form.extend(rows.into_iter().map(|(k, v)| (k, v.to_owned())));
        admin.post(format!("{url}/redelivery")).form(&form).send()
    };
    let bad =
        post(vec![("task.0.title", "再配達を依頼する"), ("task.0.owner", "desk"), ("task.0.hours", "二")], "save")
            .await?;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await?;
    assert!(bad.contains("id=\"checklist-error\"") && bad.contains("tasks.0.due_hours"), "{bad}");
    assert!(bad.contains("1行目の期限（開始から何時間）: 数字で入力してください"), "said in Japanese: {bad}");
    assert!(bad.contains("value=\"再配達を依頼する\"") && bad.contains("value=\"二\""), "what was typed comes back");

    let rows = vec![
        ("task.0.title", "運送会社に再配達を依頼する"),
        ("task.0.owner", "desk"),
        ("task.0.hours", "１"),
        ("task.1.title", "送料の負担をショップが判断する"),
        ("task.1.owner", "merchant"),
        ("task.1.hours", "24"),
    ];
    let saved = post(rows, "save").await?;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/merchants/shop-a/case-kinds/redelivery/checklist", "agent").await?;
    assert_eq!(list["custom"], true);
    assert_eq!(list["tasks"][0]["due_hours"], 1, "full-width digits read");
    assert_eq!(list["tasks"][1]["owner"], "merchant");
    let html = admin.get(&url).send().await?.text().await?;
    assert!(html.contains("value=\"送料の負担をショップが判断する\"") && html.contains("ショップ独自"));

    let fields = serde_json::json!({ "desired_date": "明日", "time_slot": "午前" });
    let (_, case) = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{}/cases", app.a.order),
            "agent",
            serde_json::json!({ "kind": "redelivery", "fields": fields }),
        )
        .await?;
    assert_eq!(case["tasks"][1]["title"], "送料の負担をショップが判断する");

    let reset = post(vec![], "reset").await?;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/merchants/shop-a/case-kinds/redelivery/checklist", "agent").await?;
    assert_eq!(list["custom"], false);

    let agent = browser();
    sign_in(&app, &agent, "agent", PASSWORD).await?;
    assert_eq!(agent.get(&url).send().await?.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        admin.get(format!("{}/settings/shop-b/checklists", app.base)).send().await?.status(),
        StatusCode::NOT_FOUND
    );
    Ok(())
}

/// The order data page: a Shift_JIS file checked first (every bad row listed, nothing stored),
/// then stored without its bad order; the shop's own header saved as the mapping; a webhook
/// secret shown once.
#[tokio::test]
async fn the_order_data_page_checks_imports_maps_and_makes_a_secret() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let admin = browser();
    sign_in(&app, &admin, "merchant_admin", PASSWORD).await?;
    let url = format!("{}/settings/shop-a/orders", app.base);
    let html = admin.get(&url).send().await?.text().await?;
    assert!(html.contains("受注番号、注文番号") && html.contains("/api/v1/inbound/orders/shop-a"), "{html}");
    assert!(html.contains("シークレット未設定"));
    let csrf = csrf_of(&html);
    let csv = "伝票No,注文日時,商品コード,商品名,数量,単価\r\n\
               W-1,2026/11/20 10:00,A-1,りんご,1,\"1,200\"\r\n\
               W-2,2026/11/20 11:00,B-1,みかん,二,800\r\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
    let upload = |dry_run: bool, skip: bool| {
        let mut form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).part(
            "file",
            reqwest::multipart::Part::bytes(sjis.to_vec()).file_name("orders.csv").mime_str("text/csv").expect("mime"),
        );
        if dry_run {
            form = form.text("dry_run", "1");
        }
        if skip {
            form = form.text("skip_invalid", "1");
        }
        admin.post(format!("{url}/import")).multipart(form).send()
    };
    // Without a mapping, 伝票No is not known as the order number: every row is bad.
    let html = upload(true, false).await?.text().await?;
    assert!(html.contains("id=\"import-report\"") && html.contains("Shift_JIS"), "{html}");
    assert!(html.contains("id=\"import-errors\""), "{html}");

    let bad = admin
        .post(format!("{url}/mapping"))
        .form(&[("csrf", csrf.as_str()), ("column.order_number", "伝票No"), ("column.sku", "伝票No")])
        .send()
        .await?;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await?;
    assert!(bad.contains("id=\"orders-error\""));
    assert!(bad.contains("同じ見出しがほかの項目に使われています"), "said in Japanese: {bad}");
    let saved = admin
        .post(format!("{url}/mapping"))
        .form(&[("csrf", csrf.as_str()), ("column.order_number", "伝票No")])
        .send()
        .await?;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let html = admin.get(&url).send().await?.text().await?;
    assert!(html.contains("name=\"column.order_number\" value=\"伝票No\""), "the mapping is shown");

    // Checked: one bad row (quantity 二: spreadsheet row 3, line 3 of the CRLF file), nothing stored.
    let html = upload(true, false).await?.text().await?;
    assert!(html.contains("<td>3</td><td>3</td><td>数量</td>"), "{html}");
    assert!(html.contains("保存していません"));
    let (_, orders) = app.get("/api/v1/orders?merchant=shop-a&order_number=W-1", "agent").await?;
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(0), "a dry run stores nothing");
    // Stored without the bad order.
    let resp = upload(false, true).await?;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await?.contains("保存しました"));
    let (_, w1) = app.get("/api/v1/orders?merchant=shop-a&order_number=W-1", "agent").await?;
    assert_eq!(w1["items"][0]["total_amount"], 1200);
    let (_, w2) = app.get("/api/v1/orders?merchant=shop-a&order_number=W-2", "agent").await?;
    assert_eq!(w2["items"].as_array().map(Vec::len), Some(0));

    let html = admin.post(format!("{url}/webhook")).form(&[("csrf", csrf.as_str())]).send().await?.text().await?;
    let at = html.find("whsec_").expect("the new secret is shown");
    let secret: String =
        html[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')).collect();
    assert!(secret.len() > 20);
    let again = admin.get(&url).send().await?.text().await?;
    assert!(!again.contains(&secret) && again.contains("シークレット設定済み"), "shown once only");

    // Agents do not manage order data; another shop's page is not there.
    let agent = browser();
    sign_in(&app, &agent, "agent", PASSWORD).await?;
    assert_eq!(agent.get(&url).send().await?.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin.get(format!("{}/settings/shop-b/orders", app.base)).send().await?.status(), StatusCode::NOT_FOUND);
    Ok(())
}
