//! Request extractors whose rejections speak the API's error format.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use serde::Serialize;
use std::str::FromStr;

use crate::error::ApiError;

/// A JSON body; malformed JSON, wrong types, unknown fields and oversized bodies become
/// `ApiError`s with their own codes. A string holding NUL (`\u0000`) anywhere in the body is
/// refused as `invalid_text` naming where it is, whatever the route: PostgreSQL cannot store
/// it, and one check here covers fields no validator looks at (tags, metadata, settings).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if let Some(path) = nul_at(&value, "") {
            let field = if path.is_empty() { "body".to_owned() } else { path };
            let message = format!("{field} must not contain NUL characters");
            return Err(madoguchi_core::ValidationError::new(field, "invalid_text", message).into());
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("Failed to deserialize the JSON body into the target type: {e}"),
            )
        })
    }
}

/// Where the first string (or key) holding NUL is, as `a.b[2]`.
fn nul_at(v: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => s.contains('\0').then(|| at.to_owned()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| nul_at(x, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') { Some(here) } else { nul_at(x, &here) }
        }),
        _ => None,
    }
}

/// Query parameters, rejected as `invalid_query`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A raw body (files, CSV, JSON Lines) whose rejections speak the API's error format: a body
/// over the route's limit is a JSON `413 payload_too_large`, not the framework's plain text.
/// Put it after the extractor that authenticates, so nobody is read before they are known.
#[derive(Debug)]
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state).await.map(ApiBytes).map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the body is larger than this route takes",
                )
            } else {
                ApiError::bad_request("unreadable_body", r.body_text())
            }
        })
    }
}

/// Reads a body of at most `limit` bytes, for handlers that must first find out who is sending
/// (an inbound token, a merchant) before spending memory on what they send. `code` names the
/// error for a body over the limit.
pub async fn read_body(body: Body, limit: usize, code: &'static str) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner().downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, format!("the body is larger than {limit} bytes"))
        } else {
            ApiError::bad_request("unreadable_body", "the body could not be read to its end")
        }
    })
}

/// A JSON response (re-exported so handlers read `Json(x)` either way).
pub use axum::Json;

/// Parses an id from the path. Something that is not an id names no resource: 404.
pub fn id<T: FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// `201 Created` with a JSON body.
pub fn created<T: Serialize>(body: T) -> (axum::http::StatusCode, Json<T>) {
    (axum::http::StatusCode::CREATED, Json(body))
}

/// The client's address: the peer's, or — when the peer is one of the `trusted_proxies` — the
/// right-most address in `X-Forwarded-For` that is not a trusted proxy itself. Sign-in limits
/// and the web form's rate limit count per this address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

impl FromRequestParts<crate::app::AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::app::AppState,
    ) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the server runs without connection info")))?;
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Ok(ClientAddr(client_ip(peer, &forwarded, &state.settings.trusted_proxies)))
    }
}

/// Walks `X-Forwarded-For` from the right (the hop nearest to us) past trusted proxies. A
/// client can write anything at the left of the header, so only what trusted hops appended
/// counts; an entry that is not an address ends the walk at the hop that passed it on.
pub fn client_ip(peer: std::net::IpAddr, forwarded: &[&str], trusted: &[ipnet::IpNet]) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops = forwarded.iter().flat_map(|h| h.split(',')).map(str::trim).filter(|h| !h.is_empty());
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        let parsed = hop
            .parse::<std::net::IpAddr>()
            .ok()
            .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
            .map(|ip| ip.to_canonical());
        match parsed {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

#[cfg(test)]
mod client_ip_tests {
    use super::client_ip;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()];
        // Not from a proxy: the header is the client's own claim.
        assert_eq!(client_ip(ip("203.0.113.9"), &["198.51.100.1"], &trusted), ip("203.0.113.9"));
        // From the proxy: the hop it appended.
        assert_eq!(client_ip(ip("127.0.0.1"), &["198.51.100.1"], &trusted), ip("198.51.100.1"));
        // A forged left part is skipped; two proxies in a row are walked past.
        assert_eq!(client_ip(ip("127.0.0.1"), &["6.6.6.6, 198.51.100.1, 10.1.2.3"], &trusted), ip("198.51.100.1"));
        // Several headers read as one list, in order; ports and IPv4-mapped IPv6 are understood.
        assert_eq!(client_ip(ip("::ffff:127.0.0.1"), &["6.6.6.6", "198.51.100.1:4711"], &trusted), ip("198.51.100.1"));
        assert_eq!(client_ip(ip("127.0.0.1"), &["[2001:db8::1]:443"], &trusted), ip("2001:db8::1"));
        // Garbage stops the walk at the hop that passed it on; no header leaves the proxy.
        assert_eq!(client_ip(ip("127.0.0.1"), &["unknown, 10.1.2.3"], &trusted), ip("10.1.2.3"));
        assert_eq!(client_ip(ip("127.0.0.1"), &[], &trusted), ip("127.0.0.1"));
        // Nothing trusted (the default): the peer, whatever the header says.
        assert_eq!(client_ip(ip("127.0.0.1"), &["198.51.100.1"], &[]), ip("127.0.0.1"));
    }
}
