//! The `madoguchi` command: parses the command line and calls the server library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use demo::Credentials;
use madoguchi_core::enums::Role;
use madoguchi_server::{AppState, Settings};
use madoguchi_store::Store;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;
use tokio::net::TcpListener;

mod bench;
mod bench_inbox;
mod bench_search;
mod bench_voice;
mod demo;
mod import;
mod simulate;
mod transfer;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "madoguchi", version, about = "Contact centre for Japanese e-commerce shops")]
struct Cli {
    /// Settings file (TOML). `madoguchi config example` prints one with every default.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Run the server with the demo data set (seeded on first start) and print the logins.
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Rebuild the search index from the database. With a server running on the same data
    /// folder, the server is asked to do it.
    Reindex,
    /// Settings helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// User administration.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import history from another helpdesk.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Operation transfer (運用移管): write everything of one merchant — customers, orders,
    /// conversations, files, knowledge base, scripts, policies, settings — as a bundle of JSON
    /// Lines files (docs/transfer.md).
    Export {
        /// Merchant slug or id.
        #[arg(long)]
        merchant: String,
        /// A new or empty folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Restore a bundle written by `madoguchi export` into this instance, all or nothing; the
    /// merchant must not exist here yet.
    ImportBundle {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Knowledge base: import and export articles.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Measure first start and API latency on a throw-away copy of the demo data; prints a
    /// Markdown report.
    Bench {
        /// Requests per measured call.
        #[arg(long, default_value_t = 500)]
        requests: usize,
        /// Requests in flight in the concurrent runs.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Measure on this PostgreSQL server (a schema of its own, dropped afterwards).
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Also write the report to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Measure the inbox at a desk's size: the demo data plus many conversations (1 % open),
    /// every view, filter and sort and the conversation page; prints a Markdown report.
    BenchInbox {
        /// Conversations to generate and import.
        #[arg(long, default_value_t = 1_000_000)]
        conversations: usize,
        /// The share of them still being worked on.
        #[arg(long, default_value_t = 0.01)]
        open_share: f64,
        /// Timed loads per page.
        #[arg(long, default_value_t = 100)]
        requests: usize,
        /// Also write the report to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Keep the data folder here; run again with the same folder to measure the kept
        /// history after a change, without importing it anew.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
    /// Measure Japanese search at scale: generate synthetic messages, import and index them,
    /// time a fixed query mix against SQLite FTS5 (trigram) and a LIKE scan; prints a Markdown
    /// report.
    BenchSearch {
        /// Messages to generate.
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        /// Timed runs per query shape (index and FTS5).
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Timed runs per query shape on the LIKE scan, which reads every row.
        #[arg(long, default_value_t = 10)]
        scan_queries: usize,
        /// Also write the report to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Build the database and index in this (new) folder and keep them, e.g. to profile
        /// `MADOGUCHI_DATA_DIR=FOLDER madoguchi reindex`.
        #[arg(long, value_name = "FOLDER")]
        keep: Option<PathBuf>,
    },
    /// Measure the phone on one node: many simulated calls at once through Twilio's webhooks
    /// (menu, key, queue, hang-up) on a throw-away demo; prints webhook latency as Markdown.
    BenchVoice {
        /// Calls in flight at once.
        #[arg(long, default_value_t = 200)]
        calls: usize,
        /// Wait-music fetches per caller before hanging up.
        #[arg(long, default_value_t = 5)]
        waits: usize,
        /// Seconds over which the calls arrive; 0 sends them all at the same instant.
        #[arg(long, default_value_t = 0.0)]
        arrive_over: f64,
        /// Measure on this PostgreSQL server (a schema of its own, dropped afterwards).
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Also write the report to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Call a demo shop's number without a provider: plays Twilio's webhooks and REST API
    /// against the running `madoguchi demo`, so the call rings in the console (docs/voice.md).
    SimulateCall {
        /// The demo number dialled, e.g. 050-5550-0101.
        #[arg(long)]
        to: String,
        /// The caller's number; a demo customer's shows who calls.
        #[arg(long, default_value = "090-1234-5678")]
        from: String,
        /// Keys for the menus, in turn (`--digits 1 --digits 12345#`).
        #[arg(long)]
        digits: Vec<String>,
        /// Seconds the agent's phone rings before it is picked up.
        #[arg(long, default_value_t = 5)]
        answer_after: u64,
        /// Nobody picks up: each agent's phone rings out.
        #[arg(long)]
        no_answer: bool,
        /// Seconds on the line before the caller hangs up (Ctrl-C hangs up sooner).
        #[arg(long, default_value_t = 60)]
        talk: u64,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented settings file with every default.
    Example,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Conversations with their messages and customers, one JSON object a line (see
    /// docs/search.md). Checked whole first; a second run skips what is there.
    Conversations {
        #[arg(long)]
        merchant: String,
        file: PathBuf,
    },
    /// Orders, their lines and parcels from a shop system's CSV export (UTF-8 or Shift_JIS, one
    /// row an order line), by order number: the same file twice changes nothing. Columns are
    /// found by the merchant's saved mapping or by the usual Japanese headers (docs/orders.md).
    Orders {
        #[arg(long)]
        merchant: String,
        file: PathBuf,
        /// Check every row and report; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Store the orders without bad rows even when other rows are bad.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Import articles from a JSON Lines (.jsonl) or CSV (.csv) file, by external id: the same
    /// file twice changes nothing. A running server makes them searchable by itself.
    Import {
        #[arg(long)]
        merchant: String,
        file: PathBuf,
    },
    /// Export the merchant's articles as JSON Lines or CSV (UTF-8 with BOM, for Excel).
    Export {
        #[arg(long)]
        merchant: String,
        /// `jsonl` or `csv`; by default taken from the file name, else `jsonl`.
        #[arg(long)]
        format: Option<String>,
        /// Standard output when omitted.
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user (e.g. the first admin of an empty install) and print an API token for it.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Merchant slug or id (repeat for several).
        #[arg(long = "merchant")]
        merchants: Vec<String>,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lift the sign-in lock of a login that failed too often (when no administrator can
    /// sign in to do it through the API).
    Unlock {
        #[arg(long)]
        login: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Config { command: ConfigCommand::Example } = cli.command {
        print!("{}", Settings::example());
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref()).context("reading settings")?;
    madoguchi_server::telemetry::init(&settings);
    match cli.command {
        Command::Serve => serve(settings, false).await,
        Command::Demo => serve(settings, true).await,
        Command::SimulateCall { to, from, digits, answer_after, no_answer, talk } => {
            let o = simulate::Options { to, from, digits, answer_after, talk, no_answer };
            simulate::run(&settings.data_dir, o).await
        }
        Command::Reindex => reindex(&settings).await,
        Command::Kb { command } => kb(&settings, command).await,
        Command::Import { command: ImportCommand::Conversations { merchant, file } } => {
            let store = open_store(&settings).await?;
            let m = store
                .resolve_merchant(&madoguchi_core::access::Scope::All, &merchant)
                .await
                .with_context(|| format!("no merchant {merchant}"))?;
            import::conversations(&store, m, &file).await.map(|_| ())
        }
        Command::Import { command: ImportCommand::Orders { merchant, file, dry_run, skip_invalid } } => {
            let store = open_store(&settings).await?;
            let m = store
                .resolve_merchant(&madoguchi_core::access::Scope::All, &merchant)
                .await
                .with_context(|| format!("no merchant {merchant}"))?;
            import::orders(&store, m, &file, dry_run, skip_invalid).await
        }
        Command::Export { merchant, out } => transfer::export(&open_store(&settings).await?, &merchant, &out).await,
        Command::ImportBundle { dir } => transfer::import(&open_store(&settings).await?, &dir).await,
        Command::Migrate => {
            open_store(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User { command: UserCommand::Add { login, role, display_name, merchants, password_stdin } } => {
            add_user(&settings, login, &role, display_name, merchants, password_stdin).await
        }
        Command::User { command: UserCommand::Unlock { login } } => {
            let store = open_store(&settings).await?;
            let login = login.trim().to_lowercase();
            let (user, _) = store.user_for_login(&login).await?.with_context(|| format!("no active user {login}"))?;
            store.unlock_login(None, &user).await?;
            println!("{login} may sign in again");
            Ok(())
        }
        Command::Bench { requests, concurrency, postgres, out } => {
            let report = bench::run(bench::BenchOptions { requests, concurrency, postgres }).await?;
            print!("{report}");
            if let Some(path) = out {
                std::fs::write(&path, &report).with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(())
        }
        Command::BenchVoice { calls, waits, arrive_over, postgres, out } => {
            let opts = bench_voice::VoiceBenchOptions { calls, waits, arrive_over, postgres };
            let report = bench_voice::run(opts).await?;
            print!("{report}");
            if let Some(path) = out {
                std::fs::write(&path, &report).with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(())
        }
        Command::BenchInbox { conversations, open_share, requests, out, keep } => {
            let opts = bench_inbox::InboxBenchOptions { conversations, open_share, requests, keep };
            let report = bench_inbox::run(opts).await?;
            print!("{report}");
            if let Some(path) = out {
                std::fs::write(&path, &report).with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(())
        }
        Command::BenchSearch { messages, queries, scan_queries, out, keep } => {
            let opts = bench_search::SearchBenchOptions { messages, queries, scan_queries, keep };
            let report = bench_search::run(opts).await?;
            print!("{report}");
            if let Some(path) = out {
                std::fs::write(&path, &report).with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(())
        }
        Command::Config { .. } => Ok(()),
    }
}

async fn kb(settings: &Settings, command: KbCommand) -> anyhow::Result<()> {
    use madoguchi_app::kb_files::{self, Format};
    use madoguchi_core::access::Scope;
    let store = open_store(settings).await?;
    match command {
        KbCommand::Import { merchant, file } => {
            let m = store
                .resolve_merchant(&Scope::All, &merchant)
                .await
                .with_context(|| format!("no merchant {merchant}"))?;
            let format = Format::parse(&file.to_string_lossy())
                .ok_or_else(|| anyhow::anyhow!("{}: name the file .jsonl or .csv", file.display()))?;
            let data = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let articles = kb_files::read(format, &data).map_err(|errors| {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("{}: nothing imported\n{}", file.display(), lines.join("\n"))
            })?;
            let done = store.import_articles(&Scope::All, None, m, &articles).await?;
            let s = madoguchi_server::api::kb::summary(&done);
            println!(
                "{} articles: {} created, {} updated, {} unchanged",
                done.len(),
                s.created,
                s.updated,
                s.unchanged
            );
        }
        KbCommand::Export { merchant, format, file } => {
            let m = store
                .resolve_merchant(&Scope::All, &merchant)
                .await
                .with_context(|| format!("no merchant {merchant}"))?;
            let name = format.or_else(|| file.as_ref().map(|f| f.to_string_lossy().into_owned())).unwrap_or_default();
            let format = Format::parse(&name).unwrap_or(Format::Jsonl);
            let data = kb_files::write(format, &store.list_articles(&Scope::All, m, None, false).await?);
            match file {
                Some(f) => std::fs::write(&f, data).with_context(|| format!("writing {}", f.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&data)?;
                }
            }
        }
    }
    Ok(())
}

async fn reindex(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let dir = settings.data_dir.join("search");
    match madoguchi_search::SearchIndex::recreate_unless_busy(&dir) {
        Ok(index) => {
            let started = Instant::now();
            let n = madoguchi_app::search::rebuild(&store, &index).await?;
            println!("search index rebuilt: {n} documents in {:.1} s", started.elapsed().as_secs_f64());
        }
        Err(madoguchi_search::SearchError::Busy) => {
            store.request_search_rebuild().await?;
            println!("a server holds the search index; it has been asked to rebuild it from the database");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating the data folder {}", settings.data_dir.display()))?;
    let url = settings.database_url();
    Store::open(&url)
        .await
        .with_context(|| format!("opening the database {}", madoguchi_app::settings::redact_url(&url)))
}

async fn serve(mut settings: Settings, demo_data: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = open_store(&settings).await?;
    let listener = TcpListener::bind(settings.bind).await.with_context(|| format!("listening on {}", settings.bind))?;
    let addr = listener.local_addr()?;
    // With port 0 the port is only known now; links in mail (invitations) need the real one.
    settings.bind = addr;
    let base_url = format!("http://{addr}");
    tracing::info!(%addr, database = store_kind(&store), "listening");

    if demo_data {
        // The demo's numbers are nobody's at a real provider: unless a Twilio API was set, the
        // desk's commands go where `madoguchi simulate-call` plays it.
        let simulator = if settings.twilio_api_base == Settings::default().twilio_api_base {
            let port = std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
            settings.twilio_api_base = format!("http://127.0.0.1:{port}");
            Some(settings.twilio_api_base.clone())
        } else {
            None
        };
        let creds = if store.count_users().await? == 0 {
            tracing::info!("empty install: seeding the demo data set");
            let bulk = Store::open_for_bulk_load(&settings.database_url()).await?;
            let mut c = demo::seed(&bulk, &base_url).await?;
            bulk.close().await;
            c.phone_simulator = simulator;
            c.write(&settings.data_dir)?;
            Some(c)
        } else {
            match Credentials::read(&settings.data_dir)? {
                Some(mut c) => {
                    c.rebase(&base_url);
                    c.phone_simulator = simulator;
                    c.write(&settings.data_dir)?;
                    Some(c)
                }
                None => {
                    tracing::warn!("this data folder has users but no demo credentials; not seeding");
                    None
                }
            }
        };
        if let Some(c) = creds {
            print_logins(&c, &settings);
        }
    } else if store.count_users().await? == 0 {
        tracing::warn!("no users yet: create the first admin with `madoguchi user add --login admin`");
    }
    tracing::info!(ms = started.elapsed().as_millis() as u64, "ready");
    let state = AppState::new(store.clone(), settings)?;
    madoguchi_server::launch(listener, state, shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

fn store_kind(store: &Store) -> &'static str {
    match store.dialect() {
        madoguchi_store::Dialect::Sqlite => "sqlite",
        madoguchi_store::Dialect::Postgres => "postgres",
    }
}

fn print_logins(c: &Credentials, settings: &Settings) {
    println!();
    println!("  窓口 Madoguchi demo is running: {}", c.base_url);
    println!("  API reference: {}/api/openapi.json", c.base_url);
    println!();
    for m in &c.merchants {
        println!("  shop  {:<16} {}", m.slug, m.name);
        if let Some(w) = c.chat_widgets.iter().find(|w| w.merchant == m.slug) {
            let bot = if w.bot { "  (the bot answers first / ボットが一次対応)" } else { "" };
            println!("        web chat demo page: {}{bot}", w.demo_page);
        }
        if let Some(i) = c.email_inboxes.iter().find(|i| i.merchant == m.slug && !i.form_url.is_empty()) {
            println!("        contact form:       {}", i.form_url);
        }
        if let Some(h) = c.help_centers.iter().find(|h| h.merchant == m.slug) {
            println!("        help center:        {}", h.url);
        }
    }
    println!();
    for u in &c.users {
        println!("  {:<16} {:<15} password {}", u.login, u.role.as_str(), u.password);
    }
    println!();
    if let Some(n) = c.phone_numbers.first().filter(|_| c.phone_simulator.is_some()) {
        let shown = madoguchi_core::voice::caller::Caller::parse(&n.number).shown_ja();
        println!("  A call without a provider (sign in as an agent and start work first):");
        println!("    madoguchi simulate-call --to {shown} --digits 3");
        println!();
    }
    println!("  Logins and API tokens: {}", settings.data_dir.join(demo::CREDENTIALS_FILE).display());
    println!();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

async fn add_user(
    settings: &Settings,
    login: String,
    role: &str,
    display_name: Option<String>,
    merchants: Vec<String>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    use madoguchi_core::user;
    let role: Role = role.parse().map_err(|_| {
        anyhow::anyhow!("unknown role {role:?}: admin, supervisor, agent, merchant_admin or merchant_staff")
    })?;
    let login = user::validate_login(&login)?;
    let store = open_store(settings).await?;
    let mut ids = Vec::new();
    for m in &merchants {
        ids.push(
            store
                .resolve_merchant(&madoguchi_core::access::Scope::All, m)
                .await
                .with_context(|| format!("no merchant {m:?}"))?,
        );
    }
    user::validate_memberships(role, &ids)?;
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        let (secret, _) = madoguchi_server::auth::new_token();
        (secret.trim_start_matches(madoguchi_server::auth::TOKEN_PREFIX)[..20].to_owned(), true)
    };
    user::validate_password(&password)?;
    let display_name = user::validate_display_name(display_name.as_deref().unwrap_or(&login))?;
    let u = store
        .create_user(
            None,
            madoguchi_store::users::NewUserRecord {
                public_name: String::new(),
                login: login.clone(),
                display_name,
                role,
                password_hash: madoguchi_server::auth::hash_password(password.clone()).await?,
                email: None,
                merchants: ids,
            },
        )
        .await?;
    let (token, hash) = madoguchi_server::auth::new_token();
    store.create_token(u.id, u.id, "cli", &hash).await?;
    println!("created {} ({}) {}", u.login, u.role.as_str(), u.id);
    if generated {
        println!("password: {password}");
    }
    println!("api token: {token}");
    store.close().await;
    Ok(())
}
