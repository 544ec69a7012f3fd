//! Compiles the IPADIC dictionary for vibrato at build time, offline.
//!
//! The raw IPADIC sources (mecab-ipadic-2.7.0-20070801) come from the `lindera-ipadic` 0.20
//! crate package, a build dependency fetched from crates.io like any other; `cargo metadata`
//! says where it is unpacked. The CSV lexicon is EUC-JP and is converted to UTF-8. The compiled
//! dictionary goes to `OUT_DIR/ipadic.dic` and is embedded in the binary. If anything fails the
//! file is left empty and a warning printed: search then runs on n-grams alone and says so once.

use std::io::Read;
use std::path::{Path, PathBuf};

const ARCHIVE: &str = "resources/mecab-ipadic-2.7.0-20070801.tar.gz";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let target = out.join("ipadic.dic");
    if target.metadata().map(|m| m.len() > 0).unwrap_or(false) {
        return;
    }
    match build(&target) {
        Ok(()) => {}
        Err(e) => {
            println!("cargo:warning=IPADIC dictionary not built ({e}); search will use n-grams only");
            std::fs::write(&target, b"").expect("write an empty dictionary marker");
        }
    }
}

const PACKAGE: &str = "lindera-ipadic-0.20.0";

/// Where cargo unpacked the `lindera-ipadic` package. A build dependency is unpacked under
/// `$CARGO_HOME/registry/src/<registry>/` before this script runs; a vendored or otherwise
/// placed copy is found through `cargo metadata`. `cargo metadata` alone is not enough: it
/// resolves the whole workspace, dev-dependencies included, and fails offline when a plain
/// `cargo build` has not downloaded those.
fn ipadic_package() -> Result<PathBuf, String> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(src) = cargo_home.map(|h| h.join("registry").join("src"))
        && let Ok(registries) = std::fs::read_dir(&src)
    {
        for registry in registries.flatten() {
            let dir = registry.path().join(PACKAGE);
            if dir.join(ARCHIVE).is_file() {
                return Ok(dir);
            }
        }
    }
    ipadic_package_from_metadata()
}

fn ipadic_package_from_metadata() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
    // Only this platform's packages: the others (Windows terminal crates, say) are never
    // downloaded, and an offline resolution of all platforms would fail on them.
    let target = std::env::var("TARGET").map_err(|e| e.to_string())?;
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &target])
        .current_dir(&manifest_dir)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let pkg = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "lindera-ipadic" && p["version"] == "0.20.0"))
        .ok_or("lindera-ipadic 0.20.0 is not in the dependency graph")?;
    let manifest = pkg["manifest_path"].as_str().ok_or("no manifest path")?;
    Ok(Path::new(manifest).parent().ok_or("no package dir")?.to_owned())
}

fn build(target: &Path) -> Result<(), String> {
    let archive = ipadic_package()?.join(ARCHIVE);
    println!("cargo:rerun-if-changed={}", archive.display());
    let file = std::fs::File::open(&archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let (mut lexicon, mut matrix, mut char_def, mut unk_def) = (String::new(), Vec::new(), Vec::new(), Vec::new());
    for entry in tar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let name = entry.path().map_err(|e| e.to_string())?.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name else { continue };
        let wanted = name.ends_with(".csv") || matches!(name.as_str(), "matrix.def" | "char.def" | "unk.def");
        if !wanted {
            continue;
        }
        let mut raw = Vec::new();
        entry.read_to_end(&mut raw).map_err(|e| e.to_string())?;
        // The IPADIC sources are EUC-JP.
        let (text, _, bad) = encoding_rs::EUC_JP.decode(&raw);
        if bad {
            return Err(format!("{name} is not EUC-JP"));
        }
        match name.as_str() {
            "matrix.def" => matrix = text.into_owned().into_bytes(),
            "char.def" => char_def = text.into_owned().into_bytes(),
            "unk.def" => unk_def = text.into_owned().into_bytes(),
            _ => {
                lexicon.push_str(&text);
                if !lexicon.ends_with('\n') {
                    lexicon.push('\n');
                }
            }
        }
    }
    if lexicon.is_empty() || matrix.is_empty() || char_def.is_empty() || unk_def.is_empty() {
        return Err("the archive lacks a lexicon, matrix.def, char.def or unk.def".into());
    }
    let dict = vibrato::SystemDictionaryBuilder::from_readers(
        lexicon.as_bytes(),
        matrix.as_slice(),
        char_def.as_slice(),
        unk_def.as_slice(),
    )
    .map_err(|e| e.to_string())?;
    let tmp = target.with_extension("tmp");
    let f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
    dict.write(std::io::BufWriter::new(f)).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, target).map_err(|e| e.to_string())
}
