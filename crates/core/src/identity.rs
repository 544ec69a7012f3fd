//! Customer identities and the Japanese forms people type them in: phone numbers in any width
//! and punctuation, e-mail addresses, LINE user ids, web-chat visitor ids, and postal codes.

use crate::validation::{ValidationError, nfkc};
use phonenumber::{Mode, country};
use serde::{Deserialize, Serialize};

/// The kinds of identity a customer can be found by.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IdentityKind {
    Phone,
    Email,
    Line,
    ChatVisitor,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An identity after normalisation: `value` is what lookups compare (E.164 for phones,
/// lower case for e-mail); `display` is what a person typed, kept for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedIdentity {
    pub kind: IdentityKind,
    pub value: String,
    pub display: String,
}

/// Normalises one identity value of the given kind.
pub fn normalize(kind: IdentityKind, raw: &str) -> Result<NormalizedIdentity, ValidationError> {
    let display = raw.trim().to_owned();
    let value = match kind {
        IdentityKind::Phone => normalize_phone(raw)?.0,
        IdentityKind::Email => normalize_email(raw)?,
        IdentityKind::Line => opaque_id("line_user_id", raw, is_line_user_id)?,
        IdentityKind::ChatVisitor => {
            opaque_id("chat_visitor_id", raw, |s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))?
        }
    };
    let display = if kind == IdentityKind::Phone { normalize_phone(raw)?.1 } else { display };
    Ok(NormalizedIdentity { kind, value, display })
}

/// Parses a phone number as Japanese unless it carries a country code. Returns the E.164 form
/// and the national display form: `０９０１２３４５６７８`, `090-1234-5678` and
/// `+81 90 1234 5678` all give `+819012345678` and `090-1234-5678`.
pub fn normalize_phone(raw: &str) -> Result<(String, String), ValidationError> {
    let folded: String = nfkc(raw)
        .chars()
        // Dashes people type in Japanese text: hyphen, minus, katakana long vowel, dashes.
        .map(|c| match c {
            'ー' | '‐' | '−' | '–' | '—' | '―' => '-',
            c => c,
        })
        .collect();
    let bad = || ValidationError::new("phone", "invalid_phone", format!("not a valid phone number: {}", raw.trim()));
    if folded.trim().is_empty() || folded.chars().filter(char::is_ascii_digit).count() < 5 {
        return Err(bad());
    }
    let number = phonenumber::parse(Some(country::Id::JP), folded.trim()).map_err(|_| bad())?;
    if !phonenumber::is_valid(&number) {
        return Err(bad());
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    let display = if number.code().value() == 81 {
        number.format().mode(Mode::National).to_string()
    } else {
        number.format().mode(Mode::International).to_string()
    };
    Ok((e164, display))
}

/// Lower-cases and checks the shape of an e-mail address (full-width forms folded first).
pub fn normalize_email(raw: &str) -> Result<String, ValidationError> {
    let v = nfkc(raw).trim().to_lowercase();
    let bad = || ValidationError::new("email", "invalid_email", format!("not a valid e-mail address: {}", raw.trim()));
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && v.len() <= 254
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !v.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if ok { Ok(v) } else { Err(bad()) }
}

/// LINE user ids are `U` followed by 32 lower-case hex digits.
fn is_line_user_id(s: &str) -> bool {
    s.len() == 33 && s.starts_with('U') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn opaque_id(field: &str, raw: &str, ok: impl Fn(&str) -> bool) -> Result<String, ValidationError> {
    let v = raw.trim();
    if v.is_empty() || v.len() > 128 || !ok(v) {
        return Err(ValidationError::new(field, "invalid_identity", format!("not a valid {field}: {v}")));
    }
    Ok(v.to_owned())
}

/// A Japanese postal code, stored as `123-4567`. Accepts `〒123-4567`, `1234567` and
/// full-width forms.
pub fn normalize_postal_code(raw: &str) -> Result<String, ValidationError> {
    let digits: String = nfkc(raw)
        .trim()
        .trim_start_matches('〒')
        .chars()
        .filter(|c| !matches!(c, '-' | 'ー' | '‐' | '−' | ' '))
        .collect();
    if digits.len() != 7 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ValidationError::new(
            "postal_code",
            "invalid_postal_code",
            format!("a postal code has 7 digits (〒123-4567): {}", raw.trim()),
        ));
    }
    Ok(format!("{}-{}", &digits[..3], &digits[3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mobile_number_in_three_spellings() {
        for raw in ["090-1234-5678", "０９０１２３４５６７８", "+81 90 1234 5678", "090ー1234ー5678", "(090)1234-5678"]
        {
            let (e164, display) = normalize_phone(raw).unwrap();
            assert_eq!(e164, "+819012345678", "{raw}");
            assert_eq!(display, "090-1234-5678", "{raw}");
        }
    }

    #[test]
    fn landlines_and_free_dial_keep_their_area_code() {
        assert_eq!(normalize_phone("03-1234-5678").unwrap().0, "+81312345678");
        assert_eq!(normalize_phone("06-6123-4567").unwrap(), ("+81661234567".into(), "06-6123-4567".into()));
        assert_eq!(normalize_phone("0120-123-456").unwrap().0, "+81120123456");
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        let (e164, display) = normalize_phone("+1 650-253-0000").unwrap();
        assert_eq!(e164, "+16502530000");
        assert!(display.starts_with("+1"), "{display}");
    }

    #[test]
    fn garbage_is_not_a_phone_number() {
        for raw in ["", "abc", "123", "090-1234-567890123", "電話番号"] {
            assert_eq!(normalize_phone(raw).unwrap_err().code, "invalid_phone", "{raw}");
        }
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(normalize_email(" Hanako.Yamada@Example.JP ").unwrap(), "hanako.yamada@example.jp");
        assert_eq!(normalize_email("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ").unwrap(), "taro@example.com");
        for raw in ["", "no-at", "a@b", "a b@example.com", "@example.com", "a@@example.com"] {
            assert!(normalize_email(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn postal_codes_in_every_form() {
        for raw in ["〒150-0001", "1500001", "１５０－０００１", "〒１５０ー０００１"] {
            assert_eq!(normalize_postal_code(raw).unwrap(), "150-0001", "{raw}");
        }
        assert!(normalize_postal_code("150-001").is_err());
        assert!(normalize_postal_code("abc-defg").is_err());
    }

    #[test]
    fn line_ids_have_their_shape() {
        let id = format!("U{}", "0123456789abcdef0123456789abcdef");
        assert_eq!(normalize(IdentityKind::Line, &id).unwrap().value, id);
        assert!(normalize(IdentityKind::Line, "U123").is_err());
    }

    #[test]
    fn phone_identity_keeps_display_form() {
        let n = normalize(IdentityKind::Phone, "０９０－１２３４－５６７８").unwrap();
        assert_eq!(n.value, "+819012345678");
        assert_eq!(n.display, "090-1234-5678");
    }
}
