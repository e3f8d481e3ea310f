//! What the suite's tests share: a tool context whose events land in a channel, and calls.

use std::path::Path;
use std::sync::Arc;

use codex_protocol::ThreadId;
use codex_protocol::config_types::ModeKind;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SandboxPolicy;
use codex_tools::EventSink;
use codex_tools::NoMcpServers;
use codex_tools::ThreadToolState;
use codex_tools::ToolCall;
use codex_tools::ToolContext;
use codex_tools::ToolPayload;
use codex_tools::model_family::ModelFamily;
use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::mpsc;

/// Passes every event on, with the turn id it was sent for.
struct ChannelSink(mpsc::UnboundedSender<(String, EventMsg)>);

impl EventSink for ChannelSink {
    fn emit<'a>(&'a self, turn_id: &'a str, msg: EventMsg) -> BoxFuture<'a, ()> {
        self.0.send((turn_id.to_owned(), msg)).unwrap();
        Box::pin(async {})
    }
}

pub(crate) fn context(
    cwd: &Path,
    approval_policy: AskForApproval,
) -> (ToolContext, mpsc::UnboundedReceiver<(String, EventMsg)>) {
    let (events, received) = mpsc::unbounded_channel();
    let context = ToolContext {
        thread_id: ThreadId::new(),
        turn_id: "turn-1".to_owned(),
        cwd: cwd.to_path_buf(),
        approval_policy,
        sandbox_policy: SandboxPolicy::DangerFullAccess,
        collaboration_mode: ModeKind::Default,
        request_rule: true,
        dynamic_tools: Vec::new(),
        family: ModelFamily::find("gpt-5.1-codex"),
        mcp: Arc::new(NoMcpServers),
        mcp_tools: Arc::from([]),
        events: Arc::new(ChannelSink(events)),
        state: Arc::new(ThreadToolState::default()),
        turn_cancel: tokio_util::sync::CancellationToken::new(),
    };
    (context, received)
}

pub(crate) fn call(name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        call_id: "call-1".to_owned(),
        name: name.to_owned(),
        payload: ToolPayload::Function {
            arguments: arguments.to_string(),
        },
    }
}

/// The events emitted so far, with their turn ids.
pub(crate) fn drain(
    received: &mut mpsc::UnboundedReceiver<(String, EventMsg)>,
) -> Vec<(String, EventMsg)> {
    let mut events = Vec::new();
    while let Ok(event) = received.try_recv() {
        events.push(event);
    }
    events
}
