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

/// The type of a file an agent attaches to a reply: what `sniff` knows, and the documents
/// customers are commonly sent (Office files, by their name and container; plain text and CSV,
/// by their name and having no NUL bytes). `None` for anything else (programs, archives).
pub fn reply_file_type(filename: &str, d: &[u8]) -> Option<&'static str> {
    if let Some(t) = sniff(d) {
        return Some(t);
    }
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let zip = d.starts_with(b"PK\x03\x04");
    let ole = d.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    match ext.as_str() {
        "docx" if zip => Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "xlsx" if zip => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "pptx" if zip => Some("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        "doc" if ole => Some("application/msword"),
        "xls" if ole => Some("application/vnd.ms-excel"),
        "txt" if !d.contains(&0) => Some("text/plain"),
        "csv" if !d.contains(&0) => Some("text/csv"),
        _ => None,
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
    fn reply_files_are_documents_customers_open_never_programs() {
        assert_eq!(reply_file_type("scan.pdf", b"%PDF-1.7"), Some("application/pdf"));
        assert!(reply_file_type("見積書.xlsx", b"PK\x03\x04rest").is_some_and(|t| t.contains("spreadsheet")));
        assert_eq!(reply_file_type("renamed.xlsx", b"MZ\x90\x00"), None, "a program renamed is refused");
        assert_eq!(reply_file_type("memo.txt", "返品の手順".as_bytes()), Some("text/plain"));
        assert_eq!(reply_file_type("memo.txt", b"a\0b"), None);
        assert_eq!(reply_file_type("setup.exe", b"MZ"), None);
        assert_eq!(reply_file_type("archive.zip", b"PK\x03\x04"), None);
    }

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
