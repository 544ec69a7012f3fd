//! The search index through its public API: Japanese matching, merchant scoping, filters,
//! orders, exact keys, updates, and the index folder.

#![allow(clippy::unwrap_used)] // a failing fixture fails the test

use chrono::{Duration, TimeZone, Utc};
use madoguchi_search::{DocKind, IndexDoc, SearchIndex, SearchRequest, SortOrder};

const A: &str = "0190a000-0000-7000-8000-00000000000a";
const B: &str = "0190a000-0000-7000-8000-00000000000b";

fn message(id: &str, merchant: &str, minutes: i64, subject: &str, text: &str) -> IndexDoc {
    IndexDoc {
        kind: DocKind::Message,
        id: id.into(),
        merchant: merchant.into(),
        conversation: Some(format!("c-{id}")),
        channel: Some("email".into()),
        status: Some("open".into()),
        at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes),
        title: subject.into(),
        text: text.into(),
        keywords: vec![],
        exact: vec![],
        internal: false,
    }
}

fn ids(index: &SearchIndex, merchants: &[&str], text: &str) -> Vec<String> {
    let r = SearchRequest {
        merchants: merchants.iter().map(|m| m.to_string()).collect(),
        text: text.into(),
        limit: 20,
        ..Default::default()
    };
    index.search(&r).unwrap().into_iter().map(|h| h.id).collect()
}

fn sample() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            message("m1", A, 1, "配送について", "注文した荷物がまだ届きません。いつ届きますか。"),
            message("m2", A, 2, "不良品", "届いた商品に傷がありました。交換してください。"),
            message("m3", A, 3, "返品希望", "サイズが合わないので返品したいです。"),
            message("m4", A, 4, "返金", "返金はいつになりますか。"),
            message("m5", A, 5, "ﾊﾟｽﾜｰﾄﾞ", "ﾛｸﾞｲﾝできません。パスワードを忘れました。"),
            message("m6", B, 6, "配送について", "荷物が届きません。"),
        ])
        .unwrap();
    index
}

#[test]
fn inflections_meet_at_the_base_form() {
    let index = sample();
    // 届きません and 届きます (twice, first) and 届いた: all 届く.
    assert_eq!(ids(&index, &[A], "届かない"), vec!["m1", "m2"]);
    assert_eq!(ids(&index, &[A], "届いていない"), vec!["m1", "m2"]);
}

#[test]
fn one_and_two_character_queries_match() {
    let index = sample();
    assert_eq!(ids(&index, &[A], "傷"), vec!["m2"]);
    assert_eq!(ids(&index, &[A], "返品"), vec!["m3"], "返品 is not 返金");
    assert_eq!(ids(&index, &[A], "返金"), vec!["m4"]);
}

#[test]
fn a_character_is_found_inside_a_run_and_before_a_symbol() {
    // The index keeps a unigram only where a run of Japanese ends: a character inside a run is
    // found through the bigrams it starts.
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            message("n1", A, 1, "梱包", "A4の箱が3個届きました。箱、潰れています"),
            message("n2", A, 2, "梱包", "3枚の袋に分けてください"),
        ])
        .unwrap();
    assert_eq!(ids(&index, &[A], "個"), vec!["n1"], "個 only inside the run 個届…");
    assert_eq!(ids(&index, &[A], "箱、"), vec!["n1"], "箱 before a symbol");
    assert_eq!(ids(&index, &[A], "袋に分"), vec!["n2"]);
    let r = SearchRequest { merchants: vec![A.into()], text: "個".into(), limit: 5, ..Default::default() };
    let hit = &index.search(&r).unwrap()[0];
    assert!(hit.snippet.contains("3<mark>個</mark>届"), "{}", hit.snippet);
}

#[test]
fn width_and_kana_do_not_matter() {
    let index = sample();
    assert_eq!(ids(&index, &[A], "ログイン"), vec!["m5"], "half-width ﾛｸﾞｲﾝ in the text");
    assert_eq!(ids(&index, &[A], "ぱすわーど"), vec!["m5"], "hiragana query, katakana text");
    assert_eq!(ids(&index, &[A], "ＰＡＳＳ"), Vec::<String>::new());
}

#[test]
fn every_query_is_bound_to_merchants() {
    let index = sample();
    assert_eq!(ids(&index, &[B], "荷物"), vec!["m6"]);
    assert!(!ids(&index, &[A], "荷物").contains(&"m6".to_owned()));
    assert!(ids(&index, &[], "荷物").is_empty(), "no merchants, no results");
    let mut both = ids(&index, &[A, B], "荷物");
    both.sort();
    assert_eq!(both, vec!["m1", "m6"]);
}

#[test]
fn all_parts_of_a_query_must_match() {
    let index = sample();
    assert_eq!(ids(&index, &[A], "商品 交換"), vec!["m2"]);
    assert!(ids(&index, &[A], "商品 返金").is_empty());
}

#[test]
fn newest_first_filters_and_snippets() {
    let index = sample();
    let mut r = SearchRequest {
        merchants: vec![A.into()],
        text: "す".into(),
        order: SortOrder::Newest,
        limit: 3,
        ..Default::default()
    };
    let hits = index.search(&r).unwrap();
    assert_eq!(hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["m5", "m4", "m3"]);
    r.to = Some(Utc.with_ymd_and_hms(2026, 11, 1, 9, 3, 0).unwrap());
    let hits = index.search(&r).unwrap();
    // Before 09:03, only m1 has a す/ス (m2 has none).
    assert_eq!(hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["m1"]);
    r.to = None;
    r.channel = Some("line".into());
    assert!(index.search(&r).unwrap().is_empty());
    r.channel = None;
    r.kinds = vec![DocKind::Article];
    assert!(index.search(&r).unwrap().is_empty());

    let r = SearchRequest { merchants: vec![A.into()], text: "傷".into(), limit: 5, ..Default::default() };
    let hit = &index.search(&r).unwrap()[0];
    assert!(hit.snippet.contains("<mark>傷</mark>"), "{}", hit.snippet);
    assert_eq!(hit.title, "不良品");
}

#[test]
fn exact_keys_come_first() {
    let index = sample();
    let mut order = message("o1", A, 0, "注文", "ご注文ありがとうございます");
    order.exact = vec!["order:hm-10023".into()];
    let mut mention = message("o2", A, 10, "問い合わせ", "HM-10023 について質問です");
    mention.exact = vec![];
    index.upsert(&[order, mention]).unwrap();
    let r = SearchRequest {
        merchants: vec![A.into()],
        text: "ＨＭ－１００２３".into(),
        exact: vec!["order:hm-10023".into()],
        limit: 5,
        ..Default::default()
    };
    let hits = index.search(&r).unwrap();
    assert_eq!(hits.iter().map(|h| (h.id.as_str(), h.exact)).collect::<Vec<_>>(), vec![("o1", true), ("o2", false)]);
}

#[test]
fn internal_notes_only_for_the_desk() {
    let index = sample();
    let mut note = message("n1", A, 9, "メモ", "この客は要注意");
    note.internal = true;
    index.upsert(&[note]).unwrap();
    let mut r = SearchRequest { merchants: vec![A.into()], text: "要注意".into(), limit: 5, ..Default::default() };
    assert!(index.search(&r).unwrap().is_empty(), "merchant staff do not find the desk's notes");
    r.include_internal = true;
    assert_eq!(index.search(&r).unwrap().len(), 1);
}

#[test]
fn documents_are_replaced_and_removed_by_id() {
    let index = sample();
    index.upsert(&[message("m2", A, 2, "不良品", "箱がへこんでいました。")]).unwrap();
    assert!(ids(&index, &[A], "傷").is_empty());
    assert_eq!(ids(&index, &[A], "へこむ"), vec!["m2"]);
    index.delete(&["m2".into()]).unwrap();
    assert!(ids(&index, &[A], "へこむ").is_empty());
}

#[test]
fn the_index_lives_in_a_folder_and_knows_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search");
    {
        let index = SearchIndex::open(&path).unwrap();
        index.upsert(&[message("d1", A, 0, "件名", "保存された本文")]).unwrap();
    }
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(ids(&index, &[A], "本文"), vec!["d1"]);
    drop(index);
    std::fs::write(path.join("madoguchi-schema-version"), "0").unwrap();
    assert!(matches!(SearchIndex::open(&path), Err(madoguchi_search::SearchError::Version { .. })));
    let index = SearchIndex::recreate(&path).unwrap();
    assert_eq!(index.num_docs(), 0);
}

/// "Newest first" looks back in widening windows of time and stops at the first that holds
/// enough matches; whatever the windows, the answer is the same as sorting every match by time.
#[test]
fn newest_first_across_time_windows_is_every_match_sorted_by_time() {
    let index = SearchIndex::in_memory().unwrap();
    let now = Utc::now();
    // Matches two days, a month, a year and three years old, and one in the future (a clock
    // ahead); a non-match in between.
    let ages_in_days =
        [(0..30).map(|i| 2 + i % 3).collect::<Vec<i64>>(), vec![30; 10], vec![400; 5], vec![1100; 3], vec![-1]];
    let mut docs = Vec::new();
    for (n, days) in ages_in_days.concat().into_iter().enumerate() {
        let mut d = message(&format!("m{n:03}"), A, 0, "返品", "返品の相談です");
        d.at = now - Duration::days(days) - Duration::minutes(n as i64);
        docs.push(d);
    }
    let mut other = message("other", A, 0, "配送", "配送の相談です");
    other.at = now;
    docs.push(other);
    index.upsert(&docs).unwrap();
    let mut expected: Vec<&IndexDoc> = docs.iter().filter(|d| d.id != "other").collect();
    expected.sort_by_key(|d| std::cmp::Reverse(d.at));
    for limit in [1, 20, 31, 41, 45, 100] {
        let r = SearchRequest {
            merchants: vec![A.into()],
            text: "返品".into(),
            order: SortOrder::Newest,
            limit,
            ..Default::default()
        };
        let got: Vec<String> = index.search(&r).unwrap().into_iter().map(|h| h.id).collect();
        let want: Vec<String> = expected.iter().take(limit).map(|d| d.id.clone()).collect();
        assert_eq!(got, want, "limit {limit}");
    }
    // With an end date in the past, the windows count back from it.
    let r = SearchRequest {
        merchants: vec![A.into()],
        text: "返品".into(),
        order: SortOrder::Newest,
        to: Some(now - Duration::days(100)),
        limit: 10,
        ..Default::default()
    };
    let got: Vec<String> = index.search(&r).unwrap().into_iter().map(|h| h.id).collect();
    let want: Vec<String> =
        expected.iter().filter(|d| d.at < now - Duration::days(100)).take(10).map(|d| d.id.clone()).collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 8);
}
