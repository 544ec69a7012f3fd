//! Keyset pagination: a page of items and an opaque cursor for the next one. Lists are ordered
//! newest first by their UUIDv7 id, so the cursor is the last id seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use uuid::Uuid;

use crate::validation::ValidationError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items strictly older than this id.
    pub before: Option<Uuid>,
    pub limit: u32,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self { before: None, limit }
    }

    pub fn parse(cursor: Option<&str>, limit: Option<u32>) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ValidationError::new("limit", "out_of_range", format!("limit must be 1–{MAX_LIMIT}")));
        }
        let before = match cursor {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c)?),
        };
        Ok(Self { before, limit })
    }
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(c: &str) -> Result<Uuid, ValidationError> {
    let bad = || ValidationError::new("cursor", "invalid_cursor", "cursor is not one this server gave out");
    let bytes = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, id_of: impl Fn(&T) -> Uuid) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(id_of(r))) } else { None };
        Page { items: rows, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() {
        let id = Uuid::now_v7();
        let p = PageRequest::parse(Some(&encode_cursor(id)), Some(10)).unwrap();
        assert_eq!(p.before, Some(id));
        assert_eq!(PageRequest::parse(Some("%%%"), None).unwrap_err().code, "invalid_cursor");
        assert_eq!(PageRequest::parse(Some("AAAA"), None).unwrap_err().code, "invalid_cursor");
        assert_eq!(PageRequest::parse(None, Some(0)).unwrap_err().code, "out_of_range");
        assert_eq!(PageRequest::parse(None, Some(201)).unwrap_err().code, "out_of_range");
    }

    #[test]
    fn extra_row_means_next_cursor() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let p = Page::from_rows(ids.clone(), 2, |u| *u);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next_cursor, Some(encode_cursor(ids[1])));
        let last = Page::from_rows(ids[..2].to_vec(), 2, |u| *u);
        assert_eq!(last.next_cursor, None);
    }
}
