//! Approvals asked of the host: the core's exec and patch approval requests become
//! `elicitation/create` requests with the reference's params, and the host's answer becomes a
//! review decision.
//!
//! Hosts answer in one of two shapes: the reference's `{"decision": ...}` or the MCP
//! specification's `{"action": ...}`. Anything else, an error, or no answer within the
//! configured time counts as denied, so a turn never waits forever on a host that cannot ask
//! its user.

use std::time::Duration;

use codex_protocol::approvals::ApplyPatchApprovalRequestEvent;
use codex_protocol::approvals::ExecApprovalRequestEvent;
use codex_protocol::protocol::ReviewDecision;
use rmcp::RoleServer;
use rmcp::model::CancelledNotification;
use rmcp::model::CancelledNotificationParam;
use rmcp::model::ClientResult;
use rmcp::model::CustomRequest;
use rmcp::model::ServerNotification;
use rmcp::model::ServerRequest;
use rmcp::service::Peer;
use rmcp::service::PeerRequestOptions;
use rmcp::service::ServiceError;
use serde_json::Value;
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// How long an approval waits for the host when the config does not say.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// What identifies an approval to the host besides its own params.
pub(crate) struct Origin<'a> {
    pub thread_id: &'a str,
    /// The `tools/call` request id, as a string.
    pub tool_call_id: &'a str,
    /// The id of the event that asked (the turn's id).
    pub event_id: &'a str,
}

/// The params of the elicitation that asks to run a command.
pub(crate) fn exec_params(origin: &Origin<'_>, request: &ExecApprovalRequestEvent) -> Value {
    let command = shlex::try_join(request.command.iter().map(String::as_str))
        .unwrap_or_else(|_| request.command.join(" "));
    json!({
        "message": format!("Allow Codex to run `{command}` in `{}`?", request.cwd),
        "requestedSchema": {"type": "object", "properties": {}},
        "threadId": origin.thread_id,
        "codex_elicitation": "exec-approval",
        "codex_mcp_tool_call_id": origin.tool_call_id,
        "codex_event_id": origin.event_id,
        "codex_call_id": request.call_id,
        "codex_command": request.command,
        "codex_cwd": request.cwd,
        "codex_parsed_cmd": request.parsed_cmd,
    })
}

/// The params of the elicitation that asks to apply a patch.
pub(crate) fn patch_params(origin: &Origin<'_>, request: &ApplyPatchApprovalRequestEvent) -> Value {
    let question = "Allow Codex to apply proposed code changes?";
    let message = match &request.reason {
        Some(reason) => format!("{reason}\n{question}"),
        None => question.to_owned(),
    };
    let mut params = json!({
        "message": message,
        "requestedSchema": {"type": "object", "properties": {}},
        "threadId": origin.thread_id,
        "codex_elicitation": "patch-approval",
        "codex_mcp_tool_call_id": origin.tool_call_id,
        "codex_event_id": origin.event_id,
        "codex_call_id": request.call_id,
        "codex_changes": request.changes,
    });
    if let Some(reason) = &request.reason {
        params["codex_reason"] = json!(reason);
    }
    if let Some(root) = &request.grant_root {
        params["codex_grant_root"] = json!(root);
    }
    params
}

/// The decision a host's answer means; `None` when it is in neither known shape.
pub(crate) fn decision(answer: &Value) -> Option<ReviewDecision> {
    if let Some(decision) = answer.get("decision").and_then(Value::as_str) {
        return match decision {
            "approved" => Some(ReviewDecision::Approved),
            "approved_for_session" => Some(ReviewDecision::ApprovedForSession),
            "denied" => Some(ReviewDecision::Denied),
            "abort" => Some(ReviewDecision::Abort),
            _ => None,
        };
    }
    match answer.get("action").and_then(Value::as_str)? {
        "accept" => Some(ReviewDecision::Approved),
        "decline" => Some(ReviewDecision::Denied),
        "cancel" => Some(ReviewDecision::Abort),
        _ => None,
    }
}

/// Asks the host with `params` and waits at most `timeout` for its answer. `None` when
/// `stop` fires first (the call ended); the request is then withdrawn.
pub(crate) async fn ask(
    peer: &Peer<RoleServer>,
    params: Value,
    timeout: Duration,
    stop: &CancellationToken,
) -> Option<ReviewDecision> {
    let request =
        ServerRequest::CustomRequest(CustomRequest::new("elicitation/create", Some(params)));
    let mut options = PeerRequestOptions::no_options();
    options.timeout = Some(timeout);
    let handle = match peer.send_cancellable_request(request, options).await {
        Ok(handle) => handle,
        Err(err) => {
            tracing::warn!("cannot ask the host for approval, denying: {err}");
            return Some(ReviewDecision::Denied);
        }
    };
    let id = handle.id.clone();
    let answer = tokio::select! {
        answer = handle.await_response() => answer,
        () = stop.cancelled() => {
            let withdrawn = CancelledNotification::new(CancelledNotificationParam::new(
                Some(id),
                Some("the tool call ended".to_owned()),
            ));
            if let Err(err) = peer
                .send_notification(ServerNotification::CancelledNotification(withdrawn))
                .await
            {
                tracing::debug!("cannot withdraw an approval request: {err}");
            }
            return None;
        }
    };
    let decision = match answer {
        Ok(result) => {
            let answer = answer_value(result);
            decision(&answer).unwrap_or_else(|| {
                tracing::warn!("the host's approval answer is not understood, denying: {answer}");
                ReviewDecision::Denied
            })
        }
        Err(ServiceError::Timeout { timeout }) => {
            tracing::warn!(
                "no approval from the host in {} s, denying",
                timeout.as_secs_f64()
            );
            ReviewDecision::Denied
        }
        Err(err) => {
            tracing::warn!("the host did not approve, denying: {err}");
            ReviewDecision::Denied
        }
    };
    Some(decision)
}

/// The host's answer as JSON, whichever type rmcp parsed it into.
fn answer_value(result: ClientResult) -> Value {
    match result {
        ClientResult::CustomResult(custom) => custom.0,
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use codex_protocol::approvals::FileChange;
    use codex_protocol::parse_command::ParsedCommand;
    use pretty_assertions::assert_eq;

    use super::*;

    const ORIGIN: Origin<'static> = Origin {
        thread_id: "t-1",
        tool_call_id: "2",
        event_id: "2",
    };

    #[test]
    fn exec_params_are_the_reference_params() {
        let request = ExecApprovalRequestEvent {
            call_id: "call_1".into(),
            turn_id: "2".into(),
            command: vec!["/bin/bash".into(), "-lc".into(), "touch made.txt".into()],
            cwd: "/w".into(),
            reason: Some("need it".into()),
            proposed_execpolicy_amendment: None,
            parsed_cmd: vec![ParsedCommand::Unknown {
                cmd: "touch made.txt".into(),
            }],
        };
        assert_eq!(
            exec_params(&ORIGIN, &request),
            json!({
                "message": "Allow Codex to run `/bin/bash -lc 'touch made.txt'` in `/w`?",
                "requestedSchema": {"type": "object", "properties": {}},
                "threadId": "t-1",
                "codex_elicitation": "exec-approval",
                "codex_mcp_tool_call_id": "2",
                "codex_event_id": "2",
                "codex_call_id": "call_1",
                "codex_command": ["/bin/bash", "-lc", "touch made.txt"],
                "codex_cwd": "/w",
                "codex_parsed_cmd": [{"type": "unknown", "cmd": "touch made.txt"}],
            })
        );
    }

    #[test]
    fn patch_params_carry_the_reason_only_when_there_is_one() {
        let changes = BTreeMap::from([(
            "/w/new.txt".to_owned(),
            FileChange::Add {
                content: "hi\n".into(),
            },
        )]);
        let mut request = ApplyPatchApprovalRequestEvent {
            call_id: "call_p".into(),
            turn_id: "2".into(),
            changes,
            reason: None,
            grant_root: None,
        };
        let plain = patch_params(&ORIGIN, &request);
        assert_eq!(
            plain["message"],
            "Allow Codex to apply proposed code changes?"
        );
        assert_eq!(
            plain["codex_changes"],
            json!({"/w/new.txt": {"type": "add", "content": "hi\n"}})
        );
        assert_eq!(plain.get("codex_reason"), None);
        request.reason = Some("outside the workspace".into());
        request.grant_root = Some("/w".into());
        let reasoned = patch_params(&ORIGIN, &request);
        assert_eq!(
            reasoned["message"],
            "outside the workspace\nAllow Codex to apply proposed code changes?"
        );
        assert_eq!(reasoned["codex_reason"], "outside the workspace");
        assert_eq!(reasoned["codex_grant_root"], "/w");
    }

    #[test]
    fn both_answer_shapes_are_understood() {
        let cases = [
            (
                json!({"decision": "approved"}),
                Some(ReviewDecision::Approved),
            ),
            (
                json!({"decision": "approved_for_session"}),
                Some(ReviewDecision::ApprovedForSession),
            ),
            (json!({"decision": "denied"}), Some(ReviewDecision::Denied)),
            (json!({"decision": "abort"}), Some(ReviewDecision::Abort)),
            (json!({"action": "accept"}), Some(ReviewDecision::Approved)),
            (
                json!({"action": "accept", "content": {}}),
                Some(ReviewDecision::Approved),
            ),
            (json!({"action": "decline"}), Some(ReviewDecision::Denied)),
            (json!({"action": "cancel"}), Some(ReviewDecision::Abort)),
            (json!({"decision": "yes"}), None),
            (json!({}), None),
        ];
        for (answer, expected) in cases {
            assert_eq!(decision(&answer), expected, "{answer}");
        }
    }
}
