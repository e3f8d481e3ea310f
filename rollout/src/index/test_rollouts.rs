//! Rollouts as another program (the reference) writes them, for the index's tests.

use std::path::Path;
use std::path::PathBuf;

/// Writes the rollout of thread `n` (an id made from it), named by `at` (unix seconds), from
/// the CLI, with a user message unless `message` is `None`. Returns its id and path.
pub(super) fn write(
    home: &Path,
    at: i64,
    n: u32,
    provider: &str,
    message: Option<&str>,
) -> (String, PathBuf) {
    let start = time::OffsetDateTime::from_unix_timestamp(at).unwrap();
    let id = format!("01a20b3d-9c0b-7013-ad7f-{n:012x}");
    let path = crate::paths::rollout_path(home, id.parse().unwrap(), start);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let stamp = crate::writer::format_timestamp(start);
    let mut text = format!(
        r#"{{"timestamp":"{stamp}","type":"session_meta","payload":{{"id":"{id}","timestamp":"{stamp}","cwd":"/w","originator":"t","cli_version":"0.101.0","source":"cli","model_provider":"{provider}"}}}}"#
    );
    text.push('\n');
    if let Some(message) = message {
        text.push_str(&format!(
            r#"{{"timestamp":"{stamp}","type":"event_msg","payload":{{"type":"user_message","message":"{message}","images":[]}}}}"#
        ));
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    (id, path)
}
