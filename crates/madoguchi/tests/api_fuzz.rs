//! A property-based fuzz of the API against its own OpenAPI document: schemathesis (from
//! PyPI, installed by `scripts/test`) generates valid and invalid requests for every operation
//! of `madoguchi demo` and fails on any server error, any status code the document does not
//! list, and any answer whose content type the document does not state. A fixed seed keeps the
//! run short and repeatable; a missing schemathesis fails the test, it never skips.

mod common;

use common::{spawn, wait_for_credentials};
use std::path::{Path, PathBuf};
use std::process::Command;

fn schemathesis() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("MADOGUCHI_SCHEMATHESIS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/schemathesis/bin/schemathesis"),
    };
    anyhow::ensure!(path.exists(), "schemathesis not found at {}: run scripts/test, which installs it", path.display());
    Ok(path)
}

fn token_of(creds: &serde_json::Value, login: &str) -> anyhow::Result<String> {
    creds["users"]
        .as_array()
        .and_then(|us| us.iter().find(|u| u["login"] == login))
        .and_then(|u| u["api_token"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("the demo has no API token for {login}"))
}

#[test]
fn every_answer_of_the_api_is_in_its_openapi_document() -> anyhow::Result<()> {
    let st = schemathesis()?;
    let dir = tempfile::tempdir()?;
    let _server = spawn(dir.path(), &["demo"], &[])?;
    let creds = wait_for_credentials(dir.path(), None)?;
    let base = creds["base_url"].as_str().unwrap_or_default().trim_end_matches('/').to_owned();
    // An administrator reaches every route; a shop's staff member meets the refusals.
    for (login, examples, seed) in [("admin", "10", "1"), ("hanamaru.staff", "5", "2")] {
        let token = token_of(&creds, login)?;
        let out = Command::new(&st)
            .args(["run", &format!("{base}/api/openapi.json")])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance"])
            .args(["--phases", "examples,coverage,fuzzing", "--max-examples", examples, "--seed", seed])
            .args(["--no-shrink", "--workers", "2", "--request-timeout", "30"])
            .env("NO_COLOR", "1")
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .current_dir(dir.path())
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let summary: String =
            stdout.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        println!("schemathesis as {login}:\n{summary}");
        anyhow::ensure!(
            out.status.success(),
            "schemathesis as {login} found answers outside the document:\n{stdout}\n{stderr}"
        );
        // A run that tested nothing would also exit 0.
        anyhow::ensure!(
            stdout.contains("Tested: "),
            "schemathesis as {login} did not report what it tested:\n{stdout}"
        );
    }
    Ok(())
}
