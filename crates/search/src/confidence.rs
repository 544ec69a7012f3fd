//! How sure the bot may be that an article answers a customer's question.
//!
//! A relevance score ranks articles against each other, but its size depends on the length of
//! the question and on how many articles the shop has, so it cannot say "this answers it".
//! Coverage can: the share of the question's content words (by dictionary form) that the
//! article contains, as a word or as characters. 送料って無料になりますか against 送料はいくら
//! ですか？ … 送料無料 covers 送料 and 無料: 1.0. A question about something the knowledge base
//! does not cover shares a word or two by chance and stays low.

use std::collections::HashSet;

use crate::analysis::{normalize, words};
use crate::tokenizers::gram_tokens;

/// The coverage from which the bot answers with an article; below it, a person answers.
/// Chosen on the relevance set (`tests/relevance`), whose test prints the coverage of every
/// question and keeps the set's right answers above and its out-of-scope questions below it.
pub const CONFIDENT_COVERAGE: f32 = 0.6;

/// The share (0.0–1.0) of `question`'s content words found in `text`; 0.0 for a question with
/// no content word. Without the dictionary, the share of the question's character bigrams.
pub fn coverage(question: &str, text: &str) -> f32 {
    let folded_text = normalize(text);
    match (words(question), words(text)) {
        (Some(q), Some(t)) => {
            let have: HashSet<String> = t.into_iter().filter(|w| w.content).map(|w| w.base).collect();
            let mut asked: Vec<(String, String)> =
                q.into_iter().filter(|w| w.content).map(|w| (w.base, w.surface)).collect();
            asked.sort();
            asked.dedup_by(|a, b| a.0 == b.0);
            if asked.is_empty() {
                return 0.0;
            }
            let found = asked
                .iter()
                .filter(|(base, surface)| {
                    // The dictionary may split the article differently (送料無料 as one word): the
                    // characters count too, for words of two characters or more.
                    have.contains(base) || (surface.chars().count() >= 2 && folded_text.contains(surface.as_str()))
                })
                .count();
            found as f32 / asked.len() as f32
        }
        _ => {
            let grams: HashSet<String> = gram_tokens(&normalize(question))
                .into_iter()
                .map(|t| t.text)
                .filter(|t| t.chars().count() == 2)
                .collect();
            if grams.is_empty() {
                return 0.0;
            }
            grams.iter().filter(|g| folded_text.contains(g.as_str())).count() as f32 / grams.len() as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_counts_the_questions_content_words_in_the_text() {
        let article = "送料はいくらですか？ 全国一律550円です。5,000円以上で送料無料。";
        assert!((coverage("送料って無料になりますか", article) - 1.0).abs() < f32::EPSILON);
        // Inflection and width do not matter.
        assert!(coverage("ｿｳﾘｮｳはいくら", "送料はいくら") < 1.0 + f32::EPSILON);
        assert!((coverage("荷物が届かない", "荷物はいつ届きますか") - 1.0).abs() < f32::EPSILON);
        // Half the words: half the coverage.
        assert!((coverage("送料と領収書", article) - 0.5).abs() < f32::EPSILON);
        // Nothing in common, or nothing asked.
        assert_eq!(coverage("株価を教えて", article), 0.0);
        assert_eq!(coverage("それは？", article), 0.0);
    }
}
