//! Property-based fuzzing of the parsers that read what strangers send: mail and LINE webhooks.
//! Inputs are the kept corpus (`tests/mail/*.eml`, LINE bodies below) cut, flipped and spliced;
//! the parsers must return a value or an error, never panic. Failures proptest finds are kept in
//! `proptest-regressions/` and replayed first.

#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

use std::path::Path;

use madoguchi_channels::email::{Limits, parse};
use madoguchi_channels::line::{parse_webhook, verify_signature};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

const LINE_BODIES: [&str; 3] = [
    r#"{"destination":"U1","events":[{"type":"message","message":{"type":"text","id":"1","text":"こんにちは"},"webhookEventId":"e1","timestamp":1,"source":{"type":"user","userId":"U1"},"replyToken":"r"}]}"#,
    r#"{"destination":"U1","events":[{"type":"message","message":{"type":"location","id":"2","latitude":35.1,"longitude":139.2},"webhookEventId":"e2","timestamp":2,"source":{"type":"user","userId":"U1"}}]}"#,
    r#"{"destination":"U1","events":[{"type":"follow","webhookEventId":"e3","timestamp":3,"source":{"type":"user","userId":"U1"}}]}"#,
];

/// A mutation of a seed: cut it, overwrite bytes, or splice in bytes that matter to MIME.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(b"\r\n--b1--\r\n".to_vec()),
        Just(b"\x1b$B".to_vec()),
        Just(b"=?ISO-2022-JP?B?GyRCJCIbKEI=?=".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=\"".to_vec()),
        Just(b"filename*0*=UTF-8''%E8".to_vec()),
        Just(vec![0xff, 0xfe, 0x00]),
        proptest::collection::vec(any::<u8>(), 0..16),
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), interesting).prop_map(|(i, v)| Mutation::Insert(i, v)),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = data.len().max(1);
        match m {
            Mutation::Truncate(i) => data.truncate(i % len),
            Mutation::Flip(i, b) => {
                if !data.is_empty() {
                    let at = i % data.len();
                    data[at] = *b;
                }
            }
            Mutation::Insert(i, v) => {
                let at = i % (data.len() + 1);
                data.splice(at..at, v.iter().copied());
            }
        }
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_mail_never_panics(seed in 0usize..11, muts in proptest::collection::vec(mutation(), 1..6)) {
        let seeds = corpus();
        let raw = apply(seeds[seed % seeds.len()].clone(), &muts);
        if let Ok(mail) = parse(&raw, &Limits::default()) {
            let limits = Limits::default();
            prop_assert!(mail.attachments.len() <= limits.max_attachments);
            prop_assert!(mail.attachments.iter().all(|a| a.data.len() <= limits.max_attachment_bytes));
        }
    }

    #[test]
    fn arbitrary_bytes_as_mail_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&raw, &Limits::default());
    }

    #[test]
    fn mutated_line_webhooks_never_panic(seed in 0usize..3, muts in proptest::collection::vec(mutation(), 1..6)) {
        let body = apply(LINE_BODIES[seed].as_bytes().to_vec(), &muts);
        prop_assert!(!verify_signature("secret", &body, "AAAA"));
        if let Ok(w) = parse_webhook(&body) {
            for e in &w.events {
                let _ = format!("{:?}", e.kind);
            }
        }
    }
}
