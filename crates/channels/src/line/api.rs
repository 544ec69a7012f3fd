//! LINE's Messaging API as the desk calls it: the reply API (free, but its token is
//! single-use and short-lived), the push API (with `X-Line-Retry-Key`, so a resend after a crash
//! is accepted once), a follower's profile, and the content of an image they sent.

use crate::delivery::DeliveryError;
use crate::line::{Profile, PushRequest, ReplyRequest, TextMessage};

#[derive(Clone)]
pub struct LineApi {
    http: reqwest::Client,
    base: String,
    data_base: String,
}

impl LineApi {
    /// `base` is `https://api.line.me`, `data_base` (message content) `https://api-data.line.me`;
    /// a stand-in's address for both in tests.
    pub fn new(http: reqwest::Client, base: &str, data_base: &str) -> Self {
        LineApi {
            http,
            base: base.trim_end_matches('/').to_owned(),
            data_base: data_base.trim_end_matches('/').to_owned(),
        }
    }

    /// The user's profile (their display name), if LINE gives it.
    pub async fn profile(&self, access_token: &str, user: &str) -> Option<Profile> {
        let url = format!("{}/v2/bot/profile/{}", self.base, user);
        let resp = self.http.get(url).bearer_auth(access_token).send().await.ok()?;
        if !resp.status().is_success() {
            tracing::info!(status = %resp.status(), "LINE profile not available");
            return None;
        }
        resp.json().await.ok()
    }

    /// An image message's content type and bytes, refused past `max_bytes`.
    pub async fn content(
        &self,
        access_token: &str,
        message_id: &str,
        max_bytes: usize,
    ) -> Result<(String, Vec<u8>), String> {
        let url = format!("{}/v2/bot/message/{}/content", self.data_base, message_id);
        let resp = self.http.get(url).bearer_auth(access_token).send().await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("content API answered {}", resp.status()));
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("image/jpeg")
            .to_owned();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        if bytes.len() > max_bytes {
            return Err(format!("image of {} bytes is over the limit", bytes.len()));
        }
        Ok((content_type, bytes.to_vec()))
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
