//! The `madoguchi` binary end to end: the demo command on an empty data folder, a restart,
//! `user add` then sign-in, `config example`, `migrate`, and the demo on PostgreSQL.

mod common;

use common::{BIN, spawn, wait_for_credentials};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn get(base: &str, path: &str, token: &str) -> anyhow::Result<(u16, Value)> {
    let resp = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await?;
    Ok((resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null)))
}

/// Counts every item of a paginated list.
async fn count_all(base: &str, path: &str, token: &str) -> anyhow::Result<Vec<Value>> {
    let mut items = Vec::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}limit=200");
    loop {
        let (status, page) = get(base, &url, token).await?;
        anyhow::ensure!(status == 200, "GET {url}: {status} {page}");
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{path}{sep}limit=200&cursor={c}"),
            None => return Ok(items),
        }
    }
}

fn token_of<'a>(creds: &'a Value, role: &str) -> &'a str {
    creds["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["role"] == role))
        .and_then(|u| u["api_token"].as_str())
        .unwrap_or("")
}

async fn check_demo(creds: &Value) -> anyhow::Result<()> {
    let base = creds["base_url"].as_str().unwrap_or_default();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let merchants = creds["merchants"].as_array().cloned().unwrap_or_default();
    assert_eq!(merchants.len(), 2);
    for m in &merchants {
        for key in ["id", "slug", "name"] {
            assert!(m[key].as_str().is_some_and(|s| !s.is_empty()), "merchant {key}");
        }
    }
    let users = creds["users"].as_array().cloned().unwrap_or_default();
    let roles: std::collections::BTreeSet<&str> = users.iter().filter_map(|u| u["role"].as_str()).collect();
    assert_eq!(roles, ["admin", "agent", "merchant_admin", "merchant_staff", "supervisor"].into_iter().collect());
    for u in &users {
        assert!(u["login"].is_string() && u["password"].is_string() && u["merchants"].is_array());
        let (status, me) = get(base, "/api/v1/me", u["api_token"].as_str().unwrap_or_default()).await?;
        assert_eq!(status, 200, "token of {}", u["login"]);
        assert_eq!(me["login"], u["login"]);
    }

    let admin = token_of(creds, "admin");
    for m in &merchants {
        let slug = m["slug"].as_str().unwrap_or_default();
        let customers = count_all(base, &format!("/api/v1/customers?merchant={slug}"), admin).await?;
        assert!((45..=60).contains(&customers.len()), "{slug}: {} customers", customers.len());
        assert!(customers.iter().all(|c| c["name_kana"].as_str().is_some_and(|k| !k.is_empty())));
        let orders = count_all(base, &format!("/api/v1/orders?merchant={slug}"), admin).await?;
        assert!(orders.len() >= 50, "{slug}: {} orders", orders.len());
        assert!(orders.iter().any(|o| o["shipments"][0]["tracking_number"].is_string()));
        let convs = count_all(base, &format!("/api/v1/conversations?merchant={slug}"), admin).await?;
        assert!((180..=220).contains(&convs.len()), "{slug}: {} conversations", convs.len());
        let channels: std::collections::BTreeSet<&str> = convs.iter().filter_map(|c| c["channel"].as_str()).collect();
        assert!(channels.len() >= 5, "{slug}: channels {channels:?}");
        let statuses: std::collections::BTreeSet<&str> = convs.iter().filter_map(|c| c["status"].as_str()).collect();
        assert!(statuses.len() >= 4, "{slug}: statuses {statuses:?}");
    }
    // A merchant's staff sees only their shop.
    let staff = token_of(creds, "merchant_staff");
    let (_, visible) = get(base, "/api/v1/merchants", staff).await?;
    assert_eq!(visible["items"].as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn demo_on_an_empty_data_folder_then_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let creds = {
        let _server = spawn(&data, &["demo"], &[])?;
        let creds = wait_for_credentials(&data, None)?;
        check_demo(&creds).await?;
        creds
    };
    // A restart keeps the data and the logins, with the new address.
    let mut _server = spawn(&data, &["demo"], &[])?;
    let again = wait_for_credentials(&data, creds["base_url"].as_str())?;
    assert_eq!(again["users"], creds["users"]);
    assert_eq!(again["merchants"], creds["merchants"]);
    let base = again["base_url"].as_str().unwrap_or_default();
    let convs = count_all(base, "/api/v1/conversations", token_of(&again, "admin")).await?;
    assert!((360..=440).contains(&convs.len()), "not seeded twice: {}", convs.len());

    // The demo's history is searchable (built from the database on first start).
    search_until(base, token_of(&again, "admin"), "配送", 1).await?;
    // The first start may have been stopped before it indexed everything: the rest is still
    // in the feed and follows within moments.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let hits = search_until(base, token_of(&again, "admin"), "配送", 1).await?;
    // While the server runs, `reindex` asks it to rebuild; search keeps working.
    let (ok, out, err) = run(&data, &["reindex"], None)?;
    assert!(ok && out.contains("asked to rebuild"), "{out}{err}");
    search_until(base, token_of(&again, "admin"), "配送", hits.len()).await?;
    drop(_server);
    // Stopped: `reindex` rebuilds the index itself.
    let (ok, out, err) = run(&data, &["reindex"], None)?;
    assert!(ok && out.contains("search index rebuilt"), "{out}{err}");
    let _server = spawn(&data, &["demo"], &[])?;
    let third = wait_for_credentials(&data, again["base_url"].as_str())?;
    let base = third["base_url"].as_str().unwrap_or_default();
    let after = search_until(base, token_of(&third, "admin"), "配送", hits.len()).await?;
    assert_eq!(after.len(), hits.len(), "the same results after a rebuild");
    Ok(())
}

/// Searches until at least `n` results come back (the index is fed in the background).
async fn search_until(base: &str, token: &str, q: &str, n: usize) -> anyhow::Result<Vec<Value>> {
    let path = format!("/api/v1/search?limit=100&q={}", q.bytes().map(|b| format!("%{b:02X}")).collect::<String>());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get(base, &path, token).await?;
        anyhow::ensure!(status == 200, "search: {status} {body}");
        let results = body["results"].as_array().cloned().unwrap_or_default();
        if results.len() >= n.max(1) {
            return Ok(results);
        }
        anyhow::ensure!(Instant::now() < deadline, "fewer than {n} results for {q} after 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn demo_on_postgresql() -> anyhow::Result<()> {
    let Ok(url) = std::env::var("MADOGUCHI_TEST_DATABASE_URL") else {
        anyhow::ensure!(
            std::env::var("MADOGUCHI_TEST_SKIP_POSTGRES").as_deref() == Ok("1"),
            "set MADOGUCHI_TEST_DATABASE_URL (or MADOGUCHI_TEST_SKIP_POSTGRES=1 to skip PostgreSQL knowingly)"
        );
        return Ok(());
    };
    let schema = format!("t_{}", uuid_like());
    let setup = madoguchi_store::Store::connect_postgres_schema(&url, &schema).await?;
    setup.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir()?;
    {
        let _server = spawn(dir.path(), &["demo"], &[("MADOGUCHI_DATABASE_URL", &scoped)])?;
        let creds = wait_for_credentials(dir.path(), None)?;
        check_demo(&creds).await?;
    }
    let admin = madoguchi_store::Store::connect(&url).await?;
    admin.drop_schema_for_tests(&schema).await?;
    Ok(())
}

fn uuid_like() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{nanos:x}{}", std::process::id())
}

fn run(data: &Path, args: &[&str], stdin: Option<&str>) -> anyhow::Result<(bool, String, String)> {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .env("MADOGUCHI_DATA_DIR", data)
        .env("MADOGUCHI_LOG", "warn")
        .env_remove("MADOGUCHI_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    Ok((out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into()))
}

#[tokio::test]
async fn user_add_bootstraps_an_admin_who_can_sign_in() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data: PathBuf = dir.path().join("data");
    let (ok, out, err) = run(&data, &["migrate"], None)?;
    assert!(ok, "{out}{err}");
    let (ok, out, err) =
        run(&data, &["user", "add", "--login", "Boss", "--password-stdin"], Some("a-long-passphrase\n"))?;
    assert!(ok, "{out}{err}");
    assert!(out.contains("created boss (admin)"), "{out}");
    let (ok, _, err) =
        run(&data, &["user", "add", "--login", "boss", "--password-stdin"], Some("a-long-passphrase\n"))?;
    assert!(!ok && err.contains("already used"), "{err}");
    let (ok, _, err) = run(&data, &["user", "add", "--login", "weak", "--password-stdin"], Some("short\n"))?;
    assert!(!ok && err.contains("at least"), "{err}");

    let port = free_port()?;
    let bind = format!("127.0.0.1:{port}");
    let _server = spawn(&data, &["serve"], &[("MADOGUCHI_BIND", &bind)])?;
    let base = format!("http://{bind}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let resp = client
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(&serde_json::json!({ "login": "boss", "password": "a-long-passphrase" }))
        .send()
        .await?;
    assert_eq!(resp.status().as_u16(), 201);
    let token: Value = resp.json().await?;
    let (status, me) = get(&base, "/api/v1/me", token["token"].as_str().unwrap_or_default()).await?;
    assert_eq!((status, me["role"].as_str()), (200, Some("admin")));
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[test]
fn config_example_lists_every_setting_and_bad_files_fail() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (ok, out, _) = run(dir.path(), &["config", "example"], None)?;
    assert!(ok);
    for key in ["bind", "data_dir", "database_url", "log", "log_format", "max_body_bytes", "MADOGUCHI_BIND"] {
        assert!(out.contains(key), "{key} in example");
    }
    let file = dir.path().join("m.toml");
    std::fs::write(&file, out)?;
    let (ok, _, err) = run(dir.path(), &["--config", file.to_str().unwrap_or_default(), "migrate"], None)?;
    assert!(ok, "the example is a valid settings file: {err}");
    std::fs::write(&file, "bindd = \"x\"\n")?;
    let (ok, _, err) = run(dir.path(), &["--config", file.to_str().unwrap_or_default(), "migrate"], None)?;
    assert!(!ok && err.contains("bindd"), "{err}");
    Ok(())
}

/// A demo server on a new data folder, for commands run beside it: the folder, the server (kept
/// running while held), its address, the first shop's slug and the admin's token.
struct Beside {
    dir: tempfile::TempDir,
    data: PathBuf,
    _server: common::Running,
    base: String,
    slug: String,
    admin: String,
}

fn demo_beside() -> anyhow::Result<Beside> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let server = spawn(&data, &["demo"], &[])?;
    let creds = wait_for_credentials(&data, None)?;
    Ok(Beside {
        base: creds["base_url"].as_str().unwrap_or_default().to_owned(),
        slug: creds["merchants"][0]["slug"].as_str().unwrap_or_default().to_owned(),
        admin: token_of(&creds, "admin").to_owned(),
        dir,
        data,
        _server: server,
    })
}

/// `kb import` against the data folder of a running server: the articles are searchable without
/// a reindex; the same file again changes nothing; `kb export` writes CSV with a BOM; a bad
/// file names its line and imports nothing.
#[tokio::test]
async fn kb_import_and_export_beside_a_running_server() -> anyhow::Result<()> {
    let Beside { dir, data, base, slug, admin, _server } = demo_beside()?;
    let file = dir.path().join("faq.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"external_id":"x1","category":"会員・ポイント","question":"ポイントカードを紛失しました","answer":"会員番号で再発行できます。","keywords":["なくした"]}"#,
            r#"{"external_id":"x2","category":"お支払い方法","question":"後払いは使えますか","answer":"コンビニ後払いがご利用いただけます。","keywords":["請求書"]}"#,
        ]
        .join("\n"),
    )?;
    let path = file.to_string_lossy().into_owned();
    let (ok, out, err) = run(&data, &["kb", "import", "--merchant", &slug, &path], None)?;
    assert!(ok && out.contains("2 created"), "{out}{err}");
    let q = "ポイントカードをなくした".bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = get(&base, &format!("/api/v1/merchants/{slug}/kb/search?q={q}"), &admin).await?;
        assert_eq!(status, 200, "{body}");
        if body["results"][0]["external_id"] == "x1" {
            break;
        }
        assert!(Instant::now() < deadline, "the imported article was not searchable: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (ok, out, err) = run(&data, &["kb", "import", "--merchant", &slug, &path], None)?;
    assert!(ok && out.contains("0 created, 0 updated, 2 unchanged"), "{out}{err}");

    let csv = dir.path().join("faq.csv");
    let (ok, out, err) = run(&data, &["kb", "export", "--merchant", &slug, &csv.to_string_lossy()], None)?;
    assert!(ok, "{out}{err}");
    let text = std::fs::read_to_string(&csv)?;
    assert!(text.starts_with("\u{feff}external_id,category,question,answer,keywords,published"), "{text}");
    assert!(text.contains("後払いは使えますか"));

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"category\":\"配送\",\"question\":\"\",\"answer\":\"x\"}\n")?;
    let (ok, _, err) = run(&data, &["kb", "import", "--merchant", &slug, &bad.to_string_lossy()], None)?;
    assert!(!ok && err.contains("line 1") && err.contains("nothing imported"), "{err}");
    Ok(())
}

/// `import orders` beside a running server: a dry run stores nothing, the import stores the
/// orders the API then shows, a second run changes nothing, and a bad row fails the command
/// with its row and column.
#[tokio::test]
async fn order_csv_import_from_the_command_line() -> anyhow::Result<()> {
    let Beside { dir, data, base, slug, admin, _server } = demo_beside()?;
    let file = dir.path().join("orders.csv");
    std::fs::write(
        &file,
        "受注番号,注文日時,商品コード,商品名,数量,単価,配送業者,送り状番号\n\
         CLI-1,2026/11/28 10:00,A-1,羊羹,2,1500,佐川急便,1234-5678-9013\n\
         CLI-2,2026/11/29,B-1,最中,1,800,,\n",
    )?;
    let path = file.to_string_lossy().into_owned();
    let orders = |number: &'static str| {
        let (base, admin, slug) = (base.clone(), admin.clone(), slug.clone());
        async move { get(&base, &format!("/api/v1/orders?merchant={slug}&order_number={number}"), &admin).await }
    };
    let (ok, out, err) = run(&data, &["import", "orders", "--merchant", &slug, "--dry-run", &path], None)?;
    assert!(ok && out.contains("2 orders (2 new, 0 known)") && out.contains("nothing stored"), "{out}{err}");
    assert_eq!(orders("CLI-1").await?.1["items"], serde_json::json!([]));
    let (ok, out, err) = run(&data, &["import", "orders", "--merchant", &slug, &path], None)?;
    assert!(ok && out.contains("(UTF-8)") && out.contains("stored"), "{out}{err}");
    let (_, page) = orders("CLI-1").await?;
    assert_eq!(page["items"][0]["shipments"][0]["tracking_number"], "123456789013", "{page}");
    let (ok, out, err) = run(&data, &["import", "orders", "--merchant", &slug, &path], None)?;
    assert!(ok && out.contains("2 orders (0 new, 2 known)"), "{out}{err}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "受注番号,注文日時,商品名,単価\nCLI-3,2026/11/30,羊羹,高い\n")?;
    let (ok, _, err) = run(&data, &["import", "orders", "--merchant", &slug, &bad.to_string_lossy()], None)?;
    assert!(!ok && err.contains("row 2 (line 2), 単価") && err.contains("nothing stored"), "{err}");
    assert_eq!(orders("CLI-3").await?.1["items"], serde_json::json!([]));
    Ok(())
}

/// `import conversations` beside a running server: history lands on the right customers with
/// its own times, is searchable without a reindex, is never sent; a second run skips it; a bad
/// file names its lines and imports nothing.
#[tokio::test]
async fn history_import_from_another_helpdesk() -> anyhow::Result<()> {
    let Beside { dir, data, base, slug, admin, _server } = demo_beside()?;
    let line = |ext: &str, email: &str, body: &str| {
        serde_json::json!({
            "external_id": ext, "channel": "email", "subject": "旧システムからの問い合わせ", "status": "closed",
            "customer": { "name": "移行 花子", "email": email },
            "messages": [
                { "direction": "inbound", "body": body, "created_at": "2024-04-01T10:00:00+09:00" },
                { "direction": "outbound", "body": "ご連絡ありがとうございます。", "created_at": "2024-04-01T11:00:00+09:00" }
            ]
        })
        .to_string()
    };
    let file = dir.path().join("history.jsonl");
    std::fs::write(
        &file,
        [
            line("old-1", "migrated@example.jp", "昔の注文の件で移行テスト一番"),
            line("old-2", "migrated@example.jp", "移行テスト二番の相談"),
        ]
        .join("\n"),
    )?;
    let path = file.to_string_lossy().into_owned();
    let (ok, out, err) = run(&data, &["import", "conversations", "--merchant", &slug, &path], None)?;
    assert!(ok && out.contains("2 conversations (4 messages) imported, 0 already there"), "{out}{err}");
    let (ok, out, err) = run(&data, &["import", "conversations", "--merchant", &slug, &path], None)?;
    assert!(ok && out.contains("0 conversations (0 messages) imported, 2 already there"), "{out}{err}");

    let (s, c) =
        get(&base, &format!("/api/v1/customers/lookup?merchant={slug}&kind=email&value=migrated@example.jp"), &admin)
            .await?;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["name"], "移行 花子");
    let convs =
        count_all(&base, &format!("/api/v1/conversations?customer={}", c["id"].as_str().unwrap_or_default()), &admin)
            .await?;
    assert_eq!(convs.len(), 2, "both on one customer");
    assert!(
        convs
            .iter()
            .all(|c| c["status"] == "closed" && c["created_at"].as_str().unwrap_or_default().starts_with("2024-04-01"))
    );
    let (_, detail) =
        get(&base, &format!("/api/v1/conversations/{}", convs[0]["id"].as_str().unwrap_or_default()), &admin).await?;
    let reply = detail["timeline"]
        .as_array()
        .and_then(|t| t.iter().find(|i| i["direction"] == "outbound"))
        .cloned()
        .unwrap_or_default();
    assert!(reply["delivery_status"].is_null(), "history is never sent: {reply}");

    let q = "移行テスト".bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = get(&base, &format!("/api/v1/search?q={q}"), &admin).await?;
        if body["results"].as_array().map_or(0, Vec::len) >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "imported history not searchable: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!(
            "{}\n{{\"external_id\":\"x\",\"channel\":\"email\",\"messages\":[]}}\n",
            line("new-1", "n@example.jp", "本文")
        ),
    )?;
    let (ok, _, err) = run(&data, &["import", "conversations", "--merchant", &slug, &bad.to_string_lossy()], None)?;
    assert!(!ok && err.contains("line 2") && err.contains("nothing imported"), "{err}");
    let (s, _) =
        get(&base, &format!("/api/v1/customers/lookup?merchant={slug}&kind=email&value=n@example.jp"), &admin).await?;
    assert_eq!(s, 404, "the good line of a bad file is not imported either");
    Ok(())
}

/// `bench-search` runs end to end on a small history and reports every engine for every query
/// shape (its timings are read by people, never asserted).
#[test]
fn the_search_benchmark_reports_every_engine_and_shape() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (ok, out, err) =
        run(dir.path(), &["bench-search", "--messages", "400", "--queries", "2", "--scan-queries", "1"], None)?;
    assert!(ok, "{err}");
    assert!(out.contains("## Japanese search at 400 messages"), "{out}");
    for shape in ["1 character", "2 characters", "word (inflected)", "phrase (2 words)", "order number"] {
        for engine in ["Madoguchi (tantivy)", "SQLite FTS5 trigram", "SQLite LIKE scan"] {
            assert!(
                out.lines().any(|l| l.contains(&format!("| {shape} |")) && l.contains(engine)),
                "{shape} / {engine}:\n{out}"
            );
        }
    }
    // The index finds an inflected word the scans cannot (the text says 届きません).
    let found = |engine: &str| -> Option<String> {
        out.lines()
            .find(|l| l.starts_with("| word (inflected) | newest 20 |") && l.contains(engine))
            .and_then(|l| l.split('|').nth(5).map(|c| c.trim().to_owned()))
    };
    assert_eq!(found("Madoguchi").as_deref(), Some("20"), "{out}");
    assert_eq!(found("LIKE").as_deref(), Some("0"), "{out}");
    assert!(out.contains("a new message found by search after it is stored (20 samples)"), "{out}");
    Ok(())
}

/// `bench-voice` runs end to end on a few calls: every call is stored and counted, none fails,
/// and each kind of webhook is reported (its timings are read by people, never asserted).
#[test]
fn the_voice_benchmark_stores_every_call_and_reports_each_webhook() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (ok, out, err) = run(dir.path(), &["bench-voice", "--calls", "6", "--waits", "2"], None)?;
    assert!(ok, "{err}");
    assert!(
        out.contains("6 calls to one number arriving at the same instant") && out.contains("0 calls failed"),
        "{out}"
    );
    for (webhook, n) in [
        ("incoming call (menu)", 6),
        ("key pressed (to the queue)", 6),
        ("wait music", 12),
        ("hang-up (status callback)", 6),
    ] {
        assert!(out.lines().any(|l| l.starts_with(&format!("| {webhook} | {n} |"))), "{webhook}:\n{out}");
    }
    assert!(out.contains("The board afterwards: 6 offered"), "{out}");
    Ok(())
}

/// A bundle's files: name → its lines, sorted (row order may differ between databases).
fn bundle_files(dir: &Path) -> anyhow::Result<std::collections::BTreeMap<String, Vec<String>>> {
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let mut lines: Vec<String> = std::fs::read_to_string(&path)?.lines().map(str::to_owned).collect();
            lines.sort();
            out.insert(path.file_name().unwrap_or_default().to_string_lossy().into_owned(), lines);
        }
    }
    Ok(out)
}

/// Same rows, except one more audit line per restore, and the desk's administrator restored as
/// a supervisor (an administrator would see every shop of the new desk).
fn assert_same_rows(
    before: &std::collections::BTreeMap<String, Vec<String>>,
    after: &std::collections::BTreeMap<String, Vec<String>>,
    restores: usize,
) {
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    for (file, rows) in before {
        if file == "audit_events.jsonl" {
            assert!(rows.iter().all(|l| after[file].contains(l)), "audit lines lost");
            let extra = after[file].iter().filter(|l| l.contains("restored_bundle")).count();
            assert_eq!(extra, restores + rows.iter().filter(|l| l.contains("restored_bundle")).count());
        } else if file == "users.jsonl" {
            assert!(rows.iter().any(|l| l.contains("\"role\":\"admin\"")), "the demo's administrator travels");
            let lowered: Vec<String> =
                rows.iter().map(|l| l.replace("\"role\":\"admin\"", "\"role\":\"supervisor\"")).collect();
            assert_eq!(after[file], lowered, "{file} changed on the way");
        } else {
            assert_eq!(&after[file], rows, "{file} changed on the way");
        }
    }
}

fn run_with(data: &Path, args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<(bool, String, String)> {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("MADOGUCHI_DATA_DIR", data).env("MADOGUCHI_LOG", "warn").env_remove("MADOGUCHI_DATABASE_URL");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output()?;
    Ok((out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into()))
}

/// Operation transfer across databases: a demo shop exported from SQLite, restored into
/// PostgreSQL, exported from there, restored into a new SQLite instance — every row the same
/// each time, the other shop nowhere — and the restored instance serves and finds its history.
#[tokio::test]
async fn a_shop_moves_between_instances_and_databases() -> anyhow::Result<()> {
    let pg_url = std::env::var("MADOGUCHI_TEST_DATABASE_URL").ok();
    anyhow::ensure!(
        pg_url.is_some() || std::env::var("MADOGUCHI_TEST_SKIP_POSTGRES").as_deref() == Ok("1"),
        "set MADOGUCHI_TEST_DATABASE_URL (or MADOGUCHI_TEST_SKIP_POSTGRES=1 to skip PostgreSQL knowingly)"
    );
    let Beside { dir, data, base, slug, admin, _server } = demo_beside()?;
    let (_, merchants) = get(&base, "/api/v1/merchants", &admin).await?;
    let other = merchants["items"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["slug"] != slug.as_str()))
        .cloned()
        .unwrap_or_default();
    let (other_id, other_slug) = (other["id"].as_str().unwrap_or("?"), other["slug"].as_str().unwrap_or("?"));

    let first = dir.path().join("bundle-1");
    let first_s = first.to_string_lossy().into_owned();
    let (ok, out, err) = run(&data, &["export", "--merchant", &slug, "--out", &first_s], None)?;
    assert!(ok && out.contains(&format!("exported {slug}")), "{out}{err}");
    let rows = bundle_files(&first)?;
    assert!(rows["messages.jsonl"].len() > 100 && rows["orders.jsonl"].len() > 10, "the demo shop's history");
    let all = rows.values().flatten().cloned().collect::<Vec<_>>().join("\n");
    assert!(!all.contains(other_id) && !all.contains(other_slug), "the other shop leaked into the bundle");
    // Passwords never travel.
    assert!(!all.contains("$argon2"), "a password hash is in the bundle");

    // SQLite → PostgreSQL → SQLite.
    let mut from = first.clone();
    let mut restores = 0;
    let mut cleanup = None;
    if let Some(url) = &pg_url {
        let schema = format!("t_{}", uuid_like());
        madoguchi_store::Store::connect_postgres_schema(url, &schema).await?.close().await;
        let sep = if url.contains('?') { '&' } else { '?' };
        let scoped = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        let pg_data = dir.path().join("pg-data");
        let env = [("MADOGUCHI_DATABASE_URL", scoped.as_str())];
        let (ok, out, err) = run_with(&pg_data, &["import-bundle", &first_s], &env)?;
        assert!(ok && out.contains(&format!("restored {slug}")), "{out}{err}");
        assert!(out.contains("admin was an administrator there"), "{out}");
        restores += 1;
        let second = dir.path().join("bundle-2");
        let (ok, out, err) =
            run_with(&pg_data, &["export", "--merchant", &slug, "--out", &second.to_string_lossy()], &env)?;
        assert!(ok, "{out}{err}");
        assert_same_rows(&rows, &bundle_files(&second)?, restores);
        // Again into the same instance: refused, nothing changes.
        let (ok, _, err) = run_with(&pg_data, &["import-bundle", &first_s], &env)?;
        assert!(!ok && err.contains("already exists"), "{err}");
        from = second;
        cleanup = Some(schema);
    }
    let copy = dir.path().join("copy-data");
    let (ok, out, err) = run(&copy, &["import-bundle", &from.to_string_lossy()], None)?;
    assert!(ok, "{out}{err}");
    restores += 1;
    let third = dir.path().join("bundle-3");
    let (ok, out, err) = run(&copy, &["export", "--merchant", &slug, "--out", &third.to_string_lossy()], None)?;
    assert!(ok, "{out}{err}");
    assert_same_rows(&rows, &bundle_files(&third)?, restores);

    // The restored instance starts, rebuilds its index and finds a customer's words.
    let (ok, out, err) =
        run(&copy, &["user", "add", "--login", "newdesk", "--password-stdin"], Some("a-long-passphrase\n"))?;
    assert!(ok, "{out}{err}");
    let token = out.lines().find_map(|l| l.strip_prefix("api token: ")).unwrap_or_default().to_owned();
    let bind = format!("127.0.0.1:{}", free_port()?);
    let _restored = spawn(&copy, &["serve"], &[("MADOGUCHI_BIND", &bind)])?;
    let restored_base = format!("http://{bind}");
    let words: String = rows["messages.jsonl"]
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|m| m["body_text"].as_str().map(str::to_owned))
        .find(|b| b.chars().count() >= 12)
        .unwrap_or_default()
        .chars()
        .take(6)
        .collect();
    let q: String = words.bytes().map(|b| format!("%{b:02X}")).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, found)) = get(&restored_base, &format!("/api/v1/search?q={q}&merchant={slug}"), &token).await
            && found["results"].as_array().is_some_and(|i| !i.is_empty())
        {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "{words:?} not found on the restored instance after 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let (Some(url), Some(schema)) = (&pg_url, cleanup) {
        let admin = madoguchi_store::Store::connect(url).await?;
        admin.drop_schema_for_tests(&schema).await?;
    }
    Ok(())
}
