//! Files that customers send: their type is read from their first bytes, never from the
//! name or the sender's claim, and their names are made safe to show and to offer for download.

/// The type of a file people commonly send to a shop (photos, screenshots, PDF receipts and
/// scans), or `None` for anything else.
pub fn sniff(d: &[u8]) -> Option<&'static str> {
    if d.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if d.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if d.starts_with(b"GIF87a") || d.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if d.len() >= 12 && &d[..4] == b"RIFF" && &d[8..12] == b"WEBP" {
        Some("image/webp")
    } else if d.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if d.starts_with(b"II*\0") || d.starts_with(b"MM\0*") {
        // FAX machines and scanners often write TIFF.
        Some("image/tiff")
    } else {
        None
    }
}

/// Whether a type is a picture a browser shows (TIFF and PDF are downloaded instead).
pub fn is_web_image(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// The last path segment without control characters and without the invisible characters
/// that change how a name reads (U+202E turns `gpj.exe` into `exe.jpg` on screen), at most 100
/// characters; `fallback` when nothing (or only dots) is left.
pub fn clean_filename(name: &str, fallback: &str) -> String {
    let n: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .take(100)
        .collect();
    let n = n.trim();
    if n.chars().all(|c| c == '.') { fallback.to_owned() } else { n.to_owned() }
}

/// Bidirectional controls and zero-width characters: they show nothing and only change or hide
/// what is shown around them.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"II*\0...."), Some("image/tiff"));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
        assert!(is_web_image("image/webp") && !is_web_image("image/tiff") && !is_web_image("image/svg+xml"));
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("C:\\Users\\写真.jpg", "file"), "写真.jpg");
        assert_eq!(clean_filename("../../etc/passwd", "file"), "passwd");
        assert_eq!(clean_filename("a\u{0}b\nc.png", "file"), "abc.png");
        assert_eq!(clean_filename("", "image"), "image");
        assert_eq!(clean_filename(&"あ".repeat(200), "file").chars().count(), 100);
        assert_eq!(clean_filename("../../../madoguchi.db\u{0}.png", "file"), "madoguchi.db.png");
        assert_eq!(clean_filename("請求書\u{202E}fdp.exe", "file"), "請求書fdp.exe");
        assert_eq!(clean_filename("a\u{200B}b\u{2066}c\u{FEFF}.txt", "file"), "abc.txt");
        assert_eq!(clean_filename("..", "file"), "file");
        assert_eq!(clean_filename("dir/.", "file"), "file");
    }
}
