//! Screen texts in Japanese (the default) and English, for the console and the public pages.
//! Every text is a field of [`Texts`], so a missing translation does not compile; `ja.rs` and
//! `en.rs` hold the two tables, `labels.rs` the names of the domain's values (channels,
//! statuses, carriers…), `errors.rs` the error pages, `forms.rs` rejected form fields as a page says them, `public.rs` the help center's and the
//! web form's texts, `typed_in.rs` the typed-in contact page's, `password.rs` the page a password link opens.

mod admin_pages;
mod calls;
mod customer_page;
mod desk;
mod en;
mod errors;
mod forms;
mod ja;
mod labels;
mod password;
mod phone;
mod public;
mod settings_page;
mod typed_in;

pub use admin_pages::{AdminTexts, admin_texts, audit_action, audit_subject};
pub use calls::{CallTexts, call_event, call_texts, hung_up_by};
pub use customer_page::{CustomerTexts, LandingTexts, customer_texts, identity, landing};
pub use desk::{DeskTexts, desk};
pub use errors::error_page;
pub use forms::{FormError, form_error, form_error_of};
pub use labels::*;
pub use password::{PasswordTexts, password_texts};
pub use phone::{PhoneTexts, phone_texts};
pub use public::{FormTexts, HcTexts, help_center, web_form};
pub use settings_page::{SettingsTexts, settings_texts};
pub use typed_in::{ContactTexts, typed_in};

use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;

pub const LANG_COOKIE: &str = "madoguchi_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The cookie's choice, else Japanese unless the browser prefers English over Japanese.
    pub fn from_request(jar: &CookieJar, headers: &HeaderMap) -> Lang {
        if let Some(l) = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return l;
        }
        let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let first = accept.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
        if first.starts_with("en") { Lang::En } else { Lang::Ja }
    }

    pub fn t(self) -> &'static Texts {
        match self {
            Lang::Ja => &ja::JA,
            Lang::En => &en::EN,
        }
    }
}

pub struct Texts {
    pub product: &'static str,
    pub sign_in: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub sign_out: &'static str,
    pub bad_credentials: &'static str,
    /// `{minutes}` is replaced.
    pub locked: &'static str,
    pub too_many_from_address: &'static str,
    pub form_expired: &'static str,
    pub session_ended: &'static str,
    pub inbox: &'static str,
    pub view_mine: &'static str,
    pub view_unassigned: &'static str,
    pub view_all: &'static str,
    pub col_number: &'static str,
    pub col_merchant: &'static str,
    pub col_channel: &'static str,
    pub col_status: &'static str,
    pub col_priority: &'static str,
    pub col_subject: &'static str,
    pub col_updated: &'static str,
    pub col_sla: &'static str,
    pub sla_breached: &'static str,
    pub sla_met: &'static str,
    pub no_conversations: &'static str,
    pub no_subject: &'static str,
    pub next_page: &'static str,
    pub back_to_inbox: &'static str,
    pub back_public: &'static str,
    pub shop: &'static str,
    pub greeting: &'static str,
    pub timeline: &'static str,
    pub reply: &'static str,
    pub internal_note: &'static str,
    pub send_reply: &'static str,
    pub add_note: &'static str,
    pub reply_hint_phone: &'static str,
    pub reply_hint_queued: &'static str,
    pub reply_hint_paper: &'static str,
    pub ctrl_enter: &'static str,
    pub customer_typing: &'static str,
    pub raw_message: &'static str,
    pub update: &'static str,
    pub assignee: &'static str,
    pub unassigned: &'static str,
    pub customer: &'static str,
    pub no_customer: &'static str,
    pub identities: &'static str,
    pub address: &'static str,
    pub notes: &'static str,
    pub orders: &'static str,
    pub no_orders: &'static str,
    pub history: &'static str,
    pub from_customer: &'static str,
    pub from_staff: &'static str,
    pub from_bot: &'static str,
    pub from_system: &'static str,
    pub delivery_queued: &'static str,
    pub delivery_sent: &'static str,
    pub delivery_failed: &'static str,
    pub last_error: &'static str,
    pub flag_auto_reply: &'static str,
    pub flag_bounce: &'static str,
    pub flag_bulk: &'static str,
    pub flag_html_too_complex: &'static str,
    pub flag_undecoded_mail: &'static str,
    pub flag_check: &'static str,
    pub empty_message: &'static str,
    pub not_found: &'static str,
    pub rank: &'static str,
    pub tracking: &'static str,
    pub open_case: &'static str,
    pub case_closed: &'static str,
    pub tasks: &'static str,
    pub no_tasks: &'static str,
    pub col_due: &'static str,
    pub col_task: &'static str,
    pub col_case: &'static str,
    pub col_owner: &'static str,
    pub owner_desk: &'static str,
    pub owner_merchant: &'static str,
    pub done_button: &'static str,
    pub request_kind: &'static str,
    pub decide: &'static str,
    pub eligible: &'static str,
    pub not_eligible: &'static str,
    pub policy_version: &'static str,
    pub deadline: &'static str,
    pub talk: &'static str,
    pub steps: &'static str,
    pub offer_taken: &'static str,
    pub choice_accepted: &'static str,
    pub choice_escalated: &'static str,
    pub choice_withdrawn: &'static str,
    pub recorded_decisions: &'static str,
    pub policies: &'static str,
    pub order_data: &'static str,
    pub checklists: &'static str,
    pub task_title: &'static str,
    pub task_owner: &'static str,
    pub due_hours: &'static str,
    pub reset_default: &'static str,
    pub custom_checklist: &'static str,
    pub builtin_checklist: &'static str,
    pub checklist_hint: &'static str,
    pub escalations: &'static str,
    pub escalate: &'static str,
    pub question: &'static str,
    pub due: &'static str,
    pub answer: &'static str,
    pub send_answer: &'static str,
    pub overdue: &'static str,
    pub waiting_answer: &'static str,
    pub answered: &'static str,
    pub portal: &'static str,
    pub no_escalations: &'static str,
    pub open_conversation: &'static str,
    pub board: &'static str,
    pub col_queue: &'static str,
    pub no_queue: &'static str,
    pub col_waiting: &'static str,
    pub col_longest_wait: &'static str,
    pub col_offered: &'static str,
    pub col_answered: &'static str,
    pub col_abandoned: &'static str,
    pub col_answer_rate: &'static str,
    pub col_service_level: &'static str,
    pub agents_by_presence: &'static str,
    pub bot_today: &'static str,
    pub bot_chats: &'static str,
    pub bot_resolved: &'static str,
    pub bot_handed_over: &'static str,
    pub bot_active: &'static str,
    pub target: &'static str,
    pub minutes: &'static str,
    pub script: &'static str,
    pub canned: &'static str,
    pub canned_hint: &'static str,
    pub wrap_up: &'static str,
    pub disposition: &'static str,
    pub acw_timer: &'static str,
    pub record_wrap_up: &'static str,
    pub wrap_up_required: &'static str,
    pub view_escalated: &'static str,
    pub filter: &'static str,
    pub any: &'static str,
    pub col_category: &'static str,
    pub col_tag: &'static str,
    pub sort: &'static str,
    pub sort_newest: &'static str,
    pub sort_oldest: &'static str,
    pub presence: &'static str,
    pub set_presence: &'static str,
    pub settings: &'static str,
    pub general: &'static str,
    pub sla_first_response: &'static str,
    pub sla_resolution: &'static str,
    pub save: &'static str,
    pub add: &'static str,
    pub delete: &'static str,
    pub title: &'static str,
    pub body: &'static str,
    pub preview: &'static str,
    pub code: &'static str,
    pub label: &'static str,
    pub queues: &'static str,
    pub invalid_input: &'static str,
    pub saved: &'static str,
    pub placeholders_hint: &'static str,
    pub merge: &'static str,
    pub merge_hint: &'static str,
    pub merge_button: &'static str,
    pub merge_not_found: &'static str,
    pub merge_same: &'static str,
    pub duplicates: &'static str,
    pub duplicate_shared: &'static str,
    pub duplicate_same_name: &'static str,
    pub duplicate_distinct: &'static str,
    pub no_name: &'static str,
    pub new_contact: &'static str,
    pub search: &'static str,
    pub assist: &'static str,
    pub kb: &'static str,
    pub kb_public: &'static str,
    pub kb_question: &'static str,
    pub kb_answer: &'static str,
    pub kb_keywords: &'static str,
    pub kb_published: &'static str,
    pub kb_draft: &'static str,
    pub kb_edit: &'static str,
    pub assist_insert: &'static str,
    pub search_hint: &'static str,
    pub search_all: &'static str,
    pub search_messages: &'static str,
    pub search_customers: &'static str,
    pub search_relevance: &'static str,
    pub search_none: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_unless_english_is_preferred_or_chosen() {
        let jar = CookieJar::new();
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_request(&jar, &h), Lang::Ja);
        h.insert(axum::http::header::ACCEPT_LANGUAGE, "en-US,en;q=0.9,ja;q=0.8".parse().unwrap());
        assert_eq!(Lang::from_request(&jar, &h), Lang::En);
        let jar = jar.add(axum_extra::extract::cookie::Cookie::new(LANG_COOKIE, "ja"));
        assert_eq!(Lang::from_request(&jar, &h), Lang::Ja);
    }

    #[test]
    fn a_checks_english_message_is_said_in_japanese() {
        use madoguchi_core::validation::{max_len, required};
        let ja = |e: madoguchi_core::ValidationError| form_error(Lang::Ja, "本文", &e).text;
        assert_eq!(ja(required("body", " ", 10).unwrap_err()), "本文: 入力してください");
        assert_eq!(ja(max_len("body", "あいうえお", 3).unwrap_err()), "本文: 3文字以内で入力してください");
        let list = madoguchi_core::ValidationError::new("returns.steps", "required", "at least one step");
        assert_eq!(ja(list), "本文: 少なくとも1つ入力してください");
        let sla = madoguchi_core::ValidationError::new("sla", "out_of_range", "sla must be 1–86400 minutes");
        assert_eq!(ja(sla), "本文: 1–86400分の範囲で入力してください");
        // English readers get the check's own message.
        let e = required("body", "", 10).unwrap_err();
        assert_eq!(form_error(Lang::En, "Body", &e).text, "Body: body must not be empty");
    }
}
