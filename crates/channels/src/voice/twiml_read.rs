//! Reading TwiML back into verbs, as the provider does with the desk's answers: for
//! `madoguchi simulate-call`, which plays the provider, and for tests that follow a call. It
//! reads the verbs the desk writes ([`super::twilio::twiml`]); anything else is an error, so a
//! change on the writing side that the reading side does not know is noticed.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::twilio::Verb;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TwiML: {0}")]
pub struct TwimlError(String);

/// An element and what it holds.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn need(&self, name: &str) -> Result<String, TwimlError> {
        self.attr(name).map(str::to_owned).ok_or_else(|| TwimlError(format!("<{}> without {name}", self.name)))
    }

    fn number(&self, name: &str) -> Result<Option<u32>, TwimlError> {
        self.attr(name)
            .map(|v| v.parse().map_err(|_| TwimlError(format!("<{} {name}=\"{v}\"> is not a number", self.name))))
            .transpose()
    }
}

fn err(e: impl std::fmt::Display) -> TwimlError {
    TwimlError(e.to_string())
}

fn start(e: &BytesStart<'_>) -> Result<Node, TwimlError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(err)?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        attrs.push((key, a.normalized_value(XmlVersion::Explicit1_0).map_err(err)?.into_owned()));
    }
    Ok(Node { name: String::from_utf8_lossy(e.name().as_ref()).into_owned(), attrs, ..Node::default() })
}

/// The `<Response>` element of a document.
fn tree(xml: &str) -> Result<Node, TwimlError> {
    // Text is kept as written: a prompt's spaces around an escaped `&` are the prompt's.
    let mut reader = Reader::from_str(xml);
    let mut open: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().map_err(err)? {
            Event::Start(e) => open.push(start(&e)?),
            Event::Empty(e) => {
                let node = start(&e)?;
                open.last_mut().ok_or_else(|| err("unbalanced"))?.children.push(node);
            }
            Event::Text(t) => {
                let text = t.xml_content(XmlVersion::Explicit1_0).map_err(err)?;
                open.last_mut().ok_or_else(|| err("unbalanced"))?.text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(err)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(err)?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| TwimlError(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                open.last_mut().ok_or_else(|| err("unbalanced"))?.text.push_str(&resolved);
            }
            Event::End(_) => {
                let node = open.pop().ok_or_else(|| err("unbalanced"))?;
                open.last_mut().ok_or_else(|| err("unbalanced"))?.children.push(node);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = open.pop().filter(|_| open.is_empty()).ok_or_else(|| err("an element is not closed"))?;
    match root.children.pop() {
        Some(r) if r.name == "Response" && root.children.is_empty() => Ok(r),
        _ => Err(err("the document is not one <Response>")),
    }
}

fn verb(n: &Node) -> Result<Verb, TwimlError> {
    Ok(match n.name.as_str() {
        "Say" => Verb::Say {
            text: n.text.clone(),
            language: n.attr("language").unwrap_or("en-US").to_owned(),
            voice: n.attr("voice").map(str::to_owned),
        },
        "Play" => Verb::Play { url: n.text.clone() },
        "Pause" => Verb::Pause { seconds: n.number("length")?.unwrap_or(1) },
        "Gather" => Verb::Gather {
            action: n.need("action")?,
            num_digits: n.number("numDigits")?,
            finish_on_key: n.attr("finishOnKey").and_then(|k| k.chars().next()),
            timeout: n.number("timeout")?.unwrap_or(5),
            prompts: n.children.iter().map(verb).collect::<Result<_, _>>()?,
        },
        "Enqueue" => Verb::Enqueue { queue: n.text.clone(), wait_url: n.need("waitUrl")?, action: n.need("action")? },
        "Record" => Verb::Record {
            action: n.need("action")?,
            max_length: n.number("maxLength")?.unwrap_or(3600),
            recording_status_callback: n.attr("recordingStatusCallback").unwrap_or_default().to_owned(),
        },
        "Dial" => match n.children.as_slice() {
            [c] if c.name == "Number" => Verb::DialNumber {
                number: c.text.clone(),
                caller_id: n.attr("callerId").unwrap_or_default().to_owned(),
                action: n.need("action")?,
            },
            [c] if c.name == "Conference" => Verb::Conference {
                name: c.text.clone(),
                end_on_exit: c.attr("endConferenceOnExit") == Some("true"),
                action: n.attr("action").map(str::to_owned),
            },
            _ => return Err(err("<Dial> holds one <Number> or one <Conference>")),
        },
        "Redirect" => Verb::Redirect { url: n.text.clone() },
        "Leave" => Verb::Leave,
        "Hangup" => Verb::Hangup,
        other => return Err(TwimlError(format!("<{other}> is not a verb the desk writes"))),
    })
}

/// The verbs of a TwiML document, in order.
pub fn read(xml: &str) -> Result<Vec<Verb>, TwimlError> {
    tree(xml)?.children.iter().map(verb).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice::twilio::twiml;

    #[test]
    fn what_the_desk_writes_reads_back_the_same() {
        let verbs = vec![
            Verb::say_ja("お電話ありがとうございます。<花まる> & 「ギフト」です。"),
            Verb::Gather {
                action: "https://desk.example.jp/api/v1/inbound/voice/twilio/t?e=keys&step=menu".into(),
                num_digits: Some(1),
                finish_on_key: None,
                timeout: 6,
                prompts: vec![Verb::say_ja("1を押してください"), Verb::Pause { seconds: 2 }],
            },
            Verb::Enqueue {
                queue: "call-1".into(),
                wait_url: "https://x/?e=wait&a=1".into(),
                action: "https://x/?e=dequeued".into(),
            },
            Verb::Record {
                action: "https://x/?e=voicemail".into(),
                max_length: 120,
                recording_status_callback: "https://x/?e=recording".into(),
            },
            Verb::DialNumber {
                number: "+81312345678".into(),
                caller_id: "+815012345678".into(),
                action: "https://x/?e=dialed".into(),
            },
            Verb::Conference { name: "call-abc".into(), end_on_exit: true, action: Some("https://x/?e=talked".into()) },
            Verb::Conference { name: "call-abc".into(), end_on_exit: false, action: None },
            Verb::Play { url: "https://x/prompt.wav".into() },
            Verb::Redirect { url: "https://x/?e=held".into() },
            Verb::Leave,
            Verb::Hangup,
        ];
        assert_eq!(read(&twiml(&verbs)), Ok(verbs));
    }

    #[test]
    fn what_it_cannot_follow_is_an_error() {
        for bad in [
            "",
            "<Response><Say>a</Say>",
            "<Other/>",
            "<Response><Reject/></Response>",
            "<Response><Gather timeout=\"x\" action=\"a\"/></Response>",
            "<Response><Enqueue>q</Enqueue></Response>",
            "<Response><Dial><Client>a</Client></Dial></Response>",
            "<Response><Say>&bogus;</Say></Response>",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        assert_eq!(read("<?xml version=\"1.0\"?><Response></Response>"), Ok(vec![]));
    }
}
