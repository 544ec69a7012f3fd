//! A dialect-neutral description of the migrated schema, so a test can prove the SQLite and
//! PostgreSQL migrations define the same tables, columns, keys and indexes.

use std::collections::BTreeMap;

use crate::{Backend, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaSummary {
    /// table → columns in order, each `(name, nullable)`.
    pub tables: BTreeMap<String, Vec<(String, bool)>>,
    /// table → primary-key columns in order.
    pub primary_keys: BTreeMap<String, Vec<String>>,
    /// index name → (table, columns in order, unique). Primary-key indexes are left out.
    pub indexes: BTreeMap<String, (String, Vec<String>, bool)>,
    /// (table, column) → the type as this database declares it (`BLOB`, `uuid`, …); differs
    /// between the dialects by nature, so parity leaves it out.
    pub declared_types: BTreeMap<(String, String), String>,
}

impl Store {
    pub async fn schema_summary(&self) -> Result<SchemaSummary> {
        let mut s = SchemaSummary::default();
        match &self.backend {
            Backend::Sqlite(p) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
                )
                .fetch_all(p)
                .await?;
                for t in tables {
                    let cols: Vec<(String, bool, i64, String)> = sqlx::query_as(
                        "SELECT name, \"notnull\" = 0, pk, type FROM pragma_table_info($1) ORDER BY cid",
                    )
                    .bind(&t)
                    .fetch_all(p)
                    .await?;
                    for c in &cols {
                        s.declared_types.insert((t.clone(), c.0.clone()), c.3.clone());
                    }
                    let mut pk: Vec<(i64, String)> =
                        cols.iter().filter(|c| c.2 > 0).map(|c| (c.2, c.0.clone())).collect();
                    pk.sort();
                    s.primary_keys.insert(t.clone(), pk.into_iter().map(|c| c.1).collect());
                    s.tables.insert(t.clone(), cols.into_iter().map(|c| (c.0, c.1)).collect());
                    let idx: Vec<(String, bool, String)> =
                        sqlx::query_as("SELECT name, \"unique\" = 1, origin FROM pragma_index_list($1)")
                            .bind(&t)
                            .fetch_all(p)
                            .await?;
                    for (name, unique, origin) in idx {
                        if origin == "pk" {
                            continue;
                        }
                        let cols: Vec<String> =
                            sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                                .bind(&name)
                                .fetch_all(p)
                                .await?;
                        s.indexes.insert(name, (t.clone(), cols, unique));
                    }
                }
            }
            Backend::Postgres(p) => {
                let cols: Vec<(String, String, bool, String)> = sqlx::query_as(
                    "SELECT c.table_name::text, c.column_name::text, c.is_nullable = 'YES', c.data_type::text
                     FROM information_schema.columns c JOIN information_schema.tables t
                       ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> '_sqlx_migrations'
                     ORDER BY c.table_name, c.ordinal_position",
                )
                .fetch_all(p)
                .await?;
                for (t, c, nullable, ty) in cols {
                    s.declared_types.insert((t.clone(), c.clone()), ty);
                    s.tables.entry(t).or_default().push((c, nullable));
                }
                let pks: Vec<(String, String)> = sqlx::query_as(
                    "SELECT k.table_name::text, k.column_name::text
                     FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k
                       ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
                     WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY'
                     ORDER BY k.table_name, k.ordinal_position",
                )
                .fetch_all(p)
                .await?;
                for (t, c) in pks {
                    if t != "_sqlx_migrations" {
                        s.primary_keys.entry(t).or_default().push(c);
                    }
                }
                let idx: Vec<(String, String, bool, Vec<String>)> = sqlx::query_as(
                    "SELECT i.relname::text, t.relname::text, ix.indisunique,
                            array_agg(a.attname::text ORDER BY k.ord)
                     FROM pg_index ix
                     JOIN pg_class i ON i.oid = ix.indexrelid
                     JOIN pg_class t ON t.oid = ix.indrelid
                     JOIN pg_namespace n ON n.oid = t.relnamespace
                     CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                     WHERE n.nspname = current_schema() AND NOT ix.indisprimary AND t.relname <> '_sqlx_migrations'
                     GROUP BY i.relname, t.relname, ix.indisunique",
                )
                .fetch_all(p)
                .await?;
                for (name, table, unique, cols) in idx {
                    s.indexes.insert(name, (table, cols, unique));
                }
            }
        }
        // Tables without a primary key still appear, with an empty key.
        for t in s.tables.keys() {
            s.primary_keys.entry(t.clone()).or_default();
        }
        Ok(s)
    }
}
