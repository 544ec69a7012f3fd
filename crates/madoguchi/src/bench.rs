//! `madoguchi bench`: measures what people wait for — the first start on an empty install, the
//! demo seed, and API latency under sequential and concurrent load — and writes a Markdown
//! report. Timings live here, never in pass/fail tests.

use crate::demo::{self, Credentials};
use anyhow::Context;
use madoguchi_server::{AppState, Settings};
use madoguchi_store::Store;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct BenchOptions {
    pub requests: usize,
    pub concurrency: usize,
    /// Run against this PostgreSQL server (in a schema of its own) instead of SQLite.
    pub postgres: Option<String>,
}

struct Sample {
    name: String,
    durations: Vec<Duration>,
    wall: Duration,
}

/// The `p`-th share (0–1) of sorted timings, nearest rank; zero for none.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn timed(client: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let resp = client.get(url).bearer_auth(token).send().await?;
    anyhow::ensure!(resp.status().is_success(), "GET {url}: {}", resp.status());
    resp.bytes().await?;
    Ok(t.elapsed())
}

async fn run_load(name: &str, urls: Vec<String>, token: &str, concurrency: usize) -> anyhow::Result<Sample> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut durations = Vec::with_capacity(urls.len());
    for chunk in urls.chunks(concurrency.max(1)) {
        let mut set = tokio::task::JoinSet::new();
        for url in chunk {
            let (client, url, token) = (client.clone(), url.clone(), token.to_owned());
            set.spawn(async move { timed(&client, &url, &token).await });
        }
        while let Some(r) = set.join_next().await {
            durations.push(r??);
        }
    }
    durations.sort();
    Ok(Sample { name: name.into(), durations, wall: started.elapsed() })
}

/// A console client signed in as `login`, as a person at the console is.
pub(crate) async fn console_session(base: &str, login: &str, password: &str) -> anyhow::Result<reqwest::Client> {
    let browser = reqwest::Client::builder().cookie_store(true).build()?;
    let login_page = browser.get(format!("{base}/login")).send().await?.text().await?;
    let csrf = login_page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("csrf on the sign-in page")?;
    let signed = browser
        .post(format!("{base}/login"))
        .form(&[("login", login), ("password", password), ("csrf", csrf)])
        .send()
        .await?;
    anyhow::ensure!(signed.url().path() == "/desk", "sign-in failed: {}", signed.url());
    Ok(browser)
}

pub async fn run(opts: BenchOptions) -> anyhow::Result<String> {
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench_in(&dir, &opts).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench_in(dir: &std::path::Path, opts: &BenchOptions) -> anyhow::Result<String> {
    let schema = format!("t_bench_{}", std::process::id());
    let (url, backend) = match &opts.postgres {
        Some(pg) => (pg.clone(), "PostgreSQL"),
        None => (format!("sqlite://{}", dir.join("madoguchi.db").display()), "SQLite"),
    };
    let t = Instant::now();
    let store = match &opts.postgres {
        Some(pg) => {
            let s = Store::connect_postgres_schema(pg, &schema).await?;
            s.migrate().await?;
            s
        }
        None => Store::open(&url).await?,
    };
    let open_migrate = t.elapsed();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let t = Instant::now();
    let creds: Credentials = if opts.postgres.is_some() {
        demo::seed(&store, &base).await?
    } else {
        let bulk = Store::open_for_bulk_load(&url).await?;
        let c = demo::seed(&bulk, &base).await?;
        bulk.close().await;
        c
    };
    let seed = t.elapsed();

    let settings = Settings { data_dir: PathBuf::from(dir), ..Settings::default() };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(store.clone(), settings)?;
    let server = tokio::spawn(madoguchi_server::launch(listener, state, async {
        let _ = rx.await;
    }));

    let token =
        creds.users.iter().find(|u| u.role.as_str() == "agent").map(|u| u.api_token.clone()).context("demo agent")?;
    let client = reqwest::Client::new();
    let merchant = &creds.merchants[0].slug;
    let page: serde_json::Value = client
        .get(format!("{base}/api/v1/conversations?merchant={merchant}&limit=200"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let conv_ids: Vec<String> = page["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    let customers: serde_json::Value = client
        .get(format!("{base}/api/v1/customers?merchant={merchant}&limit=200"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let phones: Vec<String> = customers["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    c["identities"].as_array()?.iter().find(|i| i["kind"] == "phone")?["display"]
                        .as_str()
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(!conv_ids.is_empty() && !phones.is_empty(), "demo data missing");

    let n = opts.requests;
    let lists = (0..n).map(|_| format!("{base}/api/v1/conversations?merchant={merchant}&limit=50")).collect::<Vec<_>>();
    let details =
        (0..n).map(|i| format!("{base}/api/v1/conversations/{}", conv_ids[i % conv_ids.len()])).collect::<Vec<_>>();
    let lookups = (0..n)
        .map(|i| {
            format!("{base}/api/v1/customers/lookup?merchant={merchant}&kind=phone&value={}", phones[i % phones.len()])
        })
        .collect::<Vec<_>>();
    let mut samples = Vec::new();
    for (name, urls) in [
        ("list 50 conversations", lists),
        ("conversation with timeline", details),
        ("customer lookup by phone", lookups),
    ] {
        samples.push(run_load(&format!("{name} (1 at a time)"), urls.clone(), &token, 1).await?);
        samples
            .push(run_load(&format!("{name} ({} at once)", opts.concurrency), urls, &token, opts.concurrency).await?);
    }
    // The console's pages, signed in as the demo agent, one at a time (as an agent clicks).
    let agent = creds.users.iter().find(|u| u.role.as_str() == "agent").context("demo agent")?;
    let browser = console_session(&base, &agent.login, &agent.password).await?;
    let pages: [(&str, Vec<String>); 2] = [
        ("page: inbox (50 rows)", (0..n).map(|_| format!("{base}/desk?view=all")).collect()),
        (
            "page: conversation with customer panel",
            (0..n).map(|i| format!("{base}/desk/conversations/{}", conv_ids[i % conv_ids.len()])).collect(),
        ),
    ];
    for (name, urls) in pages {
        let started = Instant::now();
        let mut durations = Vec::with_capacity(urls.len());
        for url in &urls {
            let t = Instant::now();
            let resp = browser.get(url).send().await?;
            anyhow::ensure!(resp.status().is_success(), "GET {url}: {}", resp.status());
            resp.bytes().await?;
            durations.push(t.elapsed());
        }
        durations.sort();
        samples.push(Sample { name: name.into(), durations, wall: started.elapsed() });
    }
    let _ = tx.send(());
    let _ = server.await;
    if opts.postgres.is_some() {
        store.drop_schema_for_tests(&schema).await?;
    }
    store.close().await;

    let mut r = String::new();
    writeln!(
        r,
        "## Madoguchi benchmark ({backend}, {} build)\n",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    )?;
    writeln!(r, "| step | time (ms) |\n| --- | ---: |")?;
    writeln!(r, "| open and migrate an empty database | {} |", ms(open_migrate))?;
    writeln!(r, "| seed the demo data set (2 shops, 100 customers, 400 conversations) | {} |", ms(seed))?;
    writeln!(r, "| first start with demo data (both) | {} |\n", ms(open_migrate + seed))?;
    writeln!(r, "| request ({n} each) | p50 ms | p95 ms | p99 ms | req/s |\n| --- | ---: | ---: | ---: | ---: |")?;
    for s in &samples {
        let rps = s.durations.len() as f64 / s.wall.as_secs_f64().max(1e-9);
        writeln!(
            r,
            "| {} | {} | {} | {} | {:.0} |",
            s.name,
            ms(percentile(&s.durations, 0.50)),
            ms(percentile(&s.durations, 0.95)),
            ms(percentile(&s.durations, 0.99)),
            rps
        )?;
    }
    Ok(r)
}
