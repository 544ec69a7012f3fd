//! Every mail in `tests/mail/` is decoded and compared with the expectations written beside it
//! (`name.json`): subject, sender, the exact text (or parts it must and must not contain), the
//! kind of sender, threading headers and attachments.

#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

use std::path::Path;

use madoguchi_channels::email::{Limits, MailKind, parse};
use serde_json::Value;

fn kind_name(k: MailKind) -> &'static str {
    match k {
        MailKind::Personal => "personal",
        MailKind::AutoReply => "auto_reply",
        MailKind::Bounce => "bounce",
        MailKind::Bulk => "bulk",
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

#[test]
fn the_japanese_mail_corpus_decodes_to_the_expected_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail");
    let mut checked = 0;
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for eml in names.iter().filter(|p| p.extension().is_some_and(|e| e == "eml")) {
        let name = eml.file_stem().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(eml).unwrap();
        let exp: Value = serde_json::from_str(&std::fs::read_to_string(eml.with_extension("json")).unwrap()).unwrap();
        let mail = parse(&raw, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));

        assert_eq!(mail.subject.as_deref(), exp["subject"].as_str(), "{name}: subject");
        let from = mail.from.as_ref().unwrap_or_else(|| panic!("{name}: no sender"));
        assert_eq!(Some(from.address.as_str()), exp["from_address"].as_str(), "{name}: sender address");
        if let Some(n) = exp["from_name"].as_str() {
            assert_eq!(from.name.as_deref(), Some(n), "{name}: sender name");
        }
        if let Some(t) = exp["text"].as_str() {
            assert_eq!(mail.text, t, "{name}: text");
        }
        for part in strs(&exp["text_contains"]) {
            assert!(mail.text.contains(&part), "{name}: text lacks {part:?}: {:?}", mail.text);
        }
        for part in strs(&exp["text_excludes"]) {
            assert!(!mail.text.contains(&part), "{name}: text has {part:?}: {:?}", mail.text);
        }
        assert!(!mail.text.contains('\u{1b}') && !mail.text.contains('\u{fffd}'), "{name}: undecoded bytes");
        assert_eq!(kind_name(mail.kind), exp["kind"].as_str().unwrap(), "{name}: kind");
        assert_eq!(mail.html.is_some(), exp["html"].as_bool().unwrap_or(false), "{name}: html part");
        if exp.get("in_reply_to").is_some() {
            assert_eq!(mail.in_reply_to, strs(&exp["in_reply_to"]), "{name}: in-reply-to");
            assert_eq!(mail.references, strs(&exp["references"]), "{name}: references");
        }
        assert_eq!(mail.flags, strs(&exp["flags"]), "{name}: flags");
        let want_att = exp["attachments"].as_array().cloned().unwrap_or_default();
        assert_eq!(mail.attachments.len(), want_att.len(), "{name}: attachments");
        for (got, want) in mail.attachments.iter().zip(&want_att) {
            assert_eq!(Some(got.filename.as_str()), want["filename"].as_str(), "{name}: attachment name");
            assert_eq!(Some(got.content_type.as_str()), want["content_type"].as_str(), "{name}: attachment type");
            assert_eq!(Some(got.data.len() as u64), want["size"].as_u64(), "{name}: attachment size");
        }
        checked += 1;
    }
    assert_eq!(checked, 11, "every mail of the corpus is checked");
}

#[test]
fn attachments_over_the_limit_are_flagged_not_kept() {
    let raw = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/attachments.eml")).unwrap();
    let limits = Limits { max_attachment_bytes: 40, ..Limits::default() };
    let mail = parse(&raw, &limits).unwrap();
    assert_eq!(mail.attachments.len(), 1, "the 26-byte PDF stays, the 70-byte PNG goes");
    assert!(mail.flags.iter().any(|f| f.starts_with("attachment_too_large: 破損写真.png")), "{:?}", mail.flags);
}

#[test]
fn threading_keys_put_the_direct_parent_first() {
    let raw = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/attachments.eml")).unwrap();
    let mail = parse(&raw, &Limits::default()).unwrap();
    assert_eq!(mail.thread_keys(), vec!["out-1@hanamaru.test".to_owned(), "first-1@example.jp".to_owned()]);
}
