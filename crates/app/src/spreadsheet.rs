//! CSV cells that a spreadsheet opens safely. Excel and LibreOffice run a cell that begins with
//! `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula, so text a
//! customer or a shop wrote (`=HYPERLINK(…)`) would become a live link or command in the file a
//! supervisor opens. Every CSV this desk writes passes its cells through [`cell`]; a leading
//! apostrophe, which spreadsheets show as text and hide, keeps the words readable. Files read
//! back (the knowledge-base import) drop that apostrophe with [`uncell`], so an export imports
//! as it was.

use std::borrow::Cow;

const STARTS_A_FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The text as a cell that opens as text.
pub fn cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(STARTS_A_FORMULA) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// A CSV file as Excel opens it in Japanese (UTF-8 with a byte-order mark): a header row, then
/// the rows, every cell through [`cell`].
pub fn csv_file<'a>(header: &[&str], rows: impl IntoIterator<Item = Vec<&'a str>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer("\u{feff}".as_bytes().to_vec());
    // Writing into memory fails only when out of memory.
    let _ = w.write_record(header.iter().map(|h| cell(h).into_owned()));
    for r in rows {
        let _ = w.write_record(r.into_iter().map(|c| cell(c).into_owned()));
    }
    w.into_inner().unwrap_or_default()
}

/// The text a [`cell`] was made from.
pub fn uncell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(STARTS_A_FORMULA) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_open_as_text_and_read_back_unchanged() {
        for text in
            ["=HYPERLINK(\"http://evil.example\",\"詳細\")", "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
        {
            let c = cell(text);
            assert!(c.starts_with('\''), "{c}");
            assert_eq!(uncell(&c), text);
        }
        for text in ["返品は8日以内", "'引用", "", "a=b", "1-2"] {
            assert_eq!(cell(text), text);
            assert_eq!(uncell(text), text);
        }
    }
}
