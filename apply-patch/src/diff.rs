//! Unified diffs: bare hunks for a file change, and git-style file sections for a turn's diff.

use sha1::Digest as _;
use sha1::Sha1;
use similar::TextDiff;

/// The object id git uses when a side does not exist.
const NULL_OID: &str = "0000000000000000000000000000000000000000";

/// Lines of context in a git-style diff, git's default.
const GIT_CONTEXT: usize = 3;

/// The hunks (`@@ -a,b +c,d @@` onwards) turning `old` into `new`, with `context` unchanged
/// lines around each change. Empty when the texts are equal.
pub fn unified_diff(old: &str, new: &str, context: usize) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(context)
        .to_string()
}

/// One file's section of a `git diff`: `diff --git`, the mode and `index` lines with git blob
/// ids, `---`/`+++` and the hunks. `None` means the file does not exist on that side; paths are
/// printed as given after `a/` and `b/`. Empty when nothing changed.
pub fn git_file_diff(
    old_path: &str,
    old: Option<&str>,
    new_path: &str,
    new: Option<&str>,
) -> String {
    if old == new && old_path == new_path {
        return String::new();
    }
    let old_oid = old.map_or_else(|| NULL_OID.to_string(), blob_oid);
    let new_oid = new.map_or_else(|| NULL_OID.to_string(), blob_oid);
    let mut out = format!("diff --git a/{old_path} b/{new_path}\n");
    match (old, new) {
        (None, _) => out.push_str(&format!(
            "new file mode 100644\nindex {old_oid}..{new_oid}\n"
        )),
        (_, None) => out.push_str(&format!(
            "deleted file mode 100644\nindex {old_oid}..{new_oid}\n"
        )),
        (Some(_), Some(_)) => out.push_str(&format!("index {old_oid}..{new_oid} 100644\n")),
    }
    let from = match old {
        Some(_) => format!("a/{old_path}"),
        None => "/dev/null".to_string(),
    };
    let to = match new {
        Some(_) => format!("b/{new_path}"),
        None => "/dev/null".to_string(),
    };
    out.push_str(
        &TextDiff::from_lines(old.unwrap_or(""), new.unwrap_or(""))
            .unified_diff()
            .context_radius(GIT_CONTEXT)
            .header(&from, &to)
            .to_string(),
    );
    out
}

/// The id git gives `content` as a blob: SHA-1 over `blob <len>\0<content>`.
pub fn blob_oid(content: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
