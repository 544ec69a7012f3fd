//! Delivery cases and their checklists: opening a case writes its tasks (owner, due time) in
//! the same transaction; each task done is audited; the last one closes the case.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::cases::{CaseKind, ChecklistTask, TaskOwner};
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::{ConversationId, MerchantId, OrderId, UserId};
use madoguchi_core::time::now;
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::rows::{parse, push_scope};
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseTask {
    pub id: Uuid,
    pub case_id: Uuid,
    pub key: String,
    pub title: String,
    pub owner: TaskOwner,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<UserId>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub order_id: OrderId,
    pub conversation_id: Option<ConversationId>,
    pub kind: CaseKind,
    /// `open` or `closed`.
    pub status: String,
    pub fields: BTreeMap<String, String>,
    /// `settled_on_desk` or `settled_with_merchant` once closed.
    pub resolution: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub tasks: Vec<CaseTask>,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: Uuid,
    merchant_id: Uuid,
    order_id: Uuid,
    conversation_id: Option<Uuid>,
    kind: String,
    status: String,
    fields: Json<BTreeMap<String, String>>,
    resolution: Option<String>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    case_id: Uuid,
    key: String,
    title: String,
    owner: String,
    due_at: DateTime<Utc>,
    done_at: Option<DateTime<Utc>>,
    done_by: Option<Uuid>,
    note: Option<String>,
}

fn owner_str(o: TaskOwner) -> &'static str {
    match o {
        TaskOwner::Desk => "desk",
        TaskOwner::Merchant => "merchant",
    }
}

fn owner_of(s: &str) -> Result<TaskOwner> {
    match s {
        "desk" => Ok(TaskOwner::Desk),
        "merchant" => Ok(TaskOwner::Merchant),
        _ => Err(StoreError::Corrupt("case_tasks.owner")),
    }
}

impl TaskRow {
    fn into_task(self) -> Result<CaseTask> {
        Ok(CaseTask {
            id: self.id,
            case_id: self.case_id,
            key: self.key,
            title: self.title,
            owner: owner_of(&self.owner)?,
            due_at: self.due_at,
            done_at: self.done_at,
            done_by: self.done_by.map(UserId),
            note: self.note,
        })
    }
}

/// A case joined with one of its tasks (none for a case without a checklist).
#[derive(sqlx::FromRow)]
struct CaseWithTaskRow {
    #[sqlx(flatten)]
    case: CaseRow,
    task_id: Option<Uuid>,
    task_key: Option<String>,
    task_title: Option<String>,
    task_owner: Option<String>,
    task_due_at: Option<DateTime<Utc>>,
    task_done_at: Option<DateTime<Utc>>,
    task_done_by: Option<Uuid>,
    task_note: Option<String>,
}

impl CaseWithTaskRow {
    fn task(self) -> Result<Option<CaseTask>> {
        let Some(id) = self.task_id else { return Ok(None) };
        let missing = || StoreError::Corrupt("case_tasks");
        TaskRow {
            id,
            case_id: self.case.id,
            key: self.task_key.ok_or_else(missing)?,
            title: self.task_title.ok_or_else(missing)?,
            owner: self.task_owner.ok_or_else(missing)?,
            due_at: self.task_due_at.ok_or_else(missing)?,
            done_at: self.task_done_at,
            done_by: self.task_done_by,
            note: self.task_note,
        }
        .into_task()
        .map(Some)
    }
}

async fn case_audit(
    tx: &mut Tx,
    merchant: MerchantId,
    actor: Option<UserId>,
    action: AuditAction,
    case: Uuid,
    details: serde_json::Value,
) -> Result<()> {
    audit::record(
        tx,
        NewAuditEvent {
            merchant_id: Some(merchant),
            actor_user_id: actor,
            action,
            subject_type: SubjectType::Case,
            subject_id: case.to_string(),
            details,
        },
    )
    .await
}

/// Filters of the task queue.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub merchant: Option<MerchantId>,
    pub owner: Option<TaskOwner>,
    /// Open tasks only (the queue), else every task.
    pub open_only: bool,
}

impl Store {
    /// Opens a case on one of the merchant's orders with its checklist (validated form).
    pub async fn open_case(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        order: OrderId,
        conversation: Option<ConversationId>,
        kind: CaseKind,
        fields: &BTreeMap<String, String>,
    ) -> Result<Case> {
        let o = self.get_order(scope, order).await?;
        let (checklist, _) = self.case_checklist(scope, o.merchant_id, kind).await?;
        let (id, at) = (Uuid::now_v7(), now());
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO cases (id, merchant_id, order_id, conversation_id, kind, status, fields, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8)",
        )
        .bind(id)
        .bind(o.merchant_id.0)
        .bind(order.0)
        .bind(conversation.map(|c| c.0))
        .bind(kind.as_str())
        .bind(Json(fields))
        .bind(actor.map(|u| u.0))
        .bind(at)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        for (pos, t) in checklist.iter().enumerate() {
            on_db!(&mut tx, c => sqlx::query(
                "INSERT INTO case_tasks (id, merchant_id, case_id, position, key, title, owner, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7())
            .bind(o.merchant_id.0)
            .bind(id)
            .bind(pos as i32)
            .bind(&t.key)
            .bind(&t.title)
            .bind(owner_str(t.owner))
            .bind(at + Duration::hours(i64::from(t.due_hours)))
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        case_audit(
            &mut tx,
            o.merchant_id,
            actor,
            AuditAction::Create,
            id,
            serde_json::json!({ "kind": kind.as_str(), "order": order }),
        )
        .await?;
        tx.commit().await?;
        self.get_case(scope, id).await
    }

    /// One case with its checklist, read in one statement so the status and the tasks are of
    /// the same moment (a task just done never shows beside a case still open).
    pub async fn get_case(&self, scope: &Scope, id: Uuid) -> Result<Case> {
        let rows: Vec<CaseWithTaskRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT c.id, c.merchant_id, c.order_id, c.conversation_id, c.kind, c.status, c.fields, c.resolution,
                    c.created_at, c.closed_at, t.id AS task_id, t.key AS task_key, t.title AS task_title,
                    t.owner AS task_owner, t.due_at AS task_due_at, t.done_at AS task_done_at,
                    t.done_by AS task_done_by, t.note AS task_note
             FROM cases c LEFT JOIN case_tasks t ON t.case_id = c.id
             WHERE c.id = $1 ORDER BY t.position",
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        let first =
            rows.first().filter(|r| scope.allows(MerchantId(r.case.merchant_id))).ok_or(StoreError::NotFound)?;
        let row = &first.case;
        let mut case = Case {
            id: row.id,
            merchant_id: MerchantId(row.merchant_id),
            order_id: OrderId(row.order_id),
            conversation_id: row.conversation_id.map(ConversationId),
            kind: parse("cases.kind", &row.kind)?,
            status: row.status.clone(),
            fields: row.fields.0.clone(),
            resolution: row.resolution.clone(),
            created_at: row.created_at,
            closed_at: row.closed_at,
            tasks: Vec::with_capacity(rows.len()),
        };
        for r in rows {
            if let Some(t) = r.task()? {
                case.tasks.push(t);
            }
        }
        Ok(case)
    }

    /// Marks a task of a case done (audited); the last one closes the case. Doing a done task
    /// again changes nothing.
    pub async fn complete_task(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        case: Uuid,
        task: Uuid,
        note: Option<&str>,
    ) -> Result<Case> {
        let current = self.get_case(scope, case).await?;
        let Some(t) = current.tasks.iter().find(|t| t.id == task) else { return Err(StoreError::NotFound) };
        if t.done_at.is_some() {
            return Ok(current);
        }
        let at = now();
        let mut tx = self.begin().await?;
        let marked = on_db!(&mut tx, c => sqlx::query(
            "UPDATE case_tasks SET done_at = $2, done_by = $3, note = $4 WHERE id = $1 AND done_at IS NULL",
        )
        .bind(task)
        .bind(at)
        .bind(actor.map(|u| u.0))
        .bind(note)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        // Someone marked it done meanwhile: theirs is the record (and the closing, if it was last).
        if marked == 0 {
            drop(tx); // rolls back: nothing was written
            return self.get_case(scope, case).await;
        }
        case_audit(
            &mut tx,
            current.merchant_id,
            actor,
            AuditAction::Update,
            case,
            serde_json::json!({ "task": t.key, "done": true, "note": note }),
        )
        .await?;
        let open: i64 = on_db!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_tasks WHERE case_id = $1 AND done_at IS NULL",
        )
        .bind(case)
        .fetch_one(&mut *c)
        .await)?;
        if open == 0 {
            // Settled on the desk when none of this case's tasks was the shop's.
            let on_desk = current.tasks.iter().all(|t| t.owner == TaskOwner::Desk);
            let resolution = if on_desk { "settled_on_desk" } else { "settled_with_merchant" };
            on_db!(&mut tx, c => sqlx::query(
                "UPDATE cases SET status = 'closed', resolution = $2, closed_at = $3 WHERE id = $1",
            )
            .bind(case)
            .bind(resolution)
            .bind(at)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
            case_audit(
                &mut tx,
                current.merchant_id,
                actor,
                AuditAction::Update,
                case,
                serde_json::json!({ "closed": resolution }),
            )
            .await?;
        }
        tx.commit().await?;
        self.get_case(scope, case).await
    }

    /// The checklist a new case of this kind gets at this merchant: its own if it saved one
    /// (`true`), else the built-in one.
    pub async fn case_checklist(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        kind: CaseKind,
    ) -> Result<(Vec<ChecklistTask>, bool)> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let own: Option<Json<Vec<ChecklistTask>>> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT tasks FROM case_checklists WHERE merchant_id = $1 AND kind = $2",
        )
        .bind(merchant.0)
        .bind(kind.as_str())
        .fetch_optional(p)
        .await)?;
        Ok(match own {
            Some(Json(tasks)) => (tasks, true),
            None => (kind.default_checklist(), false),
        })
    }

    /// Saves the merchant's own checklist for a kind (validated by the caller); cases opened
    /// from now on get it, open cases keep theirs.
    pub async fn save_case_checklist(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        kind: CaseKind,
        tasks: &[ChecklistTask],
    ) -> Result<()> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO case_checklists (merchant_id, kind, tasks, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (merchant_id, kind) DO UPDATE SET tasks = excluded.tasks, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
        )
        .bind(merchant.0)
        .bind(kind.as_str())
        .bind(Json(tasks))
        .bind(actor.map(|u| u.0))
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        let details = serde_json::json!({ "case_checklist": { "kind": kind.as_str(), "tasks": tasks } });
        audit::merchant_setting(&mut tx, merchant, actor, details).await?;
        tx.commit().await
    }

    /// Goes back to the built-in checklist for a kind.
    pub async fn reset_case_checklist(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        kind: CaseKind,
    ) -> Result<()> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query("DELETE FROM case_checklists WHERE merchant_id = $1 AND kind = $2")
            .bind(merchant.0)
            .bind(kind.as_str())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        let details = serde_json::json!({ "case_checklist": { "kind": kind.as_str(), "reset": true } });
        audit::merchant_setting(&mut tx, merchant, actor, details).await?;
        tx.commit().await
    }

    /// The cases opened on an order, oldest first.
    pub async fn order_cases(&self, scope: &Scope, order: OrderId) -> Result<Vec<Case>> {
        let o = self.get_order(scope, order).await?;
        let ids: Vec<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM cases WHERE merchant_id = $1 AND order_id = $2 ORDER BY created_at, id",
        )
        .bind(o.merchant_id.0)
        .bind(order.0)
        .fetch_all(p)
        .await)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.get_case(scope, id).await?);
        }
        Ok(out)
    }

    /// The task queue: tasks of the scope's cases, soonest due first.
    pub async fn list_tasks(&self, scope: &Scope, f: &TaskFilter, limit: i64) -> Result<Vec<CaseTask>> {
        let rows: Vec<TaskRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, case_id, key, title, owner, due_at, done_at, done_by, note FROM case_tasks WHERE 1 = 1",
            );
            push_scope!(qb, "merchant_id", scope);
            if let Some(m) = f.merchant {
                qb.push(" AND merchant_id = ").push_bind(m.0);
            }
            if let Some(o) = f.owner {
                qb.push(" AND owner = ").push_bind(owner_str(o));
            }
            if f.open_only {
                qb.push(" AND done_at IS NULL");
            }
            qb.push(" ORDER BY due_at, id LIMIT ").push_bind(limit);
            qb.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter().map(TaskRow::into_task).collect()
    }
}
