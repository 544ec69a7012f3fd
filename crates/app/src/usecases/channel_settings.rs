//! Rules on a shop's channel settings that more than the settings API needs: the sites a chat
//! widget may be opened from.

use madoguchi_core::validation::ValidationError;
use madoguchi_store::channel_accounts::ChannelAccount;

/// An origin as browsers send it: scheme, host and port, nothing else.
pub fn normalize_origin(raw: &str) -> Result<String, ValidationError> {
    let o = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let bad = || {
        ValidationError::new(
            "allowed_origins",
            "invalid_origin",
            format!("{raw:?} is not a site address like https://shop.example.jp"),
        )
    };
    let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")).ok_or_else(bad)?;
    let host_ok =
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(bad());
    }
    Ok(o)
}

/// The sites allowed to open a chat account's widget.
pub fn allowed_origins(account: &ChannelAccount) -> Vec<String> {
    account.settings["allowed_origins"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
