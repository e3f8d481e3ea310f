//! The one error type of the crate.

use std::path::PathBuf;

use codex_protocol::ThreadId;

/// What can go wrong reading or writing rollouts. Torn lines and a broken index are not errors:
/// the first are skipped and counted, the second is rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("no rollout for thread {0}")]
    ThreadNotFound(ThreadId),
    #[error("rollout {} does not exist", .0.display())]
    FileNotFound(PathBuf),
    #[error("rollout {} has no session_meta line", .0.display())]
    NoSessionMeta(PathBuf),
    #[error("a rollout for thread {0} already exists")]
    AlreadyExists(ThreadId),
    #[error("invalid list cursor {0:?}")]
    InvalidCursor(String),
    #[error("i/o error on {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not serialise a rollout line")]
    Serialize(#[source] serde_json::Error),
    #[error("thread index error")]
    Index(#[source] rusqlite::Error),
}

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> RolloutError {
    let path = path.into();
    move |source| RolloutError::Io { path, source }
}
