//! Walks a shop's [`VoiceFlow`] one caller input at a time, without I/O: given where the call
//! stands and what just happened (the call came in, a key was pressed, nothing was pressed, a
//! lookup answered, the queue wait ran out), it says what the caller hears next and what the
//! call waits for. Steps that ask nothing (an hours check, an announcement) are passed through
//! in the same turn. A telephony adapter renders the turn (TwiML, a native media path) and
//! stores the position with the call, so every adapter runs the same flow.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::flow::{Prompt, Step, VoiceFlow};
use crate::calendar::{BusinessCalendar, national_holiday};

/// Where a call stands in its flow: a step that waits, and how many times it has asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub step: String,
    #[serde(default)]
    pub tries: u32,
}

/// What the caller typed during the call (an order number under `order`).
pub type Vars = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The call entered the flow.
    Arrived,
    /// Keys pressed (a menu key, or collected digits, `#` included if pressed).
    Keys(String),
    /// Nothing pressed before the timeout.
    Silence,
    /// What a self-service lookup found to read out, or nothing.
    Looked(Option<String>),
    /// The queue's longest wait ran out.
    QueueTimedOut,
}

/// What the call waits for after this turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// Keys: one for a menu, up to `max_digits` ended by `#` for digits.
    Keys {
        prompt: Prompt,
        max_digits: u32,
        finish_on_hash: bool,
        timeout_seconds: u32,
    },
    /// The adapter looks up the caller's parcel (by the order collected, if any) and comes back
    /// with [`Input::Looked`].
    ParcelLookup {
        order: Option<String>,
    },
    Queue {
        skill: Option<String>,
        max_wait_seconds: Option<u32>,
    },
    Callback,
    Voicemail {
        max_seconds: u32,
    },
    Transfer {
        number: String,
    },
    Hangup,
}

/// One turn: what is said first, then what the call waits for, and where it now stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub say: Vec<Prompt>,
    pub wait: Wait,
    pub at: Position,
    /// The steps passed in this turn, in order (the call's IVR path).
    pub path: Vec<String>,
}

/// The calendar the flow's hours step reads, and the time now.
pub struct Clock<'a> {
    pub calendar: &'a BusinessCalendar<'a>,
    pub now: DateTime<Utc>,
}

/// A guard against a flow that would pass through steps forever (validation refuses such a
/// flow; an edited flow stored before the check or a bug must still not hang a call).
const MAX_HOPS: usize = 64;

/// The next turn of a call at `at` (`None`: the call just came in) after `input`.
pub fn advance(flow: &VoiceFlow, at: Option<&Position>, input: Input, vars: &mut Vars, clock: &Clock<'_>) -> Turn {
    let mut say = Vec::new();
    let Some(at) = at.filter(|p| flow.steps.contains_key(&p.step)) else {
        return walk(flow, &flow.start, vars, clock, say);
    };
    let step = &flow.steps[&at.step];
    match (step, input) {
        (Step::Menu { options, .. }, Input::Keys(k)) if options.contains_key(k.trim_end_matches('#')) => {
            walk(flow, &options[k.trim_end_matches('#')], vars, clock, say)
        }
        (Step::Menu { retries, invalid, otherwise, .. }, input @ (Input::Keys(_) | Input::Silence)) => {
            if at.tries >= *retries {
                return walk(flow, otherwise, vars, clock, say);
            }
            if matches!(input, Input::Keys(_))
                && let Some(p) = invalid
            {
                say.push(p.clone());
            }
            ask_again(flow, at, say)
        }
        (Step::Collect { store_as, min_digits, max_digits, read_back, next, .. }, Input::Keys(k))
            if digits_fit(&k, *min_digits, *max_digits) =>
        {
            let digits = k.trim_end_matches('#').to_owned();
            if *read_back {
                say.push(Prompt::Text { text: format!("ご入力の番号は、{}、です。", spaced(&digits)) });
            }
            vars.insert(store_as.clone(), digits);
            walk(flow, next, vars, clock, say)
        }
        (Step::Collect { retries, otherwise, .. }, Input::Keys(_) | Input::Silence) => {
            if at.tries >= *retries {
                return walk(flow, otherwise, vars, clock, say);
            }
            ask_again(flow, at, say)
        }
        (Step::ParcelStatus { next, not_found }, Input::Looked(found)) => match found {
            Some(text) => {
                say.push(Prompt::Text { text });
                walk(flow, next, vars, clock, say)
            }
            None => walk(flow, not_found, vars, clock, say),
        },
        (Step::Queue { overflow: Some(o), .. }, Input::QueueTimedOut) => walk(flow, o, vars, clock, say),
        // Anything else (a late or repeated callback, a key pressed while queued): the call
        // stays where it is and the step is rendered again.
        _ => {
            let mut turn = enter(flow, &at.step, vars, clock, say, Vec::new(), 0);
            turn.at.tries = at.tries;
            turn
        }
    }
}

/// The same question again, one try more.
fn ask_again(flow: &VoiceFlow, at: &Position, say: Vec<Prompt>) -> Turn {
    let wait = wait_of(&flow.steps[&at.step], &Vars::new()).unwrap_or(Wait::Hangup);
    Turn { say, wait, at: Position { step: at.step.clone(), tries: at.tries + 1 }, path: vec![at.step.clone()] }
}

fn walk(flow: &VoiceFlow, from: &str, vars: &Vars, clock: &Clock<'_>, say: Vec<Prompt>) -> Turn {
    enter(flow, from, vars, clock, say, Vec::new(), 0)
}

/// Enters `name`, passing through steps that ask nothing, until one that waits.
fn enter(
    flow: &VoiceFlow,
    name: &str,
    vars: &Vars,
    clock: &Clock<'_>,
    mut say: Vec<Prompt>,
    mut path: Vec<String>,
    hops: usize,
) -> Turn {
    let Some(step) = flow.steps.get(name).filter(|_| hops < MAX_HOPS) else {
        return Turn { say, wait: Wait::Hangup, at: Position { step: name.to_owned(), tries: 0 }, path };
    };
    path.push(name.to_owned());
    let next = match step {
        Step::Hours { open, closed, holiday } => Some(hours_branch(clock, open, closed, holiday.as_deref())),
        Step::Announce { prompt, next } => {
            say.push(prompt.clone());
            Some(next.as_str())
        }
        Step::Callback { prompt } | Step::Voicemail { prompt, .. } => {
            say.push(prompt.clone());
            None
        }
        Step::Hangup { prompt } => {
            say.extend(prompt.iter().cloned());
            None
        }
        _ => None,
    };
    match next {
        Some(n) => enter(flow, n, vars, clock, say, path, hops + 1),
        None => {
            let wait = wait_of(step, vars).unwrap_or(Wait::Hangup);
            Turn { say, wait, at: Position { step: name.to_owned(), tries: 0 }, path }
        }
    }
}

/// What a step that stops the walk waits for.
fn wait_of(step: &Step, vars: &Vars) -> Option<Wait> {
    Some(match step {
        Step::Menu { prompt, timeout_seconds, .. } => Wait::Keys {
            prompt: prompt.clone(),
            max_digits: 1,
            finish_on_hash: false,
            timeout_seconds: *timeout_seconds,
        },
        Step::Collect { prompt, max_digits, timeout_seconds, .. } => Wait::Keys {
            prompt: prompt.clone(),
            max_digits: *max_digits,
            finish_on_hash: true,
            timeout_seconds: *timeout_seconds,
        },
        Step::ParcelStatus { .. } => Wait::ParcelLookup { order: vars.get("order").cloned() },
        Step::Queue { skill, max_wait_seconds, .. } => {
            Wait::Queue { skill: skill.clone(), max_wait_seconds: *max_wait_seconds }
        }
        Step::Callback { .. } => Wait::Callback,
        Step::Voicemail { max_seconds, .. } => Wait::Voicemail { max_seconds: *max_seconds },
        Step::Transfer { number } => Wait::Transfer { number: number.clone() },
        Step::Hangup { .. } => Wait::Hangup,
        Step::Hours { .. } | Step::Announce { .. } => return None,
    })
}

fn hours_branch<'a>(clock: &Clock<'_>, open: &'a str, closed: &'a str, holiday: Option<&'a str>) -> &'a str {
    let local = clock.calendar.timezone.from_utc_datetime(&clock.now.naive_utc()).date_naive();
    if let Some(h) = holiday
        && national_holiday(local).is_some()
    {
        return h;
    }
    if clock.calendar.is_open_at(clock.now) { open } else { closed }
}

fn digits_fit(keys: &str, min: u32, max: u32) -> bool {
    let d = keys.trim_end_matches('#');
    let n = u32::try_from(d.chars().count()).unwrap_or(u32::MAX);
    !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()) && (min..=max).contains(&n)
}

/// Digits read one by one (「1、2、3」), as a voice reads an order number back.
fn spaced(digits: &str) -> String {
    digits.chars().map(String::from).collect::<Vec<_>>().join("、")
}
