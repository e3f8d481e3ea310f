//! The `--log` file: one JSON object per line for each notable thing the server saw, so a test
//! can assert on what reached the server (the handshake, tool calls, cancellations, headers,
//! tokens) without a side channel.

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;

use serde_json::Value;

/// Appends events to the log file, or drops them when no `--log` was given. Cheap to clone; the
/// clones share the file.
#[derive(Clone, Default)]
pub struct EventLog {
    file: Option<Arc<Mutex<File>>>,
}

impl EventLog {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Some(Arc::new(Mutex::new(file))),
        })
    }

    /// Writes `event` as one line. The line goes out in a single unbuffered write, so a test
    /// reading the file sees whole lines as soon as the server has acted on them.
    pub fn record(&self, event: Value) {
        let Some(file) = &self.file else {
            return;
        };
        let mut line = event.to_string();
        line.push('\n');
        // A poisoned lock only means another writer panicked; the file itself is still usable.
        let mut file = file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Losing a log line must not take the server down: the test that reads it will fail
        // on the missing line and say what it expected.
        let _ = file.write_all(line.as_bytes());
    }
}
