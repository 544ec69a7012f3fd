//! Helpers shared by the table modules: reading enum columns and building scoped queries.

use crate::{Result, StoreError};
use std::str::FromStr;

/// Reads a snake_case enum column; an unknown value means the database was edited by hand.
pub(crate) fn parse<T: FromStr>(column: &'static str, value: &str) -> Result<T> {
    T::from_str(value).map_err(|_| StoreError::Corrupt(column))
}

pub(crate) fn parse_opt<T: FromStr>(column: &'static str, value: Option<&str>) -> Result<Option<T>> {
    value.map(|v| parse(column, v)).transpose()
}

/// Appends ` AND <column> IN (…)` for a limited scope (or an always-false clause for an empty one).
macro_rules! push_scope {
    ($qb:expr, $column:expr, $scope:expr) => {
        if let Some(ids) = $scope.merchant_ids() {
            if ids.is_empty() {
                $qb.push(" AND 1 = 0");
            } else {
                $qb.push(" AND ");
                $qb.push($column);
                $qb.push(" IN (");
                let mut sep = $qb.separated(", ");
                for id in ids {
                    sep.push_bind(id.0);
                }
                sep.push_unseparated(")");
            }
        }
    };
}
pub(crate) use push_scope;

/// Appends the keyset condition and order of a newest-first page on `column` (a UUIDv7 id).
macro_rules! push_page {
    ($qb:expr, $column:expr, $page:expr) => {
        if let Some(before) = $page.before {
            $qb.push(" AND ");
            $qb.push($column);
            $qb.push(" < ");
            $qb.push_bind(before);
        }
        $qb.push(" ORDER BY ");
        $qb.push($column);
        $qb.push(" DESC LIMIT ");
        $qb.push_bind(i64::from($page.limit) + 1);
    };
}
pub(crate) use push_page;
