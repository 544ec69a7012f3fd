//! `madoguchi bench-inbox`: the inbox at a desk's size. The demo data set, then a shop's
//! history of many conversations (by default a million, 1 % of them still being worked on:
//! assigned to the agent, to others or to nobody, some waiting for an answer, some escalated),
//! then every inbox view, filter and sort as the signed-in agent opens it, and the
//! conversation page. The page answers include the counts of every view. Prints a Markdown
//! report; timings live here, never in pass/fail tests.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use madoguchi_server::{AppState, Settings};
use madoguchi_store::Store;

use crate::demo;

pub struct InboxBenchOptions {
    pub conversations: usize,
    /// The share of conversations still open (new, open or pending).
    pub open_share: f64,
    /// Timed loads per page.
    pub requests: usize,
    /// Keep the data folder here; a folder kept by an earlier run is measured again as it is
    /// (its migrations applied), without generating the history anew.
    pub keep: Option<PathBuf>,
}

/// What a kept folder remembers of its preparation.
#[derive(serde::Serialize, serde::Deserialize)]
struct Prepared {
    creds: demo::Credentials,
    open_ids: Vec<madoguchi_core::ids::ConversationId>,
    conversations: u64,
    import_seconds: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(((sorted.len() as f64 - 1.0) * p).round() as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

const CATEGORIES: [&str; 4] = ["配送", "返品・交換", "不良品", "キャンセル"];

/// The history as the importer reads it: one inbound message each, every `1/open_share`-th
/// conversation still open (the others closed), in order of time over two years.
fn generate(path: &Path, n: usize, open_every: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let start = Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).single().context("start")?;
    let span = 730 * 24 * 3600_i64;
    for i in 0..n {
        let at = start + chrono::Duration::seconds(i as i64 * span / n as i64);
        let open = i % open_every == 0;
        let status = match (open, i % 5) {
            (false, _) => "closed",
            (true, 0) => "new",
            (true, 1) => "pending",
            (true, _) => "open",
        };
        let channel = ["email", "chat", "phone", "line"][i % 4];
        let line = serde_json::json!({
            "external_id": format!("inbox-{i}"),
            "channel": channel,
            "subject": format!("お問い合わせ {i}"),
            "status": status,
            "customer": { "name": format!("客 {}", i % 40_000), "email": format!("c{}@example.jp", i % 40_000) },
            "messages": [{ "direction": "inbound", "body": "注文した商品はいつ届きますか", "created_at": at.to_rfc3339() }],
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

pub async fn run(opts: InboxBenchOptions) -> anyhow::Result<String> {
    if let Some(dir) = &opts.keep {
        std::fs::create_dir_all(dir)?;
        return bench_in(dir, &opts).await;
    }
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-inbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench_in(&dir, &opts).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench_in(dir: &Path, opts: &InboxBenchOptions) -> anyhow::Result<String> {
    let url = format!("sqlite://{}", dir.join("madoguchi.db").display());
    let store = Store::open(&url).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state_file = dir.join("bench-inbox.json");
    let prepared = match std::fs::read(&state_file) {
        Ok(bytes) => {
            eprintln!("measuring the history kept in {}", dir.display());
            serde_json::from_slice(&bytes)?
        }
        Err(_) => {
            let p = prepare(&store, &base, dir, &url, opts).await?;
            if opts.keep.is_some() {
                std::fs::write(&state_file, serde_json::to_vec(&p)?)?;
            }
            p
        }
    };
    measure(store, listener, &base, dir, opts, prepared).await
}

/// Seeds the demo, imports the history and leaves its open part as a desk's day would.
async fn prepare(
    store: &Store,
    base: &str,
    dir: &Path,
    url: &str,
    opts: &InboxBenchOptions,
) -> anyhow::Result<Prepared> {
    let creds = demo::seed(store, base).await?;
    let shop = creds.merchants.first().context("a demo shop")?;
    let merchant: madoguchi_core::ids::MerchantId = shop.id.parse()?;
    let agent = creds.users.iter().find(|u| u.login == "agent.sato").context("the demo agent")?;
    let agent_id = store.user_for_login(&agent.login).await?.context("agent")?.0.id;
    let other_id = store.user_for_login("sv.tanaka").await?.context("supervisor")?.0.id;

    let open_every = (1.0 / opts.open_share).round().max(1.0) as usize;
    eprintln!("generating and importing {} conversations", opts.conversations);
    let file = dir.join("history.jsonl");
    generate(&file, opts.conversations, open_every)?;
    let t = Instant::now();
    let imported = crate::import::conversations(store, merchant, &file).await?;
    let import_time = t.elapsed();
    std::fs::remove_file(&file)?;

    // Who holds the open ones, how urgent they are and what about: set as a desk's day would
    // leave them (a third the agent's, a third another's, a third nobody's yet).
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(url).await?;
    sqlx::query(
        "UPDATE conversations SET
            assignee_id = CASE (number / $8) % 3 WHEN 0 THEN $2 WHEN 1 THEN $3 ELSE NULL END,
            priority = CASE (number / $8) % 7 WHEN 0 THEN 'high' WHEN 1 THEN 'urgent' WHEN 2 THEN 'low' ELSE 'normal' END,
            category = CASE (number / $8) % 4 WHEN 0 THEN $4 WHEN 1 THEN $5 WHEN 2 THEN $6 ELSE $7 END,
            waiting_since = CASE (number / $8) % 2 WHEN 0 THEN waiting_since ELSE NULL END
         WHERE merchant_id = $1 AND status NOT IN ('resolved', 'closed')",
    )
    .bind(merchant.0)
    .bind(agent_id.0)
    .bind(other_id.0)
    .bind(CATEGORIES[0])
    .bind(CATEGORIES[1])
    .bind(CATEGORIES[2])
    .bind(CATEGORIES[3])
    // Open ones are every `open_every`-th: counted in those steps, the mixes spread over them.
    .bind(open_every as i64)
    .execute(&pool)
    .await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    pool.close().await;
    let scope = madoguchi_core::access::Scope::All;
    let open_ids: Vec<madoguchi_core::ids::ConversationId> = store
        .list_conversations(
            &scope,
            &madoguchi_store::conversations::ConversationFilter {
                merchant: Some(merchant),
                active_only: true,
                ..Default::default()
            },
            madoguchi_core::page::PageRequest::first(200),
        )
        .await?
        .items
        .into_iter()
        .map(|c| c.id)
        .collect();
    for id in open_ids.iter().step_by(4) {
        store
            .create_escalation(&scope, agent_id, *id, "ショップへの確認", Utc::now() + chrono::Duration::hours(8))
            .await?;
    }
    Ok(Prepared {
        creds,
        open_ids,
        conversations: imported.conversations as u64,
        import_seconds: import_time.as_secs_f64(),
    })
}

/// Starts the server on the prepared data and times every page.
async fn measure(
    store: Store,
    listener: tokio::net::TcpListener,
    base: &str,
    dir: &Path,
    opts: &InboxBenchOptions,
    prepared: Prepared,
) -> anyhow::Result<String> {
    let Prepared { creds, open_ids, conversations, import_seconds } = prepared;
    let shop = creds.merchants.first().context("a demo shop")?;
    let agent = creds.users.iter().find(|u| u.login == "agent.sato").context("the demo agent")?;
    let settings = Settings { data_dir: PathBuf::from(dir), ..Settings::default() };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(store.clone(), settings)?;
    let server = tokio::spawn(madoguchi_server::launch(listener, state, async {
        let _ = rx.await;
    }));

    // The server indexes the imported history when it starts; what it writes meanwhile is not
    // what an agent waits for, so the pages are timed once it is done.
    while !store.search_feed(1).await?.is_empty() || !state_ready(base).await {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let browser = crate::bench::console_session(base, &agent.login, &agent.password).await?;

    let slug = &shop.slug;
    let mut pages: Vec<(String, String)> = Vec::new();
    for view in ["mine", "unassigned", "waiting", "escalated", "all"] {
        for sort in ["activity", "waiting", "newest", "oldest"] {
            pages.push((format!("{view}, sort {sort}"), format!("/desk?view={view}&sort={sort}")));
        }
    }
    for (name, filter) in [
        ("status open", "status=open".to_owned()),
        ("status pending", "status=pending".to_owned()),
        ("priority high", "priority=high".to_owned()),
        ("channel phone", "channel=phone".to_owned()),
        ("category 配送", format!("category={}", encode("配送"))),
        ("shop", format!("merchant={slug}")),
        ("shop, status new, priority urgent", format!("merchant={slug}&status=new&priority=urgent")),
    ] {
        for view in ["mine", "all"] {
            pages.push((format!("{view}, {name}"), format!("/desk?view={view}&{filter}")));
        }
    }
    pages.push(("second page of all".into(), String::new()));
    // The cursor of the second page comes from the first.
    let first = browser.get(format!("{base}/desk?view=all")).send().await?.text().await?;
    let next = first
        .split("id=\"next-page\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| s.replace("&amp;", "&"))
        .context("a next page on the all view")?;
    pages.last_mut().context("pages")?.1 = next;
    for id in open_ids.iter().take(3) {
        pages.push((format!("conversation page {}", &id.to_string()[24..]), format!("/desk/conversations/{id}")));
    }

    let mut rows = Vec::new();
    for (name, path) in &pages {
        let url = format!("{base}{path}");
        // One unmeasured load: the first read of a page warms the database's cache.
        let resp = browser.get(&url).send().await?;
        anyhow::ensure!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.bytes().await?;
        let mut durations = Vec::with_capacity(opts.requests);
        for _ in 0..opts.requests {
            let t = Instant::now();
            let resp = browser.get(&url).send().await?;
            anyhow::ensure!(resp.status().is_success(), "GET {path}: {}", resp.status());
            resp.bytes().await?;
            durations.push(t.elapsed());
        }
        durations.sort();
        rows.push((
            name.clone(),
            percentile(&durations, 0.5),
            percentile(&durations, 0.95),
            percentile(&durations, 0.99),
        ));
    }
    let _ = tx.send(());
    let _ = server.await;
    store.close().await;

    let mut r = String::new();
    writeln!(
        r,
        "## Inbox benchmark ({} conversations, {:.1} % open, SQLite, {} build)\n",
        conversations,
        opts.open_share * 100.0,
        if cfg!(debug_assertions) { "debug" } else { "release" }
    )?;
    writeln!(r, "History import: {import_seconds:.1} s.\n")?;
    writeln!(r, "| page (signed in as the agent; {} loads each) | p50 ms | p95 ms | p99 ms |", opts.requests)?;
    writeln!(r, "| --- | ---: | ---: | ---: |")?;
    for (name, p50, p95, p99) in rows {
        writeln!(r, "| {name} | {} | {} | {} |", ms(p50), ms(p95), ms(p99))?;
    }
    Ok(r)
}

/// Whether the server says it is ready (its search index rebuilt).
async fn state_ready(base: &str) -> bool {
    reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status().is_success())
}

/// A query value in a URL (percent-encoded UTF-8).
fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
