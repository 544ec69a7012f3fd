//! Japanese text analysis and the search index of Madoguchi: messages, customers and
//! knowledge-base articles, always searched within given merchants.

pub mod analysis;
pub mod confidence;
pub mod index;
pub mod tokenizers;

pub use index::{DocKind, Hit, IndexDoc, Match, SearchError, SearchIndex, SearchRequest, SortOrder};
