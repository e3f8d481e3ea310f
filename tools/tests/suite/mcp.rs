//! The MCP tools over a fake set of servers: what the model is offered, what a call sends, the
//! events it emits and the output the model reads, the resource tools, and interrupts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_protocol::dynamic_tools::DynamicToolSpec;
use codex_protocol::mcp::CallToolResult;
use codex_protocol::mcp::Resource;
use codex_protocol::mcp::ResourceTemplate;
use codex_protocol::mcp::Tool;
use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::McpInvocation;
use codex_protocol::protocol::McpToolCallBeginEvent;
use codex_protocol::protocol::McpToolCallEndEvent;
use codex_tools::CodexTools;
use codex_tools::McpServers;
use codex_tools::McpTool;
use codex_tools::Page;
use codex_tools::ResourceContents;
use codex_tools::ToolCall;
use codex_tools::ToolContext;
use codex_tools::ToolOffer;
use codex_tools::ToolPayload;
use codex_tools::ToolRouter;
use codex_tools::model_family::ModelFamily;
use futures::future::BoxFuture;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;
use tokio::sync::Notify;
use tokio::sync::mpsc;

use super::support::context;
use super::support::drain;

/// Two servers: `docs` with tools and paged resources, `alpha` with one resource.
#[derive(Default)]
struct FakeServers {
    /// Every `call_tool`: server, tool, arguments.
    calls: Mutex<Vec<(String, String, Option<Value>)>>,
    /// Told when the `hang` tool's call starts.
    hanging: Notify,
    /// Set when the `hang` tool's call is dropped.
    dropped: Arc<Mutex<bool>>,
}

fn text_result(text: &str) -> CallToolResult {
    CallToolResult {
        content: vec![json!({"type": "text", "text": text})],
        structured_content: None,
        is_error: None,
        meta: None,
    }
}

fn resource(uri: &str, name: &str) -> Resource {
    Resource {
        annotations: None,
        description: None,
        mime_type: None,
        name: name.to_owned(),
        size: None,
        title: None,
        uri: uri.to_owned(),
        icons: None,
        meta: None,
    }
}

fn template(uri_template: &str, name: &str) -> ResourceTemplate {
    ResourceTemplate {
        annotations: None,
        uri_template: uri_template.to_owned(),
        name: name.to_owned(),
        title: None,
        description: None,
        mime_type: Some("text/plain".to_owned()),
    }
}

fn docs_resources() -> Vec<Resource> {
    let mut first = resource("mem://a", "a");
    first.title = Some("A".to_owned());
    first.description = Some("first".to_owned());
    first.mime_type = Some("text/plain".to_owned());
    first.size = Some(2);
    vec![first, resource("mem://b", "b"), resource("mem://c", "c")]
}

fn unknown(server: &str) -> String {
    format!("unknown MCP server '{server}'")
}

/// Sets a flag when dropped: the call it lives in was abandoned.
struct DropFlag(Arc<Mutex<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = true;
    }
}

impl McpServers for FakeServers {
    fn tools(&self) -> BoxFuture<'_, Vec<McpTool>> {
        Box::pin(async { Vec::new() })
    }

    fn call_tool<'a>(
        &'a self,
        server: &'a str,
        tool: &'a str,
        arguments: Option<Value>,
    ) -> BoxFuture<'a, Result<CallToolResult, String>> {
        self.calls
            .lock()
            .unwrap()
            .push((server.to_owned(), tool.to_owned(), arguments.clone()));
        Box::pin(async move {
            match tool {
                "echo" => {
                    let text = arguments
                        .as_ref()
                        .and_then(|arguments| arguments.get("text"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    Ok(text_result(&format!("echo: {text}")))
                }
                "fail" => Err(format!(
                    "tool call failed for `{server}/{tool}`\n\nCaused by:\n    tools/call failed: Mcp error: -32000: kaboom"
                )),
                "refuse" => Ok(CallToolResult {
                    is_error: Some(true),
                    ..text_result("it broke")
                }),
                "big" => Ok(text_result(&"line\n".repeat(20_000))),
                "hang" => {
                    let _flag = DropFlag(Arc::clone(&self.dropped));
                    self.hanging.notify_one();
                    futures::future::pending::<()>().await;
                    Err("never".to_owned())
                }
                _ => Err(format!("no tool {tool}")),
            }
        })
    }

    fn list_resources<'a>(
        &'a self,
        server: &'a str,
        cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<Resource>, String>> {
        Box::pin(async move {
            let resources = docs_resources();
            match (server, cursor.as_deref()) {
                ("docs", None) => Ok(Page {
                    items: resources[..2].to_vec(),
                    next_cursor: Some("p2".to_owned()),
                }),
                ("docs", Some("p2")) => Ok(Page {
                    items: resources[2..].to_vec(),
                    next_cursor: None,
                }),
                ("docs", Some(_)) => Err(
                    "resources/list failed for `docs`: resources/list failed: Mcp error: -32602: bad cursor"
                        .to_owned(),
                ),
                _ => Err(unknown(server)),
            }
        })
    }

    fn list_all_resources(&self) -> BoxFuture<'_, BTreeMap<String, Vec<Resource>>> {
        Box::pin(async {
            BTreeMap::from([
                ("docs".to_owned(), docs_resources()),
                ("alpha".to_owned(), vec![resource("mem://z", "z")]),
            ])
        })
    }

    fn list_resource_templates<'a>(
        &'a self,
        server: &'a str,
        _cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<ResourceTemplate>, String>> {
        Box::pin(async move {
            match server {
                "docs" => Ok(Page {
                    items: vec![template("mem://{x}", "tpl")],
                    next_cursor: None,
                }),
                _ => Err(unknown(server)),
            }
        })
    }

    fn list_all_resource_templates(
        &self,
    ) -> BoxFuture<'_, BTreeMap<String, Vec<ResourceTemplate>>> {
        Box::pin(async {
            BTreeMap::from([
                ("docs".to_owned(), vec![template("mem://{x}", "tpl")]),
                ("alpha".to_owned(), vec![template("alpha://{y}", "a")]),
            ])
        })
    }

    fn read_resource<'a>(
        &'a self,
        server: &'a str,
        uri: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ResourceContents>, String>> {
        Box::pin(async move {
            if server != "docs" {
                return Err(unknown(server));
            }
            Ok(vec![
                ResourceContents::Text {
                    uri: uri.to_owned(),
                    mime_type: Some("text/plain".to_owned()),
                    text: format!("hello {uri}"),
                    meta: None,
                },
                ResourceContents::Blob {
                    uri: uri.to_owned(),
                    mime_type: None,
                    blob: "AAE=".to_owned(),
                    meta: None,
                },
            ])
        })
    }
}

fn mcp_tool(server: &str, name: &str) -> McpTool {
    McpTool {
        qualified_name: format!("mcp__{server}__{name}").replace('.', "_"),
        server: server.to_owned(),
        tool: Tool {
            name: name.to_owned(),
            title: None,
            description: Some(format!("the {name} tool")),
            input_schema: json!({"type": "object", "properties": {"text": {"type": "string"}}}),
            output_schema: None,
            annotations: None,
            icons: None,
            meta: None,
        },
    }
}

fn docs_tools() -> Vec<McpTool> {
    ["echo", "fail", "refuse", "big", "hang", "has.dot"]
        .iter()
        .map(|name| mcp_tool("docs", name))
        .collect()
}

type Events = mpsc::UnboundedReceiver<(String, EventMsg)>;

/// A context whose thread has the fake servers and their tools.
fn mcp_context(servers: &Arc<FakeServers>) -> (ToolContext, Events, tempfile::TempDir) {
    let cwd = tempfile::tempdir().unwrap();
    let (mut context, events) = context(cwd.path(), AskForApproval::Never);
    context.mcp = Arc::clone(servers) as Arc<dyn McpServers>;
    context.mcp_tools = docs_tools().into();
    (context, events, cwd)
}

fn raw_call(name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        call_id: "call-1".to_owned(),
        name: name.to_owned(),
        payload: ToolPayload::Function {
            arguments: arguments.to_owned(),
        },
    }
}

/// The output body of a function call output and its success flag.
fn output(item: ResponseItem) -> (FunctionCallOutputBody, Option<bool>) {
    match item {
        ResponseItem::FunctionCallOutput { call_id, output } => {
            assert_eq!(call_id, "call-1");
            (output.body, output.success)
        }
        other => panic!("not a function call output: {other:?}"),
    }
}

fn text_output(item: ResponseItem) -> (String, Option<bool>) {
    match output(item) {
        (FunctionCallOutputBody::String(text), success) => (text, success),
        (FunctionCallOutputBody::List(items), _) => panic!("unexpected content items {items:?}"),
    }
}

/// The begin and end events of one call, with the end's duration zeroed.
fn begin_end(events: Vec<(String, EventMsg)>) -> (McpToolCallBeginEvent, McpToolCallEndEvent) {
    let [
        (begin_turn, EventMsg::McpToolCallBegin(begin)),
        (end_turn, EventMsg::McpToolCallEnd(mut end)),
    ] = <[_; 2]>::try_from(events).unwrap()
    else {
        panic!("not an MCP call's begin and end");
    };
    assert_eq!(
        (begin_turn.as_str(), end_turn.as_str()),
        ("turn-1", "turn-1")
    );
    end.duration = Duration::ZERO;
    (begin, end)
}

fn invocation(server: &str, tool: &str, arguments: Option<Value>) -> McpInvocation {
    McpInvocation {
        server: server.to_owned(),
        tool: tool.to_owned(),
        arguments,
    }
}

fn end(invocation: McpInvocation, result: Result<CallToolResult, String>) -> McpToolCallEndEvent {
    McpToolCallEndEvent {
        call_id: "call-1".to_owned(),
        invocation,
        duration: Duration::ZERO,
        result,
    }
}

fn begin(invocation: McpInvocation) -> McpToolCallBeginEvent {
    McpToolCallBeginEvent {
        call_id: "call-1".to_owned(),
        invocation,
    }
}

fn spec_names(specs: &[Value]) -> Vec<&str> {
    specs
        .iter()
        .map(|spec| {
            spec.get("name")
                .or_else(|| spec.get("type"))
                .and_then(Value::as_str)
                .unwrap()
        })
        .collect()
}

#[test]
fn server_tools_follow_the_built_in_ones_by_name_and_precede_the_client_tools() {
    let family = ModelFamily::find("gpt-5.1-codex");
    let mut tools = vec![mcp_tool("zeta", "ping"), mcp_tool("alpha", "ping")];
    let mut broken = mcp_tool("alpha", "broken");
    broken.tool.input_schema = json!({"type": "object", "properties": {"n": {"type": "null"}}});
    tools.push(broken);
    let dynamic = [DynamicToolSpec {
        name: "aaa_client".to_owned(),
        description: "the client's".to_owned(),
        input_schema: json!({"type": "object", "properties": {}}),
    }];
    let offer = ToolOffer {
        unified_exec: true,
        web_search: codex_protocol::config_types::WebSearchMode::Cached,
        request_rule: true,
        dynamic_tools: &dynamic,
        mcp_tools: &tools,
    };
    let specs = CodexTools::default().specs_for(&family, offer);
    assert_eq!(
        spec_names(&specs),
        [
            "exec_command",
            "write_stdin",
            "list_mcp_resources",
            "list_mcp_resource_templates",
            "read_mcp_resource",
            "update_plan",
            "request_user_input",
            "apply_patch",
            "web_search",
            "view_image",
            "mcp__alpha__ping",
            "mcp__zeta__ping",
            "aaa_client",
        ]
    );
    assert_eq!(
        specs[10],
        json!({
            "type": "function",
            "name": "mcp__alpha__ping",
            "description": "the ping tool",
            "strict": false,
            "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
        })
    );
}

/// One call dispatched with the fake servers: what they were asked, the output the model
/// reads, and the events.
struct Run {
    calls: Vec<(String, String, Option<Value>)>,
    text: String,
    success: Option<bool>,
    events: Vec<(String, EventMsg)>,
}

async fn run(name: &str, arguments: &str) -> Run {
    let servers = Arc::new(FakeServers::default());
    let (context, mut events, _cwd) = mcp_context(&servers);
    let item = CodexTools::default()
        .dispatch(raw_call(name, arguments), &context)
        .await;
    let (text, success) = text_output(item);
    let calls = servers.calls.lock().unwrap().clone();
    Run {
        calls,
        text,
        success,
        events: drain(&mut events),
    }
}

fn json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn a_call_goes_to_its_server_between_begin_and_end_events() {
    let run = run("mcp__docs__echo", r#"{"text":"ping"}"#).await;
    assert_eq!(
        (json_text(&run.text), run.success),
        (json!([{"type": "text", "text": "echo: ping"}]), Some(true))
    );
    let arguments = Some(json!({"text": "ping"}));
    assert_eq!(
        run.calls,
        [("docs".to_owned(), "echo".to_owned(), arguments.clone())]
    );
    let invocation = invocation("docs", "echo", arguments);
    assert_eq!(
        begin_end(run.events),
        (
            begin(invocation.clone()),
            end(invocation, Ok(text_result("echo: ping")))
        )
    );
}

#[tokio::test]
async fn the_tool_is_called_by_the_name_its_server_gave_it() {
    // No arguments at all: the server gets none, and the events show null.
    let run = run("mcp__docs__has_dot", " ").await;
    assert_eq!(
        (run.text.as_str(), run.success),
        (r#"err: "tool call error: no tool has.dot""#, Some(false))
    );
    assert_eq!(run.calls, [("docs".to_owned(), "has.dot".to_owned(), None)]);
    let (begin, _) = begin_end(run.events);
    assert_eq!(begin.invocation, invocation("docs", "has.dot", None));
}

#[tokio::test]
async fn a_failed_call_is_reported_to_the_client_and_the_model() {
    let run = run("mcp__docs__fail", "{}").await;
    let message = "tool call error: tool call failed for `docs/fail`\n\nCaused by:\n    tools/call failed: Mcp error: -32000: kaboom";
    assert_eq!(
        (run.text, run.success),
        (format!("err: {message:?}"), Some(false))
    );
    let invocation = invocation("docs", "fail", Some(json!({})));
    assert_eq!(
        begin_end(run.events).1,
        end(invocation, Err(message.to_owned()))
    );
}

#[tokio::test]
async fn a_result_marked_as_an_error_fails_the_output() {
    let run = run("mcp__docs__refuse", "{}").await;
    assert_eq!(
        (json_text(&run.text), run.success),
        (json!([{"type": "text", "text": "it broke"}]), Some(false))
    );
}

#[tokio::test]
async fn arguments_that_are_not_an_object_never_reach_the_server() {
    let run = run("mcp__docs__echo", "[1, 2]").await;
    let message = "tool call error: tool call failed for `docs/echo`\n\nCaused by:\n    MCP tool arguments must be a JSON object, got [1,2]";
    assert_eq!(
        (run.text, run.success),
        (format!("err: {message:?}"), Some(false))
    );
    assert_eq!(run.calls, []);
    let invocation = invocation("docs", "echo", Some(json!([1, 2])));
    assert_eq!(
        begin_end(run.events),
        (
            begin(invocation.clone()),
            end(invocation, Err(message.to_owned()))
        )
    );
}

#[tokio::test]
async fn arguments_that_are_not_json_are_answered_without_events() {
    let run = run("mcp__docs__echo", "{bad").await;
    assert_eq!(
        (run.text.as_str(), run.success),
        ("err: key must be a string at line 1 column 2", Some(false))
    );
    assert_eq!(run.calls, []);
    assert_eq!(run.events, []);
}

#[tokio::test]
async fn a_long_result_is_cut_like_any_tool_output() {
    let run = run("mcp__docs__big", "{}").await;
    // As the reference cut the same result for gpt-5.1-codex: 48,000 bytes kept.
    assert!(
        run.text.contains("…18007 tokens truncated…"),
        "{}",
        &run.text[..200]
    );
    assert_eq!(run.text.chars().count(), 48_024);
    assert_eq!(run.success, Some(true));
}

#[tokio::test]
async fn a_name_not_offered_this_turn_is_not_an_mcp_call() {
    let run = run("mcp__nope__x", "{}").await;
    assert_eq!(
        (run.text.as_str(), run.success),
        ("unsupported call: mcp__nope__x", Some(false))
    );
    assert_eq!(run.calls, []);
    assert_eq!(run.events, []);
}

#[tokio::test]
async fn an_interrupt_drops_the_server_call() {
    let servers = Arc::new(FakeServers::default());
    let (context, mut events, _cwd) = mcp_context(&servers);
    let tools = CodexTools::default();
    let call = raw_call("mcp__docs__hang", "{}");
    let dispatch = tools.dispatch(call, &context);
    tokio::select! {
        _ = dispatch => panic!("the hanging call answered"),
        () = servers.hanging.notified() => {}
    }
    // The dispatch future was dropped when `select!` ended: so was the call inside it.
    assert!(*servers.dropped.lock().unwrap());
    let events = drain(&mut events);
    assert!(
        matches!(events.as_slice(), [(_, EventMsg::McpToolCallBegin(_))]),
        "{events:?}"
    );
}

/// Runs a resource tool and returns its output, success flag and end event (whose result is
/// checked against the output).
async fn resource_call(
    name: &str,
    arguments: &str,
) -> (String, Option<bool>, Option<McpToolCallEndEvent>) {
    let Run {
        text,
        success,
        events,
        ..
    } = run(name, arguments).await;
    if events.is_empty() {
        return (text, success, None);
    }
    let (begin, end) = begin_end(events);
    assert_eq!(begin.invocation, end.invocation);
    let expected = if success == Some(true) {
        Ok(CallToolResult {
            is_error: Some(false),
            ..text_result(&text)
        })
    } else {
        Err(text.clone())
    };
    assert_eq!(end.result, expected);
    (text, success, Some(end))
}

#[tokio::test]
async fn resources_of_every_server_by_server_name() {
    let (text, success, end) = resource_call("list_mcp_resources", "{}").await;
    assert_eq!(
        text,
        r#"{"resources":[{"server":"alpha","uri":"mem://z","name":"z"},{"server":"docs","uri":"mem://a","name":"a","title":"A","description":"first","mimeType":"text/plain","size":2},{"server":"docs","uri":"mem://b","name":"b"},{"server":"docs","uri":"mem://c","name":"c"}]}"#
    );
    assert_eq!(success, Some(true));
    assert_eq!(
        end.unwrap().invocation,
        invocation("codex", "list_mcp_resources", Some(json!({})))
    );
    // No arguments at all list every server too.
    let (all, _, end) = resource_call("list_mcp_resources", "").await;
    assert_eq!(all, text);
    assert_eq!(
        end.unwrap().invocation,
        invocation("codex", "list_mcp_resources", None)
    );
}

#[tokio::test]
async fn resources_of_one_server_page_by_page() {
    let (text, _, end) = resource_call("list_mcp_resources", r#"{"server":" docs "}"#).await;
    assert_eq!(
        text,
        r#"{"server":"docs","resources":[{"server":"docs","uri":"mem://a","name":"a","title":"A","description":"first","mimeType":"text/plain","size":2},{"server":"docs","uri":"mem://b","name":"b"}],"nextCursor":"p2"}"#
    );
    assert_eq!(
        end.unwrap().invocation,
        invocation(
            "docs",
            "list_mcp_resources",
            Some(json!({"server": " docs "}))
        )
    );
    let (text, _, _) =
        resource_call("list_mcp_resources", r#"{"server":"docs","cursor":"p2"}"#).await;
    assert_eq!(
        text,
        r#"{"server":"docs","resources":[{"server":"docs","uri":"mem://c","name":"c"}]}"#
    );
}

#[tokio::test]
async fn resource_list_errors() {
    let cases = [
        (
            "list_mcp_resources",
            r#"{"cursor":"p2"}"#,
            "cursor can only be used when a server is specified",
        ),
        (
            "list_mcp_resource_templates",
            r#"{"server":"","cursor":"x"}"#,
            "cursor can only be used when a server is specified",
        ),
        (
            "list_mcp_resources",
            r#"{"server":"nope"}"#,
            "resources/list failed: unknown MCP server 'nope'",
        ),
        (
            "list_mcp_resources",
            r#"{"server":"docs","cursor":"bogus"}"#,
            "resources/list failed: resources/list failed for `docs`: resources/list failed: Mcp error: -32602: bad cursor",
        ),
        (
            "list_mcp_resource_templates",
            r#"{"server":"nope"}"#,
            "resources/templates/list failed: unknown MCP server 'nope'",
        ),
        (
            "read_mcp_resource",
            r#"{"server":"nope","uri":"x"}"#,
            "resources/read failed: unknown MCP server 'nope'",
        ),
    ];
    for (name, arguments, message) in cases {
        let (text, success, end) = resource_call(name, arguments).await;
        assert_eq!(
            (text.as_str(), success),
            (message, Some(false)),
            "{arguments}"
        );
        assert!(end.is_some(), "{name} {arguments} emitted no events");
    }
}

#[tokio::test]
async fn bad_resource_arguments_are_answered_without_events() {
    let cases = [
        (
            "read_mcp_resource",
            r#"{"server":"docs"}"#,
            "failed to parse function arguments: missing field `uri`",
        ),
        (
            "read_mcp_resource",
            "",
            "failed to parse function arguments: expected value",
        ),
        (
            "read_mcp_resource",
            r#"{"server":" ","uri":"x"}"#,
            "server must be provided",
        ),
        (
            "read_mcp_resource",
            r#"{"server":"docs","uri":""}"#,
            "uri must be provided",
        ),
        (
            "list_mcp_resources",
            "not json",
            "failed to parse function arguments: expected ident at line 1 column 2",
        ),
    ];
    for (name, arguments, message) in cases {
        let (text, success, end) = resource_call(name, arguments).await;
        assert_eq!(
            (text.as_str(), success),
            (message, Some(false)),
            "{arguments}"
        );
        assert_eq!(end, None, "{name} {arguments}");
    }
}

#[tokio::test]
async fn resource_templates_of_every_server_and_of_one() {
    let (text, _, end) = resource_call("list_mcp_resource_templates", "{}").await;
    assert_eq!(
        text,
        r#"{"resourceTemplates":[{"server":"alpha","uriTemplate":"alpha://{y}","name":"a","mimeType":"text/plain"},{"server":"docs","uriTemplate":"mem://{x}","name":"tpl","mimeType":"text/plain"}]}"#
    );
    assert_eq!(end.unwrap().invocation.server, "codex");
    let (text, _, end) = resource_call("list_mcp_resource_templates", r#"{"server":"docs"}"#).await;
    assert_eq!(
        text,
        r#"{"server":"docs","resourceTemplates":[{"server":"docs","uriTemplate":"mem://{x}","name":"tpl","mimeType":"text/plain"}]}"#
    );
    assert_eq!(end.unwrap().invocation.server, "docs");
}

#[tokio::test]
async fn a_resource_is_read_from_its_server() {
    let (text, success, end) =
        resource_call("read_mcp_resource", r#"{"server":"docs","uri":"mem://a"}"#).await;
    assert_eq!(
        text,
        r#"{"server":"docs","uri":"mem://a","contents":[{"uri":"mem://a","mimeType":"text/plain","text":"hello mem://a"},{"uri":"mem://a","blob":"AAE="}]}"#
    );
    assert_eq!(success, Some(true));
    assert_eq!(
        end.unwrap().invocation,
        invocation(
            "docs",
            "read_mcp_resource",
            Some(json!({"server": "docs", "uri": "mem://a"}))
        )
    );
}

#[tokio::test]
async fn without_servers_every_list_is_empty_and_every_server_unknown() {
    let cwd = tempfile::tempdir().unwrap();
    let (context, _events) = context(cwd.path(), AskForApproval::Never);
    let tools = CodexTools::default();
    let cases = [
        ("list_mcp_resources", "{}", r#"{"resources":[]}"#, true),
        (
            "list_mcp_resource_templates",
            "{}",
            r#"{"resourceTemplates":[]}"#,
            true,
        ),
        (
            "read_mcp_resource",
            r#"{"server":"s","uri":"u"}"#,
            "resources/read failed: unknown MCP server 's'",
            false,
        ),
    ];
    for (name, arguments, expected, success) in cases {
        let item = tools.dispatch(raw_call(name, arguments), &context).await;
        assert_eq!(text_output(item), (expected.to_owned(), Some(success)));
    }
}
