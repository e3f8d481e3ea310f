//! Applies parsed hunks to files in two phases: [`plan_patch`] reads the files and computes
//! every new content without writing anything, so a patch that fails anywhere leaves the tree
//! untouched; [`PlannedPatch::commit`] then writes each file atomically.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::path::PathBuf;

use thiserror::Error;

use crate::diff::unified_diff;
use crate::parser::Hunk;
use crate::parser::ParseError;
use crate::parser::Patch;
use crate::parser::UpdateChunk;
use crate::parser::parse_patch;
use crate::seek::find_lines;

/// Lines of context around each change in [`ChangeKind::Update::unified_diff`], as the
/// reference's `fileChange` items have.
const FILE_CHANGE_CONTEXT: usize = 1;

/// Why a patch could not be applied. The messages reach the model, so those that the reference
/// also produces keep its wording.
#[derive(Debug, Error)]
pub enum ApplyError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The patch has no hunks.
    #[error("No files were modified.")]
    Empty,
    /// A chunk's context or old lines were not found in the file.
    #[error("{0}")]
    NoMatch(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// What a patch does to one file, with absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The file the hunk names (for a move, the source).
    pub path: PathBuf,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Add {
        content: String,
    },
    Delete {
        content: String,
    },
    Update {
        /// Hunks only (`@@ … @@` onwards), without `---`/`+++` headers.
        unified_diff: String,
        move_path: Option<PathBuf>,
        old_content: String,
        new_content: String,
    },
}

/// A patch whose effects are computed but not yet written.
#[derive(Debug)]
pub struct PlannedPatch {
    changes: Vec<FileChange>,
    summary: String,
    /// Each touched path once, in first-touch order, with its final content (`None`: absent).
    writes: Vec<(PathBuf, Option<String>)>,
}

impl PlannedPatch {
    /// Per-hunk changes, in patch order.
    pub fn changes(&self) -> &[FileChange] {
        &self.changes
    }

    /// The text the model gets back once the patch is applied.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// Writes the planned contents. Each file is replaced atomically (temp file and rename in
    /// the same folder); an IO error part-way leaves the files before it written.
    pub fn commit(self) -> Result<Applied, ApplyError> {
        for (path, content) in &self.writes {
            match content {
                Some(content) => write_atomically(path, content)?,
                None => remove_if_present(path)?,
            }
        }
        Ok(Applied {
            changes: self.changes,
            summary: self.summary,
        })
    }
}

/// The result of an applied patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub changes: Vec<FileChange>,
    /// `Success. Updated the following files:` and one `A`/`M`/`D` line per file.
    pub summary: String,
}

/// Parses `text`, plans it against `cwd`, and writes the result.
pub fn apply_patch(text: &str, cwd: &Path) -> Result<Applied, ApplyError> {
    plan_patch(&parse_patch(text)?, cwd)?.commit()
}

/// Computes every file's new content, reading but never writing. Relative paths in the patch
/// are resolved against `cwd`. Hunks apply in order, so a later hunk sees an earlier one's
/// result (an added file can then be updated).
pub fn plan_patch(patch: &Patch, cwd: &Path) -> Result<PlannedPatch, ApplyError> {
    if patch.hunks.is_empty() {
        return Err(ApplyError::Empty);
    }
    let mut tree = StagedTree::default();
    let mut changes = Vec::new();
    let mut added = Vec::new();
    let mut modified = Vec::new();
    let mut deleted = Vec::new();

    for hunk in &patch.hunks {
        let path = cwd.join(hunk.path());
        match hunk {
            Hunk::Add {
                path: shown,
                contents,
            } => {
                tree.stage(&path, Some(contents.clone()));
                added.push(shown.clone());
                changes.push(FileChange {
                    path,
                    kind: ChangeKind::Add {
                        content: contents.clone(),
                    },
                });
            }
            Hunk::Delete { path: shown } => {
                let content = tree.read(&path, "Failed to read")?;
                tree.stage(&path, None);
                deleted.push(shown.clone());
                changes.push(FileChange {
                    path,
                    kind: ChangeKind::Delete { content },
                });
            }
            Hunk::Update {
                path: shown,
                move_to,
                chunks,
            } => {
                let old_content = tree.read(&path, "Failed to read file to update")?;
                let new_content = updated_content(&old_content, chunks, &path)?;
                let move_path = move_to.as_ref().map(|to| cwd.join(to));
                match &move_path {
                    Some(dest) if *dest != path => {
                        tree.stage(dest, Some(new_content.clone()));
                        tree.stage(&path, None);
                    }
                    _ => tree.stage(&path, Some(new_content.clone())),
                }
                modified.push(move_to.clone().unwrap_or_else(|| shown.clone()));
                changes.push(FileChange {
                    path,
                    kind: ChangeKind::Update {
                        unified_diff: unified_diff(&old_content, &new_content, FILE_CHANGE_CONTEXT),
                        move_path,
                        old_content,
                        new_content,
                    },
                });
            }
        }
    }

    let mut summary = String::from("Success. Updated the following files:\n");
    for (letter, paths) in [("A", added), ("M", modified), ("D", deleted)] {
        for path in paths {
            summary.push_str(&format!("{letter} {}\n", path.display()));
        }
    }
    Ok(PlannedPatch {
        changes,
        summary,
        writes: tree.into_writes(),
    })
}

/// The tree as the hunks so far have left it: staged contents over the real files.
#[derive(Default)]
struct StagedTree {
    staged: HashMap<PathBuf, Option<String>>,
    order: Vec<PathBuf>,
}

impl StagedTree {
    fn read(&self, path: &Path, context: &str) -> Result<String, ApplyError> {
        let io_error = |source| ApplyError::Io {
            context: format!("{context} {}", path.display()),
            source,
        };
        match self.staged.get(path) {
            Some(Some(content)) => Ok(content.clone()),
            Some(None) => Err(io_error(std::io::ErrorKind::NotFound.into())),
            None => std::fs::read_to_string(path).map_err(io_error),
        }
    }

    fn stage(&mut self, path: &Path, content: Option<String>) {
        if self.staged.insert(path.to_path_buf(), content).is_none() {
            self.order.push(path.to_path_buf());
        }
    }

    fn into_writes(mut self) -> Vec<(PathBuf, Option<String>)> {
        self.order
            .into_iter()
            .map(|path| {
                let content = self.staged.remove(&path).flatten();
                (path, content)
            })
            .collect()
    }
}

/// Applies `chunks` to `content`; `path` is only for error messages.
fn updated_content(
    content: &str,
    chunks: &[UpdateChunk],
    path: &Path,
) -> Result<String, ApplyError> {
    // Files that consistently use CRLF keep it; matching happens on the bare lines.
    let crlf = content.contains("\r\n")
        && content.matches('\n').count() == content.matches("\r\n").count();
    let normalized = if crlf {
        content.replace("\r\n", "\n")
    } else {
        content.to_string()
    };
    let mut lines: Vec<String> = normalized.split('\n').map(String::from).collect();
    // `split` yields an empty last element for the final newline; it is not a line.
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }

    let mut replacements = Vec::new();
    let mut cursor = 0;
    for chunk in chunks {
        if let Some(context) = &chunk.context {
            let Some(at) = find_lines(&lines, std::slice::from_ref(context), cursor, false) else {
                return Err(ApplyError::NoMatch(format!(
                    "Failed to find context '{context}' in {}",
                    path.display()
                )));
            };
            cursor = at + 1;
        }
        if chunk.old_lines.is_empty() {
            // A pure addition goes at the end of the file.
            let at = if lines.last().is_some_and(String::is_empty) {
                lines.len() - 1
            } else {
                lines.len()
            };
            replacements.push((at, 0, chunk.new_lines.clone()));
            continue;
        }
        let mut old: &[String] = &chunk.old_lines;
        let mut new: &[String] = &chunk.new_lines;
        let mut found = find_lines(&lines, old, cursor, chunk.end_of_file);
        // A trailing empty old line usually stands for the file's final newline, which is not
        // a line of its own here: retry without it.
        if found.is_none() && old.last().is_some_and(String::is_empty) {
            old = &old[..old.len() - 1];
            if new.last().is_some_and(String::is_empty) {
                new = &new[..new.len() - 1];
            }
            found = find_lines(&lines, old, cursor, chunk.end_of_file);
        }
        let Some(at) = found else {
            return Err(ApplyError::NoMatch(format!(
                "Failed to find expected lines in {}:\n{}",
                path.display(),
                chunk.old_lines.join("\n")
            )));
        };
        replacements.push((at, old.len(), new.to_vec()));
        cursor = at + old.len();
    }

    // Apply from the bottom up so earlier indices stay valid.
    replacements.sort_by_key(|(at, _, _)| *at);
    for (at, len, new) in replacements.into_iter().rev() {
        let end = (at + len).min(lines.len());
        lines.splice(at..end, new);
    }
    if !lines.last().is_some_and(String::is_empty) {
        lines.push(String::new());
    }
    Ok(lines.join(if crlf { "\r\n" } else { "\n" }))
}

fn write_atomically(path: &Path, content: &str) -> Result<(), ApplyError> {
    let io_error = |context: &str| {
        let context = format!("{context} {}", path.display());
        move |source| ApplyError::Io { context, source }
    };
    // Write through a symlink to its target rather than replacing the link with a file.
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(io_error("Failed to resolve symlink"))?
        }
        _ => path.to_path_buf(),
    };
    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(io_error("Failed to create parent directories for"))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".apply-patch-")
        .tempfile_in(&parent)
        .map_err(io_error("Failed to write file"))?;
    temp.write_all(content.as_bytes())
        .map_err(io_error("Failed to write file"))?;
    // A rewritten file keeps its permissions (an executable script stays executable).
    if let Ok(meta) = std::fs::metadata(&target) {
        std::fs::set_permissions(temp.path(), meta.permissions())
            .map_err(io_error("Failed to write file"))?;
    }
    temp.persist(&target)
        .map_err(|err| io_error("Failed to write file")(err.error))?;
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), ApplyError> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        result => result.map_err(|source| ApplyError::Io {
            context: format!("Failed to delete file {}", path.display()),
            source,
        }),
    }
}
