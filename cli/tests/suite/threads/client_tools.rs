//! Tools the client runs, through a running server: dynamic tools declared at `thread/start`
//! (`item/tool/call`) and `request_user_input` in plan mode (`item/tool/requestUserInput`).

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::tools::until_completed;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// A server on `live`'s home and its client, initialized with `experimentalApi` as given.
async fn serve(live: &Live, experimental: bool) -> (Server, Client) {
    let env = live.folders.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (server, mut client) = Server::stdio(&env);
    let answer = client
        .request(&json!({"id": 0, "method": "initialize", "params": {
            "clientInfo": {"name": "client-tools", "version": "1"},
            "capabilities": {"experimentalApi": experimental},
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    client.send(&json!({"method": "initialized"})).await;
    (server, client)
}

/// Starts a thread with `params` (plus the work folder) and returns its id.
async fn start_thread(live: &Live, client: &mut Client, params: Value) -> String {
    let mut all = json!({"cwd": live.work});
    if let (Some(all), Some(params)) = (all.as_object_mut(), params.as_object()) {
        all.extend(params.clone());
    }
    let answer = client
        .request(&json!({"id": 1, "method": "thread/start", "params": all}))
        .await;
    answer["result"]["thread"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}\n{}", client.report()))
        .to_owned()
}

/// Starts a turn with `extra` params and collects the messages up to `turn/completed`,
/// answering each server request with `answer(request)`.
async fn turn(
    client: &mut Client,
    thread: &str,
    extra: Value,
    answer: impl Fn(&Value) -> Value,
) -> Vec<Value> {
    let mut params = json!({"threadId": thread, "input": [{"type": "text", "text": "go"}]});
    if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
        params.extend(extra.clone());
    }
    let response = client
        .request(&json!({"id": 2, "method": "turn/start", "params": params}))
        .await;
    assert!(response.get("result").is_some(), "{}", client.report());
    until_completed(client, answer).await
}

fn server_requests(seen: &[Value]) -> Vec<&Value> {
    seen.iter().filter(|m| m.get("id").is_some()).collect()
}

/// The output item for `call_id` in the model's last request.
fn output_item(live: &Live, call_id: &str) -> Value {
    let requests = live.model.requests();
    let last = requests.last().expect("the model was asked");
    let body = last.json.clone().expect("a JSON request");
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["call_id"] == call_id && item["type"] == "function_call_output")
        .cloned()
        .unwrap_or_else(|| panic!("no output for {call_id} in {body}"))
}

fn call(call_id: &str, name: &str, arguments: &Value) -> Reply {
    Reply::sse(sse::function_call_turn(
        "resp-1",
        call_id,
        name,
        &arguments.to_string(),
    ))
}

fn text() -> Reply {
    Reply::sse(sse::text_turn("resp-2", "Done."))
}

fn weather_tool() -> Value {
    json!({"dynamicTools": [{
        "name": "lookup_weather",
        "description": "Looks up the weather of a city.",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }]})
}

#[tokio::test]
async fn a_dynamic_tool_call_is_answered_by_the_client() {
    let live = Live::new().await;
    live.model.enqueue_all([
        call("call_dyn", "lookup_weather", &json!({"city": "Paris"})),
        text(),
    ]);
    let (_server, mut client) = serve(&live, true).await;
    let thread = start_thread(&live, &mut client, weather_tool()).await;
    let seen = turn(
        &mut client,
        &thread,
        json!({}),
        |_| json!({"contentItems": [{"type": "inputText", "text": "sunny, 21C"}], "success": true}),
    )
    .await;

    let requests = server_requests(&seen);
    assert_eq!(requests.len(), 1, "{}", client.report());
    assert_eq!(requests[0]["method"], "item/tool/call");
    let params = &requests[0]["params"];
    assert_eq!(params["threadId"], thread);
    assert_eq!(params["callId"], "call_dyn");
    assert_eq!(params["tool"], "lookup_weather");
    assert_eq!(params["arguments"], json!({"city": "Paris"}));
    assert!(params["turnId"].is_string(), "{params}");

    let first = live.model.requests()[0].json.clone().unwrap();
    let offered = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "lookup_weather")
        .cloned();
    assert_eq!(
        offered,
        Some(json!({"type": "function", "name": "lookup_weather",
            "description": "Looks up the weather of a city.", "strict": false,
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}))
    );
    let output = output_item(&live, "call_dyn");
    assert_eq!(
        output["output"],
        json!([{"type": "input_text", "text": "sunny, 21C"}])
    );
}

#[tokio::test]
async fn dynamic_tools_need_the_experimental_capability() {
    let live = Live::new().await;
    let (_server, mut client) = serve(&live, false).await;
    let mut params = weather_tool();
    params["cwd"] = json!(live.work);
    let answer = client
        .request(&json!({"id": 1, "method": "thread/start", "params": params}))
        .await;
    assert_eq!(
        answer["error"]["message"], "thread/start.dynamicTools requires experimentalApi capability",
        "{answer}"
    );
    assert!(live.model.requests().is_empty());
}

/// The names of the tools the model was offered in request `index`.
fn offered_tools(live: &Live, index: usize) -> Vec<String> {
    let body = live.model.requests()[index].json.clone().unwrap();
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|tool| tool["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn dynamic_tools_survive_a_fork_and_a_restart() {
    let live = Live::new().await;
    live.model.enqueue_all([text(), text(), text()]);
    let thread = {
        let (_server, mut client) = serve(&live, true).await;
        let thread = start_thread(&live, &mut client, weather_tool()).await;
        turn(&mut client, &thread, json!({}), |_| json!({})).await;
        let answer = client
            .request(&json!({"id": 3, "method": "thread/fork", "params": {"threadId": thread}}))
            .await;
        let fork = answer["result"]["thread"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        turn(&mut client, &fork, json!({}), |_| json!({})).await;
        // The fork's rollout names its source and keeps the tools.
        let path = answer["result"]["thread"]["path"]
            .as_str()
            .unwrap()
            .to_owned();
        let first_line = std::fs::read_to_string(&path).unwrap();
        let meta: Value = serde_json::from_str(first_line.lines().next().unwrap()).unwrap();
        assert_eq!(meta["payload"]["forked_from_id"], thread.as_str());
        assert_eq!(
            meta["payload"]["dynamic_tools"][0]["name"], "lookup_weather",
            "{meta}"
        );
        thread
    };
    // A new server: the thread is resumed from disk, its tools from session_meta.
    let (_server, mut client) = serve(&live, true).await;
    let answer = client
        .request(&json!({"id": 4, "method": "thread/resume", "params": {"threadId": thread}}))
        .await;
    assert!(answer.get("result").is_some(), "{answer}");
    turn(&mut client, &thread, json!({}), |_| json!({})).await;
    for index in 0..3 {
        assert!(
            offered_tools(&live, index).contains(&"lookup_weather".to_owned()),
            "request {index}: {:?}",
            offered_tools(&live, index)
        );
    }
}

#[tokio::test]
async fn dynamic_tools_may_not_take_a_built_in_name_or_repeat_one() {
    let live = Live::new().await;
    let (_server, mut client) = serve(&live, true).await;
    let tool =
        |name: &str| json!({"name": name, "description": "d", "inputSchema": {"type": "object"}});
    for (id, tools, message) in [
        (
            1,
            json!([tool("exec_command")]),
            "Invalid params: dynamic tool name exec_command is already the name of a built-in tool",
        ),
        (
            2,
            json!([tool("twice"), tool("twice")]),
            "Invalid params: dynamic tool name twice is declared twice",
        ),
    ] {
        let answer = client
            .request(&json!({"id": id, "method": "thread/start", "params": {
                "cwd": live.work, "dynamicTools": tools,
            }}))
            .await;
        assert_eq!(answer["error"]["code"], -32602, "{answer}");
        assert_eq!(answer["error"]["message"], message, "{answer}");
    }
    assert!(live.model.requests().is_empty());
}

fn question_call() -> Reply {
    call(
        "call_ask",
        "request_user_input",
        &json!({"questions": [{
            "id": "color", "header": "Color", "question": "Which color?",
            "options": [
                {"label": "Red", "description": "Warm."},
                {"label": "Blue", "description": "Cool."},
            ],
        }]}),
    )
}

#[tokio::test]
async fn request_user_input_in_plan_mode_asks_the_client() {
    let live = Live::new().await;
    live.model.enqueue_all([question_call(), text()]);
    let (_server, mut client) = serve(&live, true).await;
    let thread = start_thread(&live, &mut client, json!({})).await;
    let plan = json!({"collaborationMode": {"mode": "plan", "settings": {
        "model": "gpt-5.1-codex", "reasoning_effort": null, "developer_instructions": null,
    }}});
    let seen = turn(
        &mut client,
        &thread,
        plan,
        |_| json!({"answers": {"color": {"answers": ["Blue"]}}}),
    )
    .await;

    let requests = server_requests(&seen);
    assert_eq!(requests.len(), 1, "{}", client.report());
    assert_eq!(requests[0]["method"], "item/tool/requestUserInput");
    let params = &requests[0]["params"];
    assert_eq!(params["threadId"], thread);
    assert_eq!(params["itemId"], "call_ask");
    assert_eq!(
        params["questions"],
        json!([{"id": "color", "header": "Color", "question": "Which color?",
        "isOther": true, "isSecret": false, "options": [
            {"label": "Red", "description": "Warm."},
            {"label": "Blue", "description": "Cool."},
        ]}])
    );
    let output = output_item(&live, "call_ask");
    let answers: Value = serde_json::from_str(output["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        answers,
        json!({"answers": {"color": {"answers": ["Blue"]}}})
    );
}

#[tokio::test]
async fn request_user_input_in_default_mode_is_refused() {
    let live = Live::new().await;
    live.model.enqueue_all([question_call(), text()]);
    let (_server, mut client) = serve(&live, true).await;
    let thread = start_thread(&live, &mut client, json!({})).await;
    let seen = turn(&mut client, &thread, json!({}), |_| json!({})).await;

    assert!(server_requests(&seen).is_empty(), "{}", client.report());
    let output = output_item(&live, "call_ask");
    assert_eq!(
        output["output"],
        "request_user_input is unavailable in Default mode"
    );
}
