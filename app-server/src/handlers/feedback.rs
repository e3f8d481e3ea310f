//! `feedback/upload`: the user's report on a thread (or on none), kept on disk.
//!
//! The reference sends the report to its own error tracker, with its logs and the thread's
//! rollout attached. This server sends nothing over the network: the report goes whole to
//! `$CODEX_HOME/feedback/<time>-<threadId>.json` (with the rollout's text when logs are
//! included), where a person can read it or attach it to a bug report. It answers as the
//! reference does, with the thread id the report is filed under.

use std::path::Path;
use std::path::PathBuf;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v2;
use codex_protocol::ThreadId;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;
use crate::wire::thread::parse_thread_id;

/// The folder of feedback reports in `$CODEX_HOME`.
pub(crate) const FEEDBACK_DIR: &str = "feedback";

/// One report as written to disk.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    thread_id: String,
    classification: String,
    reason: Option<String>,
    include_logs: bool,
    created_at: String,
    client_version: &'static str,
    /// The thread's rollout file, when logs were included and it has one.
    rollout_path: Option<PathBuf>,
    /// That rollout's text.
    rollout: Option<String>,
}

pub(crate) async fn upload(context: RequestContext, params: v2::FeedbackUploadParams) {
    let result = file_report(&context.state, params).await;
    context.responder.respond(result).await;
}

async fn file_report(
    state: &ServerState,
    params: v2::FeedbackUploadParams,
) -> Result<v2::FeedbackUploadResponse, JSONRPCErrorError> {
    if !enabled(state).await? {
        return Err(error::invalid_request(
            "sending feedback is disabled by configuration",
        ));
    }
    let thread = params
        .thread_id
        .as_deref()
        .map(parse_thread_id)
        .transpose()?;
    let thread_id = match thread {
        Some(id) => id.to_string(),
        None => format!("no-active-thread-{}", uuid::Uuid::now_v7()),
    };
    let rollout_path = match thread {
        Some(id) if params.include_logs => rollout_of(state, id).await,
        _ => None,
    };
    let now = OffsetDateTime::now_utc();
    let report = Report {
        thread_id: thread_id.clone(),
        classification: params.classification,
        reason: params.reason,
        include_logs: params.include_logs,
        created_at: now.format(&Rfc3339).unwrap_or_default(),
        client_version: env!("CARGO_PKG_VERSION"),
        rollout_path,
        rollout: None,
    };
    let codex_home = state.config.service.paths().codex_home.to_path_buf();
    let file_name = format!("{}-{thread_id}.json", now.unix_timestamp_nanos());
    tokio::task::spawn_blocking(move || write_report(&codex_home, &file_name, report))
        .await
        .map_err(|err| error::internal_error(format!("failed to upload feedback: {err}")))?
        .map_err(|err| error::internal_error(format!("failed to upload feedback: {err}")))?;
    Ok(v2::FeedbackUploadResponse { thread_id })
}

/// Whether the config allows feedback; a config that cannot be read does not forbid it.
async fn enabled(state: &ServerState) -> Result<bool, JSONRPCErrorError> {
    let resolved = super::config::blocking(&state.config.service, |service| {
        service.load(None).resolve()
    })
    .await?;
    Ok(resolved
        .ok()
        .and_then(|resolved| resolved.config.feedback)
        .and_then(|feedback| feedback.enabled)
        .unwrap_or(true))
}

/// The rollout of thread `id`, after the loaded threads wrote what they hold.
async fn rollout_of(state: &ServerState, id: ThreadId) -> Option<PathBuf> {
    super::stored_thread::blocking(state, move |store| Ok(store.find(id).ok()))
        .await
        .ok()
        .flatten()
}

/// Writes the report (with its rollout's text read now) to the feedback folder, whole or not
/// at all.
fn write_report(codex_home: &Path, file_name: &str, mut report: Report) -> std::io::Result<()> {
    if let Some(path) = &report.rollout_path {
        report.rollout = std::fs::read_to_string(path).ok();
    }
    let text = serde_json::to_vec_pretty(&report).map_err(std::io::Error::other)?;
    let path = codex_home.join(FEEDBACK_DIR).join(file_name);
    codex_utils_private_file::write_private_file(&path, &text)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn a_report_lands_whole_in_the_feedback_folder() {
        let home = tempfile::tempdir().expect("temp dir");
        let rollout = home.path().join("rollout.jsonl");
        std::fs::write(&rollout, "{\"line\":1}\n").expect("write");
        let report = Report {
            thread_id: "t".to_owned(),
            classification: "bug".to_owned(),
            reason: Some("broken".to_owned()),
            include_logs: true,
            created_at: "2026-01-01T00:00:00Z".to_owned(),
            client_version: "0.0.0",
            rollout_path: Some(rollout),
            rollout: None,
        };
        write_report(home.path(), "1-t.json", report).expect("written");

        let text = std::fs::read_to_string(home.path().join(FEEDBACK_DIR).join("1-t.json"))
            .expect("the report");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value["classification"], "bug");
        assert_eq!(value["reason"], "broken");
        assert_eq!(value["rollout"], "{\"line\":1}\n");
    }
}
