//! Writes a thread's rollout in the background, so neither thread start nor the turn loop
//! waits on the disk or on git.
//!
//! A new thread's file path is known at once (it follows from the id and the start time); the
//! file itself is created by the recorder task once the git state is known (that is bounded by
//! `git_info`'s timeouts), with the lines recorded meanwhile queued in order behind it.
//!
//! A line that cannot be written (a full disk, a read-only folder) is never lost in silence:
//! the task stops writing, so the rollout holds no gap in the middle of a turn, and keeps the
//! failure until the turn's end takes it ([`Recorder::take_failure`]) and reports it. Writing
//! resumes with the next turn. A rollout that could not be created fails every turn.

use std::path::PathBuf;

use codex_rollout::GitInfo;
use codex_rollout::RolloutItem;
use codex_rollout::RolloutStore;
use codex_rollout::RolloutWriter;
use codex_rollout::SessionMeta;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::sync::oneshot;

enum Message {
    Items(Vec<RolloutItem>),
    Flush(oneshot::Sender<Result<(), String>>),
    TakeFailure(oneshot::Sender<Option<String>>),
}

/// The handle of a thread's rollout writer task.
#[derive(Debug)]
pub(crate) struct Recorder {
    tx: mpsc::UnboundedSender<Message>,
    path: PathBuf,
}

impl Recorder {
    /// Starts the rollout of a new thread. `git` is awaited by the task, not here.
    pub(crate) fn create(
        store: RolloutStore,
        codex_home: &std::path::Path,
        mut meta: SessionMeta,
        start: OffsetDateTime,
        git: BoxFuture<'static, Option<GitInfo>>,
    ) -> Recorder {
        let path = codex_rollout::rollout_path(codex_home, meta.id, start);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            meta.git = git.await;
            let writer = store.create(meta, start).map_err(|err| {
                let err = with_causes(&err);
                tracing::error!("cannot create the rollout: {err}");
                err
            });
            drain(writer, rx).await;
        });
        Recorder { tx, path }
    }

    /// Appends to an existing rollout.
    pub(crate) fn resume(writer: RolloutWriter) -> Recorder {
        let path = writer.path().to_path_buf();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(drain(Ok(writer), rx));
        Recorder { tx, path }
    }

    pub(crate) fn path(&self) -> &PathBuf {
        &self.path
    }

    pub(crate) fn record(&self, items: Vec<RolloutItem>) {
        if self.tx.send(Message::Items(items)).is_err() {
            tracing::error!("the rollout writer of {} is gone", self.path.display());
        }
    }

    /// Waits until everything recorded so far is written and fsynced.
    pub(crate) async fn flush(&self) -> Result<(), String> {
        let (reply, done) = oneshot::channel();
        self.tx
            .send(Message::Flush(reply))
            .map_err(|_| "the rollout writer stopped".to_owned())?;
        done.await
            .map_err(|_| "the rollout writer stopped".to_owned())?
    }

    /// Waits until everything recorded so far is written and fsynced, and returns why it was
    /// not, if some line since the last call could not be written. Writing starts again after.
    pub(crate) async fn take_failure(&self) -> Option<String> {
        let (reply, done) = oneshot::channel();
        if self.tx.send(Message::TakeFailure(reply)).is_err() {
            return Some("the rollout writer stopped".to_owned());
        }
        done.await
            .unwrap_or_else(|_| Some("the rollout writer stopped".to_owned()))
    }
}

async fn drain(
    mut writer: Result<RolloutWriter, String>,
    mut rx: mpsc::UnboundedReceiver<Message>,
) {
    // The first write that failed since the failure was last taken.
    let mut failure: Option<String> = None;
    while let Some(message) = rx.recv().await {
        match message {
            Message::Items(items) => {
                let Ok(writer) = writer.as_mut() else {
                    continue;
                };
                if failure.is_some() {
                    continue;
                }
                for item in items {
                    if let Err(err) = writer.append(item) {
                        tracing::error!("cannot append to {}: {err}", writer.path().display());
                        failure = Some(with_causes(&err));
                        break;
                    }
                }
            }
            Message::Flush(reply) => {
                let _ = reply.send(sync(&mut writer, &mut failure));
            }
            Message::TakeFailure(reply) => {
                let result = sync(&mut writer, &mut failure);
                let _ = reply.send(failure.take().or(result.err()));
            }
        }
    }
}

/// Fsyncs what was written; a failure to is kept like a failed write.
fn sync(
    writer: &mut Result<RolloutWriter, String>,
    failure: &mut Option<String>,
) -> Result<(), String> {
    match writer.as_mut() {
        Ok(writer) => {
            if let Some(failure) = failure {
                return Err(failure.clone());
            }
            writer.sync().map_err(|err| {
                let err = with_causes(&err);
                *failure = Some(err.clone());
                err
            })
        }
        Err(err) => Err(err.clone()),
    }
}

/// An error and its causes, `what: why: why`, as a client is told.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(&format!(": {error}"));
        cause = error.source();
    }
    text
}
