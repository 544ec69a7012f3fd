//! Validation of user input shared by every entry point: one error type with a stable code,
//! the field it is about and a human message.

use unicode_normalization::UnicodeNormalization;

/// A rejected input value. `code` is stable (clients match on it); `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

/// Upper bounds on field sizes, in characters. Names and subjects are short; bodies are long
/// but bounded so one request cannot fill the database.
pub mod limits {
    pub const SHORT: usize = 200;
    pub const SLUG: usize = 40;
    pub const TEXT: usize = 2_000;
    pub const GREETING: usize = 500;
    pub const NOTES: usize = 20_000;
    pub const BODY: usize = 100_000;
    pub const TAG: usize = 50;
    pub const TAGS: usize = 50;
}

/// Trims the value and checks it is non-empty and at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "required", format!("{field} must not be empty")));
    }
    max_len(field, v, max)?;
    Ok(v.to_owned())
}

/// Checks that the value is at most `max` characters (not bytes: Japanese text is 3 bytes a char)
/// and holds no NUL, which PostgreSQL cannot store (both databases refuse it alike).
pub fn max_len(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    no_nul(field, value)?;
    if value.chars().count() > max {
        return Err(ValidationError::new(field, "too_long", format!("{field} must be at most {max} characters")));
    }
    Ok(())
}

/// Refuses a NUL character: no one types it, and PostgreSQL's text cannot hold it.
pub fn no_nul(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.contains('\0') {
        return Err(ValidationError::new(field, "invalid_text", format!("{field} must not contain NUL characters")));
    }
    Ok(())
}

/// Optional free text: trimmed, empty becomes `None`, bounded.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            max_len(field, v, max)?;
            Ok(Some(v.to_owned()))
        }
    }
}

/// Normalises tags: NFKC (so ＶＩＰ and VIP are one tag), trimmed, de-duplicated, sorted.
pub fn tags(field: &str, values: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let t: String = v.nfkc().collect::<String>().trim().to_owned();
        if t.is_empty() {
            return Err(ValidationError::new(field, "invalid_tag", "tags must not be empty"));
        }
        max_len(field, &t, limits::TAG)?;
        if t.chars().any(char::is_control) {
            return Err(ValidationError::new(field, "invalid_tag", "tags must not contain control characters"));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > limits::TAGS {
        return Err(ValidationError::new(field, "too_many", format!("at most {} tags", limits::TAGS)));
    }
    out.sort();
    Ok(out)
}

/// Folds full-width ASCII (ＡＢＣ１２３) and half-width katakana to their usual forms. Used on
/// every identifier a customer might type on a Japanese keyboard.
pub fn nfkc(value: &str) -> String {
    value.nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_in_any_text() {
        assert_eq!(required("name", "山田\0太郎", 10).unwrap_err().code, "invalid_text");
        assert_eq!(optional("notes", Some("\0"), 10).unwrap_err().code, "invalid_text");
        assert!(max_len("body", "改行\nとタブ\tは可", 100).is_ok());
    }

    #[test]
    fn required_trims_and_rejects_blank() {
        assert_eq!(required("name", "  山田 ", 10).unwrap(), "山田");
        assert_eq!(required("name", "   ", 10).unwrap_err().code, "required");
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(max_len("name", "あいう", 3).is_ok());
        assert_eq!(max_len("name", "あいうえ", 3).unwrap_err().code, "too_long");
    }

    #[test]
    fn tags_fold_width_and_deduplicate() {
        let t = tags("tags", &["ＶＩＰ".into(), "VIP".into(), " 要注意 ".into()]).unwrap();
        assert_eq!(t, vec!["VIP".to_string(), "要注意".to_string()]);
        assert!(tags("tags", &["".into()]).is_err());
    }
}
