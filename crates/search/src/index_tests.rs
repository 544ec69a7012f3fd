//! The index's own tests: characters as substrings, kana typed unconverted found by reading.

#![allow(clippy::unwrap_used)] // a failing fixture fails the test
use super::*;

/// The character side alone (the word side would also match a query's Latin words).
#[test]
fn characters_match_as_substrings_through_the_grams() {
    let index = SearchIndex::in_memory().unwrap();
    let doc = |id: &str, text: &str| IndexDoc {
        kind: DocKind::Message,
        id: id.into(),
        merchant: "m".into(),
        conversation: None,
        channel: None,
        status: None,
        at: Utc::now(),
        title: String::new(),
        text: text.into(),
        keywords: vec![],
        exact: vec![],
        internal: false,
    };
    index
        .upsert(&[doc("n1", "A4の箱が3個届きました。箱、潰れています"), doc("n2", "3枚の袋に分けてください")])
        .unwrap();
    let searcher = index.reader.searcher();
    let count = |q: &str| {
        let query = gram_query(index.f.grams, &analysis::nfkc(q)).unwrap();
        searcher.search(&*query, &tantivy::collector::Count).unwrap()
    };
    // A Latin word, then one character that goes on in the text (個届): a phrase prefix.
    assert_eq!(count("3個"), 1);
    assert_eq!(count("３枚"), 1, "full-width digit");
    assert_eq!(count("3枚の"), 1);
    assert_eq!(count("4個"), 0, "A4 is one word");
    assert_eq!(count("a4の"), 1);
    // One character alone: every gram it starts, in either document.
    assert_eq!(count("の"), 2);
    assert_eq!(count("潰"), 1);
    // Before a symbol the text has the unigram; two characters are one bigram.
    assert_eq!(count("箱、"), 1);
    assert_eq!(count("箱が"), 1);
    assert_eq!(count("が3"), 1, "the run ends at が, before 3");
    assert_eq!(count("が4"), 0);
    assert_eq!(count("届きました"), 1);
    assert_eq!(count("届いた"), 0);
}

#[test]
fn kana_typed_unconverted_finds_the_kanji_by_reading() {
    let index = SearchIndex::in_memory().unwrap();
    let doc = |id: &str, title: &str, text: &str| IndexDoc {
        kind: DocKind::Article,
        id: id.into(),
        merchant: "m".into(),
        conversation: None,
        channel: None,
        status: None,
        at: Utc::now(),
        title: title.into(),
        text: text.into(),
        keywords: vec![],
        exact: vec![],
        internal: false,
    };
    index
        .upsert(&[
            doc("late", "荷物が届かない", "ご注文から3日たっても届かない場合はご連絡ください。"),
            doc("still", "商品がまだ届きません", "先週注文しました。"),
            doc("return", "返品の方法", "商品到着後7日以内にお申し出ください。"),
            doc("fee", "送料について", "5,000円以上で無料です。"),
        ])
        .unwrap();
    let ids = |text: &str, matching: Match| -> Vec<String> {
        let r =
            SearchRequest { merchants: vec!["m".into()], text: text.into(), matching, limit: 5, ..Default::default() };
        index.search(&r).unwrap().into_iter().map(|h| h.id).collect()
    };
    for matching in [Match::All, Match::Any] {
        assert_eq!(ids("とどかない", matching).first().map(String::as_str), Some("late"), "{matching:?}");
        assert_eq!(ids("へんぴん", matching).first().map(String::as_str), Some("return"), "{matching:?}");
        assert_eq!(ids("そうりょう", matching).first().map(String::as_str), Some("fee"), "{matching:?}");
        assert_eq!(ids("ヘンピン", matching).first().map(String::as_str), Some("return"), "{matching:?}");
    }
    // An inflection typed in kana meets the others of the same word (届きません, 届いた).
    for matching in [Match::All, Match::Any] {
        for typed in ["とどかない", "とどきません", "とどいていない"] {
            let found = ids(typed, matching);
            assert!(
                found.contains(&"late".to_owned()) && found.contains(&"still".to_owned()),
                "{typed} {matching:?}: {found:?}"
            );
            assert!(!found.contains(&"fee".to_owned()), "{typed}: {found:?}");
        }
    }
    // Kanji are not looked up by reading: 変品 (also ヘンピン) finds nothing.
    assert!(ids("変品", Match::All).is_empty());
}
