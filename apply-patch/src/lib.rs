//! The patch format the model writes to edit files, and everything the agent needs to apply it.
//!
//! ```text
//! *** Begin Patch
//! *** Add File: notes/hello.txt
//! +Hello
//! *** Update File: src/lib.rs
//! *** Move to: src/main.rs
//! @@ fn main()
//!  unchanged context
//! -removed
//! +added
//! *** Delete File: old.txt
//! *** End Patch
//! ```
//!
//! - [`parse_patch`] turns the text into [`Hunk`]s, with line numbers in its errors.
//! - [`plan_patch`] computes every file's new content and the per-file [`FileChange`]s (for
//!   approval requests and `fileChange` items) without writing anything; a patch that fails on
//!   any hunk changes nothing. [`PlannedPatch::commit`] writes each file atomically.
//! - [`parse_patch_command`] recognises a patch inside a shell command (`apply_patch <<'EOF'`).
//! - [`tool`] is how the tool is offered to the model; [`diff`] renders unified and git diffs.
//!
//! ```
//! use codex_apply_patch::apply_patch;
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("greeting.txt"), "hello\nworld\n").unwrap();
//! let applied = apply_patch(
//!     "*** Begin Patch\n*** Update File: greeting.txt\n@@\n hello\n-world\n+there\n*** End Patch",
//!     dir.path(),
//! )
//! .unwrap();
//! assert_eq!(applied.summary, "Success. Updated the following files:\nM greeting.txt\n");
//! assert_eq!(
//!     std::fs::read_to_string(dir.path().join("greeting.txt")).unwrap(),
//!     "hello\nthere\n",
//! );
//! ```

mod apply;
pub mod diff;
mod invocation;
mod parser;
mod seek;
pub mod tool;

pub use apply::Applied;
pub use apply::ApplyError;
pub use apply::ChangeKind;
pub use apply::FileChange;
pub use apply::PlannedPatch;
pub use apply::apply_patch;
pub use apply::plan_patch;
pub use invocation::PatchCommand;
pub use invocation::parse_patch_command;
pub use parser::Hunk;
pub use parser::ParseError;
pub use parser::Patch;
pub use parser::UpdateChunk;
pub use parser::parse_patch;
