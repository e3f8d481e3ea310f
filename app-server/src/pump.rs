//! The event pump: one task per loaded thread that turns the core's events into the
//! notifications of the connections following the thread.
//!
//! v2 notifications come from the thread's `ThreadEventMapper`; the legacy `codex/event/*`
//! stream goes, as the core spelled it, to v1 listeners only, except for the events that have
//! no v2 spelling (MCP server startup, elicitation requests), which every follower of the
//! thread gets, as from the reference. The pump ends when the thread shuts down and its event
//! stream closes.

use std::borrow::Cow;
use std::sync::Arc;

use codex_app_server_protocol::ServerNotification;
use codex_core::thread::Event;
use codex_core::thread::EventStream;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;

use crate::approvals;
use crate::approvals::Approval;
use crate::client_tools;
use crate::client_tools::ClientCall;
use crate::codec;
use crate::event_mapper::ThreadEventMapper;
use crate::outbound::Frame;
use crate::registry::ActivityChange;
use crate::registry::Notice;
use crate::state::ServerState;
use crate::state::ThreadGate;

mod deltas;

/// How many waiting events the pump takes at once: a streaming answer's deltas then cost one
/// wake-up of the pump, one pass over the followers and one push into each connection's queue
/// per batch rather than per event, while a batch stays small next to a connection's queue.
const EVENT_BATCH: usize = 64;

pub(crate) fn spawn(
    state: Arc<ServerState>,
    id: ThreadId,
    gate: Arc<ThreadGate>,
    mut events: EventStream,
) {
    let journal = state.registry.open_journal(id);
    tokio::spawn(async move {
        let mut mapper = ThreadEventMapper::new(id);
        let mut outgoing = Outgoing::new(id);
        let mut batch = Vec::with_capacity(EVENT_BATCH);
        while events.recv_many(&mut batch, EVENT_BATCH).await > 0 {
            state.registry.wait_for_room(id).await;
            deliver(&state, id, &gate, &mut mapper, &mut outgoing, &batch).await;
            batch.clear();
        }
        state.threads.remove_gate(id);
        state.registry.close_journal(id, &journal);
        tracing::debug!(thread = %id, "thread events ended");
    });
}

/// Sends events of thread `id` where they go, in order: their notifications to the thread's
/// followers, their requests to the tasks that ask the client.
async fn deliver(
    state: &Arc<ServerState>,
    id: ThreadId,
    gate: &Arc<ThreadGate>,
    mapper: &mut ThreadEventMapper,
    outgoing: &mut Outgoing,
    events: &[Event],
) {
    // Waits while a request that started something has not answered yet.
    let mut held = gate.hold().await;
    for event in events {
        if outgoing.delta(event) {
            continue;
        }
        for notification in mapper.map(&event.msg) {
            let activity = match &notification {
                ServerNotification::TurnStarted(started) => {
                    if held.compactions.contains(&started.turn.id) {
                        continue;
                    }
                    Some(ActivityChange::TurnStarted)
                }
                ServerNotification::TurnCompleted(_) => {
                    // The turn's work is done and freed; what it kept for reuse goes back
                    // before the client hears the turn ended.
                    (state.release_memory)();
                    Some(ActivityChange::TurnEnded)
                }
                _ => None,
            };
            outgoing.v2(&notification);
            if let Some(change) = activity {
                // `thread/status/changed` follows the notification that changed the status.
                outgoing.flush(state, id);
                state.registry.thread_activity(id, change);
            }
        }
        if matches!(
            event.msg,
            EventMsg::TaskComplete(_) | EventMsg::TurnAborted(_)
        ) {
            held.compactions.remove(&event.id);
        }
        // After the notifications: a patch's item starts before its approval request.
        let approval = match &event.msg {
            EventMsg::ExecApprovalRequest(request) => Some(Approval::Exec(request.clone())),
            EventMsg::ApplyPatchApprovalRequest(request) => Some(Approval::Patch(request.clone())),
            _ => None,
        };
        if let Some(approval) = approval {
            outgoing.flush(state, id);
            approvals::spawn(Arc::clone(state), id, Arc::clone(gate), approval);
        }
        let client_call = match &event.msg {
            EventMsg::DynamicToolCallRequest(request) => Some(ClientCall::Dynamic(request.clone())),
            EventMsg::RequestUserInput(request) => Some(ClientCall::UserInput(request.clone())),
            _ => None,
        };
        if let Some(call) = client_call {
            outgoing.flush(state, id);
            client_tools::spawn(Arc::clone(state), id, Arc::clone(gate), call);
        }
        // The `codex/event/*` copy follows the event's v2 notifications. (The reference sends
        // it first, but for `task_started`; clients and tests here rely on this order.)
        outgoing.legacy(event);
    }
    outgoing.flush(state, id);
}

/// The notifications of a batch of events, serialised once each, waiting to be fanned out
/// together.
struct Outgoing {
    notices: Vec<Notice>,
    /// The thread id as a JSON string, for the legacy frames' `conversationId`.
    conversation_id: String,
    /// Reused for serialising, so a frame costs one allocation: its own.
    scratch: Vec<u8>,
    /// The event, in the legacy frame, before the frame is assembled around it.
    msg: Vec<u8>,
    deltas: deltas::DeltaFrames,
}

impl Outgoing {
    fn new(thread: ThreadId) -> Self {
        Self {
            notices: Vec::new(),
            // A thread id is a UUID: nothing in it needs escaping.
            conversation_id: format!("\"{thread}\""),
            deltas: deltas::DeltaFrames::default(),
            scratch: Vec::new(),
            msg: Vec::new(),
        }
    }

    /// Queues the notifications of a streamed answer's delta, the commonest event by far, as
    /// the mapper and [`Outgoing::v2`] and [`Outgoing::legacy`] would (see [`deltas`]).
    /// Returns `false`, queueing nothing, for any other event.
    fn delta(&mut self, event: &Event) -> bool {
        match &event.msg {
            EventMsg::AgentMessageContentDelta(delta) => {
                let (v2, copy) = self.deltas.content(&event.id, delta, &self.conversation_id);
                self.push_plain(deltas::V2_METHOD, v2);
                self.push_plain(deltas::CONTENT_METHOD, copy);
            }
            EventMsg::AgentMessageDelta(delta) => {
                let copy = self
                    .deltas
                    .legacy(&event.id, &delta.delta, &self.conversation_id);
                self.push_plain(deltas::LEGACY_METHOD, copy);
            }
            _ => return false,
        }
        true
    }

    /// Queues a frame of a method every client hears.
    fn push_plain(&mut self, method: &'static str, frame: Frame) {
        self.notices.push(Notice {
            method: Cow::Borrowed(method),
            frame,
            experimental: false,
        });
    }

    fn v2(&mut self, notification: &ServerNotification) {
        self.scratch.clear();
        let frame = match serde_json::to_writer(&mut self.scratch, notification) {
            Ok(()) => frame_of(&self.scratch),
            Err(_) => None,
        }
        // The codec answers a message that cannot be serialised with a well-formed error.
        .unwrap_or_else(|| codec::message(notification));
        let method = notification.method();
        self.notices.push(Notice {
            method: Cow::Borrowed(method),
            frame,
            experimental: ServerNotification::is_experimental_method(method),
        });
    }

    /// Queues the v1 shape of an event: `codex/event/<type>` with the turn id, the event and
    /// the thread.
    fn legacy(&mut self, event: &Event) {
        match self.legacy_frame(event) {
            Some((method, frame)) => self.notices.push(Notice {
                method: Cow::Owned(method),
                frame,
                experimental: false,
            }),
            None => tracing::warn!("cannot serialise a legacy event"),
        }
    }

    /// The frame is written around the serialised event, whose first member is its `type`:
    /// building a `Value` to read the type, then serialising again, cost more than the rest.
    fn legacy_frame(&mut self, event: &Event) -> Option<(String, Frame)> {
        self.msg.clear();
        serde_json::to_writer(&mut self.msg, &event.msg).ok()?;
        let kind = match type_tag(&self.msg) {
            Some(kind) => Cow::Borrowed(kind),
            None => Cow::Owned(type_from_value(&event.msg)?),
        };
        let method = format!("codex/event/{kind}");
        self.scratch.clear();
        self.scratch.extend_from_slice(br#"{"method":""#);
        self.scratch.extend_from_slice(method.as_bytes());
        self.scratch.extend_from_slice(br#"","params":{"id":"#);
        serde_json::to_writer(&mut self.scratch, &event.id).ok()?;
        self.scratch.extend_from_slice(br#","msg":"#);
        self.scratch.extend_from_slice(&self.msg);
        self.scratch.extend_from_slice(br#","conversationId":"#);
        self.scratch
            .extend_from_slice(self.conversation_id.as_bytes());
        self.scratch.extend_from_slice(b"}}");
        Some((method, frame_of(&self.scratch)?))
    }

    /// Sends what is queued to the thread's followers.
    fn flush(&mut self, state: &ServerState, id: ThreadId) {
        state.registry.notify_thread_all(id, &self.notices);
        self.notices.clear();
    }
}

fn frame_of(bytes: &[u8]) -> Option<Frame> {
    std::str::from_utf8(bytes).ok().map(Frame::from)
}

/// The `type` of a serialised event, when it is the first member and a plain name, as serde
/// writes an internally tagged enum.
fn type_tag(msg: &[u8]) -> Option<&str> {
    let rest = msg.strip_prefix(br#"{"type":""#)?;
    let end = rest.iter().position(|&byte| byte == b'"')?;
    let kind = std::str::from_utf8(&rest[..end]).ok()?;
    kind.bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        .then_some(kind)
}

/// The `type` of an event, the slow way.
fn type_from_value(msg: &EventMsg) -> Option<String> {
    let value = serde_json::to_value(msg).ok()?;
    Some(
        value
            .get("type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown")
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use codex_protocol::approvals::ElicitationRequestEvent;
    use codex_protocol::mcp::CallToolResult;
    use codex_protocol::mcp::RequestId;
    use codex_protocol::protocol::McpInvocation;
    use codex_protocol::protocol::McpStartupCompleteEvent;
    use codex_protocol::protocol::McpStartupFailure;
    use codex_protocol::protocol::McpStartupStatus;
    use codex_protocol::protocol::McpStartupUpdateEvent;
    use codex_protocol::protocol::McpToolCallBeginEvent;
    use codex_protocol::protocol::McpToolCallEndEvent;
    use codex_protocol::protocol::TurnStartedEvent;
    use pretty_assertions::assert_eq;
    use serde_json::Value;
    use serde_json::json;

    use super::*;
    use crate::connection::Connection;
    use crate::registry::tests::handshake;

    /// Delivers one event, as a batch of its own.
    async fn deliver_one(
        state: &Arc<ServerState>,
        thread: ThreadId,
        gate: &Arc<ThreadGate>,
        mapper: &mut ThreadEventMapper,
        event: &Event,
    ) {
        let mut outgoing = Outgoing::new(thread);
        deliver(
            state,
            thread,
            gate,
            mapper,
            &mut outgoing,
            std::slice::from_ref(event),
        )
        .await;
    }

    fn initialized(state: &ServerState) -> Arc<Connection> {
        let connection = state.registry.open(crate::outbound::SlowReader::Disconnect);
        handshake(&connection);
        connection
    }

    /// Closes the connection's queue and returns what it was sent.
    async fn sent(connection: &Connection) -> Vec<Value> {
        connection.outbound.close();
        let mut batch = Vec::new();
        while connection.outbound.next_batch(&mut batch).await {}
        batch
            .iter()
            .map(|frame| serde_json::from_str(frame).unwrap())
            .collect()
    }

    fn test_state(root: &std::path::Path) -> Arc<ServerState> {
        Arc::new(ServerState::new(root))
    }

    #[tokio::test]
    async fn every_follower_hears_both_streams_and_strangers_nothing() {
        let root = tempfile::tempdir().unwrap();
        let state = test_state(root.path());
        let (v1, v2, stranger) = (
            initialized(&state),
            initialized(&state),
            initialized(&state),
        );
        let thread = ThreadId::new();
        state.registry.listen_legacy(v1.id, thread);
        state.registry.subscribe(v2.id, thread);
        let gate = Arc::new(ThreadGate::default());
        let mut mapper = ThreadEventMapper::new(thread);

        let update = EventMsg::McpStartupUpdate(McpStartupUpdateEvent {
            server: "broken".into(),
            status: McpStartupStatus::Failed {
                error: "MCP client for `broken` failed to start: MCP startup failed: No such file or directory (os error 2)".into(),
            },
        });
        let complete = EventMsg::McpStartupComplete(McpStartupCompleteEvent {
            ready: vec!["stub".into()],
            failed: vec![McpStartupFailure {
                server: "broken".into(),
                error: "No such file or directory (os error 2)".into(),
            }],
            cancelled: Vec::new(),
        });
        let started = EventMsg::TaskStarted(TurnStartedEvent {
            turn_id: "turn-1".into(),
            model_context_window: None,
            collaboration_mode_kind: Default::default(),
        });
        // As the reference sends a server's `elicitation/create`.
        let elicitation = EventMsg::ElicitationRequest(ElicitationRequestEvent {
            server_name: "stub".into(),
            id: RequestId::String("e1".into()),
            message: "Pick one".into(),
        });
        let events = [
            ("", update),
            ("", complete),
            ("turn-1", started),
            ("mcp_elicitation_request", elicitation),
        ];
        for (event_id, msg) in events {
            let event = Event {
                id: event_id.into(),
                msg,
            };
            deliver_one(&state, thread, &gate, &mut mapper, &event).await;
        }

        let thread = thread.to_string();
        let update = json!({"method": "codex/event/mcp_startup_update", "params": {"id": "", "msg": {"type": "mcp_startup_update", "server": "broken", "status": {"state": "failed", "error": "MCP client for `broken` failed to start: MCP startup failed: No such file or directory (os error 2)"}}, "conversationId": thread}});
        let complete = json!({"method": "codex/event/mcp_startup_complete", "params": {"id": "", "msg": {"type": "mcp_startup_complete", "ready": ["stub"], "failed": [{"server": "broken", "error": "No such file or directory (os error 2)"}], "cancelled": []}, "conversationId": thread}});
        let turn_started = json!({"method": "turn/started", "params": {"threadId": thread, "turn": {"id": "turn-1", "items": [], "status": "inProgress", "error": null}}});
        let task_started = json!({"method": "codex/event/task_started", "params": {"id": "turn-1", "msg": {"type": "task_started", "turn_id": "turn-1", "model_context_window": null, "collaboration_mode_kind": "default"}, "conversationId": thread}});
        let elicitation = json!({"method": "codex/event/elicitation_request", "params": {"id": "mcp_elicitation_request", "msg": {"type": "elicitation_request", "server_name": "stub", "id": "e1", "message": "Pick one"}, "conversationId": thread}});
        let everything = [update, complete, turn_started, task_started, elicitation];
        assert_eq!(sent(&v2).await, everything);
        assert_eq!(sent(&v1).await, everything);
        assert_eq!(sent(&stranger).await, Vec::<Value>::new());
    }

    #[tokio::test]
    async fn v1_listeners_hear_of_mcp_calls_in_the_references_words() {
        let root = tempfile::tempdir().unwrap();
        let state = test_state(root.path());
        let v1 = initialized(&state);
        let thread = ThreadId::new();
        state.registry.listen_legacy(v1.id, thread);
        let gate = Arc::new(ThreadGate::default());
        let mut mapper = ThreadEventMapper::new(thread);
        let invocation = McpInvocation {
            server: "stub".into(),
            tool: "echo".into(),
            arguments: Some(json!({"text": "ping"})),
        };
        let begin = EventMsg::McpToolCallBegin(McpToolCallBeginEvent {
            call_id: "call_0".into(),
            invocation: invocation.clone(),
        });
        let end = EventMsg::McpToolCallEnd(McpToolCallEndEvent {
            call_id: "call_0".into(),
            invocation,
            duration: std::time::Duration::new(0, 1_088_909),
            result: Ok(CallToolResult {
                content: vec![json!({"type": "text", "text": "echo: ping"})],
                structured_content: None,
                is_error: None,
                meta: None,
            }),
        });
        for msg in [begin, end] {
            let event = Event {
                id: "turn-1".into(),
                msg,
            };
            deliver_one(&state, thread, &gate, &mut mapper, &event).await;
        }
        let thread = thread.to_string();
        let legacy: Vec<Value> = sent(&v1)
            .await
            .into_iter()
            .filter(|message| {
                message["method"]
                    .as_str()
                    .is_some_and(|method| method.starts_with("codex/event/"))
            })
            .collect();
        assert_eq!(
            legacy,
            [
                json!({"method": "codex/event/mcp_tool_call_begin", "params": {"id": "turn-1", "msg": {"type": "mcp_tool_call_begin", "call_id": "call_0", "invocation": {"server": "stub", "tool": "echo", "arguments": {"text": "ping"}}}, "conversationId": thread}}),
                json!({"method": "codex/event/mcp_tool_call_end", "params": {"id": "turn-1", "msg": {"type": "mcp_tool_call_end", "call_id": "call_0", "invocation": {"server": "stub", "tool": "echo", "arguments": {"text": "ping"}}, "duration": {"secs": 0, "nanos": 1_088_909}, "result": {"Ok": {"content": [{"type": "text", "text": "echo: ping"}]}}}, "conversationId": thread}}),
            ]
        );
    }

    fn turn_1_started() -> Event {
        Event {
            id: "turn-1".into(),
            msg: EventMsg::TaskStarted(TurnStartedEvent {
                turn_id: "turn-1".into(),
                model_context_window: None,
                collaboration_mode_kind: Default::default(),
            }),
        }
    }

    static RELEASED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[tokio::test]
    async fn memory_is_released_when_a_turn_ends() {
        use codex_protocol::protocol::TurnCompleteEvent;
        use std::sync::atomic::Ordering;
        let root = tempfile::tempdir().unwrap();
        let mut state = ServerState::new(root.path());
        state.release_memory = || {
            RELEASED.fetch_add(1, Ordering::SeqCst);
        };
        let state = Arc::new(state);
        let v2 = initialized(&state);
        let thread = ThreadId::new();
        state.registry.subscribe(v2.id, thread);
        let gate = Arc::new(ThreadGate::default());
        let mut mapper = ThreadEventMapper::new(thread);
        deliver_one(&state, thread, &gate, &mut mapper, &turn_1_started()).await;
        assert_eq!(RELEASED.load(Ordering::SeqCst), 0);
        let complete = EventMsg::TaskComplete(TurnCompleteEvent {
            turn_id: "turn-1".into(),
            last_agent_message: None,
        });
        let event = Event {
            id: "turn-1".into(),
            msg: complete,
        };
        deliver_one(&state, thread, &gate, &mut mapper, &event).await;
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
        let methods: Vec<Value> = sent(&v2)
            .await
            .into_iter()
            .map(|message| message["method"].clone())
            .collect();
        assert!(methods.contains(&json!("turn/completed")), "{methods:?}");
    }

    /// The legacy frame as a derived struct serialises it, the way it was built before.
    fn legacy_by_serde(thread: ThreadId, event: &Event) -> String {
        #[derive(serde::Serialize)]
        struct Params<'a> {
            id: &'a str,
            msg: &'a EventMsg,
            #[serde(rename = "conversationId")]
            conversation_id: String,
        }
        #[derive(serde::Serialize)]
        struct Legacy<'a> {
            method: String,
            params: Params<'a>,
        }
        let kind = serde_json::to_value(&event.msg).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned();
        serde_json::to_string(&Legacy {
            method: format!("codex/event/{kind}"),
            params: Params {
                id: &event.id,
                msg: &event.msg,
                conversation_id: thread.to_string(),
            },
        })
        .unwrap()
    }

    #[test]
    fn legacy_frames_are_what_serde_writes() {
        use codex_protocol::protocol::AgentMessageContentDeltaEvent;
        use codex_protocol::protocol::AgentMessageDeltaEvent;
        let thread = ThreadId::new();
        let mut outgoing = Outgoing::new(thread);
        let events = [
            (
                "turn \"1\"\n",
                EventMsg::AgentMessageDelta(AgentMessageDeltaEvent {
                    delta: "caf\u{e9} \"quoted\" \u{1}".into(),
                }),
            ),
            (
                "turn-1",
                EventMsg::AgentMessageContentDelta(AgentMessageContentDeltaEvent {
                    thread_id: thread.to_string(),
                    turn_id: "turn-1".into(),
                    item_id: "msg_1".into(),
                    delta: "w".into(),
                }),
            ),
            (
                "turn-1",
                EventMsg::TaskStarted(TurnStartedEvent {
                    turn_id: "turn-1".into(),
                    model_context_window: Some(1000),
                    collaboration_mode_kind: Default::default(),
                }),
            ),
        ];
        for (id, msg) in events {
            let event = Event { id: id.into(), msg };
            let (method, frame) = outgoing.legacy_frame(&event).unwrap();
            let expected = legacy_by_serde(thread, &event);
            assert_eq!(&*frame, expected);
            let parsed: Value = serde_json::from_str(&expected).unwrap();
            assert_eq!(method, parsed["method"]);
        }
    }

    #[test]
    fn deltas_are_sent_as_the_mapper_and_serde_would_send_them() {
        use codex_protocol::protocol::AgentMessageContentDeltaEvent;
        use codex_protocol::protocol::AgentMessageDeltaEvent;
        let thread = ThreadId::new();
        let content = |id: &str, turn: &str, item: &str, delta: &str| Event {
            id: id.into(),
            msg: EventMsg::AgentMessageContentDelta(AgentMessageContentDeltaEvent {
                thread_id: thread.to_string(),
                turn_id: turn.into(),
                item_id: item.into(),
                delta: delta.into(),
            }),
        };
        let legacy = |id: &str, delta: &str| Event {
            id: id.into(),
            msg: EventMsg::AgentMessageDelta(AgentMessageDeltaEvent {
                delta: delta.into(),
            }),
        };
        let events = [
            content("turn-1", "turn-1", "msg_1", "w"),
            legacy("turn-1", "w"),
            content("turn-1", "turn-1", "msg_1", "caf\u{e9} \"quoted\"\n\u{1}"),
            legacy("turn-1", "caf\u{e9} \"quoted\"\n\u{1}"),
            legacy("turn-1", ""),
            content("turn \"2\"", "turn \"2\"", "msg\t2", ""),
            content("", "other turn", "msg_3", "w"),
            legacy("turn-1", "w"),
        ];
        let mut mapper = ThreadEventMapper::new(thread);
        let mut by_serde = Outgoing::new(thread);
        let mut by_hand = Outgoing::new(thread);
        for event in &events {
            for notification in mapper.map(&event.msg) {
                by_serde.v2(&notification);
            }
            by_serde.legacy(event);
            assert!(by_hand.delta(event));
        }
        let notices = |outgoing: &Outgoing| -> Vec<(String, String, bool)> {
            outgoing
                .notices
                .iter()
                .map(|notice| {
                    (
                        notice.method.to_string(),
                        notice.frame.to_string(),
                        notice.experimental,
                    )
                })
                .collect()
        };
        assert_eq!(notices(&by_hand), notices(&by_serde));
        assert_eq!(by_hand.notices.len(), 12);
        let other = Event {
            id: "turn-1".into(),
            msg: EventMsg::ShutdownComplete,
        };
        assert!(!by_hand.delta(&other));
    }

    #[tokio::test]
    async fn each_events_legacy_copy_follows_its_v2_notifications() {
        use codex_protocol::protocol::AgentMessageContentDeltaEvent;
        use codex_protocol::protocol::AgentMessageDeltaEvent;
        let root = tempfile::tempdir().unwrap();
        let state = test_state(root.path());
        let v2 = initialized(&state);
        let thread = ThreadId::new();
        state.registry.subscribe(v2.id, thread);
        let gate = Arc::new(ThreadGate::default());
        let mut mapper = ThreadEventMapper::new(thread);
        let mut events = vec![turn_1_started()];
        for word in ["one", "two"] {
            events.push(Event {
                id: "turn-1".into(),
                msg: EventMsg::AgentMessageContentDelta(AgentMessageContentDeltaEvent {
                    thread_id: thread.to_string(),
                    turn_id: "turn-1".into(),
                    item_id: "msg_1".into(),
                    delta: word.into(),
                }),
            });
            events.push(Event {
                id: "turn-1".into(),
                msg: EventMsg::AgentMessageDelta(AgentMessageDeltaEvent { delta: word.into() }),
            });
        }
        let mut outgoing = Outgoing::new(thread);
        deliver(&state, thread, &gate, &mut mapper, &mut outgoing, &events).await;
        let methods: Vec<Value> = sent(&v2)
            .await
            .into_iter()
            .map(|message| message["method"].clone())
            .collect();
        assert_eq!(
            methods,
            [
                "turn/started",
                "codex/event/task_started",
                "item/agentMessage/delta",
                "codex/event/agent_message_content_delta",
                "codex/event/agent_message_delta",
                "item/agentMessage/delta",
                "codex/event/agent_message_content_delta",
                "codex/event/agent_message_delta",
            ]
        );
    }
}
