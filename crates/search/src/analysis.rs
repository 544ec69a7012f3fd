//! Japanese text analysis: what a text and a query are turned into so that they meet.
//!
//! Two streams come out of every text:
//!
//! - **words**: morphological analysis over IPADIC (vibrato), each content word as its base form
//!   and as written, so 届かない, 届きません and 届く all give 届く;
//! - **grams**: character bigrams (and a unigram where a run ends) of the folded text, so a
//!   1–2 character query (傷, 返品), a product code or a word the dictionary does not know still
//!   matches. Latin letters and digits stay whole words (an order number is one term).
//!
//! Both go through the same folding: NFKC (full-width ＡＢＣ１２３ and half-width ｶﾀｶﾅ become
//! their usual forms), lower case, hiragana to katakana, small kana to large (ァ→ア, ッ→ツ), and
//! a long-vowel mark ending a katakana word of three or more characters dropped (コンピューター and
//! コンピュータ are one word). Morphological analysis runs on the NFKC text *before* kana
//! folding, because the dictionary needs the original spelling to split a sentence correctly.

use std::cell::RefCell;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// The IPADIC dictionary compiled at build time; empty if the build could not make it.
static DICTIONARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ipadic.dic"));

fn tokenizer() -> Option<&'static vibrato::Tokenizer> {
    static TOKENIZER: OnceLock<Option<vibrato::Tokenizer>> = OnceLock::new();
    TOKENIZER
        .get_or_init(|| {
            if DICTIONARY.is_empty() {
                tracing::warn!("the IPADIC dictionary is missing: Japanese search runs on character n-grams only");
                return None;
            }
            match vibrato::Dictionary::read(DICTIONARY) {
                // Unknown words (runs of katakana, symbols) grouped up to 24 characters, as MeCab does:
                // an unlimited run makes the lattice of a long unknown run grow for nothing.
                Ok(d) => Some(vibrato::Tokenizer::new(d).max_grouping_len(24)),
                Err(e) => {
                    tracing::warn!(error = %e, "the IPADIC dictionary could not be read: search runs on n-grams only");
                    None
                }
            }
        })
        .as_ref()
}

/// Whether morphological analysis is on (the dictionary was built and loads).
pub fn morphology_available() -> bool {
    tokenizer().is_some()
}

thread_local! {
    static WORKER: RefCell<Option<vibrato::tokenizer::worker::Worker<'static>>> = const { RefCell::new(None) };
}

/// NFKC: the width of letters, digits and katakana stops mattering.
pub fn nfkc(text: &str) -> String {
    // Most text is NFKC already (and text indexed is NFKC'd once more inside the analysis): the
    // quick check is far cheaper than decomposing and composing again.
    if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        return text.to_owned();
    }
    text.nfkc().collect()
}

fn is_katakana(c: char) -> bool {
    matches!(c, 'ァ'..='ヺ' | 'ー')
}

/// Blocks without upper and lower case (CJK punctuation, kana, kanji): most of a Japanese
/// text, which then skips the Unicode case tables.
fn caseless(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Hiragana as katakana, small kana as large.
fn fold_kana(c: char) -> char {
    let c = match c {
        'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        c => c,
    };
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        c => c,
    }
}

/// Folds one character of an NFKC text: lower case, kana (no word-level rules; see [`fold`]).
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else if caseless(c) {
        fold_kana(c)
    } else {
        fold_kana(c.to_lowercase().next().unwrap_or(c))
    }
}

/// Folds one already-NFKC text for comparison; see the module comment.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A long-vowel mark that ends a katakana word of three or more characters is dropped; whether
    // it ends the word is known at the next character, so it waits in `held` until then.
    let mut katakana_run = 0usize;
    let mut held = false;
    let mut emit = |c: char| {
        if held {
            if is_katakana(c) {
                out.push('ー');
            }
            held = false;
        }
        if c == 'ー' && katakana_run >= 3 {
            held = true;
        } else {
            out.push(c);
        }
        katakana_run = if is_katakana(c) { katakana_run + 1 } else { 0 };
    };
    for c in text.chars() {
        if c.is_ascii() || caseless(c) {
            emit(fold_char(c));
        } else {
            // A few letters lower-case to two characters (İ): keep them all.
            c.to_lowercase().map(fold_kana).for_each(&mut emit);
        }
    }
    out
}

/// Normalises any text for search: NFKC, then [`fold`].
pub fn normalize(text: &str) -> String {
    fold(&nfkc(text))
}

/// Light verbs and formal nouns that say nothing about what a text is about (する in 返品したい,
/// こと in 返品すること): not content words, so a question is matched on what it asks.
const STOP_WORDS: [&str; 30] = [
    "する",
    "いる",
    "ある",
    "なる",
    "できる",
    "いう",
    "おる",
    "くる",
    "いく",
    "くださる",
    "いただく",
    "もらう",
    "くれる",
    "思う",
    "こと",
    "もの",
    "よう",
    "ため",
    "とき",
    "ところ",
    "ほう",
    "それ",
    "これ",
    "あれ",
    "どれ",
    "ここ",
    "そこ",
    "何",
    "なに",
    "ん",
];

fn is_stop_word(folded_base: &str) -> bool {
    static FOLDED: OnceLock<Vec<String>> = OnceLock::new();
    FOLDED.get_or_init(|| STOP_WORDS.iter().map(|w| normalize(w)).collect()).iter().any(|w| w == folded_base)
}

/// One word of a text from morphological analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// As written, folded.
    pub surface: String,
    /// The dictionary form, folded (届き → 届く); the surface for unknown words.
    pub base: String,
    /// A content word (noun, verb, adjective, adverb, unknown): what a query must match.
    pub content: bool,
    /// Position among the words of the text.
    pub position: usize,
}

/// The words of a text, or `None` without a dictionary.
pub fn words(text: &str) -> Option<Vec<Word>> {
    let mut out = Vec::new();
    analyse(&nfkc(text), true, |w| out.push(w))?;
    Some(out)
}

/// The content words of an NFKC text as `(folded base form, position)`, or `None` without a
/// dictionary: what the index's word fields hold (no surface forms, no second NFKC).
pub fn content_base_forms(nfkc_text: &str, mut each: impl FnMut(String, usize)) -> Option<()> {
    analyse(nfkc_text, false, |w| {
        if w.content {
            each(w.base, w.position)
        }
    })
}

/// How an NFKC text is read, in katakana, a line per line: every word by its dictionary reading
/// (返品 → ヘンピン, 届か → トドカ), unknown words and symbols as written. A customer who
/// types へんぴん or とどかない without converting meets the text here, as characters: readings
/// split differently from kana queries, so they are matched as bigrams, not as words. Empty
/// without a dictionary.
pub fn reading(nfkc_text: &str) -> String {
    let Some(tokenizer) = tokenizer() else { return String::new() };
    let dictionary = tokenizer.dictionary();
    let mut out = String::with_capacity(nfkc_text.len());
    WORKER.with(|cell| {
        ENTRIES.with(|entries| {
            let mut slot = cell.borrow_mut();
            let mut entries = entries.borrow_mut();
            let worker = slot.get_or_insert_with(|| tokenizer.new_worker());
            for line in nfkc_text.split(['\n', '\r', '。', '！', '？', '!', '?']) {
                if line.trim().is_empty() {
                    continue;
                }
                worker.reset_sentence(line);
                worker.tokenize();
                let mut bases = Vec::new();
                for t in worker.token_iter() {
                    let idx = t.word_idx();
                    let entry = entries
                        .entry((idx.lex_type as u8, idx.word_id))
                        .or_insert_with(|| Entry::of(dictionary.word_feature(idx)));
                    out.push_str(entry.reading.as_deref().unwrap_or(t.surface()));
                    if let Some(b) = base_reading(entry, t.surface()) {
                        bases.push(b);
                    }
                }
                out.push('\n');
                // An inflected word is also read in its dictionary form (届き → トドク), on its own
                // line, so that とどかない meets 届きません there.
                for b in bases {
                    out.push_str(&b);
                    out.push('\n');
                }
            }
        })
    });
    out
}

/// How an inflected content word (a verb or adjective not in its dictionary form) is read in
/// its dictionary form: the reading with the surface's inflected ending replaced by the base
/// form's (届き トドキ, base 届く → トドク; 届い トドイ → トドク). `None` for words in their
/// dictionary form, nouns and unknown words. Irregular stems (来る read キ) come out wrong and
/// only miss that match.
fn base_reading(entry: &Entry, surface: &str) -> Option<String> {
    let (base, reading) = (entry.base.as_deref()?, entry.reading.as_deref()?);
    if !entry.content_pos {
        return None;
    }
    let surface = fold(surface);
    if surface == base {
        return None;
    }
    let shared = surface.chars().zip(base.chars()).take_while(|(a, b)| a == b).count();
    if shared == 0 {
        return None;
    }
    let ending: String = surface.chars().skip(shared).collect();
    let stem = reading.strip_suffix(ending.as_str())?;
    let base_ending: String = base.chars().skip(shared).collect();
    Some(format!("{stem}{base_ending}"))
}

/// The dictionary forms of the inflected words of a kana query, in katakana (とどかない →
/// トドク): what the readings hold for every inflection of those words.
pub fn kana_base_forms(nfkc_text: &str) -> Vec<String> {
    words(nfkc_text)
        .unwrap_or_default()
        .into_iter()
        .filter(|w| w.content && w.base != w.surface && w.base.chars().count() >= 2 && kana_only(&w.base))
        .map(|w| w.base)
        .collect()
}

/// Whether a query part is written in kana only (with the long-vowel mark): what a customer
/// types when they did not convert, and what is also looked for by reading.
pub fn kana_only(text: &str) -> bool {
    let mut any = false;
    for c in text.chars() {
        match c {
            '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー' | 'ｰ' | '\u{FF66}'..='\u{FF9F}' => any = true,
            _ => return false,
        }
    }
    any
}

/// What the dictionary says about one of its words, worked out once per thread: reading the
/// feature string (splitting it, folding the base form) for every word of every text cost as
/// much as a fifth of the analysis.
struct Entry {
    /// A content part of speech (noun, verb, adjective, adverb, …) standing on its own.
    content_pos: bool,
    /// The folded dictionary form; `None` when the dictionary has none (unknown words): the
    /// surface is the base.
    base: Option<String>,
    /// Whether `base` is a stop word.
    stop: bool,
    /// How the word as written is read (katakana, the orthographic reading); `None` for unknown
    /// words, which are read as written.
    reading: Option<String>,
}

impl Entry {
    fn of(feature: &str) -> Entry {
        // IPADIC features: part of speech, its subdivisions (three), conjugation type and form,
        // base form, reading, pronunciation.
        let mut feature = feature.split(',');
        let pos = feature.next().unwrap_or_default();
        // いる in 届いていない, さん, 的: attached to a word, not one of their own.
        let dependent = matches!(feature.next().unwrap_or_default(), "非自立" | "接尾");
        let content_pos = matches!(pos, "名詞" | "動詞" | "形容詞" | "副詞" | "連体詞" | "感動詞") && !dependent;
        let base = feature.nth(4).filter(|b| !b.is_empty() && *b != "*").map(fold);
        let reading = feature.next().filter(|r| !r.is_empty() && *r != "*").map(str::to_owned);
        let stop = base.as_deref().is_some_and(is_stop_word);
        Entry { content_pos, base, stop, reading }
    }
}

thread_local! {
    static ENTRIES: RefCell<rustc_hash::FxHashMap<(u8, u32), Entry>> = RefCell::new(Default::default());
}

/// Morphological analysis of an NFKC text, a word at a time; `surface` says whether the folded
/// surface form is wanted (it is left empty otherwise).
fn analyse(text: &str, surface: bool, mut each: impl FnMut(Word)) -> Option<()> {
    let tokenizer = tokenizer()?;
    let dictionary = tokenizer.dictionary();
    WORKER.with(|cell| {
        ENTRIES.with(|entries| {
            let mut slot = cell.borrow_mut();
            let mut entries = entries.borrow_mut();
            let worker = slot.get_or_insert_with(|| tokenizer.new_worker());
            let mut position = 0;
            // Sentences are analysed a line at a time: the lattice stays small on long mails.
            for line in text.split(['\n', '\r', '。', '！', '？', '!', '?']) {
                if line.trim().is_empty() {
                    continue;
                }
                worker.reset_sentence(line);
                worker.tokenize();
                for t in worker.token_iter() {
                    let written = t.surface();
                    if written.trim().is_empty() {
                        continue;
                    }
                    let idx = t.word_idx();
                    let entry = entries
                        .entry((idx.lex_type as u8, idx.word_id))
                        .or_insert_with(|| Entry::of(dictionary.word_feature(idx)));
                    let candidate = entry.content_pos && written.chars().any(char::is_alphanumeric);
                    // Base forms are folded only where they are used: a particle's never is.
                    if !(candidate || surface) {
                        position += 1;
                        continue;
                    }
                    let (base, stop) = match &entry.base {
                        Some(b) => (b.clone(), entry.stop),
                        None => {
                            let b = fold(written);
                            let stop = is_stop_word(&b);
                            (b, stop)
                        }
                    };
                    let content = candidate && !stop;
                    let surface = if surface { fold(written) } else { String::new() };
                    each(Word { surface, base, content, position });
                    position += 1;
                }
            }
            Some(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_case_and_kana_are_folded() {
        assert_eq!(normalize("ＡＢＣ－１２３"), normalize("abc-123"));
        assert_eq!(normalize("ﾍﾝﾋﾟﾝ"), normalize("へんぴん"));
        assert_eq!(normalize("ヘンピン"), normalize("へんぴん"));
        assert_eq!(normalize("キャンセル"), normalize("キヤンセル"));
        assert_eq!(normalize("コンピューター"), normalize("コンピュータ"));
        assert_eq!(normalize("ユーザー登録"), normalize("ユーザ登録"));
        assert_eq!(normalize("サーバー"), normalize("サーバ"));
        // A long vowel inside a word, or after a short one, stays.
        assert_ne!(normalize("ボール"), normalize("ボル"));
        assert_eq!(normalize("ラーメン"), "ラーメン");
        // Letters of any script are lower-cased, also those that become two characters.
        assert_eq!(normalize("ÄÖÜ Straße ΣΑΣ İ"), "äöü straße σασ i\u{307}");
        assert_eq!(fold_char('Ä'), 'ä');
        assert_eq!(fold_char('ぁ'), 'ア');
    }

    #[test]
    fn inflected_verbs_meet_at_their_base_form() {
        assert!(morphology_available(), "the IPADIC dictionary is built into the binary");
        let base = |t: &str| -> Vec<String> {
            words(t).unwrap_or_default().into_iter().filter(|w| w.content).map(|w| w.base).collect()
        };
        for t in ["荷物が届かない", "荷物が届きません", "荷物が届いていない", "荷物は届く"]
        {
            assert!(base(t).contains(&normalize("届く")), "{t}: {:?}", base(t));
        }
        assert!(base("キャンセルしたい").contains(&normalize("キャンセル")));
        // Particles, auxiliaries and dependent verbs are not content words.
        assert!(!base("届かない").contains(&normalize("ない")));
        assert_eq!(base("届いていない"), vec![normalize("届く")]);
        // Light verbs and formal nouns neither.
        assert_eq!(base("返品したいこと"), vec![normalize("返品")]);
    }

    #[test]
    fn inflected_words_are_also_read_in_their_dictionary_form() {
        let r = reading(&nfkc("商品がまだ届きません。昨日届いた"));
        assert!(r.lines().filter(|l| *l == "トドク").count() == 2, "{r}");
        assert_eq!(kana_base_forms("とどかない"), vec!["トドク"]);
        assert_eq!(kana_base_forms("とどいていない"), vec!["トドク"]);
        assert!(kana_base_forms("へんぴん").is_empty(), "a noun has no other form");
    }

    #[test]
    fn a_text_is_read_in_katakana_and_unknown_words_as_written() {
        assert!(reading(&nfkc("商品が届かない。返品したい")).contains("トドカナイ\nトドク\nヘンピン"));
        assert!(reading("HM-10023を確認").starts_with("HM-10023"));
        assert!(kana_only("とどかない") && kana_only("ヘンピン") && kana_only("ﾍﾝﾋﾟﾝ"));
        assert!(!kana_only("届かない") && !kana_only("") && !kana_only("へんぴん2"));
    }
}
