//! The chat bot's rules: what a customer's message means to it and what it does next.
//!
//! A new chat of a shop whose bot is on starts with the bot (status `bot`): it is nobody's work
//! yet, so routing, the SLA clock and the queue figures leave it alone. The bot answers from the
//! shop's knowledge base when an article clearly answers the question, offers the next-best
//! articles and asks 「解決しましたか？」. It hands the chat to a person — who reads the whole
//! exchange in the conversation — when the customer asks for one, when no article is a clear
//! answer, or when two answers did not help. A customer who says the answer helped ends the
//! chat as resolved by the bot. Everything here is pure; the server searches and stores.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::enums::string_enum;

/// Answers the bot gives before a customer who is still not helped goes to a person.
pub const MAX_ANSWERS: u32 = 2;

/// The quick replies under an answer. Sending one is the same as typing it.
pub const REPLY_SOLVED: &str = "はい、解決しました";
pub const REPLY_NOT_SOLVED: &str = "いいえ、解決していません";
pub const REPLY_PERSON: &str = "オペレーターと話したい";

string_enum!(
    /// The bot's part in a conversation.
    BotOutcome {
        /// The bot is answering (the conversation's status is `bot`).
        Active,
        /// The customer said an answer helped; the chat ended without a person.
        Resolved,
        /// A person took over.
        HandedOver,
    }
);

string_enum!(
    /// Why the bot handed a chat to a person.
    HandOverReason {
        /// The customer asked for a person.
        Requested,
        /// No article clearly answers the question.
        NotConfident,
        /// The answers given did not help.
        NotSolved,
        /// An agent took the chat over from the bot.
        TakenOver,
    }
);

/// What a customer's message means to the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// They want a person (オペレーター, 人と話したい, 担当者に代わって).
    Person,
    /// The answer helped (はい, 解決しました, ありがとう).
    Solved,
    /// It did not (いいえ, 解決していません, わからない).
    NotSolved,
    /// Anything else: a question to look up.
    Question,
}

/// Words that ask for a person, folded (see [`fold`]).
const PERSON: &[&str] = &[
    "オペレーター",
    "オペレータ",
    "担当者",
    "担当の方",
    "人と話",
    "人に代",
    "人に繋",
    "人につな",
    "人間",
    "有人",
    "スタッフ",
    "電話で話",
    "operator",
    "human",
    "agent",
    "person",
];

/// Japanese answers meaning "no, that did not help": at the start of the reply…
const NOT_SOLVED_START: &[&str] = &[
    "イイエ",
    "ダメデ",
    "ダメダ",
    "違イマス",
    "チガイマス",
    "解決シ",
    "ワカラ",
    "分カラ",
    "ワカリマセン",
    "分カリマセン",
];
/// …or the whole reply (違う商品が届いた is a question, 違う alone is not).
const NOT_SOLVED_WHOLE: &[&str] = &["ダメ", "違ウ", "チガウ", "イヤ", "no", "nope", "notyet", "notsolved", "didnthelp"];
/// …or anywhere in it (よくわからない). Checked before [`SOLVED`]: 解決していません begins like
/// 解決しました.
const NOT_SOLVED_ANYWHERE: &[&str] = &[
    "解決シテイマセン",
    "解決シテナイ",
    "解決シテイナイ",
    "解決シナイ",
    "解決シマセン",
    "ワカラナイ",
    "分カラナイ",
    "ワカリマセン",
    "分カリマセン",
];

/// Short Japanese answers meaning "yes, that helped", at the start of the reply.
const SOLVED: &[&str] = &[
    "ハイ",
    "解決シマシタ",
    "解決シタ",
    "ワカリマシタ",
    "分カリマシタ",
    "アリガトウ",
    "助カリマシタ",
    "デキマシタ",
    "大丈夫",
];

/// Whole replies in English.
const SOLVED_LATIN: &[&str] = &["ok", "okay", "yes", "thanks", "thankyou", "solved"];

/// A reply this long or longer is a question, whatever words it starts with.
const SHORT_REPLY_CHARS: usize = 24;

/// NFKC, lower case, hiragana as katakana, without spaces and punctuation: the form the phrase
/// lists above are written in.
fn fold(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// What the customer's message means to the bot.
pub fn intent(text: &str) -> Intent {
    let folded = fold(text);
    let has = |list: &[&str]| list.iter().any(|p| folded.contains(&fold(p)));
    if has(PERSON) {
        return Intent::Person;
    }
    if folded.chars().count() >= SHORT_REPLY_CHARS {
        return Intent::Question;
    }
    let starts = |list: &[&str]| list.iter().any(|p| folded.starts_with(&fold(p)));
    let no = NOT_SOLVED_WHOLE.iter().any(|p| folded == fold(p)) || has(NOT_SOLVED_ANYWHERE);
    // 解決し… and わから… at the start are negative only when no SOLVED word follows (解決しました).
    if no || (starts(NOT_SOLVED_START) && !starts(SOLVED)) {
        return Intent::NotSolved;
    }
    if SOLVED_LATIN.contains(&folded.as_str()) || starts(SOLVED) {
        return Intent::Solved;
    }
    Intent::Question
}

/// An article the knowledge base offered for the question, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub article_id: String,
    /// Whether the article clearly answers the question (see the search crate's confidence).
    pub confident: bool,
}

/// What the bot does with a customer's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer with the article at `best`, offer those at `related`, ask 「解決しましたか？」.
    Answer {
        best: usize,
        related: Vec<usize>,
    },
    /// The answer did not help and another try is left: ask for the question in other words.
    AskAgain,
    /// The customer was helped: end the chat as resolved by the bot.
    Resolve,
    HandOver(HandOverReason),
}

/// The articles offered beside the answer.
const RELATED: usize = 2;

/// The bot's next step, given the customer's message, how many answers it has given in this
/// chat, and the articles the knowledge base found for the message (best first).
pub fn decide(intent: Intent, answers_given: u32, candidates: &[Candidate]) -> Action {
    let answered = answers_given > 0;
    match intent {
        Intent::Person => Action::HandOver(HandOverReason::Requested),
        Intent::Solved if answered => Action::Resolve,
        Intent::NotSolved if answers_given >= MAX_ANSWERS => Action::HandOver(HandOverReason::NotSolved),
        Intent::NotSolved if answered => Action::AskAgain,
        // A yes or no to nothing the bot asked is read as a question (and will not be found).
        Intent::Solved | Intent::NotSolved | Intent::Question => {
            if answers_given >= MAX_ANSWERS {
                // Asking again after two answers: the answers did not help.
                return Action::HandOver(HandOverReason::NotSolved);
            }
            match candidates.first() {
                Some(c) if c.confident => {
                    Action::Answer { best: 0, related: (1..candidates.len()).take(RELATED).collect() }
                }
                _ => Action::HandOver(HandOverReason::NotConfident),
            }
        }
    }
}

/// Bot answers and hand-overs in a period, for the shop's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BotFigures {
    /// Chats the bot took.
    pub chats: i64,
    /// …ended with the customer saying an answer helped.
    pub resolved: i64,
    /// …handed to a person.
    pub handed_over: i64,
    /// …still with the bot (or left by the customer without a word).
    pub active: i64,
    /// resolved / chats, 0.0 without chats.
    pub resolved_rate: f64,
    /// handed_over / chats.
    pub handed_over_rate: f64,
}

impl BotFigures {
    pub fn new(resolved: i64, handed_over: i64, active: i64) -> Self {
        let chats = resolved + handed_over + active;
        let rate = |n: i64| if chats == 0 { 0.0 } else { n as f64 / chats as f64 };
        BotFigures {
            chats,
            resolved,
            handed_over,
            active,
            resolved_rate: rate(resolved),
            handed_over_rate: rate(handed_over),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sure(n: usize) -> Vec<Candidate> {
        (0..n).map(|i| Candidate { article_id: format!("a{i}"), confident: i == 0 }).collect()
    }

    fn unsure(n: usize) -> Vec<Candidate> {
        (0..n).map(|i| Candidate { article_id: format!("a{i}"), confident: false }).collect()
    }

    #[test]
    fn asking_for_a_person_is_recognised_in_any_wording_and_width() {
        for t in [
            "オペレーター",
            "ｵﾍﾟﾚｰﾀｰと話したい",
            "おぺれーたーにつないで",
            "担当者と話したい",
            "人と話したい",
            "人間に代わってください",
            "有人対応をお願いします",
            REPLY_PERSON,
            "Can I talk to a human?",
            "OPERATOR",
        ] {
            assert_eq!(intent(t), Intent::Person, "{t}");
        }
    }

    #[test]
    fn short_yes_and_no_are_read_and_longer_text_is_a_question() {
        for t in [
            REPLY_SOLVED,
            "はい",
            "ﾊｲ！",
            "解決しました。",
            "わかりました、ありがとう",
            "ありがとうございます",
            "OK",
            "yes",
        ] {
            assert_eq!(intent(t), Intent::Solved, "{t}");
        }
        for t in [
            REPLY_NOT_SOLVED,
            "いいえ",
            "解決しない",
            "よくわからないです",
            "ちがいます",
            "ダメでした",
            "No",
            "not yet",
        ] {
            assert_eq!(intent(t), Intent::NotSolved, "{t}");
        }
        for t in [
            "送料はいくらですか",
            "はい、それと領収書を宛名付きで発行してもらうことはできますか",
            "notebook",
            "okinawa",
            "商品にダメージがありました",
            "違う商品が届いた",
            "イヤホンが壊れていた",
            "解決方法を教えて",
            "返品したい",
        ] {
            assert_eq!(intent(t), Intent::Question, "{t}");
        }
    }

    #[test]
    fn a_clear_article_is_answered_with_related_ones_beside_it() {
        assert_eq!(decide(Intent::Question, 0, &sure(4)), Action::Answer { best: 0, related: vec![1, 2] });
        assert_eq!(decide(Intent::Question, 1, &sure(1)), Action::Answer { best: 0, related: vec![] });
    }

    #[test]
    fn no_clear_article_goes_to_a_person() {
        assert_eq!(decide(Intent::Question, 0, &unsure(3)), Action::HandOver(HandOverReason::NotConfident));
        assert_eq!(decide(Intent::Question, 0, &[]), Action::HandOver(HandOverReason::NotConfident));
        // A yes to nothing is a question, and nothing answers it.
        assert_eq!(decide(Intent::Solved, 0, &[]), Action::HandOver(HandOverReason::NotConfident));
    }

    #[test]
    fn two_answers_that_did_not_help_go_to_a_person() {
        assert_eq!(decide(Intent::NotSolved, 1, &[]), Action::AskAgain);
        assert_eq!(decide(Intent::NotSolved, 2, &[]), Action::HandOver(HandOverReason::NotSolved));
        // Asking something new after two answers is the same as saying they did not help.
        assert_eq!(decide(Intent::Question, 2, &sure(3)), Action::HandOver(HandOverReason::NotSolved));
    }

    #[test]
    fn asking_for_a_person_always_wins_and_a_yes_resolves() {
        for given in 0..=3 {
            assert_eq!(decide(Intent::Person, given, &sure(3)), Action::HandOver(HandOverReason::Requested));
        }
        assert_eq!(decide(Intent::Solved, 1, &[]), Action::Resolve);
        assert_eq!(decide(Intent::Solved, 2, &[]), Action::Resolve);
    }

    #[test]
    fn figures_give_rates_of_the_chats_the_bot_took() {
        let f = BotFigures::new(3, 1, 0);
        assert_eq!(f.chats, 4);
        assert!((f.resolved_rate - 0.75).abs() < 1e-9 && (f.handed_over_rate - 0.25).abs() < 1e-9);
        assert_eq!(BotFigures::new(0, 0, 0).resolved_rate, 0.0);
    }
}
