//! Twilio's Programmable Voice wire format, as compatible providers also speak it: the
//! `X-Twilio-Signature` on every webhook, and TwiML, the XML a webhook answers with.
//!
//! The signature is the base64 HMAC-SHA1, keyed with the account's Auth Token, of the full URL
//! Twilio requested followed by every POST parameter's name and value, sorted by name. The URL
//! is the public one the number is configured with (rebuilt from the desk's `public_url`, never
//! from the request's `Host`); like Twilio's own validator, a URL with or without the default
//! port is accepted, because Twilio signs either.

use std::io::Cursor;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The string Twilio signs: the URL, then each parameter's name and value, sorted by name
/// (and, for a repeated name, by value).
fn signed_text(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut s = url.to_owned();
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    s
}

/// The signature Twilio sends for a request to `url` with these form parameters.
pub fn signature(url: &str, params: &[(String, String)], auth_token: &str) -> String {
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(signed_text(url, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `header` is Twilio's signature of the request, compared in constant time.
pub fn verify(url: &str, params: &[(String, String)], header: &str, auth_token: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else { return false };
    url_variants(url).iter().any(|u| {
        let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any length");
        mac.update(signed_text(u, params).as_bytes());
        mac.verify_slice(&given).is_ok()
    })
}

/// The URL as given, and with the scheme's default port added or removed.
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        let Some(rest) = url.strip_prefix(scheme) else { continue };
        let (host, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        match host.strip_suffix(port) {
            Some(bare) => out.push(format!("{scheme}{bare}{path}")),
            None if !host.contains(':') => out.push(format!("{scheme}{host}{port}{path}")),
            None => {}
        }
    }
    out
}

/// One TwiML verb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// Read by the provider's voice; Japanese by default.
    Say {
        text: String,
        language: String,
        voice: Option<String>,
    },
    Play {
        url: String,
    },
    Pause {
        seconds: u32,
    },
    /// Keys, posted to `action`; the prompts inside are interrupted by a key press. Without
    /// input the call goes on to the next verb.
    Gather {
        action: String,
        num_digits: Option<u32>,
        finish_on_key: Option<char>,
        timeout: u32,
        prompts: Vec<Verb>,
    },
    /// The caller waits in `queue`; `wait_url` is played while waiting, `action` is posted when
    /// they leave it (answered, hung up, sent elsewhere).
    Enqueue {
        queue: String,
        wait_url: String,
        action: String,
    },
    /// A message after the beep; `action` gets the recording when it ends, the recording
    /// callback when the file is ready.
    Record {
        action: String,
        max_length: u32,
        recording_status_callback: String,
    },
    /// To an outside number, shown as `caller_id`.
    DialNumber {
        number: String,
        caller_id: String,
        action: String,
    },
    Redirect {
        url: String,
    },
    /// Into the conference room `name` (the caller and the agent of one call), silent until the
    /// other side joins; with `end_on_exit`, leaving ends it for everyone. `action` is posted
    /// when this side's part in it is over.
    Conference {
        name: String,
        end_on_exit: bool,
        action: Option<String>,
    },
    /// Out of the queue (to the `Enqueue` action), from its wait music.
    Leave,
    Hangup,
}

impl Verb {
    /// Japanese text, read in the default Japanese voice.
    pub fn say_ja(text: impl Into<String>) -> Verb {
        Verb::Say { text: text.into(), language: "ja-JP".into(), voice: None }
    }
}

/// The TwiML document for these verbs. Text and URLs are escaped by the XML writer.
pub fn twiml(verbs: &[Verb]) -> String {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    let write = |w: &mut Writer<Cursor<Vec<u8>>>| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("Response").write_inner_content(|w| verbs.iter().try_for_each(|v| verb(w, v)))?;
        Ok(())
    };
    // Writing into memory cannot fail.
    write(&mut w).expect("TwiML written to memory");
    String::from_utf8(w.into_inner().into_inner()).expect("TwiML is UTF-8")
}

fn verb(w: &mut Writer<Cursor<Vec<u8>>>, v: &Verb) -> std::io::Result<()> {
    match v {
        Verb::Say { text, language, voice } => {
            let mut e = w.create_element("Say").with_attribute(("language", language.as_str()));
            if let Some(voice) = voice {
                e = e.with_attribute(("voice", voice.as_str()));
            }
            e.write_text_content(BytesText::new(text))?;
        }
        Verb::Play { url } => {
            w.create_element("Play").write_text_content(BytesText::new(url))?;
        }
        Verb::Pause { seconds } => {
            w.create_element("Pause").with_attribute(("length", seconds.to_string().as_str())).write_empty()?;
        }
        Verb::Gather { action, num_digits, finish_on_key, timeout, prompts } => {
            let mut e = w
                .create_element("Gather")
                .with_attribute(("input", "dtmf"))
                .with_attribute(("action", action.as_str()))
                .with_attribute(("method", "POST"))
                .with_attribute(("timeout", timeout.to_string().as_str()));
            if let Some(n) = num_digits {
                e = e.with_attribute(("numDigits", n.to_string().as_str()));
            }
            // An empty finishOnKey: no key ends the input early (a menu of one key).
            let finish = finish_on_key.map(String::from).unwrap_or_default();
            e = e.with_attribute(("finishOnKey", finish.as_str()));
            e.write_inner_content(|w| prompts.iter().try_for_each(|p| verb(w, p)))?;
        }
        Verb::Enqueue { queue, wait_url, action } => {
            w.create_element("Enqueue")
                .with_attribute(("waitUrl", wait_url.as_str()))
                .with_attribute(("waitUrlMethod", "POST"))
                .with_attribute(("action", action.as_str()))
                .with_attribute(("method", "POST"))
                .write_text_content(BytesText::new(queue))?;
        }
        Verb::Record { action, max_length, recording_status_callback } => {
            w.create_element("Record")
                .with_attribute(("action", action.as_str()))
                .with_attribute(("method", "POST"))
                .with_attribute(("maxLength", max_length.to_string().as_str()))
                .with_attribute(("playBeep", "true"))
                .with_attribute(("finishOnKey", "#"))
                .with_attribute(("recordingStatusCallback", recording_status_callback.as_str()))
                .with_attribute(("recordingStatusCallbackMethod", "POST"))
                .write_empty()?;
        }
        Verb::DialNumber { number, caller_id, action } => {
            w.create_element("Dial")
                .with_attribute(("callerId", caller_id.as_str()))
                .with_attribute(("action", action.as_str()))
                .with_attribute(("method", "POST"))
                .write_inner_content(|w| {
                    w.create_element("Number").write_text_content(BytesText::new(number))?;
                    Ok(())
                })?;
        }
        Verb::Redirect { url } => {
            w.create_element("Redirect").with_attribute(("method", "POST")).write_text_content(BytesText::new(url))?;
        }
        Verb::Conference { name, end_on_exit, action } => {
            let mut dial = w.create_element("Dial");
            if let Some(a) = action {
                dial = dial.with_attribute(("action", a.as_str())).with_attribute(("method", "POST"));
            }
            dial.write_inner_content(|w| {
                w.create_element("Conference")
                    .with_attribute(("startConferenceOnEnter", "true"))
                    .with_attribute(("endConferenceOnExit", if *end_on_exit { "true" } else { "false" }))
                    .with_attribute(("beep", "false"))
                    .with_attribute(("waitUrl", ""))
                    .write_text_content(BytesText::new(name))?;
                Ok(())
            })?;
        }
        Verb::Leave => {
            w.create_element("Leave").write_empty()?;
        }
        Verb::Hangup => {
            w.create_element("Hangup").write_empty()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// The example in Twilio's own validator's tests.
    #[test]
    fn the_signature_is_twilios() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let p = params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(signature(url, &p, "12345"), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
        assert!(verify(url, &p, "GvWf1cFY/Q7PnoempGyD5oXAezc=", "12345"));
        // With the default port written out, as Twilio sometimes signs it.
        assert!(verify("https://mycompany.com:443/myapp.php?foo=1&bar=2", &p, "GvWf1cFY/Q7PnoempGyD5oXAezc=", "12345"));
    }

    #[test]
    fn anything_changed_breaks_the_signature() {
        let url = "https://desk.example.jp/api/v1/inbound/voice/twilio/tok";
        let p = params(&[("CallSid", "CA1"), ("CallerName", "山田 太郎"), ("From", "+819012345678")]);
        let good = signature(url, &p, "secret");
        assert!(verify(url, &p, &good, "secret"), "Japanese values sign as UTF-8");
        let mut changed = p.clone();
        changed[2].1 = "+819000000000".into();
        assert!(!verify(url, &changed, &good, "secret"), "a parameter changed");
        let mut added = p.clone();
        added.push(("Digits".into(), "1".into()));
        assert!(!verify(url, &added, &good, "secret"), "a parameter added");
        assert!(!verify(&format!("{url}?x=1"), &p, &good, "secret"), "another URL");
        assert!(!verify(url, &p, &good, "other"), "another account's token");
        assert!(!verify(url, &p, "not base64!", "secret"));
        assert!(!verify(url, &p, "", "secret"));
    }

    #[test]
    fn twiml_escapes_what_it_carries() {
        let xml = twiml(&[
            Verb::Gather {
                action: "https://desk.example.jp/v?a=1&b=2".into(),
                num_digits: Some(1),
                finish_on_key: None,
                timeout: 5,
                prompts: vec![Verb::say_ja("ご注文は1を、<返品>は2を押してください。")],
            },
            Verb::Redirect { url: "https://desk.example.jp/v?event=silence&tries=1".into() },
            Verb::Hangup,
        ]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"), "{xml}");
        assert!(xml.contains("action=\"https://desk.example.jp/v?a=1&amp;b=2\""), "{xml}");
        assert!(xml.contains("<Say language=\"ja-JP\">ご注文は1を、&lt;返品&gt;は2を押してください。</Say>"), "{xml}");
        assert!(xml.contains("numDigits=\"1\"") && xml.contains("finishOnKey=\"\""), "{xml}");
        assert!(xml.contains(">https://desk.example.jp/v?event=silence&amp;tries=1</Redirect>"), "{xml}");
        assert!(xml.ends_with("<Hangup/></Response>"), "{xml}");
    }
}
