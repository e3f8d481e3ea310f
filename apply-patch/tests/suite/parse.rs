//! The parser: what it accepts (including the reference's leniencies) and how it reports errors.

use std::path::PathBuf;

use codex_apply_patch::Hunk;
use codex_apply_patch::ParseError;
use codex_apply_patch::UpdateChunk;
use codex_apply_patch::parse_patch;
use pretty_assertions::assert_eq;

fn check(text: &str, expected: Result<Vec<Hunk>, &str>) {
    let actual = parse_patch(text)
        .map(|patch| patch.hunks)
        .map_err(|err| err.to_string());
    assert_eq!(actual, expected.map_err(str::to_string));
}

fn lines(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| line.to_string()).collect()
}

#[test]
fn parses_every_hunk_kind() {
    check(
        "*** Begin Patch\n*** Add File: a.txt\n+one\n+\n*** Delete File: d.txt\n*** Update File: u.py\n*** Move to: v.py\n@@ def f():\n-    pass\n+    return 1\n*** End Patch",
        Ok(vec![
            Hunk::Add {
                path: PathBuf::from("a.txt"),
                contents: "one\n\n".to_string(),
            },
            Hunk::Delete {
                path: PathBuf::from("d.txt"),
            },
            Hunk::Update {
                path: PathBuf::from("u.py"),
                move_to: Some(PathBuf::from("v.py")),
                chunks: vec![UpdateChunk {
                    context: Some("def f():".to_string()),
                    old_lines: lines(&["    pass"]),
                    new_lines: lines(&["    return 1"]),
                    end_of_file: false,
                }],
            },
        ]),
    );
}

#[test]
fn parses_chunks_and_end_of_file() {
    check(
        "*** Begin Patch\n*** Update File: f\n keep\n-a\n+b\n@@\n-c\n*** End of File\n@@ ctx\n+d\n*** End Patch",
        Ok(vec![Hunk::Update {
            path: PathBuf::from("f"),
            move_to: None,
            chunks: vec![
                UpdateChunk {
                    context: None,
                    old_lines: lines(&["keep", "a"]),
                    new_lines: lines(&["keep", "b"]),
                    end_of_file: false,
                },
                UpdateChunk {
                    context: None,
                    old_lines: lines(&["c"]),
                    new_lines: vec![],
                    end_of_file: true,
                },
                UpdateChunk {
                    context: Some("ctx".to_string()),
                    old_lines: vec![],
                    new_lines: lines(&["d"]),
                    end_of_file: false,
                },
            ],
        }]),
    );
}

#[test]
fn tolerates_padding_and_heredoc_wrappers() {
    let expected = || {
        Ok(vec![Hunk::Add {
            path: PathBuf::from("a"),
            contents: "x\n".to_string(),
        }])
    };
    check(
        "  *** Begin Patch \n *** Add File: a\n+x\n*** End Patch  \n\n",
        expected(),
    );
    check(
        "<<'EOF'\n*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\nEOF\n",
        expected(),
    );
    check(
        "<<EOF\n*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\nEOF",
        expected(),
    );
    check("*** Begin Patch\n*** End Patch", Ok(vec![]));
}

#[test]
fn reports_errors_with_line_numbers() {
    check(
        "",
        Err("invalid patch: The first line of the patch must be '*** Begin Patch'"),
    );
    check(
        "*** Begin Patch\n*** Add File: a\n+x",
        Err("invalid patch: The last line of the patch must be '*** End Patch'"),
    );
    check(
        "*** Begin Patch\n*** Add File: a\n+x\nstray\n*** End Patch",
        Err(
            "invalid hunk at line 4, 'stray' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'",
        ),
    );
    check(
        "*** Begin Patch\n*** Delete File: d\n*** Update File: u.py\n*** End Patch",
        Err("invalid hunk at line 3, Update file hunk for path 'u.py' is empty"),
    );
    check(
        "*** Begin Patch\n*** Update File: u\n@@\n*** End Patch",
        Err("invalid hunk at line 4, Update hunk does not contain any lines"),
    );
    check(
        "*** Begin Patch\n*** Update File: u\n@@\n-a\n@@\n*** End of File\n*** End Patch",
        Err("invalid hunk at line 6, Update hunk does not contain any lines"),
    );
    check(
        "*** Begin Patch\n*** Update File: u\n@@\nbad\n*** End Patch",
        Err(
            "invalid hunk at line 4, Unexpected line found in update hunk: 'bad'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)",
        ),
    );
    assert_eq!(
        parse_patch("*** Begin Patch\nnope\n*** End Patch"),
        Err(ParseError::InvalidHunk {
            message: "'nope' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'".to_string(),
            line: 2,
        })
    );
}

#[test]
fn keeps_the_unwrapped_patch_text() {
    let patch =
        parse_patch("<<'EOF'\n*** Begin Patch\n*** Delete File: a\n*** End Patch\nEOF").unwrap();
    assert_eq!(
        patch.text,
        "*** Begin Patch\n*** Delete File: a\n*** End Patch"
    );
}
