//! Diff rendering, checked against the reference's `turn/diff/updated` samples.

use codex_apply_patch::diff::blob_oid;
use codex_apply_patch::diff::git_file_diff;
use codex_apply_patch::diff::unified_diff;
use pretty_assertions::assert_eq;

#[test]
fn git_diff_of_a_new_file_matches_the_reference() {
    let path = "/tmp/parity-kpa6q8ao/work/notes/hello.txt";
    let content = "Hello from apply_patch\nsecond line\n";
    assert_eq!(
        git_file_diff(path, None, path, Some(content)),
        "diff --git a//tmp/parity-kpa6q8ao/work/notes/hello.txt b//tmp/parity-kpa6q8ao/work/notes/hello.txt\nnew file mode 100644\nindex 0000000000000000000000000000000000000000..169cd61de8cecd6b15d9e0c9c328f0de1ca84735\n--- /dev/null\n+++ b//tmp/parity-kpa6q8ao/work/notes/hello.txt\n@@ -0,0 +1,2 @@\n+Hello from apply_patch\n+second line\n"
    );
    assert_eq!(
        blob_oid("Hello from apply_patch\n2nd line\n"),
        "b176aaecdf6ca4b8b524314b5a3ec5182afee54b"
    );
}

#[test]
fn git_diff_of_modified_and_deleted_files() {
    assert_eq!(
        git_file_diff("f", Some("a\nb\n"), "f", Some("a\nc\n")),
        format!(
            "diff --git a/f b/f\nindex {}..{} 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
            blob_oid("a\nb\n"),
            blob_oid("a\nc\n")
        )
    );
    assert_eq!(
        git_file_diff("f", Some("a\n"), "f", None),
        format!(
            "diff --git a/f b/f\ndeleted file mode 100644\nindex {}..0000000000000000000000000000000000000000\n--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n",
            blob_oid("a\n")
        )
    );
    assert_eq!(git_file_diff("f", Some("same\n"), "f", Some("same\n")), "");
}

#[test]
fn unified_diff_has_bare_hunks() {
    assert_eq!(
        unified_diff("a\nb\nc\nd\n", "a\nb\nC\nd\n", 1),
        "@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n"
    );
    assert_eq!(unified_diff("x\n", "x\n", 1), "");
}
