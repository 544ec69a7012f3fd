//! The softphone panel's requests from the console (signed-in session, CSRF on changes): what
//! the agent's phone shows now, a token for the browser phone, hold and transfer — the same use
//! cases as `GET /api/v1/me/phone`, `POST /api/v1/me/phone/token` and `POST
//! /api/v1/calls/{id}/hold` and `…/transfer`.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_app::usecases::voice::desk::{self, Phone, PhoneToken};
use serde::Deserialize;

use super::ConsoleUser;
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::Json;

pub async fn show(State(st): State<AppState>, user: ConsoleUser) -> Result<Json<Phone>, ApiError> {
    Ok(Json(desk::phone(&st, &user.principal).await?))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn token(
    State(st): State<AppState>,
    user: ConsoleUser,
    Form(f): Form<CsrfForm>,
) -> Result<Json<PhoneToken>, ApiError> {
    let p = user.checked(&f.csrf)?;
    Ok(Json(desk::phone_token(&st, p).await?))
}

#[derive(Debug, Deserialize)]
pub struct HoldForm {
    csrf: String,
    /// `1` holds, `0` resumes.
    hold: String,
}

pub async fn hold(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(call): Path<String>,
    Form(f): Form<HoldForm>,
) -> Result<StatusCode, ApiError> {
    let p = user.checked(&f.csrf)?;
    desk::hold(&st, p, crate::extract::id(&call)?, f.hold == "1").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct TransferForm {
    csrf: String,
    #[serde(default)]
    queue: String,
    #[serde(default)]
    number: String,
}

pub async fn transfer(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(call): Path<String>,
    Form(f): Form<TransferForm>,
) -> Result<StatusCode, ApiError> {
    use madoguchi_app::usecases::voice::transfer::{self, Target};
    let p = user.checked(&f.csrf)?;
    // A number typed wins over a queue left chosen in the menu.
    let to = match (f.queue.trim(), f.number.trim()) {
        (_, n) if !n.is_empty() => Target::Number(n.to_owned()),
        (q, _) if !q.is_empty() => Target::Queue(q.to_owned()),
        _ => return Err(ApiError::bad_request("invalid_target", "choose a queue or type a number")),
    };
    transfer::blind(&st, p, crate::extract::id(&call)?, to).await?;
    Ok(StatusCode::NO_CONTENT)
}
