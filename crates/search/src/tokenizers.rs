//! The two analyses of [`crate::analysis`] as tantivy tokenizers, with byte offsets into the
//! indexed text so snippets can be highlighted.
//!
//! The indexed text is the NFKC form of the original (what [`crate::analysis::nfkc`] gives);
//! folding past that (kana, small kana, case) changes no lengths, so offsets stay exact.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::analysis;

/// Tokens computed up front and handed out one by one.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

use analysis::fold_char;

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '々' | '〆')
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+')
}

/// Character unigrams and bigrams of CJK text, Latin words whole. Positions are character
/// indexes, so a phrase of consecutive bigrams is a substring.
#[derive(Clone, Default)]
pub struct GramTokenizer;

/// The grams of an NFKC text, with byte offsets into it.
pub fn gram_tokens(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i + 1).map_or(text.len(), |(b, _)| *b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (from, c) = chars[i];
        if is_cjk(c) {
            let fc = fold_char(c);
            out.push(Token {
                offset_from: from,
                offset_to: end_of(i),
                position: i,
                text: fc.to_string(),
                position_length: 1,
            });
            if let Some(&(_, n)) = chars.get(i + 1)
                && is_cjk(n)
            {
                let text: String = [fc, fold_char(n)].iter().collect();
                out.push(Token { offset_from: from, offset_to: end_of(i + 1), position: i, text, position_length: 1 });
            }
            i += 1;
        } else if is_word_char(c) {
            let start = i;
            while i < chars.len() && is_word_char(chars[i].1) {
                i += 1;
            }
            let raw = &text[from..end_of(i - 1)];
            let word = raw.trim_matches(|c| matches!(c, '-' | '_' | '.' | '@' | '+')).to_ascii_lowercase();
            if !word.is_empty() {
                out.push(Token {
                    offset_from: from,
                    offset_to: end_of(i - 1),
                    position: start,
                    text: word,
                    position_length: 1,
                });
            }
        } else {
            i += 1;
        }
    }
    out
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream { tokens: gram_tokens(text), next: 0 }
    }
}

/// Content words as their folded base forms (morphological analysis over IPADIC). Without a
/// dictionary it yields nothing and the grams carry the search.
#[derive(Clone, Default)]
pub struct WordTokenizer;

/// The base forms of the content words of a text.
pub fn word_tokens(text: &str) -> Vec<Token> {
    let Some(words) = analysis::words(text) else { return vec![] };
    words
        .into_iter()
        .filter(|w| w.content)
        .map(|w| Token { offset_from: 0, offset_to: 0, position: w.position, text: w.base, position_length: 1 })
        .collect()
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream { tokens: word_tokens(text), next: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_offsets_point_into_the_text() {
        let text = analysis::nfkc("傷のある商品、注文ＨＭ－１００２３");
        for t in gram_tokens(&text) {
            let slice = &text[t.offset_from..t.offset_to];
            assert_eq!(analysis::fold(&slice.to_lowercase()), t.text, "{t:?}");
        }
        let texts: Vec<String> = gram_tokens(&text).into_iter().map(|t| t.text).collect();
        assert!(texts.contains(&"hm-10023".to_owned()), "an order number stays one term: {texts:?}");
        assert!(texts.contains(&"傷".to_owned()));
    }

    #[test]
    fn grams_cover_one_and_two_characters() {
        let texts: Vec<(String, usize)> =
            gram_tokens(&analysis::nfkc("返品の傷")).into_iter().map(|t| (t.text, t.position)).collect();
        let expected = [("返", 0), ("返品", 0), ("品", 1), ("品ノ", 1), ("ノ", 2), ("ノ傷", 2), ("傷", 3)];
        assert_eq!(texts, expected.iter().map(|(t, p)| (t.to_string(), *p)).collect::<Vec<_>>());
    }
}
