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

/// Character bigrams of CJK text, Latin words whole. Positions are character indexes, so a
/// phrase of consecutive bigrams is a substring.
///
/// The index holds a bigram at every CJK character that has one after it, and a unigram only
/// at the end of a run (傷 in 傷。, or a lone 傷): half the terms of a unigram at every
/// character, and still every substring can be found (see `gram_query` in the index). The
/// snippet highlighter takes every unigram ([`GramTokenizer::highlighter`]) so that a match of
/// one character inside a run can be marked.
#[derive(Clone, Default)]
pub struct GramTokenizer {
    every_unigram: bool,
}

impl GramTokenizer {
    /// The grams as the index holds them.
    pub fn index() -> Self {
        GramTokenizer { every_unigram: false }
    }
    /// Also the unigram of every character, with the bigram starting at it (snippets).
    pub fn highlighter() -> Self {
        GramTokenizer { every_unigram: true }
    }
}

/// The grams of an NFKC text as they are made, one token buffer reused for all (the index
/// copies each term out; a text gives about one gram a character).
pub struct GramStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    /// Character index of the next character `chars` gives.
    index: usize,
    every_unigram: bool,
    /// The bigram still to hand out after the unigram just handed out (`every_unigram`):
    /// its first character, byte offset and position.
    bigram: Option<(char, usize, usize)>,
    token: Token,
}

impl<'a> GramStream<'a> {
    pub fn new(text: &'a str, every_unigram: bool) -> Self {
        GramStream {
            text,
            chars: text.char_indices().peekable(),
            index: 0,
            every_unigram,
            bigram: None,
            token: Token::default(),
        }
    }

    fn next_char(&mut self) -> Option<(usize, char)> {
        let next = self.chars.next()?;
        self.index += 1;
        Some(next)
    }

    fn end_of_next(&mut self) -> usize {
        self.chars.peek().map_or(self.text.len(), |(b, _)| *b)
    }

    fn set(&mut self, from: usize, to: usize, position: usize) {
        let t = &mut self.token;
        t.offset_from = from;
        t.offset_to = to;
        t.position = position;
        t.position_length = 1;
    }

    /// The bigram of `first` (already folded, at byte `from`) and the character `chars` gives
    /// next; `false` at the end of the text.
    fn bigram(&mut self, first: char, from: usize, position: usize) -> bool {
        let mut ahead = self.chars.clone();
        let Some((_, second)) = ahead.next() else { return false };
        let to = ahead.peek().map_or(self.text.len(), |(b, _)| *b);
        self.token.text.clear();
        self.token.text.push(first);
        self.token.text.push(fold_char(second));
        self.set(from, to, position);
        true
    }
}

fn trim_word(c: char) -> bool {
    matches!(c, '-' | '_' | '.' | '@' | '+')
}

impl TokenStream for GramStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some((first, from, position)) = self.bigram.take()
            && self.bigram(first, from, position)
        {
            return true;
        }
        while let Some((from, c)) = self.next_char() {
            let position = self.index - 1;
            if is_cjk(c) {
                let fc = fold_char(c);
                let run_goes_on = self.chars.peek().is_some_and(|(_, n)| is_cjk(*n));
                if run_goes_on {
                    if !self.every_unigram && self.bigram(fc, from, position) {
                        return true;
                    }
                    self.bigram = Some((fc, from, position));
                }
                let to = self.end_of_next();
                self.token.text.clear();
                self.token.text.push(fc);
                self.set(from, to, position);
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
                self.token.text.clear();
                self.token.text.push_str(word);
                self.token.text.make_ascii_lowercase();
                self.set(from, to, position);
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

fn collect(mut stream: GramStream<'_>) -> Vec<Token> {
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// The grams of an NFKC text as the index holds them, with byte offsets into it.
pub fn gram_tokens(text: &str) -> Vec<Token> {
    collect(GramStream::new(text, false))
}

/// Every unigram and bigram of an NFKC text (what a query is highlighted with).
pub fn all_gram_tokens(text: &str) -> Vec<Token> {
    collect(GramStream::new(text, true))
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = GramStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> GramStream<'a> {
        GramStream::new(text, self.every_unigram)
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
        for t in gram_tokens(&text).into_iter().chain(all_gram_tokens(&text)) {
            let slice = &text[t.offset_from..t.offset_to];
            assert_eq!(analysis::fold(&slice.to_lowercase()), t.text, "{t:?}");
        }
        let texts: Vec<String> = gram_tokens(&text).into_iter().map(|t| t.text).collect();
        assert!(texts.contains(&"hm-10023".to_owned()), "an order number stays one term: {texts:?}");
        assert!(texts.contains(&"傷ノ".to_owned()));
        assert!(texts.contains(&"品".to_owned()), "the end of a run has its unigram: {texts:?}");
    }

    #[test]
    fn the_index_has_a_bigram_at_every_character_and_a_unigram_at_the_end_of_a_run() {
        let grams =
            |tokens: Vec<Token>| -> Vec<(String, usize)> { tokens.into_iter().map(|t| (t.text, t.position)).collect() };
        let expected = |list: &[(&str, usize)]| -> Vec<(String, usize)> {
            list.iter().map(|(t, p)| (t.to_string(), *p)).collect()
        };
        let text = analysis::nfkc("返品の傷");
        assert_eq!(grams(gram_tokens(&text)), expected(&[("返品", 0), ("品ノ", 1), ("ノ傷", 2), ("傷", 3)]));
        assert_eq!(
            grams(all_gram_tokens(&text)),
            expected(&[("返", 0), ("返品", 0), ("品", 1), ("品ノ", 1), ("ノ", 2), ("ノ傷", 2), ("傷", 3)])
        );
        // A lone character between Latin words is a unigram; a run ends before a symbol.
        let text = analysis::nfkc("A4の箱、傷あり");
        assert_eq!(
            grams(gram_tokens(&text)),
            expected(&[("a4", 0), ("ノ箱", 2), ("箱", 3), ("傷ア", 5), ("アリ", 6), ("リ", 7)])
        );
    }
}
