//! `madoguchi export` and `madoguchi import-bundle`: operation transfer of one merchant.

use std::path::Path;

use anyhow::Context;
use madoguchi_core::access::Scope;
use madoguchi_store::Store;

pub async fn export(store: &Store, merchant: &str, out: &Path) -> anyhow::Result<()> {
    let m = store.resolve_merchant(&Scope::All, merchant).await.with_context(|| format!("no merchant {merchant}"))?;
    let manifest = store.export_merchant(m, out).await.with_context(|| format!("exporting {merchant}"))?;
    for f in &manifest.files {
        println!("{:>10}  {}", f.rows, f.file);
    }
    println!("exported {} to {}", manifest.merchant_slug, out.display());
    Ok(())
}

pub async fn import(store: &Store, dir: &Path) -> anyhow::Result<()> {
    let report = store.import_bundle(dir).await.with_context(|| format!("restoring {}", dir.display()))?;
    for (table, rows) in &report.rows {
        println!("{rows:>10}  {table}");
    }
    if report.users_kept > 0 {
        println!("{} users already here were kept as they are", report.users_kept);
    }
    for (from, to) in &report.logins_renamed {
        println!("login {from} was taken here: the restored user is {to}");
    }
    for login in &report.admins_restored_as_supervisors {
        println!("{login} was an administrator there; here that would mean every shop: restored as a supervisor");
    }
    println!(
        "restored {} ({}); restored users have no password until one is set; \
         the search index is rebuilt by the running server (or at its next start)",
        report.merchant_slug, report.merchant_id
    );
    Ok(())
}
