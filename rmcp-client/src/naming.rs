//! The names the model sees for MCP tools: `mcp__<server>__<tool>`, as the reference makes them.

use std::collections::HashSet;

use sha1::Digest;
use sha1::Sha1;

/// The longest tool name the Responses API accepts.
const MAX_TOOL_NAME_LENGTH: usize = 64;

/// Gives each `(server, tool)` pair its qualified name, in order, skipping a pair whose raw or
/// final name was already given (as the reference does, with a warning).
///
/// Characters outside `[A-Za-z0-9_-]` become `_`; a name longer than 64 characters keeps its
/// first 24 and gains the 40-hex SHA-1 of the raw name.
pub fn qualify<'a, I>(pairs: I) -> Vec<(String, usize)>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut raw_seen = HashSet::new();
    let mut used = HashSet::new();
    let mut named = Vec::new();
    for (index, (server, tool)) in pairs.into_iter().enumerate() {
        let raw = format!("mcp__{server}__{tool}");
        if !raw_seen.insert(raw.clone()) {
            tracing::warn!("skipping duplicated tool {raw}");
            continue;
        }
        let mut name: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if name.len() > MAX_TOOL_NAME_LENGTH {
            let hash = format!("{:x}", Sha1::digest(raw.as_bytes()));
            // The sanitised name is ASCII, so any byte index is a character boundary.
            name.truncate(MAX_TOOL_NAME_LENGTH - hash.len());
            name.push_str(&hash);
        }
        if !used.insert(name.clone()) {
            tracing::warn!("skipping duplicated tool {name}");
            continue;
        }
        named.push((name, index));
    }
    named
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn names(pairs: &[(&str, &str)]) -> Vec<(String, usize)> {
        qualify(pairs.iter().copied())
    }

    #[test]
    fn plain_names() {
        assert_eq!(
            names(&[("stub", "echo")]),
            [("mcp__stub__echo".to_owned(), 0)]
        );
    }

    #[test]
    fn other_characters_become_underscores() {
        assert_eq!(
            names(&[("s", "a.b c/é")]),
            [("mcp__s__a_b_c__".to_owned(), 0)]
        );
    }

    #[test]
    fn long_names_keep_24_characters_and_the_sha1_of_the_raw_name() {
        let tool = "t".repeat(70);
        let raw = format!("mcp__server__{tool}");
        let hash = format!("{:x}", Sha1::digest(raw.as_bytes()));
        let expected = format!("{}{hash}", &raw[..24]);
        assert_eq!(names(&[("server", &tool)]), [(expected.clone(), 0)]);
        assert_eq!(expected.len(), 64);
    }

    #[test]
    fn duplicates_are_skipped() {
        // The same raw name twice, then two raw names that sanitise alike.
        assert_eq!(
            names(&[("s", "echo"), ("s", "echo"), ("s", "a.b"), ("s", "a_b")]),
            [
                ("mcp__s__echo".to_owned(), 0),
                ("mcp__s__a_b".to_owned(), 2)
            ]
        );
    }
}
