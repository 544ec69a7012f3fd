//! Stored files: attachments, scanned FAX and postcard images, raw mail. They live in the
//! database, in the same transaction as the message that refers to them, so a message that is
//! acknowledged never points at a file that was lost.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::Attachment;
use madoguchi_core::ids::MerchantId;
use madoguchi_core::time::now;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Result, Store, StoreError, Tx, on_db, on_pool};

#[derive(Debug, Clone)]
pub struct NewBlob {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Blob {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub data: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    lower_hex(&Sha256::digest(data))
}

/// Bytes (a digest) as lower-case hex.
pub fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|x| format!("{x:02x}")).collect()
}

/// Stores a file inside the caller's transaction and returns the attachment that refers to it.
/// Stores a file that arrives with its message (an inbound attachment, a raw mail): attached
/// from the start.
pub(crate) async fn put(tx: &mut Tx, merchant: MerchantId, b: &NewBlob) -> Result<Attachment> {
    insert(tx, merchant, b, Some(now())).await
}

async fn insert(
    tx: &mut Tx,
    merchant: MerchantId,
    b: &NewBlob,
    attached_at: Option<DateTime<Utc>>,
) -> Result<Attachment> {
    let id = Uuid::now_v7();
    let digest = sha256_hex(&b.data);
    let size = i64::try_from(b.data.len()).unwrap_or(i64::MAX);
    on_db!(tx, c => sqlx::query(
        "INSERT INTO blobs (id, merchant_id, filename, content_type, size, sha256, data, created_at, attached_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(merchant.0)
    .bind(&b.filename)
    .bind(&b.content_type)
    .bind(size)
    .bind(&digest)
    .bind(&b.data)
    .bind(now())
    .bind(attached_at)
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(Attachment {
        filename: b.filename.clone(),
        content_type: b.content_type.clone(),
        size,
        storage_key: Some(id.to_string()),
    })
}

impl Store {
    /// Stores an uploaded file (a scan to attach to a typed-in contact). It is kept once a
    /// message refers to it; until then [`Store::prune_unattached_blobs`] may remove it.
    pub async fn put_blob(&self, scope: &Scope, merchant: MerchantId, b: &NewBlob) -> Result<Attachment> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let a = insert(&mut tx, merchant, b, None).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Removes uploaded files that no message has referred to since before `uploaded_before`.
    pub async fn prune_unattached_blobs(&self, uploaded_before: DateTime<Utc>) -> Result<u64> {
        let n = on_pool!(self, p => sqlx::query("DELETE FROM blobs WHERE attached_at IS NULL AND created_at < $1")
            .bind(uploaded_before)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    pub async fn get_blob(&self, scope: &Scope, id: Uuid) -> Result<Blob> {
        let row: Option<Blob> =
            on_pool!(self, p => sqlx::query_as("SELECT * FROM blobs WHERE id = $1").bind(id).fetch_optional(p).await)?;
        row.filter(|b| scope.allows(MerchantId(b.merchant_id))).ok_or(StoreError::NotFound)
    }
}
