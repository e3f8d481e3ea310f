//! When the server stops: on SIGTERM or SIGINT, and when the process that started it dies, so
//! no server is left running without anyone to talk to.

use std::time::Duration;

use tokio::signal::unix::SignalKind;
use tokio::signal::unix::signal;
use tokio_util::sync::CancellationToken;

/// How often the parent process is checked for. Cheap: one `getppid`.
const PARENT_CHECK: Duration = Duration::from_millis(500);

/// Cancels `shutdown` on a termination signal or when our parent process exits.
pub(crate) fn watch(shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let token = shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down"),
            _ = interrupt.recv() => tracing::info!("SIGINT received; shutting down"),
            () = token.cancelled() => {}
        }
        token.cancel();
    });
    tokio::spawn(watch_parent(shutdown));
    Ok(())
}

/// An orphan is re-parented (to init or a subreaper), so a change of parent id means the
/// parent died. A server started directly by init has no parent to outlive.
async fn watch_parent(shutdown: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    if parent <= 1 {
        return;
    }
    let mut ticks = tokio::time::interval(PARENT_CHECK);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => return,
        }
        if std::os::unix::process::parent_id() != parent {
            tracing::info!("parent process {parent} exited; shutting down");
            shutdown.cancel();
            return;
        }
    }
}
