//! The signed-in console user, as an extractor. A page or form handler that takes a
//! [`ConsoleUser`] never sees a request without a live session: such a request is sent to the
//! sign-in page before the handler runs (and before any body is read, because extractors of
//! the request's parts run before the one that reads the body).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::access::Principal;
use madoguchi_store::sessions::Session;

use crate::app::AppState;
use crate::error::ApiError;

pub struct ConsoleUser {
    pub session: Session,
    pub principal: Principal,
}

impl ConsoleUser {
    /// The token this user's forms carry.
    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }

    /// For a state-changing form: the user, once the form's security token matches the
    /// session's (a forged form from another site cannot know it).
    pub fn checked(&self, csrf: &str) -> Result<&Principal, ApiError> {
        if super::same(&self.session.csrf_token, csrf) {
            Ok(&self.principal)
        } else {
            Err(ApiError::forbidden("the form's security token does not match; reload the page"))
        }
    }
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        match super::current_session(st, &jar).await {
            Ok(Some(session)) => Ok(ConsoleUser { principal: super::principal_of(&session.user), session }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}
