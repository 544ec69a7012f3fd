//! Operation transfer (運用移管): everything of one merchant written as a bundle — one JSON Lines
//! file per table, attachments as files beside them, a manifest with counts and checksums —
//! and restored into another instance, on either database.
//!
//! The tables and their columns are listed once, in [`TABLES`], in the order a restore must
//! insert them (parents before children). A test compares the list with the migrated schema of
//! both databases, so a column added later cannot be left out of the bundle unnoticed.
//!
//! What stays behind is desk-level or transient: sessions, API tokens, login attempts, agent
//! presence and skills, the send queue and the search feed (the index is rebuilt from the
//! restored rows). Users who worked on the merchant travel without their password hash: on the
//! new instance they exist (so every message keeps its author) but cannot log in until an
//! administrator sets a password.

mod tables;

pub use tables::*;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::MerchantId;
use madoguchi_core::time::now;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use crate::blobs::{lower_hex, sha256_hex};
use crate::merchants::MerchantKey;
use crate::search_feed::FeedKind;
use crate::{Store, StoreError, audit, on_db};

/// Names the bundle format in its manifest; bumped when a file's meaning changes.
pub const FORMAT: &str = "madoguchi-bundle";
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
/// Folder of the bundle holding stored files (attachments, raw mail), named by their SHA-256.
pub const FILES_DIR: &str = "files";

/// `manifest.json`: what the bundle holds, to check before anything is restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub merchant_id: Uuid,
    pub merchant_slug: String,
    pub exported_at: DateTime<Utc>,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub table: String,
    pub file: String,
    pub rows: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RestoreReport {
    pub merchant_id: Uuid,
    pub merchant_slug: String,
    /// table → rows inserted.
    pub rows: BTreeMap<String, u64>,
    /// Users the bundle named that already existed here (kept as they are).
    pub users_kept: u64,
    /// Users created here whose login was taken, with the login they got.
    pub logins_renamed: Vec<(String, String)>,
    /// Users who were administrators where the bundle came from: here an administrator would
    /// see every shop, so they are restored as supervisors (logins as restored).
    pub admins_restored_as_supervisors: Vec<String>,
}

/// The errors of a transfer: the database's, the file system's, or a bundle that is not whole.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The bundle is damaged, of another format, or contradicts itself; nothing was restored.
    #[error("{code}: {message}")]
    Bundle { code: &'static str, message: String },
}

impl From<sqlx::Error> for TransferError {
    fn from(e: sqlx::Error) -> Self {
        TransferError::Store(e.into())
    }
}

fn bundle_error(code: &'static str, message: impl Into<String>) -> TransferError {
    TransferError::Bundle { code, message: message.into() }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::Io { path: path.to_owned(), source }
}

pub type TransferResult<T> = std::result::Result<T, TransferError>;

fn time_json(t: DateTime<Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// Reads column `i` of a row as JSON, by kind. A macro so it expands once per database driver.
macro_rules! column_json {
    ($row:expr, $i:expr, $kind:expr, $files:expr) => {{
        let row = $row;
        let i = $i;
        match $kind {
            Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::String),
            Kind::Uuid | Kind::User => row.try_get::<Option<Uuid>, _>(i)?.map(|u| Value::String(u.to_string())),
            Kind::I32 => row.try_get::<Option<i32>, _>(i)?.map(Value::from),
            Kind::I64 => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
            Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
            Kind::Time => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(time_json),
            Kind::Date => row.try_get::<Option<NaiveDate>, _>(i)?.map(|d| Value::String(d.to_string())),
            Kind::Json => row.try_get::<Option<Json<Value>>, _>(i)?.map(|j| j.0),
            Kind::Bytes => {
                let bytes: Option<Vec<u8>> = row.try_get(i)?;
                match bytes {
                    Some(b) => Some(Value::String($files.put(b.as_slice())?)),
                    None => None,
                }
            }
        }
        .unwrap_or(Value::Null)
    }};
}

/// Binds one JSON value as a column of the given kind. A macro for the same reason.
macro_rules! bind_json {
    ($sep:expr, $kind:expr, $value:expr, $files:expr) => {{
        let v: &Value = $value;
        match $kind {
            Kind::Text => {
                $sep.push_bind(v.as_str().map(str::to_owned));
            }
            Kind::Uuid | Kind::User => {
                $sep.push_bind(opt_uuid(v)?);
            }
            Kind::I32 => {
                $sep.push_bind(v.as_i64().map(i32::try_from).transpose().map_err(|_| bad_value("i32"))?);
            }
            Kind::I64 => {
                $sep.push_bind(v.as_i64());
            }
            Kind::Bool => {
                $sep.push_bind(v.as_bool());
            }
            Kind::Time => {
                $sep.push_bind(opt_time(v)?);
            }
            Kind::Date => {
                $sep.push_bind(opt_date(v)?);
            }
            Kind::Json => {
                $sep.push_bind((!v.is_null()).then(|| Json(v.clone())));
            }
            Kind::Bytes => {
                $sep.push_bind(match v.as_str() {
                    Some(path) => Some($files.get(path)?),
                    None => None,
                });
            }
        }
    }};
}

fn bad_value(kind: &str) -> TransferError {
    bundle_error("bad_value", format!("a value is not a valid {kind}"))
}

fn opt_uuid(v: &Value) -> TransferResult<Option<Uuid>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Uuid::parse_str(s).map(Some).map_err(|_| bad_value("UUID")),
        _ => Err(bad_value("UUID")),
    }
}

fn opt_time(v: &Value) -> TransferResult<Option<DateTime<Utc>>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| bad_value("RFC 3339 instant")),
        _ => Err(bad_value("RFC 3339 instant")),
    }
}

fn opt_date(v: &Value) -> TransferResult<Option<NaiveDate>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => s.parse().map(Some).map_err(|_| bad_value("date")),
        _ => Err(bad_value("date")),
    }
}

/// The bundle's `files/` folder: content-addressed, so a file attached twice is written once.
struct Files {
    dir: PathBuf,
    written: HashSet<String>,
}

impl Files {
    fn put(&mut self, bytes: &[u8]) -> TransferResult<String> {
        let name = sha256_hex(bytes);
        let rel = format!("{FILES_DIR}/{name}");
        if self.written.insert(name.clone()) {
            let path = self.dir.join(FILES_DIR).join(&name);
            std::fs::write(&path, bytes).map_err(io_error(&path))?;
        }
        Ok(rel)
    }

    /// Reads a file named in the bundle, refusing paths outside `files/` and damaged content.
    fn get(&self, rel: &str) -> TransferResult<Vec<u8>> {
        let name = rel
            .strip_prefix(&format!("{FILES_DIR}/"))
            .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bundle_error("bad_file_reference", format!("{rel:?} does not name a bundled file")))?;
        let path = self.dir.join(FILES_DIR).join(name);
        let bytes = std::fs::read(&path).map_err(io_error(&path))?;
        if sha256_hex(&bytes) != name {
            return Err(bundle_error("file_damaged", format!("{rel}: content does not match its name")));
        }
        Ok(bytes)
    }
}

/// A file being written, hashed as it goes.
struct HashedWriter {
    out: BufWriter<File>,
    hash: Sha256,
    path: PathBuf,
}

impl HashedWriter {
    fn create(path: PathBuf) -> TransferResult<Self> {
        let file = File::create(&path).map_err(io_error(&path))?;
        Ok(HashedWriter { out: BufWriter::new(file), hash: Sha256::new(), path })
    }

    fn line(&mut self, row: &Map<String, Value>) -> TransferResult<()> {
        let mut bytes = serde_json::to_vec(row).map_err(|e| bundle_error("encode", e.to_string()))?;
        bytes.push(b'\n');
        self.hash.update(&bytes);
        self.out.write_all(&bytes).map_err(io_error(&self.path))
    }

    fn finish(mut self) -> TransferResult<String> {
        self.out.flush().map_err(io_error(&self.path))?;
        self.out.get_ref().sync_all().map_err(io_error(&self.path))?;
        Ok(lower_hex(&self.hash.finalize()))
    }
}

fn file_sha256(path: &Path) -> TransferResult<String> {
    let mut file = BufReader::new(File::open(path).map_err(io_error(path))?);
    let mut hash = Sha256::new();
    loop {
        let buf = file.fill_buf().map_err(io_error(path))?;
        if buf.is_empty() {
            break;
        }
        hash.update(buf);
        let n = buf.len();
        file.consume(n);
    }
    Ok(lower_hex(&hash.finalize()))
}

/// `WHERE …` selecting the merchant's rows of a table (binds the merchant id).
fn push_rows_condition<DB: sqlx::Database>(qb: &mut QueryBuilder<DB>, table: &Table, merchant: Uuid)
where
    for<'t> Uuid: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match table.rows {
        Rows::Itself => {
            qb.push(" WHERE id = ").push_bind(merchant);
        }
        Rows::Owned => {
            qb.push(" WHERE merchant_id = ").push_bind(merchant);
        }
        Rows::Via { column, parent } => {
            qb.push(format!(" WHERE {column} IN (SELECT id FROM {parent} WHERE merchant_id = "))
                .push_bind(merchant)
                .push(")");
        }
        Rows::Users => {
            qb.push(" WHERE id IN (");
            let mut first = true;
            for t in TABLES {
                for (col, kind) in t.columns() {
                    if kind != Kind::User {
                        continue;
                    }
                    if !first {
                        qb.push(" UNION ");
                    }
                    first = false;
                    qb.push(format!("SELECT {col} FROM {} WHERE merchant_id = ", t.name)).push_bind(merchant);
                }
            }
            qb.push(")");
        }
    }
}

impl Store {
    /// Writes every record of one merchant into `dir` (created; must be empty or new) and returns
    /// the manifest written beside the files.
    pub async fn export_merchant(&self, merchant: MerchantId, dir: &Path) -> TransferResult<Manifest> {
        let m = self.get_merchant(&Scope::All, MerchantKey::Id(merchant)).await?;
        if dir.exists() && std::fs::read_dir(dir).map_err(io_error(dir))?.next().is_some() {
            return Err(bundle_error("not_empty", format!("{} is not empty", dir.display())));
        }
        let files_dir = dir.join(FILES_DIR);
        std::fs::create_dir_all(&files_dir).map_err(io_error(&files_dir))?;
        let mut files = Files { dir: dir.to_owned(), written: HashSet::new() };
        let mut manifest = Manifest {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            merchant_id: merchant.0,
            merchant_slug: m.slug.clone(),
            exported_at: now(),
            files: Vec::with_capacity(TABLES.len()),
        };
        // Every table as of one moment, so a running server's writes cannot split a conversation
        // from its messages.
        let mut snapshot = self.begin_snapshot().await?;
        for table in TABLES {
            let path = dir.join(table.file());
            let mut out = HashedWriter::create(path)?;
            let rows = export_table(&mut snapshot, table, merchant.0, &mut out, &mut files).await?;
            manifest.files.push(ManifestFile {
                table: table.name.to_owned(),
                file: table.file(),
                rows,
                sha256: out.finish()?,
            });
        }
        snapshot.commit().await?;
        let path = dir.join(MANIFEST);
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| bundle_error("encode", e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(io_error(&path))?;
        Ok(manifest)
    }

    /// Restores a bundle written by [`Store::export_merchant`], in one transaction: all of it or,
    /// on any error, nothing. The merchant must not exist here yet.
    pub async fn import_bundle(&self, dir: &Path) -> TransferResult<RestoreReport> {
        let manifest = read_manifest(dir)?;
        let by_id = self.get_merchant(&Scope::All, MerchantKey::Id(MerchantId(manifest.merchant_id))).await;
        let by_slug = self.get_merchant(&Scope::All, MerchantKey::Slug(&manifest.merchant_slug)).await;
        if by_id.is_ok() || by_slug.is_ok() {
            return Err(TransferError::Store(StoreError::conflict(
                "merchant_exists",
                format!("merchant {} already exists on this instance", manifest.merchant_slug),
            )));
        }
        let files = Files { dir: dir.to_owned(), written: HashSet::new() };
        let mut report = RestoreReport {
            merchant_id: manifest.merchant_id,
            merchant_slug: manifest.merchant_slug.clone(),
            ..Default::default()
        };
        // Ids restored per table, for the columns that name a row by its id alone.
        let referenced: HashSet<&str> = TABLES.iter().flat_map(|t| t.all_refs()).map(|r| r.1).collect();
        let mut restored: HashMap<&str, HashSet<Uuid>> = HashMap::new();
        let mut tx = self.begin().await?;
        for table in TABLES {
            let entry = manifest.files.iter().find(|f| f.table == table.name).ok_or_else(|| {
                bundle_error("incomplete", format!("the manifest lists no file for table {}", table.name))
            })?;
            let path = dir.join(&entry.file);
            let reader = BufReader::new(File::open(&path).map_err(io_error(&path))?);
            let columns = table.columns();
            let refs = table.all_refs();
            let keep_ids = referenced.contains(table.name);
            let mut batch: Vec<Map<String, Value>> = Vec::new();
            let mut count = 0u64;
            for (n, line) in reader.lines().enumerate() {
                let line = line.map_err(io_error(&path))?;
                let at = |message: String| bundle_error("bad_row", format!("{}:{}: {message}", entry.file, n + 1));
                let row: Map<String, Value> = serde_json::from_str(&line).map_err(|e| at(e.to_string()))?;
                check_row(table, &columns, &row, manifest.merchant_id).map_err(at)?;
                for (col, parent) in &refs {
                    if let Some(id) = opt_uuid(&row[*col])?
                        && !restored.get(parent).is_some_and(|ids| ids.contains(&id))
                    {
                        return Err(at(format!("{col} {id} names no {parent} row of this bundle")));
                    }
                }
                if keep_ids && let Some(id) = opt_uuid(&row["id"])? {
                    restored.entry(table.name).or_default().insert(id);
                }
                count += 1;
                batch.push(row);
                if batch.len() >= batch_rows(columns.len()) {
                    self.restore_rows(&mut tx, table, &columns, &batch, &files, &mut report).await?;
                    batch.clear();
                }
            }
            self.restore_rows(&mut tx, table, &columns, &batch, &files, &mut report).await?;
            if count != entry.rows {
                return Err(bundle_error(
                    "incomplete",
                    format!("{} holds {count} rows, the manifest says {}", entry.file, entry.rows),
                ));
            }
            report.rows.insert(table.name.to_owned(), count);
        }
        let merchant = MerchantId(manifest.merchant_id);
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(merchant),
                actor_user_id: None,
                action: AuditAction::Create,
                subject_type: SubjectType::Merchant,
                subject_id: merchant.0.to_string(),
                details: serde_json::json!({ "restored_bundle": { "exported_at": manifest.exported_at } }),
            },
        )
        .await?;
        crate::search_feed::enqueue(&mut tx, MerchantId(Uuid::nil()), FeedKind::Rebuild, Uuid::nil()).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn restore_rows(
        &self,
        tx: &mut crate::Tx,
        table: &Table,
        columns: &[(&'static str, Kind)],
        rows: &[Map<String, Value>],
        files: &Files,
        report: &mut RestoreReport,
    ) -> TransferResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        if matches!(table.rows, Rows::Users) {
            for row in rows {
                self.restore_user(tx, row, report).await?;
            }
            return Ok(());
        }
        let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
        let head = format!("INSERT INTO {} ({}) ", table.name, names.join(", "));
        on_db!(tx, c => {
            let mut qb = QueryBuilder::new(head);
            let mut failed = None;
            qb.push_values(rows, |mut sep, row| {
                for (name, kind) in columns {
                    let bound: TransferResult<()> = (|| {
                        bind_json!(sep, *kind, &row[*name], files);
                        Ok(())
                    })();
                    if let Err(e) = bound {
                        failed.get_or_insert(e);
                    }
                }
            });
            if let Some(e) = failed {
                return Err(e);
            }
            qb.build().execute(&mut *c).await.map_err(|e| bundle_error_from_db(table, e))?;
        });
        Ok(())
    }

    /// A user of the bundle: kept if the same user exists here, else created without a
    /// password (locked until an administrator sets one), under another login if it is taken.
    async fn restore_user(
        &self,
        tx: &mut crate::Tx,
        row: &Map<String, Value>,
        report: &mut RestoreReport,
    ) -> TransferResult<()> {
        let id = opt_uuid(&row["id"])?.ok_or_else(|| bad_value("UUID"))?;
        let login = row["login"].as_str().ok_or_else(|| bad_value("login"))?.to_owned();
        let role = row["role"].as_str().unwrap_or_default();
        let Ok(role) = role.parse::<madoguchi_core::enums::Role>() else {
            return Err(bundle_error("bad_row", format!("users.jsonl: user {login}: {role:?} is not a role")));
        };
        let exists: Option<String> = on_db!(tx, c => sqlx::query_scalar("SELECT login FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await)?;
        if exists.is_some() {
            report.users_kept += 1;
            return Ok(());
        }
        let taken: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar("SELECT id FROM users WHERE login = $1")
            .bind(&login)
            .fetch_optional(&mut *c)
            .await)?;
        let new_login = match taken {
            Some(_) => {
                let renamed = format!("{login}.{}", &id.simple().to_string()[24..]);
                report.logins_renamed.push((login.clone(), renamed.clone()));
                renamed
            }
            None => login,
        };
        // A shop's bundle never brings someone who sees every shop of this desk.
        let role = if role == madoguchi_core::enums::Role::Admin {
            report.admins_restored_as_supervisors.push(new_login.clone());
            madoguchi_core::enums::Role::Supervisor
        } else {
            role
        };
        on_db!(tx, c => sqlx::query(
            "INSERT INTO users (id, login, display_name, role, password_hash, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, '', $5, $6, $7)",
        )
        .bind(id)
        .bind(&new_login)
        .bind(row["display_name"].as_str().unwrap_or_default())
        .bind(role.as_str())
        .bind(row["active"].as_bool().unwrap_or(false))
        .bind(opt_time(&row["created_at"])?)
        .bind(opt_time(&row["updated_at"])?)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

/// Writes the merchant's rows of one table as JSON Lines; returns how many.
async fn export_table(
    snapshot: &mut crate::Tx,
    table: &Table,
    merchant: Uuid,
    out: &mut HashedWriter,
    files: &mut Files,
) -> TransferResult<u64> {
    let columns = table.columns();
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let head = format!("SELECT {} FROM {}", names.join(", "), table.name);
    let mut count = 0u64;
    on_db!(snapshot, c => {
        let mut qb = QueryBuilder::new(head);
        push_rows_condition(&mut qb, table, merchant);
        qb.push(format!(" ORDER BY {}", table.order_by));
        let mut rows = qb.build().fetch(&mut *c);
        while let Some(row) = rows.try_next().await? {
            let mut obj = Map::with_capacity(columns.len());
            for (i, (name, kind)) in columns.iter().enumerate() {
                obj.insert((*name).to_owned(), column_json!(&row, i, *kind, files));
            }
            out.line(&obj)?;
            count += 1;
        }
    });
    Ok(count)
}

/// Rows per INSERT, inside both databases' limits on bound parameters.
fn batch_rows(columns: usize) -> usize {
    (30_000 / columns.max(1)).min(500)
}

fn bundle_error_from_db(table: &Table, e: sqlx::Error) -> TransferError {
    match StoreError::from(e) {
        StoreError::Database(inner) => TransferError::Store(StoreError::Database(inner)),
        other => bundle_error("rejected_row", format!("{}: {other}", table.file())),
    }
}

/// A row has exactly the table's columns, and every merchant id in it is the bundle's merchant.
fn check_row(
    table: &Table,
    columns: &[(&'static str, Kind)],
    row: &Map<String, Value>,
    merchant: Uuid,
) -> Result<(), String> {
    if row.len() != columns.len() || columns.iter().any(|(c, _)| !row.contains_key(*c)) {
        let want: Vec<&str> = columns.iter().map(|c| c.0).collect();
        let got: Vec<&str> = row.keys().map(String::as_str).collect();
        return Err(format!("expected the columns {want:?}, found {got:?}"));
    }
    for (name, kind) in columns {
        if !value_fits(*kind, &row[*name]) {
            return Err(format!("{name} is not a valid {kind:?} value: {}", row[*name]));
        }
    }
    let own = match table.rows {
        Rows::Itself => Some("id"),
        Rows::Owned => Some("merchant_id"),
        Rows::Via { .. } | Rows::Users => None,
    };
    if let Some(col) = own
        && row[col].as_str() != Some(merchant.to_string().as_str())
    {
        return Err(format!("{col} is not the bundle's merchant {merchant}"));
    }
    Ok(())
}

/// Whether a JSON value can be stored in a column of this kind (`null` is left to the database's
/// NOT NULL constraints).
fn value_fits(kind: Kind, v: &Value) -> bool {
    match (kind, v) {
        (_, Value::Null) | (Kind::Json, _) => true,
        (Kind::Text, Value::String(_)) => true,
        (Kind::Uuid | Kind::User, v) => opt_uuid(v).is_ok(),
        (Kind::I32, Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        (Kind::I64, Value::Number(n)) => n.as_i64().is_some(),
        (Kind::Bool, Value::Bool(_)) => true,
        (Kind::Time, v) => opt_time(v).is_ok(),
        (Kind::Date, v) => opt_date(v).is_ok(),
        (Kind::Bytes, Value::String(s)) => s.starts_with(FILES_DIR),
        _ => false,
    }
}

/// Reads the manifest and checks every listed file against its checksum before anything is
/// restored, so a truncated copy is refused whole.
pub fn read_manifest(dir: &Path) -> TransferResult<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| bundle_error("bad_manifest", format!("{MANIFEST}: {e}")))?;
    if manifest.format != FORMAT {
        return Err(bundle_error("bad_manifest", format!("{MANIFEST}: not a {FORMAT} ({:?})", manifest.format)));
    }
    if manifest.version != FORMAT_VERSION {
        return Err(bundle_error(
            "unsupported_version",
            format!("bundle format version {} (this instance reads {FORMAT_VERSION})", manifest.version),
        ));
    }
    for f in &manifest.files {
        if !TABLES.iter().any(|t| t.name == f.table && t.file() == f.file) {
            return Err(bundle_error("bad_manifest", format!("{MANIFEST}: unknown file {}", f.file)));
        }
        let path = dir.join(&f.file);
        if file_sha256(&path)? != f.sha256 {
            return Err(bundle_error("file_damaged", format!("{}: checksum does not match the manifest", f.file)));
        }
    }
    Ok(manifest)
}
