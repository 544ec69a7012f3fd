//! Inbound HTML (e-mail bodies) is cleaned with ammonia before it is stored, so no page ever
//! renders a script, an event handler or a remote resource that tracks the agent.

use std::collections::HashSet;

/// Keeps formatting and links; drops scripts, styles, event handlers, forms and images from
/// other hosts.
pub fn clean_html(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel", "cid"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let dirty = r#"<p onclick="steal()">ご注文<script>alert(1)</script>ありがとうございます</p><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>"#;
        let clean = clean_html(dirty);
        for bad in ["script", "onclick", "javascript:", "onerror", "alert"] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains("ご注文"));
        assert!(clean.contains("ありがとうございます"));
    }
}
