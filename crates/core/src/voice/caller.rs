//! Who is calling, as a telephony provider or a PBX writes it. A number that identifies a
//! customer is kept in E.164; everything else — 非通知 (withheld), 公衆電話 (a payphone), a
//! number the network did not deliver, a browser client or a SIP address — is an unknown
//! caller, which is never matched to a customer (matching "anonymous" would put every withheld
//! call on one person's history).

use serde::{Deserialize, Serialize};

use crate::identity::normalize_phone;

/// Why no number came with the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hidden {
    /// 非通知: the caller withheld it (184, or the line's setting).
    Withheld,
    /// 公衆電話.
    Payphone,
    /// 表示圏外 / 通知不可能: the network did not deliver one.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Caller {
    /// A phone number: E.164 (`+819012345678`) and how it is shown (`090-1234-5678`).
    Number {
        e164: String,
        display: String,
    },
    Hidden {
        reason: Hidden,
    },
    /// Not a phone line: a browser softphone (`client:…`) or a SIP address.
    Endpoint {
        address: String,
    },
}

/// The placeholders Twilio writes in `From` for a caller without a number (its documented
/// "anonymous" numbers), and the words PBXs and carriers use.
const WITHHELD: [&str; 8] =
    ["anonymous", "restricted", "private", "+266696687", "+7378742833", "266696687", "非通知", "withheld"];
const PAYPHONE: [&str; 3] = ["payphone", "coin", "公衆電話"];
const UNAVAILABLE: [&str; 6] = ["unavailable", "unknown", "+8656696", "+2562533", "表示圏外", "通知不可能"];

impl Caller {
    /// Reads the caller as a provider wrote it. Nothing is refused: a call must be answered
    /// whatever its `From` says, so what is not a valid number is an unknown caller.
    pub fn parse(raw: &str) -> Caller {
        let t = raw.trim();
        let lower = t.to_lowercase();
        if lower.is_empty() || WITHHELD.contains(&lower.as_str()) {
            return Caller::Hidden { reason: Hidden::Withheld };
        }
        if PAYPHONE.contains(&lower.as_str()) {
            return Caller::Hidden { reason: Hidden::Payphone };
        }
        if UNAVAILABLE.contains(&lower.as_str()) {
            return Caller::Hidden { reason: Hidden::Unavailable };
        }
        if lower.starts_with("client:") || lower.starts_with("sip:") || lower.starts_with("sips:") {
            return Caller::Endpoint { address: t.to_owned() };
        }
        match normalize_phone(t) {
            Ok((e164, display)) => Caller::Number { e164, display },
            Err(_) => Caller::Hidden { reason: Hidden::Unavailable },
        }
    }

    /// The E.164 number a customer may be found by; `None` for an unknown caller.
    pub fn number(&self) -> Option<&str> {
        match self {
            Caller::Number { e164, .. } => Some(e164),
            _ => None,
        }
    }

    /// What the console shows for the caller.
    pub fn shown_ja(&self) -> String {
        match self {
            Caller::Number { display, .. } => display.clone(),
            Caller::Hidden { reason: Hidden::Withheld } => "非通知".into(),
            Caller::Hidden { reason: Hidden::Payphone } => "公衆電話".into(),
            Caller::Hidden { reason: Hidden::Unavailable } => "通知不可能".into(),
            Caller::Endpoint { address } => address.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_kept_in_e164_whatever_their_form() {
        for raw in ["+819012345678", "090-1234-5678", "０９０（１２３４）５６７８", " 09012345678 "] {
            assert_eq!(Caller::parse(raw).number(), Some("+819012345678"), "{raw}");
        }
        assert_eq!(Caller::parse("+81312345678").shown_ja(), "03-1234-5678");
    }

    #[test]
    fn a_caller_without_a_number_is_never_a_number() {
        for raw in ["", "anonymous", "Anonymous", "+266696687", "restricted", "非通知"] {
            assert_eq!(Caller::parse(raw), Caller::Hidden { reason: Hidden::Withheld }, "{raw:?}");
        }
        assert_eq!(Caller::parse("公衆電話"), Caller::Hidden { reason: Hidden::Payphone });
        assert_eq!(Caller::parse("+8656696"), Caller::Hidden { reason: Hidden::Unavailable });
        // Garbage is not a number either: unknown, not refused — the call is still answered.
        assert_eq!(Caller::parse("12"), Caller::Hidden { reason: Hidden::Unavailable });
        assert_eq!(Caller::parse("client:agent-1").number(), None);
        assert_eq!(Caller::parse("sip:1000@pbx.example.jp").shown_ja(), "sip:1000@pbx.example.jp");
        assert_eq!(Caller::parse("anonymous").shown_ja(), "非通知");
    }
}
