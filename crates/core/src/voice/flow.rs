//! A shop's IVR flow (音声ガイダンス) as data: named steps, each leading to others by name, from
//! `start`. The shop edits it; the interpreter in [`super::ivr`] walks it one caller input at a
//! time; a telephony adapter only renders what the interpreter says. A flow is checked before it
//! is stored: every step named exists, every step is reachable, none loops forever without the
//! caller being asked something, and every step can still end the call (queue, voicemail,
//! transfer, callback or hang-up) — so no caller is stuck in a loop of announcements.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::validation::ValidationError;

/// What the caller hears: a shop's recorded file, or text read by the provider's Japanese voice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Prompt {
    Text {
        text: String,
    },
    /// A prompt file uploaded by the shop, by its storage key.
    Recording {
        file: String,
    },
}

/// The keys a caller may press.
pub const KEYS: &str = "0123456789*#";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Branches on the number's (or shop's) calendar: open now, or closed (a closed day or
    /// outside hours); a national holiday goes to `holiday` when given, else as the calendar says.
    Hours {
        open: String,
        closed: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        holiday: Option<String>,
    },
    Announce {
        prompt: Prompt,
        next: String,
    },
    /// 「ご注文・お届けは1を…」: a key leads to a step; no key in time or a key not offered asks
    /// again (`invalid` said first), and after `retries` more tries goes to `otherwise`.
    Menu {
        prompt: Prompt,
        options: BTreeMap<String, String>,
        #[serde(default = "default_timeout")]
        timeout_seconds: u32,
        #[serde(default = "default_retries")]
        retries: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invalid: Option<Prompt>,
        otherwise: String,
    },
    /// Digits the caller types (an order number), ended by # or by `max_digits`; kept under
    /// `store_as` for the agent and for lookups, read back when `read_back`.
    Collect {
        prompt: Prompt,
        store_as: String,
        #[serde(default = "default_min_digits")]
        min_digits: u32,
        max_digits: u32,
        #[serde(default = "default_timeout")]
        timeout_seconds: u32,
        #[serde(default = "default_retries")]
        retries: u32,
        #[serde(default)]
        read_back: bool,
        next: String,
        otherwise: String,
    },
    /// Self-service: the caller's latest parcel (or the order collected as `order`) read back
    /// from the shop's shipment data, then on to `next`; `not_found` when there is none.
    ParcelStatus {
        next: String,
        not_found: String,
    },
    /// Waits for an agent with `skill` (any of the shop's agents when absent); after
    /// `max_wait_seconds` the caller goes to `overflow` (voicemail or a callback offer).
    Queue {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skill: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_wait_seconds: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        overflow: Option<String>,
    },
    /// Keeps the caller's place and calls back: the number is noted on the conversation.
    Callback {
        prompt: Prompt,
    },
    /// The caller leaves a message; it lands in the conversation with the recording.
    Voicemail {
        prompt: Prompt,
        #[serde(default = "default_voicemail_seconds")]
        max_seconds: u32,
    },
    /// To an outside number (E.164), e.g. the shop's own line.
    Transfer {
        number: String,
    },
    Hangup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<Prompt>,
    },
}

fn default_timeout() -> u32 {
    5
}
fn default_retries() -> u32 {
    2
}
fn default_min_digits() -> u32 {
    1
}
fn default_voicemail_seconds() -> u32 {
    120
}

/// A shop's flow: where calls begin, and the steps by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoiceFlow {
    pub start: String,
    pub steps: BTreeMap<String, Step>,
}

/// The most steps a flow may have: a phone menu people can follow is far smaller.
pub const MAX_STEPS: usize = 100;

impl Step {
    /// The steps this one may lead to.
    pub fn next_steps(&self) -> Vec<&str> {
        match self {
            Step::Hours { open, closed, holiday } => {
                let mut v = vec![open.as_str(), closed.as_str()];
                v.extend(holiday.as_deref());
                v
            }
            Step::Announce { next, .. } => vec![next],
            Step::Menu { options, otherwise, .. } => {
                options.values().map(String::as_str).chain([otherwise.as_str()]).collect()
            }
            Step::Collect { next, otherwise, .. } => vec![next, otherwise],
            Step::ParcelStatus { next, not_found } => vec![next, not_found],
            Step::Queue { overflow, .. } => overflow.as_deref().into_iter().collect(),
            Step::Callback { .. } | Step::Voicemail { .. } | Step::Transfer { .. } | Step::Hangup { .. } => vec![],
        }
    }

    /// Whether the call can end here (or wait here for a person).
    pub fn ends(&self) -> bool {
        matches!(
            self,
            Step::Queue { .. }
                | Step::Callback { .. }
                | Step::Voicemail { .. }
                | Step::Transfer { .. }
                | Step::Hangup { .. }
        )
    }

    /// Whether the step waits for the caller (a key, digits), so a loop through it is a choice
    /// the caller makes, not a spin.
    fn asks(&self) -> bool {
        matches!(self, Step::Menu { .. } | Step::Collect { .. })
    }

    /// Whether the step plays one of the shop's recordings.
    pub fn uses_recording(&self) -> bool {
        self.prompts().iter().any(|p| matches!(p, Prompt::Recording { .. }))
    }

    fn prompts(&self) -> Vec<&Prompt> {
        match self {
            Step::Announce { prompt, .. } | Step::Callback { prompt } | Step::Voicemail { prompt, .. } => vec![prompt],
            Step::Menu { prompt, invalid, .. } => [Some(prompt), invalid.as_ref()].into_iter().flatten().collect(),
            Step::Collect { prompt, .. } => vec![prompt],
            Step::Hangup { prompt } => prompt.iter().collect(),
            _ => vec![],
        }
    }
}

fn invalid(field: String, code: &'static str, message: String) -> ValidationError {
    ValidationError::new(field, code, message)
}

impl VoiceFlow {
    /// Checks the flow as a whole; the error names the step (`steps.menu`) and what is wrong.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(invalid("steps".into(), "out_of_range", format!("a flow has 1 to {MAX_STEPS} steps")));
        }
        if !self.steps.contains_key(&self.start) {
            return Err(invalid(
                "start".into(),
                "unknown_step",
                format!("the start step {:?} does not exist", self.start),
            ));
        }
        for (name, step) in &self.steps {
            let field = || format!("steps.{name}");
            if name.is_empty() || name.chars().count() > 40 {
                return Err(invalid(field(), "invalid_name", "a step's name is 1 to 40 characters".into()));
            }
            for to in step.next_steps() {
                if !self.steps.contains_key(to) {
                    return Err(invalid(
                        field(),
                        "unknown_step",
                        format!("{name} leads to {to:?}, which does not exist"),
                    ));
                }
            }
            for p in step.prompts() {
                let empty = match p {
                    Prompt::Text { text } => text.trim().is_empty() || text.chars().count() > 1000,
                    Prompt::Recording { file } => file.trim().is_empty(),
                };
                if empty {
                    return Err(invalid(field(), "invalid_prompt", format!("{name} has an empty or too long prompt")));
                }
            }
            match step {
                Step::Menu { options, timeout_seconds, retries, .. } => {
                    if options.is_empty() {
                        return Err(invalid(field(), "required", format!("the menu {name} offers no key")));
                    }
                    if let Some(k) = options.keys().find(|k| k.chars().count() != 1 || !KEYS.contains(k.as_str())) {
                        return Err(invalid(field(), "invalid_key", format!("{k:?} is not a phone key (0-9, * or #)")));
                    }
                    check_wait(field(), *timeout_seconds, *retries)?;
                }
                Step::Collect { store_as, min_digits, max_digits, timeout_seconds, retries, .. } => {
                    if store_as.is_empty() || !store_as.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                        return Err(invalid(field(), "invalid_key", "store_as is lower-case letters and _".into()));
                    }
                    if *min_digits == 0 || min_digits > max_digits || *max_digits > 30 {
                        return Err(invalid(field(), "out_of_range", "digits are 1 to 30, the least first".into()));
                    }
                    check_wait(field(), *timeout_seconds, *retries)?;
                }
                Step::Queue { max_wait_seconds, overflow, .. } => {
                    if max_wait_seconds.is_some() != overflow.is_some() {
                        return Err(invalid(
                            field(),
                            "incomplete",
                            "a queue's longest wait and its overflow go together".into(),
                        ));
                    }
                    if max_wait_seconds.is_some_and(|s| !(10..=3600).contains(&s)) {
                        return Err(invalid(
                            field(),
                            "out_of_range",
                            "a queue's longest wait is 10 to 3600 seconds".into(),
                        ));
                    }
                }
                Step::Voicemail { max_seconds, .. } if !(5..=600).contains(max_seconds) => {
                    return Err(invalid(field(), "out_of_range", "a message is 5 to 600 seconds".into()));
                }
                Step::Transfer { number } => {
                    let ok = number.starts_with('+')
                        && (8..=16).contains(&number.len())
                        && number[1..].chars().all(|c| c.is_ascii_digit());
                    if !ok {
                        return Err(invalid(
                            field(),
                            "invalid_phone",
                            format!("{number:?} is not an E.164 number (+81…)"),
                        ));
                    }
                }
                _ => {}
            }
        }
        self.check_graph()
    }

    /// Reachability, spins and exits.
    fn check_graph(&self) -> Result<(), ValidationError> {
        let reached = self.reachable_from(&self.start);
        if let Some(orphan) = self.steps.keys().find(|k| !reached.contains(k.as_str())) {
            return Err(invalid(format!("steps.{orphan}"), "unreachable", format!("no call ever reaches {orphan}")));
        }
        // Every step must still be able to end the call.
        for name in self.steps.keys() {
            let ahead = self.reachable_from(name);
            if !ahead.iter().any(|s| self.steps[*s].ends()) {
                return Err(invalid(format!("steps.{name}"), "no_exit", format!("a call at {name} can never end")));
            }
        }
        // A cycle of steps none of which asks the caller anything would spin forever.
        let silent: BTreeMap<&str, Vec<&str>> = self
            .steps
            .iter()
            .filter(|(_, s)| !s.asks())
            .map(|(n, s)| (n.as_str(), s.next_steps().into_iter().filter(|t| !self.steps[*t].asks()).collect()))
            .collect();
        if let Some(at) = find_cycle(&silent) {
            return Err(invalid(format!("steps.{at}"), "loop", format!("{at} loops back without asking the caller")));
        }
        Ok(())
    }

    fn reachable_from<'a>(&'a self, from: &'a str) -> BTreeSet<&'a str> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            if seen.insert(n)
                && let Some(s) = self.steps.get(n)
            {
                todo.extend(s.next_steps());
            }
        }
        seen
    }
}

fn check_wait(field: String, timeout: u32, retries: u32) -> Result<(), ValidationError> {
    if !(1..=30).contains(&timeout) || retries > 5 {
        return Err(invalid(field, "out_of_range", "a wait is 1 to 30 seconds, with at most 5 retries".into()));
    }
    Ok(())
}

/// A step on a cycle of `edges`, if there is one (depth-first, colouring).
fn find_cycle<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<&'a str> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'a>(
        n: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
    ) -> Option<&'a str> {
        match marks.get(n) {
            Some(Mark::Open) => return Some(n),
            Some(Mark::Done) => return None,
            None => {}
        }
        marks.insert(n, Mark::Open);
        for t in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(t, edges, marks) {
                return Some(c);
            }
        }
        marks.insert(n, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    edges.keys().find_map(|n| visit(n, edges, &mut marks))
}
