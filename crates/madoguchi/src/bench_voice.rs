//! `madoguchi bench-voice`: the phone under load on one node. Many calls at once reach the
//! demo gift shop's number through Twilio's wire format (signed webhooks, as
//! `simulate-call` sends them): each hears the menu, presses 3, waits in the queue fetching the
//! wait music, and hangs up. The demo's agents are at work, so the desk rings them meanwhile
//! through a stand-in for Twilio's REST API that answers at once. Measured: each webhook's
//! latency by kind (Twilio gives up after 15 s; the desk should answer well under a second),
//! the calls stored and how they ended, and the commands the desk sent. A Markdown report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use madoguchi_channels::voice::twilio::Verb;
use madoguchi_server::{AppState, Settings};
use madoguchi_store::Store;
use serde_json::json;

use crate::bench::{ms, percentile};
use crate::demo::{self, Credentials};
use crate::simulate::{Leg, Provider};

pub struct VoiceBenchOptions {
    /// Calls in flight at once.
    pub calls: usize,
    /// Times each waiting caller fetches the wait music before hanging up.
    pub waits: usize,
    /// Seconds over which the calls arrive (0: all at the same instant).
    pub arrive_over: f64,
    pub postgres: Option<String>,
}

/// Webhook latencies by kind.
#[derive(Default)]
struct Latencies {
    by_kind: std::collections::BTreeMap<&'static str, Vec<Duration>>,
}

impl Latencies {
    fn add(&mut self, kind: &'static str, d: Duration) {
        self.by_kind.entry(kind).or_default().push(d);
    }
}

/// A stand-in for Twilio's REST API: every call placed or changed is taken at once.
async fn rest_api(sent: Arc<AtomicU64>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = axum::Router::new().route(
        "/2010-04-01/Accounts/{account}/{*tail}",
        axum::routing::post(move |axum::extract::Path((_, tail)): axum::extract::Path<(String, String)>| {
            let n = sent.fetch_add(1, Ordering::Relaxed);
            async move {
                let sid = format!("CA{:032x}", 0xbe_u128 << 120 | u128::from(n));
                let status =
                    if tail == "Calls.json" { axum::http::StatusCode::CREATED } else { axum::http::StatusCode::OK };
                (status, axum::Json(json!({ "sid": sid, "status": "queued" })))
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(base)
}

/// One caller: the menu, key 3, the queue's wait music `waits` times, then the hang-up.
async fn one_call(p: &Provider, n: usize, waits: usize, lat: &Mutex<Latencies>) -> anyhow::Result<()> {
    let caller = Leg {
        sid: format!("CA{:032x}", 0xca_u128 << 120 | n as u128),
        from: format!("+8190{:08}", 10_000_000 + n),
        to: p.number.number.clone(),
        direction: "inbound",
    };
    let timed = |kind: &'static str, t: Instant| {
        if let Ok(mut l) = lat.lock() {
            l.add(kind, t.elapsed());
        }
    };
    let t = Instant::now();
    let verbs = p.post(&p.number.voice_url, &caller, &[("CallStatus", "ringing")]).await?;
    timed("incoming call (menu)", t);
    let menu = verbs.iter().find_map(|v| match v {
        Verb::Gather { action, .. } => Some(action.clone()),
        _ => None,
    });
    let menu = menu.context("the gift shop's menu (is the shop open?)")?;
    let t = Instant::now();
    let verbs = p.post(&menu, &caller, &[("CallStatus", "in-progress"), ("Digits", "3")]).await?;
    timed("key pressed (to the queue)", t);
    let wait = verbs.iter().find_map(|v| match v {
        Verb::Enqueue { wait_url, .. } => Some(wait_url.clone()),
        _ => None,
    });
    let wait = wait.context("queued after key 3")?;
    for i in 0..waits {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        let secs = (i * 20).to_string();
        p.post(&wait, &caller, &[("CallStatus", "in-progress"), ("QueuePosition", "1"), ("QueueTime", &secs)]).await?;
        timed("wait music", t);
    }
    let t = Instant::now();
    p.post(&p.status_url(), &caller, &[("CallStatus", "completed"), ("CallDuration", "30")]).await?;
    timed("hang-up (status callback)", t);
    Ok(())
}

pub async fn run(opts: VoiceBenchOptions) -> anyhow::Result<String> {
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-voice-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench_in(&dir, &opts).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench_in(dir: &std::path::Path, opts: &VoiceBenchOptions) -> anyhow::Result<String> {
    let schema = format!("t_bench_voice_{}", std::process::id());
    let (store, backend) = match &opts.postgres {
        Some(pg) => {
            let s = Store::connect_postgres_schema(pg, &schema).await?;
            s.migrate().await?;
            (s, "PostgreSQL")
        }
        None => (Store::open(&format!("sqlite://{}", dir.join("madoguchi.db").display())).await?, "SQLite"),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let creds: Credentials = demo::seed(&store, &base).await?;
    let sent = Arc::new(AtomicU64::new(0));
    let settings = Settings {
        data_dir: PathBuf::from(dir),
        public_url: Some(base.clone()),
        twilio_api_base: rest_api(sent.clone()).await?,
        ..Settings::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(store.clone(), settings)?;
    let server = tokio::spawn(madoguchi_server::launch(listener, state, async {
        let _ = rx.await;
    }));

    // The gift shop open round the clock, and its agents at work.
    let http = reqwest::Client::new();
    let token = |login: &str| creds.users.iter().find(|u| u.login == login).map(|u| u.api_token.clone());
    let admin = token("admin").context("demo admin")?;
    let day = json!([{ "open": "00:00", "close": "24:00" }]);
    let hours = json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day, "closed_on_national_holidays": false });
    let r = http
        .patch(format!("{base}/api/v1/merchants/hanamaru-gift"))
        .bearer_auth(&admin)
        .json(&json!({ "business_hours": hours, "closed_days": [] }))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "opening the shop: {}", r.status());
    let mut at_work = 0;
    for u in creds.users.iter().filter(|u| matches!(u.role.as_str(), "agent" | "supervisor")) {
        let r = http
            .put(format!("{base}/api/v1/me/presence"))
            .bearer_auth(&u.api_token)
            .json(&json!({ "presence": "available" }))
            .send()
            .await?;
        at_work += usize::from(r.status().is_success());
    }

    let number = creds.phone_numbers.iter().find(|n| n.merchant == "hanamaru-gift").context("the demo number")?;
    let provider = Arc::new(Provider { http: reqwest::Client::new(), number: number.clone() });
    let lat = Arc::new(Mutex::new(Latencies::default()));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for n in 0..opts.calls {
        let (p, lat, waits) = (provider.clone(), lat.clone(), opts.waits);
        let delay = Duration::from_secs_f64(opts.arrive_over * n as f64 / opts.calls.max(1) as f64);
        set.spawn(async move {
            tokio::time::sleep(delay).await;
            one_call(&p, n, waits, &lat).await
        });
    }
    let mut failed = 0;
    while let Some(r) = set.join_next().await {
        if let Err(e) | Ok(Err(e)) = r.map_err(anyhow::Error::from) {
            failed += 1;
            tracing::warn!(error = %e, "a simulated call failed");
        }
    }
    let wall = started.elapsed();
    // What the desk made of them.
    let sv = token("sv.tanaka").context("demo supervisor")?;
    let board: serde_json::Value =
        http.get(format!("{base}/api/v1/merchants/hanamaru-gift/board")).bearer_auth(&sv).send().await?.json().await?;
    let _ = tx.send(());
    let _ = server.await;
    if opts.postgres.is_some() {
        store.drop_schema_for_tests(&schema).await?;
    }
    store.close().await;

    let calls = &board["calls"];
    let mut r = String::new();
    let build = if cfg!(debug_assertions) { "debug" } else { "release" };
    writeln!(r, "## Voice webhooks under load ({backend}, {build} build)\n")?;
    writeln!(
        r,
        "{} calls to one number arriving {}, each: the menu, a key, {} fetches of the wait music, the hang-up; {at_work} agents at work, rung through a stand-in for Twilio's REST API. {:.1} s in all, {failed} calls failed.\n",
        opts.calls,
        if opts.arrive_over > 0.0 { format!("over {} s", opts.arrive_over) } else { "at the same instant".to_owned() },
        opts.waits,
        wall.as_secs_f64()
    )?;
    writeln!(
        r,
        "| webhook | requests | p50 ms | p95 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    )?;
    let mut all = Vec::new();
    let lat = lat.lock().map_err(|_| anyhow::anyhow!("latencies poisoned"))?;
    for (kind, d) in &lat.by_kind {
        let mut d = d.clone();
        d.sort();
        let max = d.last().copied().unwrap_or_default();
        writeln!(
            r,
            "| {kind} | {} | {} | {} | {} | {} |",
            d.len(),
            ms(percentile(&d, 0.5)),
            ms(percentile(&d, 0.95)),
            ms(percentile(&d, 0.99)),
            ms(max)
        )?;
        all.extend(d);
    }
    all.sort();
    writeln!(
        r,
        "| **all** | {} | {} | {} | {} | {} |\n",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.95)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default())
    )?;
    writeln!(
        r,
        "The board afterwards: {} offered, {} abandoned and {} short abandons (hung up within 5 s, as these callers do), {} agents still on a call; the desk sent {} commands to the provider (rings, ring stops).",
        calls["offered"],
        calls["abandoned"],
        calls["short_abandoned"],
        calls["on_call"],
        sent.load(Ordering::Relaxed)
    )?;
    Ok(r)
}
