//! LINE's Messaging API, sending side: the reply API (free, but its token is single-use and
//! short-lived) and the push API (with `X-Line-Retry-Key`, so a resend after a crash is
//! accepted once).

use crate::delivery::DeliveryError;
use crate::line::{PushRequest, ReplyRequest, TextMessage};

#[derive(Clone)]
pub struct LineApi {
    http: reqwest::Client,
    base: String,
}

impl LineApi {
    /// `base` is `https://api.line.me` (a stand-in's address in tests).
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        LineApi { http, base: base.trim_end_matches('/').to_owned() }
    }

    /// Answers with the reply token; `false` when LINE refused it (expired, used), so the
    /// caller pushes instead.
    pub async fn reply(&self, access_token: &str, reply_token: String, messages: Vec<TextMessage>) -> bool {
        let body = ReplyRequest { reply_token, messages };
        let resp = self
            .http
            .post(format!("{}/v2/bot/message/reply", self.base))
            .bearer_auth(access_token)
            .json(&body)
            .send()
            .await;
        match resp {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                tracing::info!(status = %r.status(), "LINE reply refused; pushing instead");
                false
            }
            Err(e) => {
                tracing::info!(error = %e, "LINE reply failed; pushing instead");
                false
            }
        }
    }

    /// Pushes to the user; the same `retry_key` on a resend makes LINE accept it once.
    pub async fn push(
        &self,
        access_token: &str,
        to: String,
        messages: Vec<TextMessage>,
        retry_key: &str,
    ) -> Result<(), DeliveryError> {
        let resp = self
            .http
            .post(format!("{}/v2/bot/message/push", self.base))
            .bearer_auth(access_token)
            .header("X-Line-Retry-Key", retry_key)
            .json(&PushRequest { to, messages })
            .send()
            .await
            .map_err(|e| DeliveryError::retry(format!("LINE push: {e}")))?;
        let status = resp.status();
        // 409: LINE already accepted a push with this retry key (an earlier attempt got through).
        if status.is_success() || status == reqwest::StatusCode::CONFLICT {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        let msg = format!("LINE push: {status} {}", text.chars().take(300).collect::<String>());
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(DeliveryError::retry(msg))
        } else {
            Err(DeliveryError::permanent(msg))
        }
    }
}
