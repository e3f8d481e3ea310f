//! Problems found while loading, reported to clients as `configWarning`s: which file, where in
//! it, and why.

use std::ops::Range;
use std::path::Path;

/// A line and column, both counted from 1; columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
}

/// The span of the offending text, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextRange {
    pub start: TextPosition,
    pub end: TextPosition,
}

/// Something wrong with the configuration that the server works around and tells clients about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigWarning {
    /// One line saying what happened and what the server does about it.
    pub summary: String,
    /// The problem itself, as `FILE:LINE:COLUMN: message` when the place is known.
    pub details: Option<String>,
    /// The file at fault.
    pub path: Option<String>,
    pub range: Option<TextRange>,
}

impl ConfigWarning {
    /// A problem at `span` (byte offsets) of the text of `file`.
    pub(crate) fn at(
        summary: String,
        file: &Path,
        text: &str,
        span: Option<Range<usize>>,
        message: &str,
    ) -> Self {
        let range = span.map(|span| range_of(text, span));
        let details = match range {
            Some(range) => format!(
                "{}:{}:{}: {message}",
                file.display(),
                range.start.line,
                range.start.column
            ),
            None => format!("{}: {message}", file.display()),
        };
        Self {
            summary,
            details: Some(details),
            path: Some(file.display().to_string()),
            range,
        }
    }

    /// A problem with a whole file, or with no file.
    pub(crate) fn about(summary: String, file: Option<&Path>, details: String) -> Self {
        Self {
            summary,
            details: Some(details),
            path: file.map(|file| file.display().to_string()),
            range: None,
        }
    }
}

/// Converts a byte span into the 1-based positions of its first and last characters. An empty
/// span points at the character it starts at.
pub(crate) fn range_of(text: &str, span: Range<usize>) -> TextRange {
    let start = position_of(text, span.start);
    let last = if span.end > span.start {
        // The last character starts at or before end - 1; find its boundary.
        let mut last = span.end - 1;
        while last > span.start && !text.is_char_boundary(last) {
            last -= 1;
        }
        last
    } else {
        span.start
    };
    TextRange {
        start,
        end: position_of(text, last),
    }
}

fn position_of(text: &str, offset: usize) -> TextPosition {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before
        .get(line_start..)
        .map_or(0, |tail| tail.chars().count())
        + 1;
    TextPosition { line, column }
}

/// Finds the span of the value at `path` in a config file's text, to point a warning at it.
pub(crate) fn span_of(text: &str, path: &[String]) -> Option<Range<usize>> {
    let document = toml_edit::Document::parse(text).ok()?;
    let (first, rest) = path.split_first()?;
    let mut item = document.as_table().get(first)?;
    for segment in rest {
        item = match item {
            toml_edit::Item::Table(table) => table.get(segment)?,
            toml_edit::Item::Value(toml_edit::Value::InlineTable(table)) => {
                return table.get(segment)?.span();
            }
            _ => return None,
        };
    }
    item.span()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[track_caller]
    fn check(text: &str, span: Range<usize>, expected: ((usize, usize), (usize, usize))) {
        let range = range_of(text, span);
        assert_eq!(
            (
                (range.start.line, range.start.column),
                (range.end.line, range.end.column)
            ),
            expected
        );
    }

    #[test]
    fn spans_become_inclusive_one_based_positions() {
        // The reference's ranges for the same errors: a stray `=`, a bad enum value.
        check(
            "# c\nmodel = \"o3\"\nbroken = = \n",
            26..27,
            ((3, 10), (3, 10)),
        );
        check(
            "model = 'o3'\napproval_policy = \"sometimes\"\n",
            31..42,
            ((2, 19), (2, 29)),
        );
        check("é = 1", 5..6, ((1, 5), (1, 5)));
        check("a", 1..1, ((1, 2), (1, 2)));
    }

    #[test]
    fn spans_of_values_are_found_in_tables_and_inline_tables() {
        let text = "a = 1\n[t]\nb = 'x'\nc = { d = true }\n";
        let span = |path: &str| {
            span_of(text, &crate::tree::split_key_path(path)).map(|span| text[span].to_owned())
        };
        assert_eq!(span("a").as_deref(), Some("1"));
        assert_eq!(span("t.b").as_deref(), Some("'x'"));
        assert_eq!(span("t.c.d").as_deref(), Some("true"));
        assert_eq!(span("t.nope"), None);
    }
}
