//! A patch as the model writes it: parsed, planned against a small tree of files, and written,
//! in a fresh temporary folder each time.

#![no_main]

use std::path::Component;
use std::path::Path;

use codex_apply_patch::Hunk;
use codex_apply_patch::parse_patch;
use codex_apply_patch::plan_patch;

/// The tree every patch is applied to: files whose lines the seed patches' context matches.
const TREE: &[(&str, &str)] = &[
    ("hello.txt", "hello\nworld\n"),
    ("src/lib.rs", "fn main() {\n    println!(\"hi\");\n}\n"),
    ("notes.md", "# Notes\n\n- one\n- two\n\ttabbed \n"),
    ("empty", ""),
];

/// Whether `path` stays inside the folder it is resolved against. Patches naming other paths
/// are not applied: the fuzzer must not write (or read devices) outside its temporary folder.
fn stays_inside(path: &Path) -> bool {
    path.components()
        .all(|component| matches!(component, Component::Normal(_) | Component::CurDir))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(patch) = parse_patch(text) else {
        return;
    };
    let inside = patch.hunks.iter().all(|hunk| {
        stays_inside(hunk.path())
            && match hunk {
                Hunk::Update {
                    move_to: Some(to), ..
                } => stays_inside(to),
                Hunk::Update { move_to: None, .. } | Hunk::Add { .. } | Hunk::Delete { .. } => true,
            }
    });
    if !inside {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, content) in TREE {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a folder of the tree");
        }
        std::fs::write(&path, content).expect("a file of the tree");
    }
    let Ok(planned) = plan_patch(&patch, dir.path()) else {
        return;
    };
    // Writing may fail (a file where a folder is needed, say), but never panic.
    let _ = planned.commit();
});
