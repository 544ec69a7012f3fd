//! Running the `madoguchi` binary from tests.

#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

/// A running `madoguchi` process, killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<Running> {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("MADOGUCHI_DATA_DIR", data_dir)
        .env("MADOGUCHI_BIND", "127.0.0.1:0")
        .env("MADOGUCHI_LOG", "warn")
        .env_remove("MADOGUCHI_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Ok(Running(cmd.spawn()?))
}

/// Waits for the demo's credentials file with a base URL other than `previous`.
pub fn wait_for_credentials(data_dir: &Path, previous: Option<&str>) -> anyhow::Result<Value> {
    let path = data_dir.join("demo-credentials.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
            && v["base_url"].as_str() != previous
        {
            return Ok(v);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    anyhow::bail!("no demo-credentials.json after 60 s")
}
