//! The console and the web chat in a real headless Chromium, driven by the scripts in `e2e/`
//! (playwright-core: the Japanese walk, the console, the web chat, the live desk, the admin's
//! settings, a call)
//! against `madoguchi demo`. Chromium, the IPA fonts and the npm package are installed by
//! `scripts/test`; when one is missing this test fails and says so — it never skips.

mod common;

use common::{spawn, wait_for_credentials};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("../.."))
}

#[test]
fn console_in_a_real_browser() -> anyhow::Result<()> {
    let root = repo_root();
    let chromium = std::env::var("MADOGUCHI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    anyhow::ensure!(
        Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: run scripts/test, which installs it"
    );
    let driver = root.join("e2e/node_modules/playwright-core");
    anyhow::ensure!(driver.exists(), "{} is missing: run scripts/test (npm ci in e2e/)", driver.display());

    let dir = tempfile::tempdir()?;
    // The call walk plays Twilio's REST API on this port; the desk's browser phone is set up
    // with an API key of the demo's account (a stand-in of the SDK checks the token it mints).
    let twilio_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port().to_string();
    let twilio_api = format!("http://127.0.0.1:{twilio_port}");
    // A short presence timeout, so that a closed tab goes offline within the test.
    let _server = spawn(
        dir.path(),
        &["demo"],
        &[
            ("MADOGUCHI_PRESENCE_TIMEOUT_SECONDS", "6"),
            ("MADOGUCHI_SWEEP_SECONDS", "1"),
            ("MADOGUCHI_TWILIO_API_BASE", &twilio_api),
            ("MADOGUCHI_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
            ("MADOGUCHI_TWILIO_API_KEY_SID", "SK00000000000000000000000000000000"),
            ("MADOGUCHI_TWILIO_API_KEY_SECRET", "browser-test-api-key-secret"),
        ],
    )?;
    let creds = wait_for_credentials(dir.path(), None)?;
    let shots = root.join("target/screenshots");
    // Screenshots of an earlier run must not pass for this one's.
    let _ = std::fs::remove_dir_all(&shots);
    // The console, then the web chat (a shop's customer and an agent), against one demo server.
    // The Japanese walk goes first: the others type test content (English markup among it) that
    // is the customers' words, not the product's.
    // The admin's settings loop comes late: it changes a demo shop's hours and widget. The call
    // walk goes last: it takes everyone but one agent off the desk.
    for script in
        ["e2e/japanese.mjs", "e2e/console.mjs", "e2e/chat.mjs", "e2e/live_desk.mjs", "e2e/admin.mjs", "e2e/voice.mjs"]
    {
        let out = Command::new("node")
            .arg(root.join(script))
            .env("BASE_URL", creds["base_url"].as_str().unwrap_or_default())
            .env("CREDS", dir.path().join("demo-credentials.json"))
            .env("DATA_DIR", dir.path())
            .env("SHOTS", &shots)
            .env("CHROMIUM", &chromium)
            .env("TWILIO_PORT", &twilio_port)
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{stdout}");
        anyhow::ensure!(out.status.success(), "browser test {script} failed:\n{stdout}\n{stderr}");
    }
    for shot in [
        "login.png",
        "inbox.png",
        "conversation.png",
        "portal.png",
        "conversation-answered.png",
        "inbox-en.png",
        "lockout.png",
        "board.png",
        "wrap-up.png",
        "chat.png",
        "chat-bot.png",
        "help-center.png",
        "typed-in-fax.png",
        "live-conversation.png",
        "inbox-live.png",
        "settings-channels.png",
        "audit.png",
        "chat-nobody.png",
        "phone-ringing.png",
        "call-wrapped-up.png",
        "board-calls.png",
    ] {
        anyhow::ensure!(shots.join(shot).exists(), "screenshot {shot} was not saved");
    }
    Ok(())
}
