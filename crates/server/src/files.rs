//! Files over HTTP, shared by the console, the API and the public pages: a stored file going
//! out as a download, and the fields and files of a multipart form coming in.

use crate::error::ApiError;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use madoguchi_store::blobs::Blob;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Images a browser may show in place, and call recordings (`audio/mpeg`) it plays on the call's
/// card; anything else is offered as a download, so a stored HTML or SVG file can never run in
/// Madoguchi's origin.
const INLINE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "audio/mpeg"];

pub fn download(blob: Blob) -> Response {
    let inline = INLINE_TYPES.contains(&blob.content_type.as_str());
    let content_type = if inline { blob.content_type.as_str() } else { "application/octet-stream" };
    // RFC 6266 with RFC 8187's UTF-8 form, so 請求書.pdf keeps its name; the ASCII fallback is for
    // old clients.
    let ascii: String =
        blob.filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        ascii,
        utf8_percent_encode(&blob.filename, NON_ALPHANUMERIC)
    );
    let mut resp = blob.data.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    resp
}

/// The next field of a multipart form; a broken form is a clear 400.
pub async fn next_field<'a>(
    multipart: &'a mut axum::extract::Multipart,
) -> Result<Option<axum::extract::multipart::Field<'a>>, ApiError> {
    multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request("malformed_form", format!("the form could not be read: {e}")))
}

/// A file input of a multipart form: its file name and bytes, or `None` when it was left empty.
pub async fn uploaded(field: axum::extract::multipart::Field<'_>) -> Result<Option<(String, Vec<u8>)>, ApiError> {
    let filename = field.file_name().unwrap_or_default().to_owned();
    let data = field.bytes().await.map_err(|e| ApiError::bad_request("malformed_form", e.to_string()))?;
    if filename.is_empty() && data.is_empty() {
        return Ok(None);
    }
    Ok(Some((filename, data.to_vec())))
}

/// The largest upload: a multi-page scan at a readable resolution.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
