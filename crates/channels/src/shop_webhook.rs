//! Signatures of the order webhook that shop systems call (`POST
//! /api/v1/inbound/orders/{merchant}`). The shop signs `"{timestamp}.{body}"` with HMAC-SHA256
//! under the merchant's webhook secret and sends
//!
//! ```text
//! X-Madoguchi-Timestamp: 1796000000
//! X-Madoguchi-Signature: sha256=5d41402abc4b2a76b9719d911017c592…
//! ```
//!
//! The timestamp inside what is signed makes a captured call useless after [`TOLERANCE_SECONDS`].

use crate::signature::{hmac_sha256, verify_hmac_sha256};

pub const TIMESTAMP_HEADER: &str = "x-madoguchi-timestamp";
pub const SIGNATURE_HEADER: &str = "x-madoguchi-signature";
/// How far a call's timestamp may be from now, either way (clocks drift; retries wait).
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a call was refused; `code` is what the caller is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the X-Madoguchi-Timestamp and X-Madoguchi-Signature headers are required")]
    Missing,
    #[error("X-Madoguchi-Timestamp is more than five minutes from now: sign each call when it is sent")]
    Expired,
    #[error("X-Madoguchi-Signature does not match the body")]
    Mismatch,
}

impl Rejection {
    pub fn code(self) -> &'static str {
        match self {
            Rejection::Missing => "signature_missing",
            Rejection::Expired => "signature_expired",
            Rejection::Mismatch => "bad_signature",
        }
    }
}

/// The `X-Madoguchi-Signature` value for a body sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), &signed_bytes(timestamp, body))))
}

fn signed_bytes(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut data = format!("{timestamp}.").into_bytes();
    data.extend_from_slice(body);
    data
}

/// Checks a call's headers against its raw body at `now` (Unix seconds), in constant time.
pub fn verify(
    secret: &str,
    now: i64,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> Result<(), Rejection> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else { return Err(Rejection::Missing) };
    let timestamp: i64 = timestamp.trim().parse().map_err(|_| Rejection::Missing)?;
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(Rejection::Expired);
    }
    let given =
        signature.trim().strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()).ok_or(Rejection::Mismatch)?;
    if secret.is_empty() || !verify_hmac_sha256(secret.as_bytes(), &signed_bytes(timestamp, body), &given) {
        return Err(Rejection::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec-test-0123456789";
    const NOW: i64 = 1_796_000_000;

    #[test]
    fn a_signed_call_passes_and_any_change_fails() {
        let body = br#"{"orders":[]}"#;
        let sig = sign(SECRET, NOW, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
        let ts = NOW.to_string();
        assert_eq!(verify(SECRET, NOW + 10, Some(&ts), Some(&sig), body), Ok(()));
        // Another body, another secret, another timestamp under the same signature, a bent hex.
        assert_eq!(verify(SECRET, NOW, Some(&ts), Some(&sig), br#"{"orders":[{}]}"#), Err(Rejection::Mismatch));
        assert_eq!(verify("other", NOW, Some(&ts), Some(&sig), body), Err(Rejection::Mismatch));
        let later = (NOW + 1).to_string();
        assert_eq!(verify(SECRET, NOW, Some(&later), Some(&sig), body), Err(Rejection::Mismatch));
        assert_eq!(verify(SECRET, NOW, Some(&ts), Some("sha256=zz"), body), Err(Rejection::Mismatch));
        assert_eq!(verify(SECRET, NOW, Some(&ts), Some(&sig.replace("sha256=", "")), body), Err(Rejection::Mismatch));
        assert_eq!(verify("", NOW, Some(&ts), Some(&sign("", NOW, body)), body), Err(Rejection::Mismatch));
    }

    #[test]
    fn old_or_missing_timestamps_are_refused() {
        let body = b"{}";
        let old = NOW - TOLERANCE_SECONDS - 1;
        let sig = sign(SECRET, old, body);
        assert_eq!(verify(SECRET, NOW, Some(&old.to_string()), Some(&sig), body), Err(Rejection::Expired));
        assert_eq!(verify(SECRET, NOW, None, Some(&sig), body), Err(Rejection::Missing));
        assert_eq!(verify(SECRET, NOW, Some("yesterday"), Some(&sig), body), Err(Rejection::Missing));
        assert_eq!(verify(SECRET, NOW, Some(&NOW.to_string()), None, body), Err(Rejection::Missing));
        assert_eq!(Rejection::Expired.code(), "signature_expired");
    }
}
