//! Parses patch text into hunks, without looking at the filesystem.
//!
//! The grammar is the one in `tool_apply_patch.lark` (see [`crate::tool`]); the parser accepts a
//! little more than the grammar does, as the reference does, because models drift from it:
//! markers may carry surrounding whitespace, the first chunk of an update may omit its `@@`,
//! blank lines inside an update count as empty context lines, and the whole patch may be wrapped
//! in a `<<'EOF'` … `EOF` heredoc that a shell never got to interpret.

use std::path::PathBuf;

use thiserror::Error;

const BEGIN_PATCH: &str = "*** Begin Patch";
const END_PATCH: &str = "*** End Patch";
const ADD_FILE: &str = "*** Add File: ";
const DELETE_FILE: &str = "*** Delete File: ";
const UPDATE_FILE: &str = "*** Update File: ";
const MOVE_TO: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";
const CONTEXT_PREFIX: &str = "@@ ";
const BARE_CONTEXT: &str = "@@";

/// Why patch text could not be parsed. The messages reach the model, so they follow the
/// reference's wording, which models have learned to act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The envelope (`*** Begin Patch` … `*** End Patch`) is wrong.
    #[error("invalid patch: {0}")]
    InvalidPatch(String),
    /// A hunk is malformed; `line` is 1-based within the patch text.
    #[error("invalid hunk at line {line}, {message}")]
    InvalidHunk { message: String, line: usize },
}

/// A parsed patch: the hunks, and the patch text with any heredoc wrapper removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub hunks: Vec<Hunk>,
    /// The patch itself, from `*** Begin Patch` to `*** End Patch`.
    pub text: String,
}

/// One file operation. Paths are as written in the patch, usually relative to the working dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hunk {
    Add {
        path: PathBuf,
        /// The whole new file, each line ending in `\n`.
        contents: String,
    },
    Delete {
        path: PathBuf,
    },
    Update {
        path: PathBuf,
        move_to: Option<PathBuf>,
        /// In file order: each chunk is searched for after the previous one.
        chunks: Vec<UpdateChunk>,
    },
}

impl Hunk {
    /// The path the hunk names first (the source of a move).
    pub fn path(&self) -> &std::path::Path {
        match self {
            Hunk::Add { path, .. } | Hunk::Delete { path } | Hunk::Update { path, .. } => path,
        }
    }
}

/// One `@@` section of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateChunk {
    /// The text after `@@ `: a line (often a `fn` or `class` line) to find before `old_lines`.
    pub context: Option<String>,
    /// Context and removed lines, in order: what must be found in the file.
    pub old_lines: Vec<String>,
    /// Context and added lines, in order: what replaces `old_lines`.
    pub new_lines: Vec<String>,
    /// Set by `*** End of File`: `old_lines` should be matched at the end of the file.
    pub end_of_file: bool,
}

/// Parses patch text. Leading and trailing whitespace around the whole text is ignored.
pub fn parse_patch(text: &str) -> Result<Patch, ParseError> {
    let lines: Vec<&str> = text.trim().lines().collect();
    let lines = strip_envelope(&lines)?;
    let body = &lines[1..lines.len() - 1];

    let mut hunks = Vec::new();
    let mut rest = body;
    // Line 1 is `*** Begin Patch`, so the first hunk starts on line 2.
    let mut line = 2;
    while !rest.is_empty() {
        let (hunk, used) = parse_hunk(rest, line)?;
        hunks.push(hunk);
        line += used;
        rest = &rest[used..];
    }
    Ok(Patch {
        hunks,
        text: lines.join("\n"),
    })
}

/// Returns the lines from `*** Begin Patch` to `*** End Patch`, unwrapping a heredoc that was
/// passed through literally (models sometimes send `<<'EOF'\n…\nEOF` as the argument).
fn strip_envelope<'a>(lines: &'a [&'a str]) -> Result<&'a [&'a str], ParseError> {
    let plain = check_envelope(lines);
    if plain.is_ok() {
        return Ok(lines);
    }
    if let [first, .., last] = lines
        && matches!(*first, "<<EOF" | "<<'EOF'" | "<<\"EOF\"")
        && last.ends_with("EOF")
        && lines.len() >= 4
    {
        let inner = &lines[1..lines.len() - 1];
        check_envelope(inner)?;
        return Ok(inner);
    }
    plain.map(|()| lines)
}

fn check_envelope(lines: &[&str]) -> Result<(), ParseError> {
    let first = lines.first().map(|line| line.trim());
    let last = lines.last().map(|line| line.trim());
    if first != Some(BEGIN_PATCH) {
        return Err(ParseError::InvalidPatch(
            "The first line of the patch must be '*** Begin Patch'".to_string(),
        ));
    }
    // A single line cannot be both markers.
    if lines.len() < 2 || last != Some(END_PATCH) {
        return Err(ParseError::InvalidPatch(
            "The last line of the patch must be '*** End Patch'".to_string(),
        ));
    }
    Ok(())
}

/// Parses the hunk at the start of `lines`, which is on line `line` of the patch; returns it
/// and how many lines it used.
fn parse_hunk(lines: &[&str], line: usize) -> Result<(Hunk, usize), ParseError> {
    let header = lines[0].trim();
    if let Some(path) = header.strip_prefix(ADD_FILE) {
        let mut contents = String::new();
        let mut used = 1;
        for added in lines[1..].iter().map_while(|l| l.strip_prefix('+')) {
            contents.push_str(added);
            contents.push('\n');
            used += 1;
        }
        return Ok((
            Hunk::Add {
                path: PathBuf::from(path),
                contents,
            },
            used,
        ));
    }
    if let Some(path) = header.strip_prefix(DELETE_FILE) {
        return Ok((
            Hunk::Delete {
                path: PathBuf::from(path),
            },
            1,
        ));
    }
    if let Some(path) = header.strip_prefix(UPDATE_FILE) {
        return parse_update(path, lines, line);
    }
    Err(ParseError::InvalidHunk {
        message: format!(
            "'{header}' is not a valid hunk header. Valid hunk headers: '*** Add File: {{path}}', '*** Delete File: {{path}}', '*** Update File: {{path}}'"
        ),
        line,
    })
}

fn parse_update(path: &str, lines: &[&str], line: usize) -> Result<(Hunk, usize), ParseError> {
    let mut used = 1;
    let move_to = lines
        .get(1)
        .and_then(|l| l.trim().strip_prefix(MOVE_TO))
        .map(PathBuf::from);
    if move_to.is_some() {
        used += 1;
    }

    let mut chunks = Vec::new();
    while used < lines.len() {
        let current = lines[used];
        // Blank lines between chunks are separators, not content.
        if current.trim().is_empty() {
            used += 1;
            continue;
        }
        // The next `*** …` header ends this hunk.
        if current.starts_with('*') {
            break;
        }
        let (chunk, chunk_lines) = parse_chunk(&lines[used..], line + used, chunks.is_empty())?;
        chunks.push(chunk);
        used += chunk_lines;
    }

    if chunks.is_empty() {
        return Err(ParseError::InvalidHunk {
            message: format!("Update file hunk for path '{path}' is empty"),
            line,
        });
    }
    Ok((
        Hunk::Update {
            path: PathBuf::from(path),
            move_to,
            chunks,
        },
        used,
    ))
}

/// Parses one chunk at the start of `lines` (line `line` of the patch). Only the first chunk of
/// an update may omit its `@@` line.
fn parse_chunk(
    lines: &[&str],
    line: usize,
    first_chunk: bool,
) -> Result<(UpdateChunk, usize), ParseError> {
    let (context, start) = if lines[0] == BARE_CONTEXT {
        (None, 1)
    } else if let Some(context) = lines[0].strip_prefix(CONTEXT_PREFIX) {
        (Some(context.to_string()), 1)
    } else if first_chunk {
        (None, 0)
    } else {
        return Err(ParseError::InvalidHunk {
            message: format!(
                "Expected update hunk to start with a @@ context marker, got: '{}'",
                lines[0]
            ),
            line,
        });
    };
    let empty = || ParseError::InvalidHunk {
        message: "Update hunk does not contain any lines".to_string(),
        line: line + 1,
    };
    if start >= lines.len() {
        return Err(empty());
    }

    let mut chunk = UpdateChunk {
        context,
        old_lines: Vec::new(),
        new_lines: Vec::new(),
        end_of_file: false,
    };
    let mut used = 0;
    for &current in &lines[start..] {
        if current == END_OF_FILE {
            if used == 0 {
                return Err(empty());
            }
            chunk.end_of_file = true;
            used += 1;
            break;
        }
        let mut chars = current.chars();
        match chars.next() {
            // An empty line is an empty context line whose leading space was lost.
            None => {
                chunk.old_lines.push(String::new());
                chunk.new_lines.push(String::new());
            }
            Some(' ') => {
                chunk.old_lines.push(chars.as_str().to_string());
                chunk.new_lines.push(chars.as_str().to_string());
            }
            Some('+') => chunk.new_lines.push(chars.as_str().to_string()),
            Some('-') => chunk.old_lines.push(chars.as_str().to_string()),
            Some(_) if used == 0 => {
                return Err(ParseError::InvalidHunk {
                    message: format!(
                        "Unexpected line found in update hunk: '{current}'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)"
                    ),
                    line: line + 1,
                });
            }
            // Anything else starts the next chunk or hunk.
            Some(_) => break,
        }
        used += 1;
    }
    Ok((chunk, start + used))
}
