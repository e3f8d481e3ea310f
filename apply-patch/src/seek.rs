//! Finds a run of lines in a file, forgiving the whitespace and punctuation differences that
//! models introduce when they copy context lines.

/// How strictly two lines are compared; [`find_lines`] tries each in order.
#[derive(Clone, Copy)]
enum Strictness {
    Exact,
    TrailingWhitespace,
    SurroundingWhitespace,
    /// Also treats typographic dashes, quotes and spaces as their ASCII forms.
    Punctuation,
}

impl Strictness {
    const ALL: [Strictness; 4] = [
        Strictness::Exact,
        Strictness::TrailingWhitespace,
        Strictness::SurroundingWhitespace,
        Strictness::Punctuation,
    ];

    fn same(self, line: &str, wanted: &str) -> bool {
        match self {
            Strictness::Exact => line == wanted,
            Strictness::TrailingWhitespace => line.trim_end() == wanted.trim_end(),
            Strictness::SurroundingWhitespace => line.trim() == wanted.trim(),
            Strictness::Punctuation => line
                .trim()
                .chars()
                .map(ascii_lookalike)
                .eq(wanted.trim().chars().map(ascii_lookalike)),
        }
    }
}

fn ascii_lookalike(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{2018}'..='\u{201B}' => '\'',
        '\u{201C}'..='\u{201F}' => '"',
        '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        other => other,
    }
}

/// Returns the index of the first place at or after `start` where `pattern` occurs in `lines`,
/// trying an exact match everywhere before any looser one. With `at_end`, the match is first
/// tried at the very end of the file (for `*** End of File` chunks).
pub(crate) fn find_lines(
    lines: &[String],
    pattern: &[String],
    start: usize,
    at_end: bool,
) -> Option<usize> {
    if pattern.is_empty() {
        return Some(start);
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last_start = lines.len() - pattern.len();
    let from = if at_end { last_start } else { start };
    Strictness::ALL.into_iter().find_map(|strictness| {
        (from..=last_start).find(|&at| {
            lines[at..at + pattern.len()]
                .iter()
                .zip(pattern)
                .all(|(line, wanted)| strictness.same(line, wanted))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::find_lines;
    use pretty_assertions::assert_eq;

    fn check(
        lines: &[&str],
        pattern: &[&str],
        start: usize,
        at_end: bool,
        expected: Option<usize>,
    ) {
        let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        let pattern: Vec<String> = pattern.iter().map(|s| s.to_string()).collect();
        assert_eq!(find_lines(&lines, &pattern, start, at_end), expected);
    }

    #[test]
    fn matches_from_strict_to_loose() {
        check(&["a", "b", "c"], &["b", "c"], 0, false, Some(1));
        check(&["a  ", "b\t"], &["a", "b"], 0, false, Some(0));
        check(&["  a ", "\tb"], &["a", "b"], 0, false, Some(0));
        check(
            &["x = \u{201C}hi\u{201D} \u{2014} ok"],
            &["x = \"hi\" - ok"],
            0,
            false,
            Some(0),
        );
        // An exact match later wins over a loose match earlier.
        check(&["a ", "a"], &["a"], 0, false, Some(1));
    }

    #[test]
    fn respects_start_and_end() {
        check(&["a", "b", "a"], &["a"], 1, false, Some(2));
        check(&["a", "b", "a"], &["a"], 0, true, Some(2));
        check(&["a", "b"], &["a", "b", "c"], 0, false, None);
        check(&["a"], &[], 0, false, Some(0));
        check(&["a"], &["z"], 0, false, None);
    }
}
