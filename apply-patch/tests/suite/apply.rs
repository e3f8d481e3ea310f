//! Applying patches to real temp trees: `check(before, patch, expected)` compares the whole tree
//! afterwards, and that a failing patch leaves it exactly as it was.

use std::collections::BTreeMap;
use std::path::Path;

use codex_apply_patch::ChangeKind;
use codex_apply_patch::apply_patch;
use codex_apply_patch::parse_patch;
use codex_apply_patch::plan_patch;
use pretty_assertions::assert_eq;

type Tree = BTreeMap<String, String>;
/// Files as `(relative path, content)`.
type Files<'a> = &'a [(&'a str, &'a str)];
/// The tree and summary after success, or the error message.
type Expected<'a> = Result<(Files<'a>, &'a str), &'a str>;

fn tree(files: &[(&str, &str)]) -> Tree {
    files
        .iter()
        .map(|(path, content)| (path.to_string(), content.to_string()))
        .collect()
}

fn write_tree(root: &Path, files: &Tree) {
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// Every file under `root`, by relative path with `/` separators.
fn read_tree(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = Tree::new();
    walk(root, root, &mut out);
    out
}

/// Applies `patch` to a tree holding `before`. `Ok((after, summary))`: the tree and the text the
/// model gets; `Err(message)`: the error, with the tree unchanged.
fn check(before: Files<'_>, patch: &str, expected: Expected<'_>) {
    let dir = tempfile::tempdir().unwrap();
    let before = tree(before);
    write_tree(dir.path(), &before);
    let result = apply_patch(patch, dir.path());
    let after = read_tree(dir.path());
    match (result, expected) {
        (Ok(applied), Ok((expected_tree, expected_summary))) => {
            assert_eq!(after, tree(expected_tree));
            assert_eq!(applied.summary, expected_summary);
        }
        (Err(err), Err(expected_message)) => {
            let message = err
                .to_string()
                .replace(&dir.path().display().to_string(), "<root>");
            assert_eq!(message, expected_message);
            assert_eq!(after, before, "a failed patch must not touch the tree");
        }
        (result, expected) => panic!("got {result:?}, expected {expected:?}"),
    }
}

fn ok<'a>(tree: Files<'a>, summary: &'a str) -> Expected<'a> {
    Ok((tree, summary))
}

#[test]
fn add_creates_file_and_parent_dirs() {
    check(
        &[],
        "*** Begin Patch\n*** Add File: notes/deep/hello.txt\n+Hello\n+\n+world\n*** End Patch\n",
        ok(
            &[("notes/deep/hello.txt", "Hello\n\nworld\n")],
            "Success. Updated the following files:\nA notes/deep/hello.txt\n",
        ),
    );
}

#[test]
fn add_overwrites_existing_file() {
    check(
        &[("a.txt", "old\n")],
        "*** Begin Patch\n*** Add File: a.txt\n+new\n*** End Patch",
        ok(
            &[("a.txt", "new\n")],
            "Success. Updated the following files:\nA a.txt\n",
        ),
    );
}

#[test]
fn update_with_context_and_multiple_chunks() {
    let before = "fn a() {\n    1\n}\n\nfn b() {\n    1\n}\n\nfn c() {\n    1\n}\n";
    let after = "fn a() {\n    1\n}\n\nfn b() {\n    2\n}\n\nfn c() {\n    3\n}\n";
    check(
        &[("src/lib.rs", before)],
        "*** Begin Patch\n*** Update File: src/lib.rs\n@@ fn b() {\n-    1\n+    2\n@@ fn c() {\n-    1\n+    3\n }\n*** End Patch",
        ok(
            &[("src/lib.rs", after)],
            "Success. Updated the following files:\nM src/lib.rs\n",
        ),
    );
}

#[test]
fn update_first_chunk_without_header_and_blank_context_line() {
    check(
        &[("f.txt", "one\n\ntwo\n")],
        "*** Begin Patch\n*** Update File: f.txt\n one\n\n-two\n+TWO\n*** End Patch",
        ok(
            &[("f.txt", "one\n\nTWO\n")],
            "Success. Updated the following files:\nM f.txt\n",
        ),
    );
}

#[test]
fn update_end_of_file_prefers_the_last_occurrence() {
    check(
        &[("f.txt", "x\ny\nx\n")],
        "*** Begin Patch\n*** Update File: f.txt\n@@\n-x\n+z\n*** End of File\n*** End Patch",
        ok(
            &[("f.txt", "x\ny\nz\n")],
            "Success. Updated the following files:\nM f.txt\n",
        ),
    );
}

#[test]
fn update_pure_addition_appends_and_adds_final_newline() {
    check(
        &[("f.txt", "a\nb")],
        "*** Begin Patch\n*** Update File: f.txt\n@@\n+c\n*** End Patch",
        ok(
            &[("f.txt", "a\nb\nc\n")],
            "Success. Updated the following files:\nM f.txt\n",
        ),
    );
}

#[test]
fn update_matches_despite_whitespace_and_typography() {
    check(
        &[("f.py", "def f():  \n    return \u{201C}x\u{201D}\n")],
        "*** Begin Patch\n*** Update File: f.py\n@@\n def f():\n-return \"x\"\n+    return 1\n*** End Patch",
        // Context lines are written back as the patch spells them.
        ok(
            &[("f.py", "def f():\n    return 1\n")],
            "Success. Updated the following files:\nM f.py\n",
        ),
    );
}

#[test]
fn update_keeps_crlf_line_endings() {
    check(
        &[("w.txt", "a\r\nb\r\n")],
        "*** Begin Patch\n*** Update File: w.txt\n@@\n a\n-b\n+c\n*** End Patch",
        ok(
            &[("w.txt", "a\r\nc\r\n")],
            "Success. Updated the following files:\nM w.txt\n",
        ),
    );
}

#[test]
fn move_writes_destination_and_removes_source() {
    check(
        &[("old/name.txt", "content\n"), ("old/other.txt", "x\n")],
        "*** Begin Patch\n*** Update File: old/name.txt\n*** Move to: renamed/dir/name.txt\n@@\n-content\n+new content\n*** End Patch",
        ok(
            &[
                ("old/other.txt", "x\n"),
                ("renamed/dir/name.txt", "new content\n"),
            ],
            "Success. Updated the following files:\nM renamed/dir/name.txt\n",
        ),
    );
}

#[test]
fn delete_removes_file() {
    check(
        &[("keep.txt", "k\n"), ("gone.txt", "g\n")],
        "*** Begin Patch\n*** Delete File: gone.txt\n*** End Patch",
        ok(
            &[("keep.txt", "k\n")],
            "Success. Updated the following files:\nD gone.txt\n",
        ),
    );
}

#[test]
fn summary_lists_added_then_modified_then_deleted() {
    check(
        &[("m.txt", "1\n"), ("d.txt", "2\n")],
        "*** Begin Patch\n*** Delete File: d.txt\n*** Update File: m.txt\n@@\n-1\n+one\n*** Add File: a.txt\n+new\n*** End Patch",
        ok(
            &[("a.txt", "new\n"), ("m.txt", "one\n")],
            "Success. Updated the following files:\nA a.txt\nM m.txt\nD d.txt\n",
        ),
    );
}

#[test]
fn later_hunks_see_earlier_ones() {
    check(
        &[],
        "*** Begin Patch\n*** Add File: a.txt\n+one\n*** Update File: a.txt\n@@\n-one\n+two\n*** End Patch",
        ok(
            &[("a.txt", "two\n")],
            "Success. Updated the following files:\nA a.txt\nM a.txt\n",
        ),
    );
}

#[test]
fn failing_hunk_leaves_tree_untouched() {
    // The add comes first and would succeed on its own; nothing may be written.
    check(
        &[("f.txt", "a\n")],
        "*** Begin Patch\n*** Add File: created.txt\n+x\n*** Update File: f.txt\n@@\n-missing\n+y\n*** End Patch",
        Err("Failed to find expected lines in <root>/f.txt:\nmissing"),
    );
    check(
        &[("f.txt", "a\n")],
        "*** Begin Patch\n*** Add File: created.txt\n+x\n*** Update File: f.txt\n@@ fn nowhere()\n-a\n*** End Patch",
        Err("Failed to find context 'fn nowhere()' in <root>/f.txt"),
    );
}

#[test]
fn missing_files_are_errors() {
    check(
        &[("f.txt", "a\n")],
        "*** Begin Patch\n*** Delete File: nope.txt\n*** End Patch",
        Err("Failed to read <root>/nope.txt: No such file or directory (os error 2)"),
    );
    check(
        &[("f.txt", "a\n")],
        "*** Begin Patch\n*** Update File: nope.txt\n@@\n-a\n+b\n*** End Patch",
        Err(
            "Failed to read file to update <root>/nope.txt: No such file or directory (os error 2)",
        ),
    );
}

#[test]
fn deleting_a_directory_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let result = apply_patch(
        "*** Begin Patch\n*** Delete File: sub\n*** End Patch",
        dir.path(),
    );
    assert!(result.is_err(), "{result:?}");
    assert!(dir.path().join("sub").is_dir());
}

#[test]
fn malformed_patches_are_rejected_without_touching_files() {
    check(
        &[("f.txt", "a\n")],
        "*** Begin Patch\n*** End Patch",
        Err("No files were modified."),
    );
    check(
        &[("f.txt", "a\n")],
        "*** Begin Patch\n*** Frobnicate File: f.txt\n*** End Patch",
        Err(
            "invalid hunk at line 2, '*** Frobnicate File: f.txt' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'",
        ),
    );
    check(
        &[("f.txt", "a\n")],
        "*** Add File: g.txt\n+x\n",
        Err("invalid patch: The first line of the patch must be '*** Begin Patch'"),
    );
}

#[test]
fn plan_reports_changes_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "a\nb\nc\n").unwrap();
    let patch =
        parse_patch("*** Begin Patch\n*** Update File: f.txt\n@@\n a\n-b\n+B\n*** End Patch")
            .unwrap();
    let plan = plan_patch(&patch, dir.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
        "a\nb\nc\n"
    );
    assert_eq!(plan.changes().len(), 1);
    assert_eq!(plan.changes()[0].path, dir.path().join("f.txt"));
    assert_eq!(
        plan.changes()[0].kind,
        ChangeKind::Update {
            unified_diff: "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n".to_string(),
            move_path: None,
            old_content: "a\nb\nc\n".to_string(),
            new_content: "a\nB\nc\n".to_string(),
        }
    );
    let applied = plan.commit().unwrap();
    assert_eq!(
        applied.summary,
        "Success. Updated the following files:\nM f.txt\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
        "a\nB\nc\n"
    );
}

#[cfg(unix)]
#[test]
fn update_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run.sh");
    std::fs::write(&script, "echo a\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    apply_patch(
        "*** Begin Patch\n*** Update File: run.sh\n@@\n-echo a\n+echo b\n*** End Patch",
        dir.path(),
    )
    .unwrap();
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
}
