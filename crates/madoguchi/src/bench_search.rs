//! `madoguchi bench-search`: Japanese search at scale. Generates N synthetic messages of a
//! Japanese shop's support desk (default one million), takes them in through the history
//! import, builds the search index from the database, and times a fixed mix of queries — one
//! and two characters, inflected words, phrases, order numbers; newest 20 and by relevance —
//! on Madoguchi's index, on SQLite FTS5 with the trigram tokenizer and on a plain LIKE scan of
//! the same rows. Ends with how soon a new message is found. Writes a Markdown report.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::enums::{AuthorKind, Direction};
use madoguchi_core::ids::MerchantId;
use madoguchi_core::merchant::NewMerchant;
use madoguchi_search::{DocKind, SearchIndex, SearchRequest, SortOrder};
use madoguchi_store::Store;
use madoguchi_store::conversations::MessageRecord;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub struct SearchBenchOptions {
    pub messages: usize,
    /// Timed runs per query shape on the index and FTS5.
    pub queries: usize,
    /// Timed runs per query shape that read every row (the LIKE scan, FTS5 under three
    /// characters).
    pub scan_queries: usize,
    /// Build in this folder and leave it there: a data folder `madoguchi reindex` and a
    /// profiler can run on. Otherwise a temporary folder, removed at the end.
    pub keep: Option<std::path::PathBuf>,
}

/// Messages per generated conversation: question, answer, follow-up, closing answer.
const PER_CONVERSATION: usize = 4;
const RESULTS: usize = 20;

const PRODUCTS: [&str; 24] = [
    "国産はちみつ",
    "有機野菜セット",
    "今治タオル",
    "ステンレスボトル",
    "革の名刺入れ",
    "和紙のレターセット",
    "抹茶ロールケーキ",
    "ワイヤレスイヤホン",
    "コットンのパジャマ",
    "ダウンジャケット",
    "土鍋",
    "北海道産チーズ",
    "ハンドクリーム",
    "子ども用リュック",
    "折りたたみ傘",
    "コーヒー豆ギフト",
    "琉球ガラスのグラス",
    "ベビー用おくるみ",
    "ノートパソコンケース",
    "信州りんごジュース",
    "羽毛布団",
    "ランニングシューズ",
    "カシミヤマフラー",
    "南部鉄器の急須",
];
const NAMES: [&str; 12] =
    ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田"];
const COLOURS: [&str; 6] = ["ネイビー", "ベージュ", "グレー", "赤", "白", "黒"];
const SIZES: [&str; 5] = ["S", "M", "L", "XL", "フリーサイズ"];
const CARRIERS: [&str; 3] = ["ヤマト運輸", "佐川急便", "日本郵便"];

/// A customer's question, from one of the situations a shop's desk meets every day.
fn question(rng: &mut ChaCha8Rng, order: &str) -> (String, String) {
    let p = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
    let day = format!("{}月{}日", rng.random_range(1..=12), rng.random_range(1..=28));
    let carrier = CARRIERS[rng.random_range(0..CARRIERS.len())];
    let colour = COLOURS[rng.random_range(0..COLOURS.len())];
    let size = SIZES[rng.random_range(0..SIZES.len())];
    match rng.random_range(0..14) {
        0 => (
            "配送について".into(),
            format!("{day}に{p}を注文したのですが、まだ届きません。注文番号は{order}です。いつ頃届きますか？"),
        ),
        1 => (
            "商品の破損".into(),
            format!("届いた{p}の箱が潰れていて、中の商品にも傷がありました。交換していただけますか。"),
        ),
        2 => (
            "注文内容の変更".into(),
            format!("注文番号{order}の{p}ですが、色を{colour}に、サイズを{size}に変更したいです。"),
        ),
        3 => (
            "キャンセル".into(),
            format!("{order}の注文をキャンセルしたいです。まだ発送されていなければお願いします。"),
        ),
        4 => {
            ("返品の相談".into(), format!("{p}が思っていた色と違いました。返品の手続きを教えてください。未開封です。"))
        }
        5 => (
            "領収書".into(),
            format!(
                "注文番号{order}の領収書を発行していただけますか。宛名は株式会社{}商事でお願いします。",
                NAMES[rng.random_range(0..NAMES.len())]
            ),
        ),
        6 => ("ポイント".into(), "先日の買い物のポイントが反映されていないようです。確認をお願いします。".into()),
        7 => ("お届け日の変更".into(), format!("配送日を{day}に変更できますか？その日は午前中なら家にいます。")),
        8 => ("荷物の追跡".into(), format!("{carrier}の追跡番号で調べても荷物が見つかりません。{order}の件です。")),
        9 => (
            "ギフト".into(),
            format!("{p}をプレゼントにしたいのですが、ギフト用のラッピングとのしはお願いできますか？"),
        ),
        10 => ("クーポン".into(), "メールで届いたクーポンコードが使えませんでした。期限内のはずです。".into()),
        11 => ("定期便".into(), format!("{p}の定期便を解約したいです。次回のお届けは止められますか。")),
        12 => ("在庫".into(), format!("{p}の{colour}はいつ再入荷しますか？在庫切れになっていました。")),
        _ => ("支払い".into(), format!("コンビニ払いの期限が過ぎてしまいました。{order}はどうなりますか？")),
    }
}

fn answer(rng: &mut ChaCha8Rng, order: &str) -> String {
    let name = NAMES[rng.random_range(0..NAMES.len())];
    let day = format!("{}月{}日", rng.random_range(1..=12), rng.random_range(1..=28));
    match rng.random_range(0..6) {
        0 => format!(
            "お問い合わせありがとうございます。ご注文{order}は{day}に発送済みです。追跡番号をメールでお送りしました。担当：{name}"
        ),
        1 => format!(
            "ご迷惑をおかけし大変申し訳ございません。交換品を手配いたします。お手元の商品は着払いでご返送ください。担当：{name}"
        ),
        2 => format!(
            "承知いたしました。ご注文{order}の内容を変更いたしました。変更後の確認メールをお送りしております。担当：{name}"
        ),
        3 => format!(
            "ご連絡ありがとうございます。確認のうえ、{day}までにご返信いたします。今しばらくお待ちください。担当：{name}"
        ),
        4 => format!(
            "返品は商品到着後8日以内に承っております。返品用の伝票をお送りしますので、同梱してください。担当：{name}"
        ),
        _ => format!("ご不便をおかけしております。システムを確認し、ポイントを付与いたしました。担当：{name}"),
    }
}

/// Writes `n` conversations as the history import's JSON Lines; returns an order number in
/// the data for each conversation (the exact lookups of the query mix).
fn generate(path: &Path, conversations: usize) -> anyhow::Result<Vec<String>> {
    use std::io::Write;
    let mut rng = ChaCha8Rng::seed_from_u64(20261130);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let start = Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).single().context("start date")?;
    let span = 730 * 24 * 3600;
    let mut orders = Vec::with_capacity(conversations);
    for i in 0..conversations {
        // Spread over two years, in order of time, as a desk's history grows.
        let t0 = start + chrono::Duration::seconds((i as i64 * span) / conversations as i64);
        let order = format!("HM-{:07}", 1_000_000 + i);
        let (subject, q) = question(&mut rng, &order);
        let at = |mins: i64| (t0 + chrono::Duration::minutes(mins)).to_rfc3339();
        let line = serde_json::json!({
            "external_id": format!("bench-{i}"),
            "channel": if i % 3 == 0 { "chat" } else { "email" },
            "subject": subject,
            "status": "closed",
            "customer": { "name": format!("{} 様", NAMES[i % NAMES.len()]), "email": format!("c{}@example.jp", i % 50_000) },
            "messages": [
                { "direction": "inbound", "body": q, "created_at": at(0) },
                { "direction": "outbound", "body": answer(&mut rng, &order), "created_at": at(30) },
                { "direction": "inbound", "body": format!("ありがとうございます。注文番号{order}の件、よろしくお願いします。"), "created_at": at(60) },
                { "direction": "outbound", "body": answer(&mut rng, &order), "created_at": at(90) },
            ],
        });
        writeln!(out, "{line}")?;
        orders.push(order);
    }
    out.flush()?;
    Ok(orders)
}

/// One shape of query: its name and the texts it cycles through.
struct Shape {
    name: &'static str,
    texts: Vec<String>,
    /// FTS5 trigram needs three characters; shorter queries scan.
    short: bool,
}

fn shapes(orders: &[String]) -> Vec<Shape> {
    let words = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let step = (orders.len() / 97).max(1);
    vec![
        Shape { name: "1 character", texts: words(&["傷", "箱", "色", "券", "袋", "鍋"]), short: true },
        Shape {
            name: "2 characters", texts: words(&["返品", "交換", "在庫", "解約", "領収", "急須"]), short: true
        },
        Shape {
            name: "word (inflected)",
            texts: words(&["届かない", "届きません", "潰れた", "キャンセルしたい", "変更できますか", "使えない"]),
            short: false,
        },
        // Kana typed without converting, as on a phone: found through the readings (and the
        // dictionary form of an inflected word), never by the characters.
        Shape {
            name: "kana (unconverted)",
            texts: words(&["とどかない", "とどきません", "へんぴん", "こうかん", "りょうしゅうしょ", "つかえない"]),
            short: false,
        },
        Shape {
            name: "phrase (2 words)",
            texts: words(&["配送日 変更", "追跡番号 荷物", "ギフト ラッピング", "定期便 解約", "クーポン 期限"]),
            short: false,
        },
        Shape { name: "order number", texts: orders.iter().step_by(step).take(97).cloned().collect(), short: false },
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

struct Timing {
    engine: &'static str,
    shape: &'static str,
    order: &'static str,
    runs: Vec<Duration>,
    /// Results of the first run, as a check that the engines agree on what exists.
    found: usize,
}

impl Timing {
    /// Run `i` took `took` and found `found` (kept from the first run).
    fn record(&mut self, i: usize, took: Duration, found: usize) {
        self.runs.push(took);
        if i == 0 {
            self.found = found;
        }
    }

    fn row(&self) -> String {
        let mut d = self.runs.clone();
        d.sort();
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            self.shape,
            self.order,
            self.engine,
            d.len(),
            self.found,
            ms(percentile(&d, 0.5)),
            ms(percentile(&d, 0.95)),
            ms(percentile(&d, 0.99))
        )
    }
}

pub async fn run(opts: SearchBenchOptions) -> anyhow::Result<String> {
    if let Some(dir) = &opts.keep {
        anyhow::ensure!(!dir.join("madoguchi.db").exists(), "{} already holds a database", dir.display());
        std::fs::create_dir_all(dir)?;
        return bench_in(dir, &opts).await;
    }
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-search-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench_in(&dir, &opts).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench_in(dir: &Path, opts: &SearchBenchOptions) -> anyhow::Result<String> {
    let conversations = opts.messages.div_ceil(PER_CONVERSATION).max(1);
    let messages = conversations * PER_CONVERSATION;
    let db = dir.join("madoguchi.db");
    let url = format!("sqlite://{}", db.display());
    let store = Store::open(&url).await?;
    let merchant = store.create_merchant(None, NewMerchant::named("bench-shop", "ベンチ商店").validate()?).await?;

    eprintln!("generating {messages} messages");
    let file = dir.join("history.jsonl");
    let orders = generate(&file, conversations)?;

    eprintln!("importing");
    let t = Instant::now();
    let imported = crate::import::conversations(&store, merchant.id, &file).await?;
    let import_time = t.elapsed();
    anyhow::ensure!(imported.messages == messages, "imported {} of {messages} messages", imported.messages);
    std::fs::remove_file(&file)?;

    eprintln!("indexing");
    let index_dir = dir.join("search");
    let index = SearchIndex::open(&index_dir)?;
    let t = Instant::now();
    let documents = madoguchi_app::search::rebuild(&store, &index).await?;
    let index_time = t.elapsed();

    eprintln!("building the FTS5 trigram table");
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(&url).await?;
    let t = Instant::now();
    sqlx::query(
        "CREATE VIRTUAL TABLE bench_fts USING fts5(body_text, content='messages', content_rowid='rowid', tokenize='trigram')",
    )
    .execute(&pool)
    .await?;
    sqlx::query("INSERT INTO bench_fts (bench_fts) VALUES ('rebuild')").execute(&pool).await?;
    let fts_time = t.elapsed();

    eprintln!("querying");
    let m = merchant.id;
    let mut timings = Vec::new();
    for shape in shapes(&orders) {
        for (order, sort) in [("newest 20", SortOrder::Newest), ("relevance", SortOrder::Relevance)] {
            timings.push(time_index(&index, m, &shape, order, sort, opts.queries)?);
            // Under three characters FTS5 scans every row: as few runs as the LIKE scan.
            let fts_runs = if shape.short { opts.scan_queries } else { opts.queries };
            timings.push(time_fts(&pool, m, &shape, order, sort == SortOrder::Newest, fts_runs).await?);
            if sort == SortOrder::Newest {
                timings.push(time_like(&pool, m, &shape, opts.scan_queries).await?);
            }
        }
    }
    drop(index);

    eprintln!("measuring how soon a new message is found");
    let freshness = freshness(&store, &index_dir, m).await?;
    pool.close().await;
    store.close().await;

    let mut r = String::new();
    writeln!(
        r,
        "## Japanese search at {messages} messages ({} build)\n",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    )?;
    writeln!(r, "| step | time | throughput |\n| --- | ---: | ---: |")?;
    let rate = |n: usize, d: Duration| format!("{:.0} messages/s", n as f64 / d.as_secs_f64().max(1e-9));
    writeln!(
        r,
        "| history import (`madoguchi import conversations`, SQLite) | {:.1} s | {} |",
        import_time.as_secs_f64(),
        rate(messages, import_time)
    )?;
    writeln!(
        r,
        "| search index rebuilt from the database ({documents} documents: analysis, indexing, commit) | {:.1} s | {}; {:.0} documents/s |",
        index_time.as_secs_f64(),
        rate(messages, index_time),
        documents as f64 / index_time.as_secs_f64().max(1e-9)
    )?;
    writeln!(
        r,
        "| SQLite FTS5 trigram table built | {:.1} s | {} |",
        fts_time.as_secs_f64(),
        rate(messages, fts_time)
    )?;
    let mut f = freshness.clone();
    f.sort();
    writeln!(
        r,
        "| a new message found by search after it is stored ({} samples) | p50 {:.0} ms, max {:.0} ms | |\n",
        f.len(),
        percentile(&f, 0.5).as_secs_f64() * 1000.0,
        f.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    )?;
    writeln!(
        r,
        "| query | order | engine | runs | results | p50 ms | p95 ms | p99 ms |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
    )?;
    for t in &timings {
        writeln!(r, "{}", t.row())?;
    }
    Ok(r)
}

fn time_index(
    index: &SearchIndex,
    merchant: MerchantId,
    shape: &Shape,
    order: &'static str,
    sort: SortOrder,
    runs: usize,
) -> anyhow::Result<Timing> {
    let mut t =
        Timing { engine: "Madoguchi (tantivy)", shape: shape.name, order, runs: Vec::with_capacity(runs), found: 0 };
    for i in 0..runs {
        let text = &shape.texts[i % shape.texts.len()];
        let r = SearchRequest {
            merchants: vec![merchant.to_string()],
            text: text.clone(),
            kinds: vec![DocKind::Message],
            order: sort,
            limit: RESULTS,
            exact: madoguchi_app::search::exact_keys(text),
            include_internal: true,
            ..Default::default()
        };
        let started = Instant::now();
        let hits = index.search(&r)?;
        t.record(i, started.elapsed(), hits.len());
    }
    Ok(t)
}

/// The same query on FTS5's trigram index: a phrase per space-separated part. Parts shorter
/// than three characters cannot use it and become LIKE filters on the table (a scan).
async fn time_fts(
    pool: &sqlx::SqlitePool,
    merchant: MerchantId,
    shape: &Shape,
    order: &'static str,
    newest: bool,
    runs: usize,
) -> anyhow::Result<Timing> {
    let engine = if shape.short { "SQLite FTS5 trigram (scan: under 3 characters)" } else { "SQLite FTS5 trigram" };
    let mut t = Timing { engine, shape: shape.name, order, runs: Vec::with_capacity(runs), found: 0 };
    let sort = if newest { "m.created_at DESC" } else { "bm25(bench_fts)" };
    for i in 0..runs {
        let text = &shape.texts[i % shape.texts.len()];
        let parts: Vec<&str> = text.split_whitespace().collect();
        let (long, short): (Vec<&str>, Vec<&str>) = parts.iter().partition(|p| p.chars().count() >= 3);
        // CROSS JOIN keeps SQLite from scanning the messages and probing the index row by row.
        let mut sql = String::from(
            "SELECT m.id FROM bench_fts f CROSS JOIN messages m ON m.rowid = f.rowid WHERE m.merchant_id = ?",
        );
        if !long.is_empty() {
            sql.push_str(" AND bench_fts MATCH ?");
        }
        for _ in &short {
            sql.push_str(" AND f.body_text LIKE ?");
        }
        let sort = if long.is_empty() { "m.created_at DESC" } else { sort };
        write!(sql, " ORDER BY {sort} LIMIT {RESULTS}")?;
        let mut binds = Vec::new();
        if !long.is_empty() {
            binds.push(long.iter().map(|p| format!("\"{}\"", p.replace('"', "\"\""))).collect::<Vec<_>>().join(" "));
        }
        binds.extend(short.iter().map(|s| format!("%{s}%")));
        let (took, found) = timed_sql(pool, sql, merchant, binds).await?;
        t.record(i, took, found);
    }
    Ok(t)
}

/// Runs one query of the shop's messages; how long it took and how many rows it gave.
async fn timed_sql(
    pool: &sqlx::SqlitePool,
    sql: String,
    merchant: MerchantId,
    binds: Vec<String>,
) -> anyhow::Result<(Duration, usize)> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant.0);
    for b in binds {
        q = q.bind(b);
    }
    let started = Instant::now();
    let rows = q.fetch_all(pool).await?;
    Ok((started.elapsed(), rows.len()))
}

/// The plain scan every helpdesk starts with: `LIKE '%…%'` on the message bodies.
async fn time_like(
    pool: &sqlx::SqlitePool,
    merchant: MerchantId,
    shape: &Shape,
    runs: usize,
) -> anyhow::Result<Timing> {
    let mut t = Timing {
        engine: "SQLite LIKE scan",
        shape: shape.name,
        order: "newest 20",
        runs: Vec::with_capacity(runs),
        found: 0,
    };
    for i in 0..runs {
        let text = &shape.texts[i % shape.texts.len()];
        let parts: Vec<&str> = text.split_whitespace().collect();
        let mut sql = String::from("SELECT id FROM messages WHERE merchant_id = ?");
        for _ in &parts {
            sql.push_str(" AND body_text LIKE ?");
        }
        write!(sql, " ORDER BY created_at DESC LIMIT {RESULTS}")?;
        let (took, found) = timed_sql(pool, sql, merchant, parts.iter().map(|p| format!("%{p}%")).collect()).await?;
        t.record(i, took, found);
    }
    Ok(t)
}

/// Stores new messages the way the desk does and times until the running indexer makes each
/// one findable.
async fn freshness(store: &Store, index_dir: &Path, merchant: MerchantId) -> anyhow::Result<Vec<Duration>> {
    let search = madoguchi_app::search::Search::open(index_dir)?;
    let indexer = tokio::spawn(madoguchi_app::jobs::indexer::run(store.clone(), search.clone()));
    let scope = Scope::Merchants(vec![merchant]);
    let conv = store
        .list_conversations(&scope, &Default::default(), madoguchi_core::page::PageRequest::first(1))
        .await?
        .items
        .first()
        .map(|c| c.id)
        .context("a conversation to write in")?;
    let mut samples = Vec::new();
    for i in 0..20 {
        let word = format!("鮮度確認{i}号");
        let record = MessageRecord {
            channel: None,
            direction: Direction::Inbound,
            internal: false,
            author_kind: AuthorKind::Customer,
            author_user_id: None,
            body_text: format!("{word}の件で追加の質問があります。"),
            body_html: None,
            attachments: vec![],
            provider_message_id: None,
            meta: Default::default(),
            created_at: None,
        };
        let r = SearchRequest {
            merchants: vec![merchant.to_string()],
            text: word,
            limit: 1,
            include_internal: true,
            ..Default::default()
        };
        store.add_message(&scope, None, conv, &record).await?;
        let stored = Instant::now();
        loop {
            if !search.index.search(&r)?.is_empty() {
                samples.push(stored.elapsed());
                break;
            }
            anyhow::ensure!(stored.elapsed() < Duration::from_secs(30), "a new message was not found within 30 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Messages arrive one by one, not in a burst.
        tokio::time::sleep(Duration::from_millis(50 + (i as u64 * 37) % 150)).await;
    }
    indexer.abort();
    Ok(samples)
}
