//! Fuzzy matching of a typed query against file paths, scored the way the reference's file
//! search scores them, so clients see the same scores, order and highlighted characters.
//!
//! A query is split on whitespace into atoms; a path matches when every atom does, its score is
//! the sum of the atoms' scores and its indices (character positions in the path, for
//! highlighting) are the union of theirs. An atom is matched fuzzily (its characters in order,
//! gaps allowed) unless it is written `'sub` (a substring), `^pre` (a prefix), `suf$` (a suffix)
//! or `^all$` (the whole path); `!atom` excludes the paths containing `atom`. Matching ignores
//! case unless the atom has an upper-case letter, and ignores accents unless the atom has
//! non-ASCII characters.
//!
//! Scores reward matched characters (16 each) and characters at word starts (after `/`, `_`,
//! `.`, a camelCase hump), doubled for an atom's first character, and runs of consecutive
//! characters; gaps cost 3 for the first skipped character and 1 for each further one. Of all
//! the ways a fuzzy atom can match, the best scoring one is chosen.
//!
//! ```
//! use codex_utils_fuzzy_match::Pattern;
//!
//! let pattern = Pattern::parse("main");
//! let found = pattern.match_path("src/main.rs").map(|m| (m.score, m.indices));
//! assert_eq!(found, Some((109, vec![4, 5, 6, 7])));
//! assert!(pattern.match_path("src/lib.rs").is_none());
//! ```

use std::cmp::max;

const SCORE_MATCH: u32 = 16;
const PENALTY_GAP_START: u32 = 3;
const PENALTY_GAP_EXTENSION: u32 = 1;
const BONUS_BOUNDARY: u32 = SCORE_MATCH / 2;
/// After `/`: a little more than any other boundary, as paths are what is matched.
const BONUS_AFTER_SLASH: u32 = BONUS_BOUNDARY + 1;
const BONUS_CAMEL_OR_DIGIT: u32 = BONUS_BOUNDARY - PENALTY_GAP_START;
const BONUS_CONSECUTIVE: u32 = PENALTY_GAP_START + PENALTY_GAP_EXTENSION;
const FIRST_CHAR_BONUS_FACTOR: u32 = 2;

/// A parsed query. An empty pattern (no atoms: the query was blank) matches every path with
/// score 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    atoms: Vec<Atom>,
}

/// How well a path matched: higher scores are better matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub score: u32,
    /// Character (not byte) positions in the path of the matched characters, ascending, each
    /// once.
    pub indices: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtomKind {
    Fuzzy,
    Substring,
    Prefix,
    Suffix,
    Exact,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Atom {
    needle: Vec<char>,
    kind: AtomKind,
    negative: bool,
    case_sensitive: bool,
    fold_accents: bool,
}

impl Pattern {
    pub fn parse(query: &str) -> Pattern {
        let atoms = split_words(query)
            .iter()
            .filter_map(|word| Atom::parse(word))
            .collect();
        Pattern { atoms }
    }

    /// True when the query had no atoms, so every path matches.
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    pub fn match_path(&self, path: &str) -> Option<Match> {
        let original: Vec<char> = path.chars().collect();
        let bonuses = bonuses(&original);
        let mut score = 0;
        let mut indices = Vec::new();
        for atom in &self.atoms {
            let haystack: Vec<char> = original.iter().map(|&c| atom.prepare_char(c)).collect();
            let found = atom.find(&haystack, &bonuses);
            match (found, atom.negative) {
                (Some(_), true) | (None, false) => return None,
                (None, true) => {}
                (Some((atom_score, atom_indices)), false) => {
                    score += atom_score;
                    indices.extend(atom_indices);
                }
            }
        }
        indices.sort_unstable();
        indices.dedup();
        Some(Match { score, indices })
    }
}

/// Splits on whitespace, except whitespace escaped with a backslash, which stays in the word.
fn split_words(query: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|next| next.is_whitespace()) {
            if let Some(next) = chars.next() {
                word.push(next);
            }
        } else if c.is_whitespace() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

impl Atom {
    fn parse(word: &str) -> Option<Atom> {
        let mut text = word;
        let negative = text.starts_with('!');
        if negative {
            text = &text[1..];
        }
        let mut kind = AtomKind::Fuzzy;
        if let Some(rest) = text.strip_prefix('^') {
            kind = AtomKind::Prefix;
            text = rest;
        } else if let Some(rest) = text.strip_prefix('\'') {
            kind = AtomKind::Substring;
            text = rest;
        } else if let Some(rest) = text
            .strip_prefix('\\')
            .filter(|rest| rest.starts_with(['^', '\'', '!']))
        {
            text = rest;
        }
        let mut needle: String = text.to_string();
        if let Some(rest) = text.strip_suffix("\\$") {
            needle = format!("{rest}$");
        } else if let Some(rest) = text.strip_suffix('$') {
            kind = match kind {
                AtomKind::Prefix => AtomKind::Exact,
                AtomKind::Fuzzy | AtomKind::Substring | AtomKind::Suffix | AtomKind::Exact => {
                    AtomKind::Suffix
                }
            };
            needle = rest.to_string();
        }
        // Excluding fuzzily would exclude far too much: `!foo` means "does not contain foo".
        if negative && kind == AtomKind::Fuzzy {
            kind = AtomKind::Substring;
        }
        if needle.is_empty() {
            return None;
        }
        let case_sensitive = needle.chars().any(char::is_uppercase);
        let fold_accents = needle.is_ascii();
        let mut atom = Atom {
            needle: Vec::new(),
            kind,
            negative,
            case_sensitive,
            fold_accents,
        };
        atom.needle = needle.chars().map(|c| atom.prepare_char(c)).collect();
        Some(atom)
    }

    fn prepare_char(&self, c: char) -> char {
        let c = if self.fold_accents { fold_accent(c) } else { c };
        if self.case_sensitive { c } else { lowercase(c) }
    }

    fn find(&self, haystack: &[char], bonuses: &[u32]) -> Option<(u32, Vec<u32>)> {
        let len = self.needle.len();
        if len > haystack.len() {
            return None;
        }
        let at = |start: usize| haystack[start..start + len] == self.needle[..];
        let run = |start: usize| {
            let indices = (start..start + len).map(|i| i as u32).collect();
            (run_score(bonuses, start, len), indices)
        };
        match self.kind {
            AtomKind::Fuzzy => fuzzy(haystack, bonuses, &self.needle),
            AtomKind::Prefix => at(0).then(|| run(0)),
            AtomKind::Suffix => {
                let start = haystack.len() - len;
                at(start).then(|| run(start))
            }
            AtomKind::Exact => (len == haystack.len() && at(0)).then(|| run(0)),
            AtomKind::Substring => best_start(haystack, bonuses, &self.needle).map(run),
        }
    }
}

/// Character classes, ordered so that everything after `Delimiter` is part of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Whitespace,
    NonWord,
    Delimiter,
    Lower,
    Upper,
    Letter,
    Number,
}

fn class_of(c: char) -> Class {
    if c == '/' {
        Class::Delimiter
    } else if c.is_lowercase() {
        Class::Lower
    } else if c.is_uppercase() {
        Class::Upper
    } else if c.is_numeric() {
        Class::Number
    } else if c.is_alphabetic() {
        Class::Letter
    } else if c.is_whitespace() {
        Class::Whitespace
    } else {
        Class::NonWord
    }
}

/// The bonus for matching a character of class `class` that follows one of class `prev`.
fn bonus_for(prev: Class, class: Class) -> u32 {
    if class > Class::Delimiter {
        match prev {
            Class::Delimiter => return BONUS_AFTER_SLASH,
            Class::Whitespace | Class::NonWord => return BONUS_BOUNDARY,
            Class::Lower | Class::Upper | Class::Letter | Class::Number => {}
        }
    }
    let camel = prev == Class::Lower && class == Class::Upper;
    let digit = prev != Class::Number && class == Class::Number;
    if camel || digit {
        BONUS_CAMEL_OR_DIGIT
    } else if matches!(class, Class::Whitespace | Class::NonWord) {
        BONUS_BOUNDARY
    } else {
        0
    }
}

/// Each character's bonus; the start of a path counts as following a `/`.
fn bonuses(path: &[char]) -> Vec<u32> {
    let mut prev = Class::Delimiter;
    path.iter()
        .map(|&c| {
            let class = class_of(c);
            let bonus = bonus_for(prev, class);
            prev = class;
            bonus
        })
        .collect()
}

/// The bonus a character gets when it continues a run whose best boundary bonus so far is
/// `run_bonus`; returns the bonus and the run's updated boundary bonus.
fn consecutive_bonus(own: u32, run_bonus: u32) -> (u32, u32) {
    let mut run_bonus = max(run_bonus, BONUS_CONSECUTIVE);
    if own >= BONUS_BOUNDARY && own > run_bonus {
        run_bonus = own;
    }
    (max(run_bonus, own), run_bonus)
}

/// The score of `len` consecutive matched characters from `start`.
fn run_score(bonuses: &[u32], start: usize, len: usize) -> u32 {
    let mut run_bonus = bonuses[start];
    let mut score = SCORE_MATCH + run_bonus * FIRST_CHAR_BONUS_FACTOR;
    for &own in &bonuses[start + 1..start + len] {
        // The first character of a run keeps its own bonus as the run's, even below 4.
        let mut run = run_bonus;
        if own >= BONUS_BOUNDARY && own > run {
            run = own;
        }
        let bonus = max(max(own, run), BONUS_CONSECUTIVE);
        run_bonus = run;
        score += SCORE_MATCH + bonus;
    }
    score
}

/// Where `needle` occurs with the best bonus on its first character: the first occurrence that
/// starts a word, else the first with the highest bonus.
fn best_start(haystack: &[char], bonuses: &[u32], needle: &[char]) -> Option<usize> {
    let len = needle.len();
    let mut best: Option<usize> = None;
    for start in (0..=haystack.len() - len).filter(|&s| haystack[s..s + len] == needle[..]) {
        if best.is_none_or(|b| bonuses[start] > bonuses[b]) {
            best = Some(start);
        }
        if bonuses[start] >= BONUS_BOUNDARY {
            break;
        }
    }
    best
}

/// The best match of `needle` with `haystack[i]` as its last character.
#[derive(Debug, Clone, Copy)]
struct Cell {
    score: u32,
    /// The boundary bonus carried along the run of consecutive matches this cell ends.
    run_bonus: u32,
    /// Whether the previous needle character matched right before this one.
    consecutive: bool,
}

/// The best scoring way to match `needle` in order within `haystack`, with ties going to the
/// match that ends last and, within a row, to gaps over consecutive runs.
fn fuzzy(haystack: &[char], bonuses: &[u32], needle: &[char]) -> Option<(u32, Vec<u32>)> {
    let n = haystack.len();
    if needle.len() == 1 {
        return best_start(haystack, bonuses, needle).map(|i| {
            let score = SCORE_MATCH + bonuses[i] * FIRST_CHAR_BONUS_FACTOR;
            (score, vec![i as u32])
        });
    }

    let first: Vec<Option<Cell>> = (0..n)
        .map(|i| {
            (haystack[i] == needle[0]).then(|| Cell {
                score: SCORE_MATCH + bonuses[i] * FIRST_CHAR_BONUS_FACTOR,
                run_bonus: bonuses[i],
                consecutive: false,
            })
        })
        .collect();
    let mut rows = vec![first];
    // gap_from_match[j][x]: the best "needle[..=j] matched before x, x skipped" state at x
    // starts its gap right after a match at x - 1 (rather than extending a gap).
    let mut gap_from_match: Vec<Vec<bool>> = Vec::with_capacity(needle.len() - 1);
    for &needle_char in &needle[1..] {
        let prev = &rows[rows.len() - 1];
        let mut gap: Vec<Option<u32>> = vec![None; n];
        let mut from_match = vec![false; n];
        for x in 1..n {
            let open = prev[x - 1].map(|cell| cell.score.saturating_sub(PENALTY_GAP_START));
            let extend = gap[x - 1].map(|score| score.saturating_sub(PENALTY_GAP_EXTENSION));
            (gap[x], from_match[x]) = match (open, extend) {
                (Some(open), Some(extend)) if open > extend => (Some(open), true),
                (Some(_), Some(extend)) => (Some(extend), false),
                (Some(open), None) => (Some(open), true),
                (None, extend) => (extend, false),
            };
        }
        let mut row: Vec<Option<Cell>> = vec![None; n];
        for i in (1..n).filter(|&i| haystack[i] == needle_char) {
            let own = bonuses[i];
            let skip = gap[i - 1].map(|score| score + own);
            let cell = match (prev[i - 1], skip) {
                (Some(run), skip) => {
                    let (bonus, run_bonus) = consecutive_bonus(own, run.run_bonus);
                    let joined = run.score + bonus;
                    match skip {
                        Some(skip) if skip >= joined => Some(Cell {
                            score: skip + SCORE_MATCH,
                            run_bonus: own,
                            consecutive: false,
                        }),
                        Some(_) | None => Some(Cell {
                            score: joined + SCORE_MATCH,
                            run_bonus,
                            consecutive: true,
                        }),
                    }
                }
                (None, Some(skip)) => Some(Cell {
                    score: skip + SCORE_MATCH,
                    run_bonus: own,
                    consecutive: false,
                }),
                (None, None) => None,
            };
            row[i] = cell;
        }
        gap_from_match.push(from_match);
        rows.push(row);
    }

    let last = &rows[rows.len() - 1];
    let mut end: Option<usize> = None;
    for i in 0..n {
        if let Some(cell) = last[i]
            && end
                .and_then(|e| last[e])
                .is_none_or(|best| cell.score >= best.score)
        {
            end = Some(i);
        }
    }
    let end = end?;
    let score = last[end].map(|cell| cell.score)?;

    let mut indices = vec![0u32; needle.len()];
    let mut i = end;
    let mut j = needle.len() - 1;
    indices[j] = i as u32;
    while j > 0 {
        let cell = rows[j][i]?;
        if cell.consecutive {
            i -= 1;
        } else {
            // Walk back through the gap to the match it started after.
            let mut x = i - 1;
            while !gap_from_match[j - 1][x] {
                x -= 1;
            }
            i = x - 1;
        }
        j -= 1;
        indices[j] = i as u32;
    }
    Some((score, indices))
}

fn lowercase(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// Latin letters with diacritics to their base letter, so `cafe` finds `café`.
fn fold_accent(c: char) -> char {
    match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' => 'Y',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Matches `query` against each path and returns the score and indices per path.
    fn check(query: &str, paths: &[&str], expected: &[Option<(u32, &[u32])>]) {
        let pattern = Pattern::parse(query);
        let found: Vec<Option<(u32, Vec<u32>)>> = paths
            .iter()
            .map(|path| pattern.match_path(path).map(|m| (m.score, m.indices)))
            .collect();
        let expected: Vec<Option<(u32, Vec<u32>)>> = expected
            .iter()
            .map(|e| e.map(|(score, indices)| (score, indices.to_vec())))
            .collect();
        assert_eq!(found, expected, "query {query:?}");
    }

    // Every expected value below was observed from the reference's fuzzyFileSearch.

    #[test]
    fn word_after_slash_scores_consecutive_run() {
        check(
            "main",
            &[
                "src/main.rs",
                "src/util/mainframe.txt",
                "main",
                "src/lib.rs",
            ],
            &[
                Some((109, &[4, 5, 6, 7])),
                Some((109, &[9, 10, 11, 12])),
                Some((109, &[0, 1, 2, 3])),
                None,
            ],
        );
    }

    #[test]
    fn gaps_cost_and_boundaries_pay() {
        check("rdme", &["docs/readme.md"], &[Some((86, &[5, 8, 9, 10]))]);
        check("main", &[".mainrc"], &[Some((104, &[1, 2, 3, 4]))]);
        check(
            "main",
            &["a/b/c/m_a_i_n.rs"],
            &[Some((97, &[6, 8, 10, 12]))],
        );
        check(
            "gitignore",
            &[".gitignore"],
            &[Some((224, &[1, 2, 3, 4, 5, 6, 7, 8, 9]))],
        );
        check("src", &["src/lib.rs"], &[Some((84, &[0, 1, 2]))]);
    }

    #[test]
    fn atoms_add_up_and_single_characters_take_the_best_boundary() {
        check(
            "m n",
            &[
                "a/b/c/m_a_i_n.rs",
                "node_modules/main.js",
                ".hidden/main.rs",
            ],
            &[
                Some((66, &[6, 12])),
                Some((66, &[0, 5])),
                Some((50, &[6, 8])),
            ],
        );
        check(
            "ma in",
            &["a/b/c/m_a_i_n.rs"],
            &[Some((108, &[6, 8, 10, 12]))],
        );
        check("ma in", &["src/main.rs"], &[Some((95, &[4, 5, 6, 7]))]);
    }

    #[test]
    fn case_is_smart_and_accents_fold() {
        check(
            "main",
            &["Src/MAIN.md", "srcx/mAin.rs", "café/maïn.txt"],
            &[
                Some((109, &[4, 5, 6, 7])),
                Some((109, &[5, 6, 7, 8])),
                Some((109, &[5, 6, 7, 8])),
            ],
        );
        check(
            "MAIN",
            &["Src/MAIN.md", "src/main.rs"],
            &[Some((109, &[4, 5, 6, 7])), None],
        );
    }

    #[test]
    fn anchors_and_negation() {
        check(
            "^main",
            &["main", "src/main.rs"],
            &[Some((109, &[0, 1, 2, 3])), None],
        );
        check(
            "main$",
            &["main", "main.rs"],
            &[Some((109, &[0, 1, 2, 3])), None],
        );
        check(
            "!main",
            &["a/b/c/m_a_i_n.rs", "src/main.rs"],
            &[Some((0, &[])), None],
        );
        check("'ain", &["src/main.rs"], &[Some((56, &[5, 6, 7]))]);
    }

    #[test]
    fn blank_query_matches_everything_with_nothing_highlighted() {
        let pattern = Pattern::parse("  ");
        assert!(pattern.is_empty());
        check("  ", &["a.rs"], &[Some((0, &[]))]);
    }

    #[test]
    fn ties_prefer_the_later_end() {
        // Both "ab" runs score the same; the later one is chosen.
        check("ab", &["ab/ab"], &[Some((59, &[3, 4]))]);
    }
}
