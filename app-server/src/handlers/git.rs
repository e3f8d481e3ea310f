//! `gitDiffToRemote` (v1): the diff of a folder's working tree against the nearest commit a
//! remote has (`codex_core::git_diff`).

use std::path::PathBuf;

use codex_app_server_protocol::v1 as wire_v1;

use crate::error;
use crate::responder::RequestContext;

pub(crate) async fn diff_to_remote(
    context: RequestContext,
    params: wire_v1::GitDiffToRemoteParams,
) {
    // A relative cwd is taken from the server's, as git itself would.
    let cwd = context.state.config.cwd.as_path().join(&params.cwd);
    let RequestContext { responder, .. } = context;
    // git may take a while on a large repository; the connection goes on meanwhile.
    tokio::spawn(async move {
        let result = match codex_core::git_diff::git_diff_to_remote(&cwd).await {
            Some(found) => Ok(wire_v1::GitDiffToRemoteResponse {
                sha: wire_v1::GitSha(found.sha),
                diff: found.diff,
            }),
            None => Err(error::invalid_request(format!(
                "failed to compute git diff to remote for cwd: {:?}",
                PathBuf::from(&params.cwd)
            ))),
        };
        responder.respond(result).await;
    });
}
