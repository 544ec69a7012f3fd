//! Inbound HTML (e-mail bodies) is cleaned with ammonia before it is stored, so no page ever
//! renders a script, an event handler or a remote resource that tracks the agent.
//!
//! ammonia builds a whole DOM with html5ever, whose tree builder looks through the stack of
//! open elements for many start tags: deeply nested markup costs time quadratic in its depth
//! (200,000 nested `<div>`s kept a core busy for minutes). Anyone can send a shop a mail, so
//! the markup is first measured with html5ever's tokenizer alone, which is linear, and markup
//! past [`MAX_DEPTH`] or [`MAX_ELEMENTS`] is not given to the tree builder at all: the caller
//! keeps the text and says why the formatting is missing.

use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

/// The deepest nesting of elements cleaned as HTML. Mail from real mailers nests a few dozen
/// levels (tables in tables); the measure counts unclosed elements as nested, so it errs high.
pub const MAX_DEPTH: usize = 256;
/// The most elements cleaned as HTML. A long newsletter has a few thousand.
pub const MAX_ELEMENTS: usize = 50_000;

/// Why a piece of HTML was not cleaned as HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the HTML nests {depth} levels deep with {elements} elements (at most {MAX_DEPTH} levels and {MAX_ELEMENTS} elements are cleaned)"
)]
pub struct TooComplex {
    /// The depth reached (measuring stops at the first limit passed).
    pub depth: usize,
    pub elements: usize,
}

/// Keeps formatting and links; drops scripts, styles, event handlers, forms and every image
/// that is not part of the message itself (`cid:`), so no remote server learns that a mail was
/// opened — neither in the console nor for an API client that shows the stored HTML.
pub fn clean_html(html: &str) -> Result<String, TooComplex> {
    check_complexity(html)?;
    Ok(ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel", "cid"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "src") if !value.trim_start().to_ascii_lowercase().starts_with("cid:") => None,
            _ => Some(value.into()),
        })
        .clean(html)
        .to_string())
}

/// Plain text made safe to place in HTML, its line breaks kept.
pub fn text_as_html(text: &str) -> String {
    ammonia::clean_text(text).replace("&#10;", "<br>")
}

/// Measures nesting depth and element count in one linear pass of the tokenizer, stopping at
/// the first limit passed.
pub fn check_complexity(html: &str) -> Result<(), TooComplex> {
    let sink = Measure::default();
    let input = BufferQueue::default();
    input.push_back(html.into());
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let m = &tokenizer.sink;
    let (depth, elements) = (m.max_depth.get(), m.elements.get());
    if depth > MAX_DEPTH || elements > MAX_ELEMENTS { Err(TooComplex { depth, elements }) } else { Ok(()) }
}

/// Elements that never have content, so never nest.
const VOID: &[&str] =
    &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];
/// Elements whose start tag ends an open one of the same name (`<li>a<li>b`, `<p>a<p>b`).
const SIBLINGS: &[&str] = &["p", "li", "dt", "dd", "option", "tr", "td", "th"];

/// The open elements as a browser would roughly see them: void elements never open, an end
/// tag closes up to its element, and list items, paragraphs and table cells close their
/// predecessor. Anything else left open counts as nested, which overestimates on purpose.
#[derive(Default)]
struct Measure {
    open: RefCell<Vec<html5ever::LocalName>>,
    max_depth: Cell<usize>,
    elements: Cell<usize>,
}

impl Measure {
    fn over(&self) -> bool {
        self.max_depth.get() > MAX_DEPTH || self.elements.get() > MAX_ELEMENTS
    }
}

impl TokenSink for Measure {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else { return TokenSinkResult::Continue };
        if self.over() {
            return TokenSinkResult::Continue;
        }
        let mut open = self.open.borrow_mut();
        let name: &str = &tag.name;
        match tag.kind {
            TagKind::StartTag => {
                self.elements.set(self.elements.get() + 1);
                if VOID.contains(&name) || tag.self_closing {
                    return TokenSinkResult::Continue;
                }
                if SIBLINGS.contains(&name) && open.last() == Some(&tag.name) {
                    open.pop();
                }
                open.push(tag.name);
                self.max_depth.set(self.max_depth.get().max(open.len()));
            }
            TagKind::EndTag => {
                // The search is bounded: the stack never grows past MAX_DEPTH + 1 while measuring.
                if let Some(at) = open.iter().rposition(|n| *n == tag.name) {
                    open.truncate(at);
                }
            }
        }
        TokenSinkResult::Continue
    }
}

/// An article's Markdown as plain text — the words, line breaks and list marks, no markup: what
/// a chat shows (the widget shows text, never HTML) and what search indexes and quotes.
pub fn markdown_to_text(source: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = String::new();
    for event in Parser::new(source) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push('・'),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::CodeBlock) => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_plain_text_for_the_chat() {
        let md = "## 送料\n\n全国一律 **550円** です。\n\n- 沖縄: +330円\n- [詳しく](https://example.jp)\n\n<script>x</script>";
        let text = markdown_to_text(md);
        assert_eq!(text, "送料\n全国一律 550円 です。\n・沖縄: +330円\n・詳しく");
    }

    #[test]
    fn scripts_and_handlers_are_removed() {
        let dirty = r#"<p onclick="steal()">ご注文<script>alert(1)</script>ありがとうございます</p><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>"#;
        let clean = clean_html(dirty).unwrap();
        for bad in ["script", "onclick", "javascript:", "onerror", "alert"] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains("ご注文"));
        assert!(clean.contains("ありがとうございます"));
    }

    #[test]
    fn remote_images_are_dropped_and_inline_ones_kept() {
        let clean = clean_html(
            r#"<p>画像</p><img src="http://tracker.example/p.gif?u=1" width="1"><img src="HTTPS://x.example/a.png"><img src="cid:part1@mail" alt="写真">"#,
        )
        .unwrap();
        assert!(!clean.contains("tracker.example") && !clean.contains("x.example"), "{clean}");
        assert!(clean.contains(r#"src="cid:part1@mail""#), "{clean}");
        // Links to web pages stay: they are only followed when the agent clicks.
        let link = clean_html(r#"<a href="https://shop.example/faq">FAQ</a>"#).unwrap();
        assert!(link.contains("https://shop.example/faq"));
    }

    #[test]
    fn nesting_is_measured_as_a_browser_would_close_elements() {
        // Ordinary mail markup: tables in tables, unclosed list items and paragraphs, void tags.
        let mut ordinary = String::new();
        for _ in 0..2_000 {
            ordinary.push_str("<table><tr><td><p>段落<br><img src=cid:a><ul><li>一<li>二</ul><p>次</td></tr></table>");
        }
        assert_eq!(check_complexity(&ordinary), Ok(()));

        let nested = |n: usize| format!("{}本文{}", "<div>".repeat(n), "</div>".repeat(n));
        assert_eq!(check_complexity(&nested(MAX_DEPTH)), Ok(()));
        let err = check_complexity(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(err.depth, MAX_DEPTH + 1);
        // Unclosed formatting elements nest too.
        assert!(check_complexity(&"<b>太字".repeat(MAX_DEPTH + 1)).is_err());
        // Many flat elements.
        let flat = "<span>あ</span>".repeat(MAX_ELEMENTS + 1);
        assert!(check_complexity(&flat).unwrap_err().elements > MAX_ELEMENTS);
    }

    #[test]
    fn markup_past_the_limits_is_refused_not_cleaned() {
        let deep = format!("{}深い{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        assert!(clean_html(&deep).is_err());
    }
}
