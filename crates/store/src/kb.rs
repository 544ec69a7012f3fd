//! Knowledge-base articles: per merchant, written with their search-feed entry in one
//! transaction, imported by external id (a second import of the same file changes nothing).

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::{ArticleId, MerchantId, UserId};
use madoguchi_core::kb::{Article, ArticleFields};
use madoguchi_core::time::now;
use sqlx::types::Json;
use uuid::Uuid;

use crate::search_feed::{FeedKind, enqueue};
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    external_id: Option<String>,
    category: String,
    question: String,
    answer: String,
    keywords: Json<Vec<String>>,
    published: bool,
    helpful: i64,
    unhelpful: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Article {
    fn from(r: Row) -> Self {
        Article {
            id: ArticleId(r.id),
            merchant_id: MerchantId(r.merchant_id),
            external_id: r.external_id,
            category: r.category,
            question: r.question,
            answer: r.answer,
            keywords: r.keywords.0,
            published: r.published,
            helpful: r.helpful,
            unhelpful: r.unhelpful,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Whether an import created, changed or left an article alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created,
    Updated,
    Unchanged,
}

fn article_audit(merchant: MerchantId, actor: Option<UserId>, action: AuditAction, id: ArticleId) -> NewAuditEvent {
    NewAuditEvent {
        merchant_id: Some(merchant),
        actor_user_id: actor,
        action,
        subject_type: SubjectType::Merchant,
        subject_id: merchant.to_string(),
        details: serde_json::json!({ "kb_article": id }),
    }
}

async fn insert(tx: &mut Tx, merchant: MerchantId, f: &ArticleFields) -> Result<ArticleId> {
    let id = ArticleId(Uuid::now_v7());
    let t = now();
    on_db!(tx, c => sqlx::query(
        "INSERT INTO kb_articles (id, merchant_id, external_id, category, question, answer, keywords, published, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id.0)
    .bind(merchant.0)
    .bind(&f.external_id)
    .bind(&f.category)
    .bind(&f.question)
    .bind(&f.answer)
    .bind(Json(&f.keywords))
    .bind(f.published)
    .bind(t)
    .execute(&mut *c).await.map(|r| r.rows_affected()))
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict { .. } => StoreError::conflict("external_id_taken", "another article has this external_id"),
        e => e,
    })?;
    enqueue(tx, merchant, FeedKind::Article, id.0).await?;
    Ok(id)
}

async fn update(tx: &mut Tx, merchant: MerchantId, id: ArticleId, f: &ArticleFields) -> Result<()> {
    on_db!(tx, c => sqlx::query(
        "UPDATE kb_articles SET category = $2, question = $3, answer = $4, keywords = $5, published = $6, updated_at = $7
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(&f.category)
    .bind(&f.question)
    .bind(&f.answer)
    .bind(Json(&f.keywords))
    .bind(f.published)
    .bind(now())
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    enqueue(tx, merchant, FeedKind::Article, id.0).await
}

fn same(a: &Article, f: &ArticleFields) -> bool {
    a.category == f.category
        && a.question == f.question
        && a.answer == f.answer
        && a.keywords == f.keywords
        && a.published == f.published
}

impl Store {
    pub async fn create_article(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        f: &ArticleFields,
    ) -> Result<Article> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let id = insert(&mut tx, merchant, f).await?;
        audit::record(&mut tx, article_audit(merchant, actor, AuditAction::Create, id)).await?;
        tx.commit().await?;
        self.get_article(scope, id).await
    }

    pub async fn get_article(&self, scope: &Scope, id: ArticleId) -> Result<Article> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM kb_articles WHERE id = $1").bind(id.0).fetch_optional(p).await)?;
        row.filter(|r| scope.allows(MerchantId(r.merchant_id))).map(Article::from).ok_or(StoreError::NotFound)
    }

    /// The merchant's articles by category and question (a knowledge base is hundreds, not
    /// millions).
    pub async fn list_articles(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        category: Option<&str>,
        published_only: bool,
    ) -> Result<Vec<Article>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM kb_articles WHERE merchant_id = ");
            qb.push_bind(merchant.0);
            if let Some(c) = category {
                qb.push(" AND category = ").push_bind(c.to_owned());
            }
            if published_only {
                qb.push(" AND published = ").push_bind(true);
            }
            qb.push(" ORDER BY category, question, id");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(Article::from).collect())
    }

    pub async fn update_article(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: ArticleId,
        f: &ArticleFields,
    ) -> Result<Article> {
        let a = self.get_article(scope, id).await?;
        let mut tx = self.begin().await?;
        update(&mut tx, a.merchant_id, id, f).await?;
        audit::record(&mut tx, article_audit(a.merchant_id, actor, AuditAction::Update, id)).await?;
        tx.commit().await?;
        self.get_article(scope, id).await
    }

    pub async fn delete_article(&self, scope: &Scope, actor: Option<UserId>, id: ArticleId) -> Result<()> {
        let a = self.get_article(scope, id).await?;
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query("DELETE FROM kb_articles WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        enqueue(&mut tx, a.merchant_id, FeedKind::Article, id.0).await?;
        audit::record(&mut tx, article_audit(a.merchant_id, actor, AuditAction::Delete, id)).await?;
        tx.commit().await
    }

    /// Creates or updates articles by external id, all in one transaction: an import file is
    /// taken in whole or not at all. Articles without an external id are always created.
    pub async fn import_articles(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        articles: &[ArticleFields],
    ) -> Result<Vec<Imported>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let existing = self.list_articles(scope, merchant, None, false).await?;
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(articles.len());
        for f in articles {
            let found =
                f.external_id.as_ref().and_then(|x| existing.iter().find(|a| a.external_id.as_ref() == Some(x)));
            out.push(match found {
                Some(a) if same(a, f) => Imported::Unchanged,
                Some(a) => {
                    update(&mut tx, merchant, a.id, f).await?;
                    Imported::Updated
                }
                None => {
                    insert(&mut tx, merchant, f).await?;
                    Imported::Created
                }
            });
        }
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(merchant),
                actor_user_id: actor,
                action: AuditAction::Update,
                subject_type: SubjectType::Merchant,
                subject_id: merchant.to_string(),
                details: serde_json::json!({ "kb_import": articles.len() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Every article id in order, for a full rebuild of the search index.
    pub async fn article_ids(&self) -> Result<Vec<Uuid>> {
        let ids = on_pool!(self, p => sqlx::query_scalar("SELECT id FROM kb_articles ORDER BY id").fetch_all(p).await)?;
        Ok(ids)
    }
}

/// A help-center search that found nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Unanswered {
    pub query: String,
    pub count: i64,
    pub last_at: DateTime<Utc>,
}

impl Store {
    /// Counts a reader's answer to 「この回答は役に立ちましたか？」 on a published article.
    pub async fn article_feedback(&self, merchant: MerchantId, id: ArticleId, helpful: bool) -> Result<()> {
        let sql = if helpful {
            "UPDATE kb_articles SET helpful = helpful + 1 WHERE id = $1 AND merchant_id = $2 AND published = $3"
        } else {
            "UPDATE kb_articles SET unhelpful = unhelpful + 1 WHERE id = $1 AND merchant_id = $2 AND published = $3"
        };
        let n = on_pool!(self, p => sqlx::query(sql).bind(id.0).bind(merchant.0).bind(true).execute(p).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records a help-center search without results; `key` is the normalised query.
    pub async fn record_unanswered(&self, merchant: MerchantId, key: &str, query: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO kb_unanswered (merchant_id, query_key, query, count, last_at) VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (merchant_id, query_key) DO UPDATE SET count = kb_unanswered.count + 1, query = $3, last_at = $4",
        )
        .bind(merchant.0)
        .bind(key)
        .bind(query)
        .bind(now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The most frequent help-center searches without results.
    pub async fn unanswered(&self, scope: &Scope, merchant: MerchantId, limit: i64) -> Result<Vec<Unanswered>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(String, i64, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT query, count, last_at FROM kb_unanswered WHERE merchant_id = $1 ORDER BY count DESC, last_at DESC LIMIT $2",
        )
        .bind(merchant.0)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(|(query, count, last_at)| Unanswered { query, count, last_at }).collect())
    }
}
