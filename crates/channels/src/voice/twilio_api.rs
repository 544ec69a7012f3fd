//! Twilio's REST API for moving live calls, as the desk calls it: placing a call to an agent
//! (their browser's `client:` identity, a SIP address or their desk phone's number) and
//! pointing a live call at new TwiML or ending it, and fetching a finished recording. Requests
//! are form-encoded and signed in with the account's SID and Auth Token (HTTP Basic), as
//! Twilio's own libraries send them.

use serde::Deserialize;

use crate::delivery::DeliveryError;

/// The API version every path is under.
const VERSION: &str = "2010-04-01";

#[derive(Clone)]
pub struct TwilioApi {
    http: reqwest::Client,
    base: String,
}

/// The account a number belongs to: its SID and Auth Token.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub sid: &'a str,
    pub auth_token: &'a str,
}

/// A call to place.
#[derive(Debug, Clone)]
pub struct Dial<'a> {
    /// `client:identity`, `sip:…` or an E.164 number.
    pub to: &'a str,
    /// The shop's number, shown to whoever is called.
    pub from: &'a str,
    /// TwiML fetched when it is answered.
    pub url: &'a str,
    /// Told how the call ended (answered and completed, busy, no-answer, failed, canceled).
    pub status_callback: &'a str,
    /// Seconds it rings before Twilio gives up (`no-answer`).
    pub timeout_seconds: u32,
}

/// What to do with a live call.
#[derive(Debug, Clone)]
pub enum Update<'a> {
    /// Leave whatever it does now (a queue, a conference) for this TwiML.
    Redirect { url: &'a str },
    /// Stop it ringing (`canceled`) or hang it up (`completed`).
    End { ringing: bool },
}

#[derive(Deserialize)]
struct CallResource {
    sid: String,
}

impl TwilioApi {
    /// `base` is `https://api.twilio.com`; a stand-in's address in tests.
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        TwilioApi { http, base: base.trim_end_matches('/').to_owned() }
    }

    /// Places a call; the new call's SID.
    pub async fn create_call(&self, account: &Account<'_>, d: &Dial<'_>) -> Result<String, DeliveryError> {
        let url = format!("{}/{VERSION}/Accounts/{}/Calls.json", self.base, account.sid);
        let timeout = d.timeout_seconds.to_string();
        let form = [
            ("To", d.to),
            ("From", d.from),
            ("Url", d.url),
            ("Method", "POST"),
            ("StatusCallback", d.status_callback),
            ("StatusCallbackMethod", "POST"),
            ("Timeout", timeout.as_str()),
        ];
        let resp = self.post(account, &url, &form).await.map_err(DeliveryError::from)?;
        let call: CallResource =
            resp.json().await.map_err(|e| DeliveryError::retry(format!("Twilio call answer: {e}")))?;
        Ok(call.sid)
    }

    /// Changes a live call. A call that has already ended is not an error: there is nothing
    /// left to change.
    pub async fn update_call(&self, account: &Account<'_>, sid: &str, u: &Update<'_>) -> Result<(), DeliveryError> {
        let url = format!("{}/{VERSION}/Accounts/{}/Calls/{sid}.json", self.base, account.sid);
        let form: Vec<(&str, &str)> = match u {
            Update::Redirect { url } => vec![("Url", url), ("Method", "POST")],
            Update::End { ringing: true } => vec![("Status", "canceled")],
            Update::End { ringing: false } => vec![("Status", "completed")],
        };
        match self.post(account, &url, &form).await {
            Err(Refused { code: Some(NOT_IN_PROGRESS), .. }) => Ok(()),
            other => other.map(drop).map_err(DeliveryError::from),
        }
    }

    /// A call's status as Twilio has it (`queued`, `ringing`, `in-progress`, `completed`,
    /// `busy`, `failed`, `no-answer`, `canceled`); `None` when Twilio does not know the call.
    pub async fn call_status(&self, account: &Account<'_>, sid: &str) -> Result<Option<String>, DeliveryError> {
        #[derive(Deserialize)]
        struct Status {
            status: String,
        }
        let url = format!("{}/{VERSION}/Accounts/{}/Calls/{sid}.json", self.base, account.sid);
        let resp = self
            .http
            .get(&url)
            .basic_auth(account.sid, Some(account.auth_token))
            .send()
            .await
            .map_err(|e| DeliveryError::retry(format!("Twilio: {e}")))?;
        match resp.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let st: Status = resp.json().await.map_err(|e| DeliveryError::retry(format!("Twilio call: {e}")))?;
                Ok(Some(st.status))
            }
            s => Err(DeliveryError::retry(format!("Twilio call status: {s}"))),
        }
    }

    /// Downloads a recording as MP3 (`{RecordingUrl}.mp3`), at most `max_bytes`. Only a URL
    /// under this API's base is fetched, with the account's credentials: a recording URL that
    /// points elsewhere is refused, never followed.
    pub async fn fetch_recording(
        &self,
        account: &Account<'_>,
        recording_url: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, DeliveryError> {
        let under_base = recording_url
            .strip_prefix(&self.base)
            .is_some_and(|rest| rest.starts_with(&format!("/{VERSION}/Accounts/{}/Recordings/", account.sid)));
        if !under_base {
            return Err(DeliveryError::permanent(format!("the recording URL {recording_url} is not the account's")));
        }
        let url = format!("{}.mp3", recording_url.trim_end_matches(".mp3").trim_end_matches(".wav"));
        let mut resp = self
            .http
            .get(&url)
            .basic_auth(account.sid, Some(account.auth_token))
            .send()
            .await
            .map_err(|e| DeliveryError::retry(format!("Twilio recording: {e}")))?;
        let status = resp.status();
        // Just after the callback a recording may not be served yet: tried again shortly.
        if status == reqwest::StatusCode::NOT_FOUND || status.is_server_error() {
            return Err(DeliveryError::retry(format!("Twilio recording: {status}")));
        }
        if !status.is_success() {
            return Err(DeliveryError::permanent(format!("Twilio recording: {status}")));
        }
        if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(DeliveryError::permanent(format!("the recording is larger than {max_bytes} bytes")));
        }
        let mut data = Vec::new();
        while let Some(chunk) =
            resp.chunk().await.map_err(|e| DeliveryError::retry(format!("Twilio recording: {e}")))?
        {
            data.extend_from_slice(&chunk);
            if data.len() > max_bytes {
                return Err(DeliveryError::permanent(format!("the recording is larger than {max_bytes} bytes")));
            }
        }
        if data.is_empty() {
            return Err(DeliveryError::retry("Twilio recording: empty"));
        }
        Ok(data)
    }

    async fn post(
        &self,
        account: &Account<'_>,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<reqwest::Response, Refused> {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let resp = self
            .http
            .post(url)
            .basic_auth(account.sid, Some(account.auth_token))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| Refused { error: DeliveryError::retry(format!("Twilio: {e}")), code: None })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        let code = serde_json::from_str::<ErrorBody>(&text).ok().and_then(|b| b.code);
        let msg = format!("Twilio: {status} {}", text.chars().take(300).collect::<String>());
        let error = if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            DeliveryError::retry(msg)
        } else {
            DeliveryError::permanent(msg)
        };
        Err(Refused { error, code })
    }
}

/// Twilio's error 21220: the call is no longer in a state that can be changed (it ended).
const NOT_IN_PROGRESS: i64 = 21220;

/// Twilio's error body: `{"code": 21220, "message": "Call is not in-progress…", "status": 400}`.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
}

/// A request Twilio did not take, with its error code when it gave one.
struct Refused {
    error: DeliveryError,
    code: Option<i64>,
}

impl From<Refused> for DeliveryError {
    fn from(r: Refused) -> Self {
        r.error
    }
}
