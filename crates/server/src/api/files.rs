//! Stored files: staff upload a scanned FAX or postcard (or a photo a customer handed over) and
//! attach it, by its `storage_key`, to the message they type in; anyone who may see the
//! merchant may download its files.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use madoguchi_core::conversation::Attachment;
use madoguchi_store::blobs::NewBlob;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBytes, ApiQuery, Json, created};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as it should be shown (`FAX_20261123.pdf`).
    pub filename: String,
}

/// Stores a file of the merchant. The body is the file itself; its type is read from its first
/// bytes: PNG, JPEG, GIF, WebP, TIFF or PDF.
#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/files", tag = "files",
    params(("merchant" = String, Path, description = "id or slug"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 404, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn upload_file(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    ApiBytes(body): ApiBytes,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    let scope = p.scope();
    let merchant = st.store.resolve_merchant(&scope, &merchant).await?;
    if body.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "empty_file", "the file is empty"));
    }
    let content_type = madoguchi_channels::files::sniff(&body).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsupported_file_type",
            "only PNG, JPEG, GIF, WebP, TIFF and PDF files can be stored",
        )
    })?;
    let blob = NewBlob {
        filename: madoguchi_channels::files::clean_filename(&q.filename, "file"),
        content_type: content_type.to_owned(),
        data: body.to_vec(),
    };
    Ok(created(st.store.put_blob(&scope, merchant, &blob).await?))
}

/// A stored file of a merchant the caller works for.
#[utoipa::path(get, path = "/api/v1/files/{file}", tag = "files", params(("file" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn download_file(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    let id = uuid::Uuid::parse_str(&file).map_err(|_| ApiError::not_found())?;
    let blob = st.store.get_blob(&p.scope(), id).await?;
    Ok(crate::files::download(blob))
}
