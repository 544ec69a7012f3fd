//! A merchant's knowledge base (FAQ): questions and answers by category, with keywords and
//! synonyms for search, published or kept as drafts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ArticleId, MerchantId};
use crate::validation::{ValidationError, limits, nfkc, optional, required};

/// The categories a new knowledge base starts with, in the order shoppers look for them.
pub const DEFAULT_CATEGORIES: [&str; 7] =
    ["サービス概要", "ご注文", "お支払い方法", "送料・手数料", "配送", "返品・交換・キャンセル", "会員・ポイント"];

/// The categories to offer: the defaults first, then any others the articles use.
pub fn categories(articles: &[Article]) -> Vec<String> {
    let mut out: Vec<String> = DEFAULT_CATEGORIES.iter().map(|c| c.to_string()).collect();
    for a in articles {
        if !out.contains(&a.category) {
            out.push(a.category.clone());
        }
    }
    out
}

/// Most keywords an article may carry.
pub const MAX_KEYWORDS: usize = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: ArticleId,
    pub merchant_id: MerchantId,
    /// The id the article has in the shop's own system or import file.
    pub external_id: Option<String>,
    pub category: String,
    /// The question, as a customer would ask it (the title).
    pub question: String,
    /// The answer in Markdown.
    pub answer: String,
    /// Keywords and synonyms customers use for the same thing (返品 → 返送, 送り返す).
    pub keywords: Vec<String>,
    pub published: bool,
    pub helpful: i64,
    pub unhelpful: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new article, or an article in an import file.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub external_id: Option<String>,
    pub category: String,
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Published unless `false`.
    pub published: Option<bool>,
}

/// What an article holds after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFields {
    pub external_id: Option<String>,
    pub category: String,
    pub question: String,
    pub answer: String,
    pub keywords: Vec<String>,
    pub published: bool,
}

fn keywords(values: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let k = nfkc(v.trim());
        if k.is_empty() || out.contains(&k) {
            continue;
        }
        if k.chars().count() > limits::TAG || k.chars().any(char::is_control) {
            return Err(ValidationError::new("keywords", "invalid_keyword", format!("{k:?}: at most 50 characters")));
        }
        out.push(k);
    }
    if out.len() > MAX_KEYWORDS {
        return Err(ValidationError::new("keywords", "too_many", format!("at most {MAX_KEYWORDS} keywords")));
    }
    Ok(out)
}

impl ArticleInput {
    pub fn validate(&self) -> Result<ArticleFields, ValidationError> {
        let external_id = optional("external_id", self.external_id.as_deref(), limits::TAG * 2)?;
        Ok(ArticleFields {
            external_id,
            category: required("category", &nfkc(&self.category), limits::TAG)?,
            question: required("question", &self.question, limits::SHORT)?,
            answer: required("answer", &self.answer, limits::NOTES)?,
            keywords: keywords(&self.keywords)?,
            published: self.published.unwrap_or(true),
        })
    }
}

/// A change to an article: omitted fields are kept.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    pub category: Option<String>,
    pub question: Option<String>,
    pub answer: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub published: Option<bool>,
}

impl ArticlePatch {
    pub fn apply(&self, a: &Article) -> Result<ArticleFields, ValidationError> {
        ArticleInput {
            external_id: a.external_id.clone(),
            category: self.category.clone().unwrap_or_else(|| a.category.clone()),
            question: self.question.clone().unwrap_or_else(|| a.question.clone()),
            answer: self.answer.clone().unwrap_or_else(|| a.answer.clone()),
            keywords: self.keywords.clone().unwrap_or_else(|| a.keywords.clone()),
            published: Some(self.published.unwrap_or(a.published)),
        }
        .validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ArticleInput {
        ArticleInput {
            external_id: Some("faq-1".into()),
            category: "返品・交換・キャンセル".into(),
            question: "返品できますか？".into(),
            answer: "到着後8日以内なら承ります。".into(),
            keywords: vec!["返送".into(), " ＲＥＴＵＲＮ ".into(), "返送".into(), "".into()],
            published: None,
        }
    }

    #[test]
    fn articles_are_trimmed_folded_and_published_by_default() {
        let f = input().validate().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(f.keywords, vec!["返送", "RETURN"]);
        assert!(f.published);
    }

    #[test]
    fn bad_articles_are_named() {
        let mut i = input();
        i.question = "  ".into();
        assert_eq!(i.validate().map_err(|e| e.code), Err("required"));
        let mut i = input();
        i.keywords = (0..31).map(|n| n.to_string()).collect();
        assert_eq!(i.validate().map_err(|e| e.code), Err("too_many"));
    }
}
