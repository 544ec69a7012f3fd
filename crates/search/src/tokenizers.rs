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

/// The grams of an NFKC text as they are made, one token buffer reused for all (the index
/// copies each term out; a text gives about two grams a character).
pub struct GramStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    /// Character index of the next character `chars` gives.
    index: usize,
    /// The bigram still to hand out after the unigram just handed out.
    bigram: Option<(char, usize)>,
    token: Token,
}

impl<'a> GramStream<'a> {
    pub fn new(text: &'a str) -> Self {
        GramStream { text, chars: text.char_indices().peekable(), index: 0, bigram: None, token: Token::default() }
    }

    fn next_char(&mut self) -> Option<(usize, char)> {
        let next = self.chars.next()?;
        self.index += 1;
        Some(next)
    }

    fn end_of_next(&mut self) -> usize {
        self.chars.peek().map_or(self.text.len(), |(b, _)| *b)
    }
}

fn trim_word(c: char) -> bool {
    matches!(c, '-' | '_' | '.' | '@' | '+')
}

impl TokenStream for GramStream<'_> {
    fn advance(&mut self) -> bool {
        // The bigram that starts at the unigram before: the unigram's character and the next.
        if let Some((first, from)) = self.bigram.take() {
            let mut ahead = self.chars.clone();
            if let Some((_, second)) = ahead.next() {
                let offset_to = ahead.peek().map_or(self.text.len(), |(b, _)| *b);
                let t = &mut self.token;
                t.text.clear();
                t.text.push(first);
                t.text.push(fold_char(second));
                t.offset_from = from;
                t.offset_to = offset_to;
                // Same position as the unigram.
                return true;
            }
        }
        while let Some((from, c)) = self.next_char() {
            let position = self.index - 1;
            if is_cjk(c) {
                let fc = fold_char(c);
                let offset_to = self.end_of_next();
                if self.chars.peek().is_some_and(|(_, n)| is_cjk(*n)) {
                    self.bigram = Some((fc, from));
                }
                let t = &mut self.token;
                t.text.clear();
                t.text.push(fc);
                t.offset_from = from;
                t.offset_to = offset_to;
                t.position = position;
                t.position_length = 1;
                return true;
            } else if is_word_char(c) {
                let mut to = self.end_of_next();
                while self.chars.peek().is_some_and(|(_, n)| is_word_char(*n)) {
                    self.next_char();
                    to = self.end_of_next();
                }
                let word = self.text[from..to].trim_matches(trim_word);
                if word.is_empty() {
                    continue;
                }
                let t = &mut self.token;
                t.text.clear();
                t.text.push_str(word);
                t.text.make_ascii_lowercase();
                t.offset_from = from;
                t.offset_to = to;
                t.position = position;
                t.position_length = 1;
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The grams of an NFKC text, with byte offsets into it.
pub fn gram_tokens(text: &str) -> Vec<Token> {
    let mut stream = GramStream::new(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = GramStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> GramStream<'a> {
        GramStream::new(text)
    }
}

/// Content words as their folded base forms (morphological analysis over IPADIC). Without a
/// dictionary it yields nothing and the grams carry the search.
#[derive(Clone, Default)]
pub struct WordTokenizer;

/// The base forms of the content words of an NFKC text.
pub fn word_tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    analysis::content_base_forms(text, |base, position| {
        out.push(Token { offset_from: 0, offset_to: 0, position, text: base, position_length: 1 })
    });
    out
}

/// How many recent texts each indexing thread remembers the words of: every message of a
/// conversation carries its subject, and the messages of one conversation come together.
const REMEMBERED: usize = 8;

thread_local! {
    static RECENT: std::cell::RefCell<std::collections::VecDeque<(String, Vec<Token>)>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// [`word_tokens`] of a short text, from the thread's recent ones when it was analysed lately.
fn word_tokens_remembered(text: &str) -> Vec<Token> {
    // Bodies are rarely repeated; remembering them would only cost.
    if text.len() > 200 {
        return word_tokens(text);
    }
    RECENT.with(|cell| {
        let mut recent = cell.borrow_mut();
        if let Some((_, tokens)) = recent.iter().find(|(t, _)| t == text) {
            return tokens.clone();
        }
        let tokens = word_tokens(text);
        if recent.len() == REMEMBERED {
            recent.pop_back();
        }
        recent.push_front((text.to_owned(), tokens.clone()));
        tokens
    })
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream { tokens: word_tokens_remembered(text), next: 0 }
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
