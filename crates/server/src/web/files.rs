//! Files in the console: a stored file for the signed-in user, and the upload forms' check of
//! who sends them before any file is read.

use crate::error::ApiError;
use crate::files::{download, next_field};
use axum::response::Response;

/// `GET /desk/files/{id}`: a stored file of a merchant the signed-in user works for.
pub async fn desk_file(
    axum::extract::State(st): axum::extract::State<crate::app::AppState>,
    user: super::ConsoleUser,
    axum::extract::Path(id): axum::extract::Path<uuid::Uuid>,
) -> Result<Response, ApiError> {
    let blob = st.store.get_blob(&user.principal.scope(), id).await?;
    Ok(download(blob))
}

/// The signed-in user of a console upload form, checked before any upload in it is read: the
/// session first, then the form's security token, which every such form sends as its first
/// field (its hidden `csrf` input comes first in the page, and browsers send fields in
/// document order). At most a token's length of that field is read. `None`: nobody is signed
/// in (the caller redirects to the sign-in page).
pub(crate) async fn upload_principal(
    st: &crate::app::AppState,
    jar: &axum_extra::extract::CookieJar,
    multipart: &mut axum::extract::Multipart,
) -> Result<Option<super::ConsoleUser>, ApiError> {
    const MAX_TOKEN_BYTES: usize = 256;
    let Some(session) = super::current_session(st, jar).await? else { return Ok(None) };
    let expired = || ApiError::forbidden("the form's security token does not match; reload the page");
    let Some(mut field) = next_field(multipart).await? else { return Err(expired()) };
    if field.name() != Some("csrf") {
        return Err(expired());
    }
    let mut token = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| ApiError::bad_request("malformed_form", e.to_string()))? {
        token.extend_from_slice(&chunk);
        if token.len() > MAX_TOKEN_BYTES {
            return Err(expired());
        }
    }
    if !super::same(&session.csrf_token, &String::from_utf8_lossy(&token)) {
        return Err(expired());
    }
    Ok(Some(super::ConsoleUser { principal: super::principal_of(&session.user), session }))
}
