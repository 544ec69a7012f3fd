//! The one header of every console page: where to go, search, the agent's presence switch,
//! who is signed in, language and sign-out; and the prompt to start taking contacts for an
//! agent who is offline. Every page builds it the same way, so no page lacks the presence
//! switch and the heartbeat that keeps the presence true.

use madoguchi_core::enums::Role;
use madoguchi_core::page::PageRequest;
use madoguchi_core::presence::Presence;
use madoguchi_store::sessions::Session;

use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{self, Lang};

pub struct Chrome {
    pub l: &'static i18n::DeskTexts,
    pub a: &'static i18n::AdminTexts,
    pub csrf: String,
    pub display_name: String,
    pub role: &'static str,
    /// A desk user (agent, supervisor, admin): has a presence, the board and typed-in contacts.
    pub is_desk: bool,
    /// The presences an agent may choose, (code, label, current).
    pub presences: Vec<(&'static str, &'static str, bool)>,
    /// What the header shows as the agent's state (対応中 derived from what they hold).
    pub shown_presence: &'static str,
    pub shown_presence_code: &'static str,
    /// Offline after signing in (or after the console went quiet): ask to start.
    pub offline: bool,
    /// Shops whose settings the user may edit: (slug, name).
    pub settings_links: Vec<(String, String)>,
    /// Admins and shops' admins manage staff and read the audit log.
    pub manages_staff: bool,
    /// Where the user's own API tokens are.
    pub own_tokens: String,
    /// How often the page says it is still open: well inside the presence timeout.
    pub heartbeat_seconds: u64,
    /// The softphone panel's words, whether the desk gives browser phones tokens, and where
    /// the browser phone's SDK is loaded from.
    pub p: &'static i18n::PhoneTexts,
    pub browser_phone: bool,
    pub voice_sdk_url: String,
}

impl Chrome {
    pub async fn of(st: &AppState, session: &Session, lang: Lang) -> Result<Chrome, ApiError> {
        let u = &session.user;
        let is_desk = !u.role.is_merchant_role();
        let (stored, shown) = if is_desk {
            let stored = st.store.agent_profile(u.id).await?.presence;
            (stored, madoguchi_app::usecases::presence::shown(&st.store, u.id).await?)
        } else {
            (Presence::Offline, Presence::Offline)
        };
        let settings_links = if matches!(u.role, Role::Admin | Role::MerchantAdmin) {
            let scope = super::principal_of(u).scope();
            st.store
                .list_merchants(&scope, PageRequest::first(200))
                .await?
                .items
                .into_iter()
                .map(|m| (m.slug, m.name))
                .collect()
        } else {
            vec![]
        };
        Ok(Chrome {
            l: i18n::desk(lang),
            a: i18n::admin_texts(lang),
            manages_staff: matches!(u.role, Role::Admin | Role::MerchantAdmin),
            own_tokens: format!("/settings/staff/{}/tokens", u.id),
            csrf: session.csrf_token.clone(),
            display_name: u.display_name.clone(),
            role: i18n::role(lang, u.role),
            is_desk,
            presences: choosable(lang, stored),
            shown_presence: i18n::presence(lang, shown),
            shown_presence_code: shown.as_str(),
            offline: is_desk && stored == Presence::Offline,
            settings_links,
            heartbeat_seconds: (st.settings.presence_timeout_seconds / 3).clamp(1, 15),
            p: i18n::phone_texts(lang),
            browser_phone: st.settings.twilio_api_key().is_some(),
            voice_sdk_url: st.settings.twilio_voice_sdk_url.clone().unwrap_or_default(),
        })
    }
}

/// The states an agent can pick, with the current one kept in the list (busy and 応答なし
/// are set by the desk, so they only appear while they are the current state).
fn choosable(lang: Lang, current: Presence) -> Vec<(&'static str, &'static str, bool)> {
    use strum::IntoEnumIterator;
    Presence::iter()
        .filter(|p| current.can_switch_to(*p) || *p == current)
        .map(|p| (p.as_str(), i18n::presence(lang, p), p == current))
        .collect()
}
