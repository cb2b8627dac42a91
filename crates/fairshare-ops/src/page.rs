//! Pages of a list: every list answers at most [`PAGE_LIMIT_MAX`] rows at a time, with its
//! total and the offset of the next page.

use fairshare_core::DomainError;
use serde::{Deserialize, Serialize};

use crate::error::OpResult;

/// Rows in a page when the request names no limit.
pub const PAGE_LIMIT_DEFAULT: usize = 100;
/// Most rows in one page.
pub const PAGE_LIMIT_MAX: usize = 1_000;

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

/// `limit`, or the refusal of one past [`PAGE_LIMIT_MAX`], which says to page with `paging`
/// (the request field that takes the next page: `offset`, or a search's `before`).
pub(crate) fn checked_limit(limit: usize, paging: &str) -> OpResult<usize> {
    if limit > PAGE_LIMIT_MAX {
        return Err(DomainError::invalid(format!(
            "limit {limit} is above the maximum {PAGE_LIMIT_MAX}: page with {paging}"
        ))
        .field("limit")
        .value(limit.to_string())
        .limit(PAGE_LIMIT_MAX.to_string())
        .into());
    }
    Ok(limit)
}

impl Page {
    /// `limit` defaults to [`PAGE_LIMIT_DEFAULT`] and may not pass [`PAGE_LIMIT_MAX`]; a
    /// limit of 0 asks only for the total.
    pub fn new(limit: Option<usize>, offset: Option<usize>) -> OpResult<Page> {
        Ok(Page {
            offset: offset.unwrap_or(0),
            limit: checked_limit(limit.unwrap_or(PAGE_LIMIT_DEFAULT), "offset")?,
        })
    }

    /// This page of `items`, each rendered by `render`, and how many items there are in all.
    /// Only the page's items are rendered: counting the rest is cheap.
    pub fn take<T, R>(
        &self,
        items: impl Iterator<Item = T>,
        mut render: impl FnMut(T) -> R,
    ) -> (Vec<R>, usize) {
        let mut total = 0;
        let mut rows = Vec::new();
        for item in items {
            if total >= self.offset && rows.len() < self.limit {
                rows.push(render(item));
            }
            total += 1;
        }
        (rows, total)
    }

    /// This page of `items`, each rendered by `render`, and what the list says about it.
    pub fn list<T, R>(
        &self,
        items: impl Iterator<Item = T>,
        render: impl FnMut(T) -> R,
    ) -> (PageInfo, Vec<R>) {
        let (rows, total) = self.take(items, render);
        (self.info(rows.len(), total), rows)
    }

    /// The offset of the next page, if there is one.
    pub fn next_offset(&self, shown: usize, total: usize) -> Option<usize> {
        let next = self.offset.saturating_add(shown);
        (shown > 0 && next < total).then_some(next)
    }

    /// What a list says about its page, having shown `shown` of `total` items.
    pub fn info(&self, shown: usize, total: usize) -> PageInfo {
        PageInfo {
            total,
            offset: self.offset,
            limit: self.limit,
            next_offset: self.next_offset(shown, total),
        }
    }
}

/// The paging fields of a list's view (flattened into it): how many items in all, this page's
/// offset and limit, and where the next page starts (null on the last one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageInfo {
    /// Items in all, before paging.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// The offset of the next page, or null on the last one.
    pub next_offset: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_count_everything_and_render_only_the_page() {
        let page = Page::new(Some(2), Some(3)).expect("page");
        let mut rendered = 0;
        let (rows, total) = page.take(0..10, |i| {
            rendered += 1;
            i * 10
        });
        assert_eq!((rows, total, rendered), (vec![30, 40], 10, 2));
        assert_eq!(page.next_offset(2, 10), Some(5));
        assert_eq!(page.next_offset(2, 5), None);
        assert_eq!(Page::new(None, None).expect("default").limit, 100);
        let refused = Page::new(Some(1001), None).expect_err("too many");
        assert_eq!(refused.field(), Some("limit"));
        let count_only = Page::new(Some(0), None).expect("a total only");
        assert_eq!(count_only.take(0..7, |i| i), (vec![], 7));
    }
}
