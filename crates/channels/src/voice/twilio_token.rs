//! Twilio access tokens for the agent's browser phone (`@twilio/voice-sdk`): a JWT signed with
//! an API key's secret, naming the account, the identity calls to `client:<identity>` ring,
//! and the voice grant (incoming calls; outgoing through a TwiML app, when one is set).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// The API key a desk mints tokens with.
#[derive(Debug, Clone)]
pub struct ApiKey<'a> {
    pub account_sid: &'a str,
    pub key_sid: &'a str,
    pub secret: &'a str,
    /// The TwiML app outgoing browser calls go through; `None`: the phone only takes calls.
    pub twiml_app_sid: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: String,
    iss: &'a str,
    sub: &'a str,
    iat: i64,
    exp: i64,
    grants: Grants<'a>,
}

#[derive(Serialize)]
struct Grants<'a> {
    identity: &'a str,
    voice: Voice<'a>,
}

#[derive(Serialize)]
struct Voice<'a> {
    incoming: Incoming,
    #[serde(skip_serializing_if = "Option::is_none")]
    outgoing: Option<Outgoing<'a>>,
}

#[derive(Serialize)]
struct Incoming {
    allow: bool,
}

#[derive(Serialize)]
struct Outgoing<'a> {
    application_sid: &'a str,
}

/// A token for `identity`, valid from `now` (Unix seconds) for `ttl_seconds`.
pub fn access_token(key: &ApiKey<'_>, identity: &str, now: i64, ttl_seconds: i64) -> Result<String, String> {
    let mut header = Header::new(Algorithm::HS256);
    header.cty = Some("twilio-fpa;v=1".into());
    let claims = Claims {
        jti: format!("{}-{now}", key.key_sid),
        iss: key.key_sid,
        sub: key.account_sid,
        iat: now,
        exp: now + ttl_seconds,
        grants: Grants {
            identity,
            voice: Voice {
                incoming: Incoming { allow: true },
                outgoing: key.twiml_app_sid.map(|application_sid| Outgoing { application_sid }),
            },
        },
    };
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key.secret.as_bytes())).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    #[test]
    fn the_token_is_a_twilio_access_token_for_the_identity() {
        let key = ApiKey { account_sid: "AC1", key_sid: "SK1", secret: "shh", twiml_app_sid: None };
        let now = chrono::Utc::now().timestamp();
        let token = access_token(&key, "agent_1", now, 3600).expect("signed");
        let header = decode_header(&token).expect("a JWT");
        assert_eq!(header.cty.as_deref(), Some("twilio-fpa;v=1"));
        let mut v = Validation::new(Algorithm::HS256);
        v.set_required_spec_claims(&["exp"]);
        let claims = decode::<serde_json::Value>(&token, &DecodingKey::from_secret(b"shh"), &v).expect("valid").claims;
        assert_eq!(claims["iss"], "SK1");
        assert_eq!(claims["sub"], "AC1");
        assert_eq!(claims["grants"]["identity"], "agent_1");
        assert_eq!(claims["grants"]["voice"]["incoming"]["allow"], true);
        assert!(claims["grants"]["voice"].get("outgoing").is_none());
        assert_eq!(claims["exp"].as_i64(), Some(now + 3600));
        assert!(decode::<serde_json::Value>(&token, &DecodingKey::from_secret(b"other"), &v).is_err());
    }
}
