//! Helpers: making threads and copying the reference's samples into a CODEX_HOME.

use std::path::Path;
use std::path::PathBuf;

use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SessionSource;
use codex_protocol::protocol::UserMessageEvent;
use codex_rollout::RolloutItem;
use codex_rollout::RolloutLine;
use codex_rollout::RolloutStore;
use codex_rollout::RolloutWriter;
use codex_rollout::SessionMeta;
use time::OffsetDateTime;

/// The reference's rollout samples.
pub fn samples() -> PathBuf {
    codex_test_support::reference_dir().join("rollouts")
}

pub fn meta(id: ThreadId, at: OffsetDateTime, provider: &str, cwd: &str) -> SessionMeta {
    SessionMeta {
        id,
        forked_from_id: None,
        timestamp: codex_rollout::format_timestamp(at),
        cwd: PathBuf::from(cwd),
        originator: "test".to_string(),
        cli_version: "0.101.0".to_string(),
        source: SessionSource::Vscode,
        model_provider: Some(provider.to_string()),
        base_instructions: None,
        dynamic_tools: None,
        git: None,
        extra: Default::default(),
    }
}

pub fn user_message(text: &str) -> RolloutItem {
    RolloutItem::EventMsg(EventMsg::UserMessage(UserMessageEvent {
        message: text.to_string(),
        images: Some(Vec::new()),
        local_images: Vec::new(),
        text_elements: Vec::new(),
    }))
}

/// A thread started at `at` (unix seconds) with one user message.
pub fn thread(
    store: &RolloutStore,
    at: i64,
    provider: &str,
    cwd: &str,
    text: &str,
) -> (ThreadId, RolloutWriter) {
    let at = OffsetDateTime::from_unix_timestamp(at).unwrap();
    let id = ThreadId::new();
    let mut writer = store.create(meta(id, at, provider, cwd), at).unwrap();
    writer.append(user_message(text)).unwrap();
    (id, writer)
}

/// Copies every reference sample rollout into `codex_home` under its proper name and place.
/// Returns the ids with their archived flag.
pub fn install_samples(codex_home: &Path) -> Vec<(ThreadId, bool)> {
    let mut installed = Vec::new();
    for entry in std::fs::read_dir(samples()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.ends_with(".jsonl") || name == "session_index.jsonl" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let first: RolloutLine = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let RolloutItem::SessionMeta(meta) = first.item else {
            panic!("{name} does not start with session_meta");
        };
        let (date, time) = meta.timestamp.split_once('T').unwrap();
        let stamp = format!("{date}T{}", time[..8].replace(':', "-"));
        let file = format!("rollout-{stamp}-{}.jsonl", meta.id);
        let archived = name == "archived.jsonl";
        let dir = if archived {
            codex_home.join("archived_sessions")
        } else {
            let mut parts = date.split('-');
            let (y, m, d) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            codex_home.join("sessions").join(y).join(m).join(d)
        };
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), text).unwrap();
        installed.push((meta.id, archived));
    }
    installed
}

/// Appends raw bytes to a file, as another program (or a crash) would.
pub fn append_raw(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

/// Writes a rollout with one user message straight to disk, as the reference would, without
/// telling any index. Returns its id and path.
pub fn write_rollout(home: &Path, at: i64, provider: &str, cwd: &str, text: &str) -> ThreadId {
    write_rollout_file(home, at, provider, cwd, Some(text)).0
}

/// Like [`write_rollout`]; without a user message when `text` is `None`.
pub fn write_rollout_file(
    home: &Path,
    at: i64,
    provider: &str,
    cwd: &str,
    text: Option<&str>,
) -> (ThreadId, PathBuf) {
    let at = OffsetDateTime::from_unix_timestamp(at).unwrap();
    let id = ThreadId::new();
    let stamp = codex_rollout::format_timestamp(at);
    let mut lines = vec![RolloutLine {
        timestamp: stamp.clone(),
        item: RolloutItem::SessionMeta(meta(id, at, provider, cwd)),
    }];
    if let Some(text) = text {
        lines.push(RolloutLine {
            timestamp: stamp,
            item: user_message(text),
        });
    }
    let mut body = String::new();
    for line in &lines {
        body.push_str(&serde_json::to_string(line).unwrap());
        body.push('\n');
    }
    let path = codex_rollout::rollout_path(home, id, at);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, body).unwrap();
    (id, path)
}
