//! Thread names: `$CODEX_HOME/session_index.jsonl`, one `{id, thread_name, updated_at}` line per
//! rename. The latest line for an id wins; torn or unreadable lines are skipped.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use codex_protocol::ThreadId;
use serde::Deserialize;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::RolloutError;
use crate::error::io;
use crate::writer::has_torn_tail;

pub(crate) const NAMES_FILE: &str = "session_index.jsonl";

#[derive(Serialize, Deserialize)]
struct NameLine {
    id: ThreadId,
    thread_name: String,
    updated_at: String,
}

/// Appends a name for a thread, in one `write` of a whole line.
pub(crate) fn append(codex_home: &Path, id: ThreadId, name: &str) -> Result<(), RolloutError> {
    let path = codex_home.join(NAMES_FILE);
    std::fs::create_dir_all(codex_home).map_err(io(codex_home))?;
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&path)
        .map_err(io(&path))?;
    let line = NameLine {
        id,
        thread_name: name.to_string(),
        updated_at: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
    };
    let mut bytes = Vec::new();
    // After a torn last line, start on a fresh line so this one stays readable.
    if has_torn_tail(&mut file, &path)? {
        bytes.push(b'\n');
    }
    serde_json::to_writer(&mut bytes, &line).map_err(RolloutError::Serialize)?;
    bytes.push(b'\n');
    file.write_all(&bytes).map_err(io(&path))?;
    file.sync_data().map_err(io(&path))
}

/// Every thread's latest name. A missing file means no names.
pub(crate) fn read_all(codex_home: &Path) -> Result<HashMap<ThreadId, String>, RolloutError> {
    let path = codex_home.join(NAMES_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(err) => return Err(io(&path)(err)),
    };
    let mut names = HashMap::new();
    for text in bytes.split(|byte| *byte == b'\n') {
        if let Ok(line) = serde_json::from_slice::<NameLine>(text) {
            names.insert(line.id, line.thread_name);
        }
    }
    Ok(names)
}
