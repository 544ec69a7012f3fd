//! Search in the server: the index under the data folder, kept current from the store's search
//! feed by `jobs::indexer` (a change is searchable within a second), rebuilt from the database when it is new or
//! of an older version, and queried within the caller's merchants.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use madoguchi_core::access::{Principal, Scope};
use madoguchi_core::customer::Customer;
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_core::ids::CustomerId;
use madoguchi_search::{DocKind, Hit, IndexDoc, SearchError, SearchIndex, SearchRequest};
use madoguchi_store::Store;
use madoguchi_store::search_feed::{FeedKind, MessageForIndex};

/// How often the feed is read when it was empty.
pub(crate) const FEED_POLL: Duration = Duration::from_millis(200);
const FEED_BATCH: i64 = 500;
const REBUILD_PAGE: i64 = 5_000;

pub struct Search {
    pub index: SearchIndex,
    /// Set when the index was created empty or replaced: the indexer rebuilds it first.
    pub(crate) rebuild: AtomicBool,
    /// Set once the indexer has caught up with the database after start-up (the rebuild, if
    /// any, done and the feed read to its end): until then word matches may be missing.
    pub(crate) caught_up: AtomicBool,
}

impl Search {
    /// Opens the index in `dir`; a missing or outdated one is (re)created and marked for a
    /// rebuild from the database.
    pub fn open(dir: &Path) -> anyhow::Result<Arc<Search>> {
        let fresh = !dir.join("madoguchi-schema-version").exists();
        let (index, rebuild) = match SearchIndex::open(dir) {
            Ok(i) => (i, fresh),
            Err(SearchError::Version { found }) => {
                tracing::warn!(found, "search index of an older version: rebuilding it from the database");
                (SearchIndex::recreate(dir)?, true)
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Arc::new(Search { index, rebuild: AtomicBool::new(rebuild), caught_up: AtomicBool::new(false) }))
    }

    /// Whether the index is still catching up after start-up.
    pub fn is_building(&self) -> bool {
        !self.caught_up.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The index document of a message.
pub fn message_doc(m: &MessageForIndex) -> IndexDoc {
    IndexDoc {
        kind: DocKind::Message,
        id: m.id.to_string(),
        merchant: m.merchant_id.to_string(),
        conversation: Some(m.conversation_id.to_string()),
        channel: Some(m.channel.clone()),
        status: Some(m.status.clone()),
        at: m.created_at,
        title: m.subject.clone().unwrap_or_default(),
        text: m.body_text.clone(),
        keywords: vec![],
        exact: m.order_number.iter().map(|n| order_key(n)).collect(),
        internal: m.internal,
    }
}

fn order_key(number: &str) -> String {
    format!("order:{}", madoguchi_search::analysis::nfkc(number).to_lowercase())
}

/// The index document of a customer: name and reading, contact details (also as exact keys),
/// notes.
pub fn customer_doc(c: &Customer) -> IndexDoc {
    let contacts: Vec<String> = c.identities.iter().map(|i| i.display.clone()).collect();
    IndexDoc {
        kind: DocKind::Customer,
        id: c.id.to_string(),
        merchant: c.merchant_id.to_string(),
        conversation: None,
        channel: None,
        status: None,
        at: c.updated_at,
        title: [c.name.clone(), c.name_kana.clone()].into_iter().flatten().collect::<Vec<_>>().join(" "),
        text: [contacts.join("\n"), c.notes.clone().unwrap_or_default()].join("\n"),
        keywords: vec![],
        exact: c.identities.iter().map(|i| format!("{}:{}", i.kind.as_str(), i.value.to_lowercase())).collect(),
        internal: false,
    }
}

/// The index document of a knowledge-base article.
pub fn article_doc(a: &madoguchi_core::kb::Article) -> IndexDoc {
    IndexDoc {
        kind: DocKind::Article,
        id: a.id.to_string(),
        merchant: a.merchant_id.to_string(),
        conversation: None,
        channel: None,
        status: Some(if a.published { "published" } else { "draft" }.into()),
        at: a.updated_at,
        title: a.question.clone(),
        // What a result quotes is text: Markdown marks (**, ##, links) would show as typed.
        text: crate::sanitize::markdown_to_text(&a.answer),
        keywords: [vec![a.category.clone()], a.keywords.clone()].concat(),
        exact: vec![],
        internal: false,
    }
}

/// Exact keys a query may be: a mail address, a phone number in any format, an order number.
pub fn exact_keys(q: &str) -> Vec<String> {
    let q = q.trim();
    let mut keys = Vec::new();
    if q.is_empty() {
        return keys;
    }
    if q.split_whitespace().count() > 1 {
        // A phone number as people write it, in groups: +81 90 8244 4258, 03 1234 5678.
        let compact: String = q.split_whitespace().collect();
        if madoguchi_search::analysis::nfkc(&compact).chars().all(|c| c.is_ascii_digit() || "+-()".contains(c))
            && let Ok(n) = normalize(IdentityKind::Phone, &compact)
        {
            keys.push(format!("phone:{}", n.value));
        }
        return keys;
    }
    if let Ok(n) = normalize(IdentityKind::Email, q) {
        keys.push(format!("email:{}", n.value));
    }
    if let Ok(n) = normalize(IdentityKind::Phone, q) {
        keys.push(format!("phone:{}", n.value));
    }
    let folded = madoguchi_search::analysis::nfkc(q);
    if folded.chars().any(|c| c.is_ascii_digit()) && folded.chars().all(|c| c.is_ascii_graphic()) {
        keys.push(order_key(&folded));
    }
    keys
}

/// Indexes one batch of the feed; returns how many feed entries it took.
pub async fn index_feed(store: &Store, index: &SearchIndex) -> anyhow::Result<usize> {
    let feed = store.search_feed(FEED_BATCH).await?;
    let Some(last) = feed.last().map(|f| f.seq) else { return Ok(0) };
    if feed.iter().any(|f| f.kind == FeedKind::Rebuild) {
        let n = rebuild(store, index).await?;
        tracing::info!(documents = n, "search index rebuilt on request");
        return Ok(feed.len());
    }
    let mut docs = Vec::new();
    let mut gone = Vec::new();
    let mut messages = Vec::new();
    for item in &feed {
        match item.kind {
            FeedKind::Message => messages.push(item.id),
            FeedKind::Conversation => {
                docs.extend(store.conversation_messages_for_index(item.id).await?.iter().map(message_doc));
            }
            FeedKind::Customer => match store.get_customer(&Scope::All, CustomerId(item.id)).await {
                Ok(c) => docs.push(customer_doc(&c)),
                Err(madoguchi_store::StoreError::NotFound) => gone.push(item.id.to_string()),
                Err(e) => return Err(e.into()),
            },
            FeedKind::Article => match store.get_article(&Scope::All, madoguchi_core::ids::ArticleId(item.id)).await {
                Ok(a) => docs.push(article_doc(&a)),
                Err(madoguchi_store::StoreError::NotFound) => gone.push(item.id.to_string()),
                Err(e) => return Err(e.into()),
            },
            FeedKind::Rebuild => {}
        }
    }
    let found = store.messages_for_index(&messages).await?;
    for id in &messages {
        if !found.iter().any(|m| m.id == *id) {
            gone.push(id.to_string());
        }
    }
    docs.extend(found.iter().map(message_doc));
    index.upsert(&docs)?;
    if !gone.is_empty() {
        index.delete(&gone)?;
    }
    store.search_feed_done(last).await?;
    metrics::counter!("madoguchi_search_indexed_total").increment(docs.len() as u64);
    Ok(feed.len())
}

/// Rebuilds the whole index from the database. The feed up to where the rebuild started is
/// cleared; what arrives during the rebuild is indexed after it.
pub async fn rebuild(store: &Store, index: &SearchIndex) -> anyhow::Result<usize> {
    let upto = store.search_feed_last_seq().await?;
    index.delete_all()?;
    let mut n = 0;
    let mut after = None;
    loop {
        let page = store.message_page_for_index(after, REBUILD_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let docs: Vec<IndexDoc> = page.iter().map(message_doc).collect();
        index.add_bulk(&docs)?;
        n += docs.len();
    }
    let mut after = None;
    loop {
        let page = store.customer_page_for_index(after, REBUILD_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.0);
        let docs: Vec<IndexDoc> = page.iter().map(customer_doc).collect();
        index.add_bulk(&docs)?;
        n += docs.len();
    }
    let mut docs = Vec::new();
    for id in store.article_ids().await? {
        if let Ok(a) = store.get_article(&Scope::All, madoguchi_core::ids::ArticleId(id)).await {
            docs.push(article_doc(&a));
        }
    }
    n += docs.len();
    index.add_bulk(&docs)?;
    index.commit()?;
    if let Some(seq) = upto {
        store.search_feed_done(seq).await?;
    }
    Ok(n)
}

/// The merchants a principal may search, narrowed to one when asked.
pub async fn merchants_in_scope(store: &Store, p: &Principal) -> anyhow::Result<Vec<String>> {
    Ok(match p.scope() {
        Scope::All => store.all_merchant_ids().await?.iter().map(|m| m.to_string()).collect(),
        Scope::Merchants(ms) => ms.iter().map(|m| m.to_string()).collect(),
    })
}

/// Runs a search for a principal: their merchants only, internal notes only for the desk.
pub fn run(search: &Search, p: &Principal, mut r: SearchRequest) -> Result<Vec<Hit>, SearchError> {
    r.include_internal = p.sees_internal_notes();
    if r.exact.is_empty() {
        r.exact = exact_keys(&r.text);
    }
    search.index.search(&r)
}

#[cfg(test)]
mod tests {
    use super::exact_keys;

    #[test]
    fn exact_keys_from_what_agents_paste() {
        assert!(exact_keys("０９０－１２３４－５６７８").contains(&"phone:+819012345678".to_owned()));
        assert!(exact_keys("Hanako@Example.JP").contains(&"email:hanako@example.jp".to_owned()));
        assert!(exact_keys("ＨＭ－１００２３").contains(&"order:hm-10023".to_owned()));
        assert!(exact_keys("荷物 届かない").is_empty());
        assert_eq!(exact_keys("+81 90 8244 4258"), vec!["phone:+819082444258".to_owned()]);
        assert_eq!(exact_keys("０９０ ８２４４ ４２５８"), vec!["phone:+819082444258".to_owned()]);
        assert!(exact_keys("2024 12 01").is_empty(), "a date in groups is no phone number");
        assert!(exact_keys("返品").is_empty());
    }
}
