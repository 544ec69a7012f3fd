//! The search index (tantivy) of conversations' messages, customers and knowledge-base
//! articles, every document tagged with its merchant and every query bound to a set of
//! merchants: there is no way to search without saying whose data.
//!
//! A query is split on spaces; every part must match, as words (base forms, so 届かない finds
//! 届きません) or as characters (a phrase of bigrams, so 傷 and 返品 and unknown words match).
//! Titles (subjects, names, questions) and keywords count double. Exact keys — order numbers,
//! phone numbers, mail addresses — are looked up first and their documents lead the results.

use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::indexer::UserOperation;
use tantivy::query::{
    BooleanQuery, BoostQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, QueryClone, RangeQuery, TermQuery,
};
use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

use crate::analysis;
use crate::tokenizers::{GramTokenizer, WordTokenizer, all_gram_tokens, gram_tokens, word_tokens};

/// Bumped when the schema or the analysis changes; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 5;
/// The most the indexing threads hold before writing a segment. A rebuild of a million
/// messages then writes one segment per thread and never merges (at 64 MB it wrote a dozen and
/// merged them, a fifth of its time); the live indexer commits every batch and never comes near
/// it, the memory is taken only as documents fill it.
const WRITER_MEMORY: usize = 512 * 1024 * 1024;
/// Documents handed to the indexing threads at once in a bulk load. tantivy queues at most
/// 10,000 batches, so this also caps the documents read ahead of the indexing threads (250,000,
/// about 250 MB) however big the rebuild.
const BULK_BATCH: usize = 25;
/// Kana typed unconverted matches a text by its reading below what it matches as written.
const READING_BOOST: f32 = 0.5;
/// How far back "newest first" looks before it looks further (see [`SearchIndex::newest`]).
const NEWEST_WINDOWS_DAYS: [i64; 3] = [7, 60, 730];

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index was built by another version (found {found}, want {SCHEMA_VERSION}); rebuild it")]
    Version { found: String },
    #[error("the search index is open in another process (a running server)")]
    Busy,
}

pub type Result<T> = std::result::Result<T, SearchError>;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Message,
    Customer,
    Article,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Message => "message",
            DocKind::Customer => "customer",
            DocKind::Article => "article",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "message" => Some(DocKind::Message),
            "customer" => Some(DocKind::Customer),
            "article" => Some(DocKind::Article),
            _ => None,
        }
    }
}

/// One document to index. `id` is unique across kinds (UUIDs).
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub kind: DocKind,
    pub id: String,
    pub merchant: String,
    /// The conversation a message belongs to.
    pub conversation: Option<String>,
    pub channel: Option<String>,
    /// Conversation status of a message; `published` / `draft` of an article.
    pub status: Option<String>,
    pub at: DateTime<Utc>,
    /// Subject, customer name, question.
    pub title: String,
    pub text: String,
    /// Article keywords and synonyms.
    pub keywords: Vec<String>,
    /// Exact keys: `order:HM-1`, `phone:+81…`, `email:…` (normalised by the caller).
    pub exact: Vec<String>,
    /// The desk's internal note: never shown to merchant staff.
    pub internal: bool,
}

/// How a query's words combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Match {
    /// Every part must match (an agent's keywords).
    #[default]
    All,
    /// Any content word may match, the more the better (a customer's question in a sentence:
    /// 送料っていくらかかりますか finds 送料はいくらですか).
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Relevance,
    Newest,
}

/// A search, always bound to merchants.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The merchants whose documents may be returned (the caller's scope, already narrowed by
    /// any merchant filter). Empty finds nothing.
    pub merchants: Vec<String>,
    pub text: String,
    pub kinds: Vec<DocKind>,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub order: SortOrder,
    pub matching: Match,
    pub limit: usize,
    /// Exact keys to look up first (see [`IndexDoc::exact`]).
    pub exact: Vec<String>,
    /// Whether the desk's internal notes may be found (not for merchant staff).
    pub include_internal: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub kind: DocKind,
    pub id: String,
    pub merchant: String,
    pub conversation: Option<String>,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub at: DateTime<Utc>,
    pub title: String,
    /// A passage with the matches in `<mark>`; the rest is HTML-escaped.
    pub snippet: String,
    pub score: f32,
    /// Found by an exact key (order number, phone, mail address).
    pub exact: bool,
}

#[derive(Clone, Copy)]
struct Fields {
    kind: Field,
    id: Field,
    merchant: Field,
    conversation: Field,
    channel: Field,
    status: Field,
    at: Field,
    title: Field,
    title_words: Field,
    title_grams: Field,
    words: Field,
    grams: Field,
    readings: Field,
    exact: Field,
    internal: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Words are matched as terms, characters as phrases: only the gram fields need positions.
    let text = |tokenizer: &str, record: IndexRecordOption, stored: bool| {
        let o = TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(record));
        if stored { o.set_stored() } else { o }
    };
    let (words, grams) = (IndexRecordOption::WithFreqs, IndexRecordOption::WithFreqsAndPositions);
    let fields = Fields {
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        id: b.add_text_field("id", STRING | STORED),
        merchant: b.add_text_field("merchant", STRING | STORED),
        // Shown, never searched by.
        conversation: b.add_text_field("conversation", STORED),
        channel: b.add_text_field("channel", STRING | STORED),
        status: b.add_text_field("status", STRING | STORED),
        // Ranges on a fast field read it: no term per instant in the term dictionary.
        at: b.add_date_field("at", STORED | FAST),
        title: b.add_text_field("title", STORED),
        title_words: b.add_text_field("title_words", text("ja_words", words, false)),
        title_grams: b.add_text_field("title_grams", text("ja_grams", grams, false)),
        words: b.add_text_field("words", text("ja_words", words, false)),
        grams: b.add_text_field("grams", text("ja_grams", grams, true)),
        // Title and text as they are read (katakana), as characters: kana typed unconverted.
        readings: b.add_text_field("readings", text("ja_grams", grams, false)),
        exact: b.add_text_field("exact", STRING),
        internal: b.add_text_field("internal", STRING),
    };
    (b.build(), fields)
}

pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
}

fn tantivy_date(t: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros())
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if there is none. An index of another schema
    /// version is an error: the caller rebuilds it ([`SearchIndex::recreate`]).
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let marker = dir.join("madoguchi-schema-version");
        let index = match std::fs::read_to_string(&marker) {
            Ok(v) if v.trim() == SCHEMA_VERSION.to_string() => Index::open_in_dir(dir)?,
            Ok(v) => return Err(SearchError::Version { found: v.trim().to_owned() }),
            Err(_) => {
                let index = Index::create_in_dir(dir, schema().0)?;
                std::fs::write(&marker, SCHEMA_VERSION.to_string())?;
                index
            }
        };
        Self::from_index(index)
    }

    /// Deletes whatever is in `dir` and creates an empty index (before a rebuild).
    pub fn recreate(dir: &Path) -> Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        Self::open(dir)
    }

    /// Empties the index in `dir` for a rebuild, unless another process holds it: the running
    /// server's index is left alone ([`SearchError::Busy`]).
    pub fn recreate_unless_busy(dir: &Path) -> Result<Self> {
        let index = match Self::open(dir) {
            Ok(i) => i,
            Err(SearchError::Version { .. }) => return Self::recreate(dir),
            Err(e) => return Err(e),
        };
        index.delete_all()?;
        index.commit()?;
        Ok(index)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self> {
        Self::from_index(Index::create_in_ram(schema().0))
    }

    fn from_index(index: Index) -> Result<Self> {
        index.tokenizers().register("ja_words", WordTokenizer);
        index.tokenizers().register("ja_grams", GramTokenizer::index());
        let f = schema().1;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer(WRITER_MEMORY).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(tantivy::directory::error::LockError::LockBusy, _) => SearchError::Busy,
            e => SearchError::Index(e),
        })?;
        Ok(SearchIndex { reader, writer: Mutex::new(writer), f })
    }

    fn document(&self, d: &IndexDoc) -> TantivyDocument {
        let f = &self.f;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, d.kind.as_str());
        doc.add_text(f.id, &d.id);
        doc.add_text(f.merchant, &d.merchant);
        if let Some(c) = &d.conversation {
            doc.add_text(f.conversation, c);
        }
        if let Some(c) = &d.channel {
            doc.add_text(f.channel, c);
        }
        if let Some(s) = &d.status {
            doc.add_text(f.status, s);
        }
        doc.add_date(f.at, tantivy_date(d.at));
        doc.add_text(f.title, &d.title);
        let title = analysis::nfkc(&format!("{}\n{}", d.title, d.keywords.join("\n")));
        doc.add_text(f.title_words, &title);
        doc.add_text(f.title_grams, &title);
        let body = analysis::nfkc(&d.text);
        doc.add_text(f.readings, analysis::reading(&title) + &analysis::reading(&body));
        doc.add_text(f.words, &body);
        doc.add_text(f.grams, &body);
        for e in &d.exact {
            doc.add_text(f.exact, e);
        }
        doc.add_text(f.internal, if d.internal { "1" } else { "0" });
        doc
    }

    /// Adds or replaces documents (by id) and makes them searchable.
    pub fn upsert(&self, docs: &[IndexDoc]) -> Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for d in docs {
            w.delete_term(Term::from_field_text(self.f.id, &d.id));
            w.add_document(self.document(d))?;
        }
        w.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Adds documents without committing (bulk rebuilds); call [`SearchIndex::commit`] after.
    pub fn add_bulk(&self, docs: &[IndexDoc]) -> Result<()> {
        let w = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Handed to the indexing threads in batches: one document at a time, the threads and
        // this one wake each other for every document.
        for batch in docs.chunks(BULK_BATCH) {
            let batch: Vec<_> = batch.iter().map(|d| UserOperation::Add(self.document(d))).collect();
            w.run(batch)?;
        }
        Ok(())
    }

    /// Removes every document (before a rebuild); takes effect at the next commit.
    pub fn delete_all(&self) -> Result<()> {
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).delete_all_documents()?;
        Ok(())
    }

    pub fn commit(&self) -> Result<()> {
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).commit()?;
        self.reader.reload()?;
        Ok(())
    }

    pub fn delete(&self, ids: &[String]) -> Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in ids {
            w.delete_term(Term::from_field_text(self.f.id, id));
        }
        w.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A question in a sentence: every content word (as its base form, and as characters in
    /// case the dictionary splits it differently) adds to the score; one is enough to match.
    fn any_words_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let f = &self.f;
        let nfkc = analysis::nfkc(text);
        let words = analysis::words(&nfkc).unwrap_or_default();
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in words.iter().filter(|w| w.content) {
            for (words_field, grams_field, boost) in [(f.words, f.grams, 1.0), (f.title_words, f.title_grams, 2.0)] {
                let term: Box<dyn Query> =
                    Box::new(TermQuery::new(Term::from_field_text(words_field, &w.base), IndexRecordOption::WithFreqs));
                should.push((Occur::Should, Box::new(BoostQuery::new(term, boost))));
                // A one-character surface as characters would match nearly everything.
                if w.surface.chars().count() >= 2
                    && let Some(q) = gram_query(grams_field, &w.surface)
                {
                    should.push((Occur::Should, Box::new(BoostQuery::new(q, boost * 0.5))));
                }
            }
        }
        for part in text.split_whitespace().filter(|p| analysis::kana_only(p) && p.chars().count() >= 2) {
            for q in reading_queries(f.readings, &analysis::nfkc(part)) {
                should.push((Occur::Should, Box::new(BoostQuery::new(q, READING_BOOST))));
            }
        }
        if should.is_empty() {
            // No dictionary, or nothing but symbols: any bigram of the text.
            for t in gram_tokens(&nfkc).into_iter().filter(|t| t.text.chars().count() >= 2) {
                for field in [f.grams, f.title_grams] {
                    should.push((
                        Occur::Should,
                        Box::new(TermQuery::new(Term::from_field_text(field, &t.text), IndexRecordOption::WithFreqs)),
                    ));
                }
            }
        }
        (!should.is_empty()).then(|| Box::new(BooleanQuery::new(should)) as Box<dyn Query>)
    }

    /// The text part of a query: every space-separated part must match as words or as
    /// characters. `None` for a query with nothing searchable in it.
    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let f = &self.f;
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for part in text.split_whitespace() {
            let nfkc = analysis::nfkc(part);
            let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (words_field, grams_field, boost) in [(f.words, f.grams, 1.0), (f.title_words, f.title_grams, 2.0)] {
                let words = word_tokens(&nfkc);
                if !words.is_empty() {
                    let all: Vec<(Occur, Box<dyn Query>)> = words
                        .iter()
                        .map(|w| {
                            let q: Box<dyn Query> = Box::new(TermQuery::new(
                                Term::from_field_text(words_field, &w.text),
                                IndexRecordOption::WithFreqs,
                            ));
                            (Occur::Must, q)
                        })
                        .collect();
                    either.push((Occur::Should, Box::new(BoostQuery::new(Box::new(BooleanQuery::new(all)), boost))));
                }
                if let Some(q) = gram_query(grams_field, &nfkc) {
                    either.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
                }
            }
            if analysis::kana_only(part) && part.chars().count() >= 2 {
                for q in reading_queries(f.readings, &nfkc) {
                    either.push((Occur::Should, Box::new(BoostQuery::new(q, READING_BOOST))));
                }
            }
            if either.is_empty() {
                continue;
            }
            parts.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
        (!parts.is_empty()).then(|| Box::new(BooleanQuery::new(parts)) as Box<dyn Query>)
    }

    /// Filters every query carries: merchants (always), kinds, channel, status, dates.
    fn filters(&self, r: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.f;
        let any_of = |field: Field, values: &[&str]| -> Box<dyn Query> {
            let list: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            Box::new(BooleanQuery::new(list))
        };
        let merchants: Vec<&str> = r.merchants.iter().map(String::as_str).collect();
        let mut out = vec![(Occur::Must, any_of(f.merchant, &merchants))];
        if !r.include_internal {
            out.push((Occur::Must, any_of(f.internal, &["0"])));
        }
        if !r.kinds.is_empty() {
            let kinds: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
            out.push((Occur::Must, any_of(f.kind, &kinds)));
        }
        if let Some(c) = &r.channel {
            out.push((Occur::Must, any_of(f.channel, &[c.as_str()])));
        }
        if let Some(s) = &r.status {
            out.push((Occur::Must, any_of(f.status, &[s.as_str()])));
        }
        if r.from.is_some() || r.to.is_some() {
            let bound = |t: Option<DateTime<Utc>>, inclusive: bool| match t {
                Some(t) if inclusive => Bound::Included(Term::from_field_date(f.at, tantivy_date(t))),
                Some(t) => Bound::Excluded(Term::from_field_date(f.at, tantivy_date(t))),
                None => Bound::Unbounded,
            };
            out.push((Occur::Must, Box::new(RangeQuery::new(bound(r.from, true), bound(r.to, false)))));
        }
        out
    }

    /// Runs a search. Exact-key matches come first, then the text matches in the chosen order.
    pub fn search(&self, r: &SearchRequest) -> Result<Vec<Hit>> {
        if r.merchants.is_empty() || r.limit == 0 {
            return Ok(vec![]);
        }
        let searcher = self.reader.searcher();
        let mut hits: Vec<Hit> = Vec::new();

        if !r.exact.is_empty() {
            let keys: Vec<(Occur, Box<dyn Query>)> = r
                .exact
                .iter()
                .map(|k| {
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(Term::from_field_text(self.f.exact, k), IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            let mut clauses = self.filters(r);
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(keys))));
            let q = BooleanQuery::new(clauses);
            let top = searcher.search(
                &q,
                &TopDocs::with_limit(r.limit).order_by_fast_field::<tantivy::DateTime>("at", Order::Desc),
            )?;
            for (_, addr) in top {
                let doc: TantivyDocument = searcher.doc(addr)?;
                hits.push(self.hit(&doc, 0.0, String::new(), true));
            }
        }

        let text = match r.matching {
            Match::All => self.text_query(&r.text),
            Match::Any => self.any_words_query(&r.text),
        };
        let Some(text) = text else { return Ok(hits) };
        let mut clauses = self.filters(r);
        clauses.push((Occur::Must, text));
        let query = BooleanQuery::new(clauses);
        let want = r.limit + hits.len();
        let found: Vec<(f32, tantivy::DocAddress)> = match r.order {
            SortOrder::Relevance => searcher.search(&query, &TopDocs::with_limit(want).order_by_score())?,
            SortOrder::Newest => self.newest(&searcher, r, &query, want)?.into_iter().map(|a| (0.0, a)).collect(),
        };
        let snippets = SnippetGenerator::new(
            highlight_terms(&r.text, r.matching),
            tantivy::tokenizer::TextAnalyzer::from(GramTokenizer::highlighter()),
            self.f.grams,
            120,
        );
        for (score, addr) in found {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let id = doc.get_first(self.f.id).and_then(|v| v.as_str()).unwrap_or_default();
            if hits.iter().any(|h| h.id == id) {
                continue;
            }
            let mut snippet = snippets.snippet_from_doc(&doc);
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let html = if snippet.is_empty() {
                // Matched in the title only: the start of the text, unmarked.
                let text = doc.get_first(self.f.grams).and_then(|v| v.as_str()).unwrap_or_default();
                escape_html(&text.chars().take(120).collect::<String>())
            } else {
                snippet.to_html()
            };
            hits.push(self.hit(&doc, score, html, false));
            if hits.len() >= r.limit {
                break;
            }
        }
        hits.truncate(r.limit);
        Ok(hits)
    }

    /// The newest `want` matches of `query`, looking back a week, then two months, then two
    /// years, then everywhere, and stopping at the first window that holds `want` of them:
    /// everything outside a window is older than everything in it, so those are the newest.
    /// A common word is answered from its latest days instead of from every match it has (the
    /// window's time range, read from the `at` fast field, drives the search when it is the
    /// smaller set).
    fn newest(
        &self,
        searcher: &tantivy::Searcher,
        r: &SearchRequest,
        query: &BooleanQuery,
        want: usize,
    ) -> Result<Vec<tantivy::DocAddress>> {
        let latest = r.to.unwrap_or_else(Utc::now);
        let windows = NEWEST_WINDOWS_DAYS.iter().map(|d| Some(latest - chrono::Duration::days(*d))).chain([None]);
        for since in windows {
            // A date filter as narrow as the window already: go on to the next.
            if since.is_some_and(|s| r.from.is_some_and(|f| f >= s)) {
                continue;
            }
            let windowed: Box<dyn Query> = match since {
                Some(s) => {
                    let from = Bound::Included(Term::from_field_date(self.f.at, tantivy_date(s)));
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, query.box_clone()),
                        (Occur::Must, Box::new(RangeQuery::new(from, Bound::Unbounded))),
                    ]))
                }
                None => query.box_clone(),
            };
            let top = searcher.search(
                &windowed,
                &TopDocs::with_limit(want).order_by_fast_field::<tantivy::DateTime>("at", Order::Desc),
            )?;
            if top.len() >= want || since.is_none() {
                return Ok(top.into_iter().map(|(_, a)| a).collect());
            }
        }
        Ok(vec![])
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, snippet: String, exact: bool) -> Hit {
        let f = &self.f;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_owned);
        let at = doc
            .get_first(f.at)
            .and_then(|v| v.as_datetime())
            .and_then(|d| DateTime::from_timestamp_micros(d.into_timestamp_micros()))
            .unwrap_or_default();
        Hit {
            kind: text(f.kind).as_deref().and_then(DocKind::parse).unwrap_or(DocKind::Message),
            id: text(f.id).unwrap_or_default(),
            merchant: text(f.merchant).unwrap_or_default(),
            conversation: text(f.conversation),
            channel: text(f.channel),
            status: text(f.status),
            at,
            title: text(f.title).unwrap_or_default(),
            snippet,
            score,
            exact,
        }
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The most continuations a character at the end of a query is looked up with (傷 → 傷ア, 傷ツ,
/// …) when it follows other characters; a character alone has no limit.
const MAX_CONTINUATIONS: u32 = 2048;

fn is_bigram(t: &str) -> bool {
    let mut chars = t.chars();
    matches!((chars.next(), chars.next(), chars.next()), (Some(a), Some(b), None) if !a.is_ascii() && !b.is_ascii())
}

fn is_unigram(t: &str) -> bool {
    let mut chars = t.chars();
    matches!((chars.next(), chars.next()), (Some(a), None) if !a.is_ascii())
}

/// Characters as a phrase of consecutive grams, so the query matches as a substring. The index
/// has a bigram at every character followed by another and a unigram at the end of a run
/// (see [`GramTokenizer`]): the query's bigrams are looked up as they are; a unigram after a
/// bigram is covered by it; a lone character before a symbol or a Latin word is a unigram in
/// the text too; but a lone character at the very end of the query may go on in the text
/// (傷 in 傷あり is only in the bigram 傷ア), so it is a prefix: every gram it starts.
/// A kana query part against the readings: as typed (とどかない meets 届かない), and each of its
/// inflected words in the dictionary form the readings also hold (トドク meets 届きません).
fn reading_queries(readings: Field, nfkc: &str) -> Vec<Box<dyn Query>> {
    let mut out: Vec<Box<dyn Query>> = gram_query(readings, nfkc).into_iter().collect();
    for base in analysis::kana_base_forms(nfkc) {
        out.extend(gram_query(readings, &base));
    }
    out
}

fn gram_query(field: Field, nfkc: &str) -> Option<Box<dyn Query>> {
    let tokens = gram_tokens(nfkc);
    let mut terms: Vec<(usize, Term)> = Vec::new();
    let mut open_end = None;
    for (i, t) in tokens.iter().enumerate() {
        if is_unigram(&t.text) {
            let covered = i > 0 && tokens[i - 1].position + 1 == t.position && is_bigram(&tokens[i - 1].text);
            if covered {
                continue;
            }
            if i == tokens.len() - 1 && t.offset_to == nfkc.len() {
                open_end = t.text.chars().next();
            }
        }
        terms.push((t.position, Term::from_field_text(field, &t.text)));
    }
    let first = terms.first()?.0;
    let terms: Vec<(usize, Term)> = terms.into_iter().map(|(p, t)| (p - first, t)).collect();
    match (terms.len(), open_end) {
        (1, Some(c)) => {
            // Every term from "c" up to the next character: "c" and every "cX".
            // UTF-8 orders as code points do; past the last character nothing is above.
            let next = (c as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
            let upper =
                next.map_or(Bound::Unbounded, |n| Bound::Excluded(Term::from_field_text(field, &n.to_string())));
            Some(Box::new(RangeQuery::new(Bound::Included(terms[0].1.clone()), upper)))
        }
        (_, Some(_)) => {
            let mut q = PhrasePrefixQuery::new_with_offset(terms);
            q.set_max_expansions(MAX_CONTINUATIONS);
            Some(Box::new(q))
        }
        (1, None) => Some(Box::new(TermQuery::new(terms[0].1.clone(), IndexRecordOption::WithFreqs))),
        _ => Some(Box::new(PhraseQuery::new_with_offset(terms))),
    }
}

/// What a snippet marks: the characters of every part of the query as a phrase would match
/// them (each bigram, and a unigram for a character no bigram covers), over every unigram of
/// the text ([`GramTokenizer::highlighter`]). A question in a sentence marks its content words.
fn highlight_terms(text: &str, matching: Match) -> std::collections::BTreeMap<String, f32> {
    let mut parts: Vec<String> = match matching {
        Match::All => text.split_whitespace().map(analysis::nfkc).collect(),
        Match::Any => analysis::words(text)
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w.content && w.surface.chars().count() >= 2)
            .map(|w| w.surface)
            .collect(),
    };
    if parts.is_empty() {
        parts.push(analysis::nfkc(text));
    }
    let mut terms = std::collections::BTreeMap::new();
    for part in parts {
        let tokens = all_gram_tokens(&part);
        let bigram_at = |p: usize| tokens.iter().any(|t| t.position == p && is_bigram(&t.text));
        for t in &tokens {
            let covered =
                is_unigram(&t.text) && (bigram_at(t.position) || (t.position > 0 && bigram_at(t.position - 1)));
            if !covered {
                terms.insert(t.text.clone(), 1.0);
            }
        }
    }
    terms
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
