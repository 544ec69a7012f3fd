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
