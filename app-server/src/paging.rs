//! Paging of the short in-memory lists (models, apps, feature flags, MCP servers) the way the
//! reference pages them: the cursor is the decimal index of the first entry, no limit means
//! everything, a limit of 0 counts as 1, and the next cursor is the index after the page
//! while entries remain.

use std::ops::Range;

use codex_app_server_protocol::JSONRPCErrorError;

use crate::error;

/// One page of a list of `total` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    /// The indices of the entries on the page.
    pub(crate) range: Range<usize>,
    /// The cursor of the next page; `None` on the last one.
    pub(crate) next_cursor: Option<String>,
}

/// The page that `cursor` and `limit` select from `total` entries. `noun` names the entries in
/// the error for a cursor past the end (`cursor 5 exceeds total models 4`).
pub(crate) fn page(
    total: usize,
    cursor: Option<&str>,
    limit: Option<u32>,
    noun: &str,
) -> Result<Page, JSONRPCErrorError> {
    let start = match cursor {
        None => 0,
        Some(cursor) => parse_cursor(cursor)?,
    };
    if start > total {
        return Err(error::invalid_request(format!(
            "cursor {start} exceeds total {noun} {total}"
        )));
    }
    let limit = limit.map_or(total, |limit| (limit as usize).max(1));
    let end = start.saturating_add(limit).min(total);
    Ok(Page {
        range: start..end,
        next_cursor: (end < total).then(|| end.to_string()),
    })
}

/// A cursor's index, or the reference's `invalid cursor: <cursor>`.
pub(crate) fn parse_cursor(cursor: &str) -> Result<usize, JSONRPCErrorError> {
    cursor
        .parse::<usize>()
        .map_err(|_| error::invalid_request(format!("invalid cursor: {cursor}")))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    /// The page as `START..END next CURSOR` (`-` for none), or the error as `CODE MESSAGE`.
    fn outcome(total: usize, cursor: Option<&str>, limit: Option<u32>) -> String {
        match page(total, cursor, limit, "models") {
            Ok(page) => format!(
                "{:?} next {}",
                page.range,
                page.next_cursor.as_deref().unwrap_or("-")
            ),
            Err(error) => format!("{} {}", error.code, error.message),
        }
    }

    #[test]
    fn pages_follow_the_cursor_and_limit() {
        let cases = [
            (5, None, None, "0..5 next -"),
            (5, None, Some(2), "0..2 next 2"),
            (5, Some("2"), Some(2), "2..4 next 4"),
            (5, Some("4"), Some(2), "4..5 next -"),
            (5, Some("5"), None, "5..5 next -"),
            (5, Some("1"), Some(100), "1..5 next -"),
            (0, None, None, "0..0 next -"),
            // A zero limit counts as one, and a plus sign is accepted, as in the reference.
            (5, Some("1"), Some(0), "1..2 next 2"),
            (5, Some("+2"), Some(1), "2..3 next 3"),
        ];
        for (total, cursor, limit, expected) in cases {
            assert_eq!(
                outcome(total, cursor, limit),
                expected,
                "total {total}, cursor {cursor:?}, limit {limit:?}"
            );
        }
    }

    #[test]
    fn bad_cursors_are_refused_with_the_reference_texts() {
        let cases = [
            (Some("x"), "-32600 invalid cursor: x"),
            (Some("-1"), "-32600 invalid cursor: -1"),
            (Some(" 2"), "-32600 invalid cursor:  2"),
            (Some("6"), "-32600 cursor 6 exceeds total models 5"),
        ];
        for (cursor, expected) in cases {
            assert_eq!(outcome(5, cursor, Some(1)), expected, "cursor {cursor:?}");
        }
    }
}
