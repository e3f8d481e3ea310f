//! A running (or finished) command as the tools hold it: its input, the output not yet read,
//! its exit, and killing its process group ([`KillGuard`] does so when the call that owns it is
//! dropped).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;

use codex_utils_lock::lock;
use tokio::io::AsyncWrite;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use tokio::sync::watch;

/// Output not yet handed to the model, and all output for the end event.
#[derive(Default)]
pub(crate) struct Output {
    pub(crate) unread: Vec<u8>,
    pub(crate) aggregated: Vec<u8>,
}

/// A running (or finished) command.
pub(crate) struct Process {
    pub(crate) pid: Option<i32>,
    pub(crate) stdin: tokio::sync::Mutex<Option<Box<dyn AsyncWrite + Send + Unpin>>>,
    pub(crate) output: Mutex<Output>,
    pub(crate) output_ready: Notify,
    /// `Some(code)` once the process exited and its output was read.
    pub(crate) exit: watch::Receiver<Option<i32>>,
    /// Set when the thread's background terminals were cleaned: its end then reports exit
    /// code -1, as the reference reports a terminated session.
    pub(crate) terminated: AtomicBool,
}

impl Process {
    /// Takes the output not handed out yet.
    pub(crate) fn take_unread(&self) -> Vec<u8> {
        std::mem::take(&mut lock(&self.output).unread)
    }

    pub(crate) fn exit_code(&self) -> Option<i32> {
        *self.exit.borrow()
    }

    /// Waits until the process exits or `deadline` passes; returns the exit code if it exited.
    pub(crate) async fn wait_until(&self, deadline: tokio::time::Instant) -> Option<i32> {
        let mut exit = self.exit.clone();
        let exited = tokio::time::timeout_at(deadline, exit.wait_for(Option::is_some)).await;
        match exited {
            Ok(Ok(code)) => *code,
            Ok(Err(_)) | Err(_) => self.exit_code(),
        }
    }

    /// Writes to the process's input.
    pub(crate) async fn write(&self, chars: &str) -> std::io::Result<()> {
        let mut stdin = self.stdin.lock().await;
        match stdin.as_mut() {
            Some(stdin) => {
                stdin.write_all(chars.as_bytes()).await?;
                stdin.flush().await
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the process's input is closed",
            )),
        }
    }

    /// Kills the process and its group, reporting it as terminated rather than by the signal.
    pub(crate) fn terminate(&self) {
        self.terminated.store(true, Ordering::SeqCst);
        self.kill();
    }

    /// Kills the process and everything in its group.
    pub(crate) fn kill(&self) {
        if let Some(pid) = self.pid
            && self.exit_code().is_none()
        {
            kill_group(pid);
        }
    }
}

pub(crate) fn kill_group(pid: i32) {
    use nix::sys::signal::Signal;
    use nix::sys::signal::killpg;
    use nix::unistd::Pid;
    // ESRCH (already gone) is the common case after a normal exit; nothing to do then.
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
}

/// Kills a process when dropped, unless disarmed.
pub(crate) struct KillGuard(Option<Arc<Process>>);

impl KillGuard {
    pub(crate) fn new(process: Arc<Process>) -> KillGuard {
        KillGuard(Some(process))
    }

    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for KillGuard {
    fn drop(&mut self) {
        if let Some(process) = self.0.take() {
            process.kill();
        }
    }
}
