//! Order files over real HTTP: Shift_JIS and UTF-8 with a BOM as shop systems export them, a
//! dry run, idempotent re-imports, every bad row reported, and a merchant's own column mapping.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn import(app: &TestApp, query: &str, role: &str, body: Vec<u8>) -> anyhow::Result<(StatusCode, Value)> {
    let resp = app
        .client
        .post(format!("{}/api/v1/merchants/shop-a/orders/import{query}", app.base))
        .bearer_auth(app.token(role))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await?;
    Ok((resp.status(), resp.json().await?))
}

async fn order(app: &TestApp, number: &str) -> anyhow::Result<Option<Value>> {
    let (_, page) = app.get(&format!("/api/v1/orders?merchant=shop-a&order_number={number}"), "admin").await?;
    Ok(page["items"].as_array().and_then(|i| i.first()).cloned())
}

fn shift_jis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable, "the fixture is all Shift_JIS");
    bytes.into_owned()
}

/// Two orders as a back office exports them: one row a line, the order's columns repeated, a
/// product name with a line break in quotes, full-width digits, yen signs, CRLF line ends.
const EXPORT: &str = "受注番号,注文日時,注文者名,メールアドレス,商品コード,商品名,数量,単価,商品カテゴリ,配送業者,送り状番号,出荷日\r\n\
HM-5001,2026/11/03 14:05,山田 花子,hanako@example.jp,APL-5,\"青森りんご\r\n5kg\",１,\"¥4,200\",生鮮,ヤマト運輸,1234-5678-9013,2026/11/04\r\n\
HM-5001,2026/11/03 14:05,山田 花子,hanako@example.jp,JAM-1,りんごジャム,２,980円,,ヤマト運輸,1234-5678-9013,2026/11/04\r\n\
ＨＭ－５００２,2026年11月5日 9:30,佐藤 一郎,ichiro@example.jp,TWL-3,今治タオル ①,1,1980,,佐川急便,,\r\n";

#[tokio::test]
async fn a_shift_jis_export_is_checked_then_stored_once() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let file = shift_jis(EXPORT);

    // A dry run reads everything and stores nothing.
    let (status, dry) = import(&app, "?dry_run=true", "merchant_admin", file.clone()).await?;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["encoding"], "Shift_JIS");
    assert_eq!((dry["rows"].as_u64(), dry["orders"].as_u64(), dry["created"].as_u64()), (Some(3), Some(2), Some(2)));
    assert_eq!((dry["lines"].as_u64(), dry["shipments"].as_u64()), (Some(3), Some(2)), "{dry}");
    assert_eq!(dry["errors"], json!([]));
    assert_eq!(dry["stored"], false);
    assert!(order(&app, "HM-5001").await?.is_none(), "a dry run stores nothing");

    let (status, done) = import(&app, "", "merchant_admin", file.clone()).await?;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!((done["stored"].as_bool(), done["created"].as_u64()), (Some(true), Some(2)));
    let o = order(&app, "HM-5001").await?.expect("stored");
    assert_eq!(o["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(o["lines"][0]["name"], "青森りんご\r\n5kg", "a quoted line break stays in the cell");
    assert_eq!(o["lines"][1]["quantity"], 2, "full-width digits");
    assert_eq!(o["total_amount"], 4200 + 2 * 980, "the sum of the lines without a total column");
    assert_eq!(o["status"], "shipped", "a parcel with a tracking number");
    assert_eq!(o["shipments"].as_array().map(Vec::len), Some(1), "one parcel for both lines");
    assert_eq!(o["shipments"][0]["tracking_number"], "123456789013");
    assert_eq!(o["shipments"][0]["carrier"], "yamato");
    // Ordered at 14:05 in Japan.
    assert_eq!(o["ordered_at"], "2026-11-03T05:05:00Z");
    // The orderer became the shop's customer, found again by mail address next time.
    let customer = o["customer_id"].as_str().expect("linked to a customer").to_owned();
    let (_, c) = app.get(&format!("/api/v1/customers/{customer}"), "admin").await?;
    assert_eq!(c["name"], "山田 花子");
    let second = order(&app, "HM-5002").await?.expect("full-width order number folded");
    assert_eq!(second["lines"][0]["name"], "今治タオル ①", "CP932's circled digits");
    assert_eq!(second["status"], "confirmed", "a parcel not yet numbered");

    // The same file again changes nothing.
    let (status, again) = import(&app, "", "merchant_admin", file).await?;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!((again["created"].as_u64(), again["updated"].as_u64()), (Some(0), Some(2)));
    let o2 = order(&app, "HM-5001").await?.expect("still there");
    assert_eq!(o2["lines"], o["lines"]);
    assert_eq!(o2["shipments"].as_array().map(Vec::len), Some(1));
    assert_eq!(o2["shipments"][0]["events"], o["shipments"][0]["events"]);
    assert_eq!(o2["customer_id"], o["customer_id"]);
    let (_, customers) = app.get("/api/v1/customers?merchant=shop-a&limit=100", "admin").await?;
    let named = customers["items"].as_array().map(|c| c.iter().filter(|c| c["name"] == "山田 花子").count());
    assert_eq!(named, Some(1), "no second customer: {customers}");

    // Shop staff may not import; another shop's admin does not see this shop at all.
    let (status, _) = import(&app, "", "merchant_staff", shift_jis(EXPORT)).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn every_bad_row_is_reported_with_its_row_column_and_reason() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let file = "\u{feff}受注番号,注文日時,商品名,数量,単価,配送業者,送り状番号\n\
        OK-1,2026/11/03,りんご,1,500,ヤマト運輸,1234-5678-9013\n\
        BAD-1,2026/13/40,みかん,1,500,,\n\
        BAD-2,2026/11/03,\"ぶどう\n(房)\",1,,佐川急便,1234-5678-9012\n\
        BAD-3,2026/11/03,なし,1,500,西濃運輸,\n\
        ,2026/11/03,もも,1,500,,\n";
    let (status, report) = import(&app, "", "merchant_admin", file.as_bytes().to_vec()).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["encoding"], "UTF-8 (BOM)");
    assert_eq!(report["stored"], false);
    let errors: Vec<(u64, u64, String, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or_default(),
                e["line"].as_u64().unwrap_or_default(),
                e["column"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let want: Vec<(u64, u64, String, String)> = [
        (3, 3, "注文日時", "invalid_ordered_at"),
        (4, 4, "単価", "missing"),
        (4, 4, "送り状番号", "invalid_tracking_number"),
        // Row 5 starts on line 6: row 4's quoted cell spans two lines.
        (5, 6, "配送業者", "invalid_carrier"),
        (6, 7, "受注番号", "missing"),
    ]
    .into_iter()
    .map(|(r, l, c, code)| (r, l, c.to_owned(), code.to_owned()))
    .collect();
    assert_eq!(errors, want, "{report}");
    assert!(report["errors"][0]["message_ja"].as_str().is_some_and(|m| m.contains("2026/13/40")), "{report}");
    assert!(order(&app, "OK-1").await?.is_none(), "one bad row stores nothing");

    // Told to skip them, the good order goes in and the bad ones are counted.
    let (status, report) = import(&app, "?skip_invalid=true", "merchant_admin", file.as_bytes().to_vec()).await?;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["created"].as_u64(), report["skipped"].as_u64()), (Some(1), Some(3)), "{report}");
    assert!(order(&app, "OK-1").await?.is_some());
    assert!(order(&app, "BAD-2").await?.is_none());

    // Bytes that are neither UTF-8 nor Shift_JIS.
    let (status, report) = import(&app, "", "merchant_admin", vec![0x82, 0xff, 0xfe, 0x0a]).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["errors"][0]["code"], "invalid_encoding", "{report}");
    // A file without the order number column names the headers it looked for.
    let (_, report) = import(&app, "", "merchant_admin", "品名,数量\nりんご,1\n".as_bytes().to_vec()).await?;
    assert_eq!(report["errors"][0]["code"], "required_column_missing", "{report}");
    assert!(report["errors"][0]["message_ja"].as_str().is_some_and(|m| m.contains("受注番号")), "{report}");
    Ok(())
}

#[tokio::test]
async fn a_merchants_own_headers_through_a_saved_mapping() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let file = "伝票No,受付日,品番,品名,個数,売価,便\nX-9,2026-11-20 10:00:00,S-1,靴下,3,\"1,100\",ゆうパケット\n";
    // Without a mapping 伝票No is nobody's order number.
    let (status, report) = import(&app, "?dry_run=true", "merchant_admin", file.as_bytes().to_vec()).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["errors"][0]["code"], "required_column_missing", "{report}");

    let mapping = json!({ "columns": {
        "order_number": "伝票No", "ordered_at": "受付日", "sku": "品番", "item_name": "品名",
        "quantity": "個数", "unit_price": "売価", "carrier": "便"
    }});
    let (status, saved) = app
        .send(reqwest::Method::PUT, "/api/v1/merchants/shop-a/orders/import/mapping", "merchant_admin", mapping)
        .await?;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, view) = app.get("/api/v1/merchants/shop-a/orders/import/mapping", "supervisor").await?;
    assert_eq!(view["mapping"]["columns"]["order_number"], "伝票No");
    assert!(view["known"].as_array().is_some_and(|k| k.len() == 18), "{view}");

    let (status, report) = import(&app, "", "merchant_admin", file.as_bytes().to_vec()).await?;
    assert_eq!(status, StatusCode::OK, "{report}");
    let o = order(&app, "X-9").await?.expect("stored through the mapping");
    assert_eq!(o["lines"][0]["quantity"], 3);
    assert_eq!(o["total_amount"], 3300);
    assert_eq!(o["shipments"][0]["carrier"], "japan_post");

    // A mapping naming a header the file lacks says so; an unknown column is refused.
    let other = "受注番号,注文日時\nY-1,2026/11/20\n";
    let (_, report) = import(&app, "?dry_run=true", "merchant_admin", other.as_bytes().to_vec()).await?;
    assert_eq!(report["errors"][0]["code"], "mapped_header_missing", "{report}");
    let (status, e) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/merchants/shop-a/orders/import/mapping",
            "merchant_admin",
            json!({ "columns": { "colour": "色" } }),
        )
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/merchants/shop-a/orders/import/mapping",
            "agent",
            json!({ "columns": { "order_number": "No" } }),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    Ok(())
}

#[tokio::test]
async fn the_order_webhook_takes_signed_pushes_only() -> anyhow::Result<()> {
    use madoguchi_channels::shop_webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
    let app = TestApp::start().await?;
    let push = |shop: &str, secret: &str, at: i64, body: &str, signed: &str| {
        app.client
            .post(format!("{}/api/v1/inbound/orders/{shop}", app.base))
            .header(TIMESTAMP_HEADER, at.to_string())
            .header(SIGNATURE_HEADER, sign(secret, at, signed.as_bytes()))
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let now = chrono::Utc::now().timestamp();
    let body = json!({ "orders": [{
        "order_number": "WH-1", "ordered_at": "2026-11-20T01:00:00Z", "status": "shipped",
        "lines": [{ "sku": "TEA-1", "name": "煎茶", "quantity": 2, "unit_price": 1200 }],
        "shipments": [{ "carrier": "yamato", "tracking_number": "1234-5678-9013", "status": "shipped",
            "events": [{ "status": "shipped", "occurred_at": "2026-11-21T00:00:00Z" }] }]
    }]})
    .to_string();

    // Before the shop has a secret every call is refused.
    let resp = push("shop-a", "", now, &body, &body).send().await?;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let (status, made) = app
        .send(reqwest::Method::POST, "/api/v1/merchants/shop-a/orders/webhook", "merchant_admin", json!(null))
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().expect("a secret").to_owned();
    assert!(made["url"].as_str().is_some_and(|u| u.ends_with("/api/v1/inbound/orders/shop-a")), "{made}");
    let (_, view) = app.get("/api/v1/merchants/shop-a/orders/webhook", "merchant_admin").await?;
    assert_eq!(view["configured"], true);
    assert!(!view.to_string().contains(&secret), "the secret is shown once only");

    // Signed: stored before the answer, and the same push twice is one order with one parcel.
    for outcome in ["created", "updated"] {
        let resp = push("shop-a", &secret, now, &body, &body).send().await?;
        assert_eq!(resp.status(), StatusCode::OK);
        let r: Value = resp.json().await?;
        assert_eq!(r["results"][0]["outcome"], outcome, "{r}");
    }
    let o = order(&app, "WH-1").await?.expect("stored");
    assert_eq!(o["shipments"].as_array().map(Vec::len), Some(1));
    assert_eq!(o["shipments"][0]["events"].as_array().map(Vec::len), Some(1));

    // Refused: another secret, a body changed after signing, an old timestamp, no headers, a
    // shop that does not exist.
    let code = |r: reqwest::Response| async move {
        let status = r.status();
        let v: Value = r.json().await?;
        anyhow::Ok((status, v["code"].as_str().unwrap_or_default().to_owned()))
    };
    let unauthorized = |c: &str| (StatusCode::UNAUTHORIZED, c.to_owned());
    assert_eq!(
        code(push("shop-a", "whsec_guess", now, &body, &body).send().await?).await?,
        unauthorized("bad_signature")
    );
    let forged = body.replace("1200", "1");
    assert_eq!(code(push("shop-a", &secret, now, &forged, &body).send().await?).await?, unauthorized("bad_signature"));
    assert_eq!(
        code(push("shop-a", &secret, now - 600, &body, &body).send().await?).await?,
        unauthorized("signature_expired")
    );
    let bare = app.client.post(format!("{}/api/v1/inbound/orders/shop-a", app.base)).body(body.clone()).send().await?;
    assert_eq!(code(bare).await?, unauthorized("signature_missing"));
    assert_eq!(
        code(push("no-such-shop", &secret, now, &body, &body).send().await?).await?,
        unauthorized("bad_signature")
    );
    // The price was not changed by the forged call.
    assert_eq!(order(&app, "WH-1").await?.expect("stored")["lines"][0]["unit_price"], 1200);

    // An order naming another shop is refused, and nothing of the push is stored.
    let other = json!({ "orders": [
        { "order_number": "WH-2", "ordered_at": "2026-11-20T01:00:00Z" },
        { "merchant": "shop-b", "order_number": "WH-3", "ordered_at": "2026-11-20T01:00:00Z" }
    ]})
    .to_string();
    let resp = push("shop-a", &secret, now, &other, &other).send().await?;
    assert_eq!(code(resp).await?, (StatusCode::UNPROCESSABLE_ENTITY, "merchant_mismatch".to_owned()));
    assert!(order(&app, "WH-2").await?.is_none());

    // A new secret retires the old one.
    let (_, again) = app
        .send(reqwest::Method::POST, "/api/v1/merchants/shop-a/orders/webhook", "merchant_admin", json!(null))
        .await?;
    assert_ne!(again["secret"], made["secret"]);
    assert_eq!(code(push("shop-a", &secret, now, &body, &body).send().await?).await?, unauthorized("bad_signature"));
    Ok(())
}
