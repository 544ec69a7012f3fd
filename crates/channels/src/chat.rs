//! Web-chat identity: a shop signs its logged-in customer's id with the merchant's chat secret
//! (hex HMAC-SHA256), so a visitor cannot claim to be somebody else by editing the page.

use crate::signature::{hmac_sha256, verify_hmac_sha256};

/// The signature a shop's server puts in its page for `customer_id`.
pub fn sign_customer(secret: &str, customer_id: &str) -> String {
    hex(&hmac_sha256(secret.as_bytes(), customer_id.as_bytes()))
}

/// Whether `signature_hex` is the merchant's signature of `customer_id`.
pub fn verify_customer(secret: &str, customer_id: &str, signature_hex: &str) -> bool {
    match unhex(signature_hex.trim()) {
        Some(sig) => verify_hmac_sha256(secret.as_bytes(), customer_id.as_bytes(), &sig),
        None => false,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_customer_and_secret() {
        let sig = sign_customer("s3cret", "member-1001");
        assert!(verify_customer("s3cret", "member-1001", &sig));
        assert!(verify_customer("s3cret", "member-1001", &sig.to_uppercase()));
        assert!(!verify_customer("s3cret", "member-1002", &sig));
        assert!(!verify_customer("other", "member-1001", &sig));
        assert!(!verify_customer("s3cret", "member-1001", "zz"));
        assert!(!verify_customer("s3cret", "member-1001", "ｱｲ"));
        assert!(!verify_customer("s3cret", "member-1001", ""));
    }
}
