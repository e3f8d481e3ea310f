//! Writes a thread's rollout in the background, so neither thread start nor the turn loop
//! waits on the disk or on git.
//!
//! A new thread's file path is known at once (it follows from the id and the start time); the
//! file itself is created by the recorder task once the git state is known (that is bounded by
//! `git_info`'s timeouts), with the lines recorded meanwhile queued in order behind it.

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
                tracing::error!("cannot create the rollout: {err}");
                err.to_string()
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
}

async fn drain(
    mut writer: Result<RolloutWriter, String>,
    mut rx: mpsc::UnboundedReceiver<Message>,
) {
    while let Some(message) = rx.recv().await {
        match message {
            Message::Items(items) => {
                let Ok(writer) = writer.as_mut() else {
                    continue;
                };
                for item in items {
                    // One line per write; a failure loses that line only, and is logged.
                    if let Err(err) = writer.append(item) {
                        tracing::error!("cannot append to {}: {err}", writer.path().display());
                    }
                }
            }
            Message::Flush(reply) => {
                let result = match writer.as_mut() {
                    Ok(writer) => writer.sync().map_err(|err| err.to_string()),
                    Err(err) => Err(err.clone()),
                };
                let _ = reply.send(result);
            }
        }
    }
}
