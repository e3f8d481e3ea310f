//! A call of an MCP server's tool: announced with `McpToolCallBegin`, sent to the server,
//! ended with `McpToolCallEnd`, and its result framed for the model as the reference frames it.

use codex_protocol::mcp::CallToolResult;
use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::FunctionCallOutputContentItem;
use codex_protocol::protocol::McpInvocation;
use serde::Deserialize;
use serde_json::Value;

use super::McpTool;
use crate::context::ToolContext;

/// Calls `tool` with the model's `arguments` (JSON text) and returns the output for the model
/// and whether the call succeeded. Dropping the future drops the server call with it.
pub(crate) async fn call(
    context: &ToolContext,
    call_id: &str,
    tool: &McpTool,
    arguments: &str,
) -> (FunctionCallOutputBody, bool) {
    // No arguments at all is a call without arguments; arguments that are not JSON never reach
    // the server, nor the client.
    let arguments = if arguments.trim().is_empty() {
        None
    } else {
        match serde_json::from_str::<Value>(arguments) {
            Ok(arguments) => Some(arguments),
            Err(err) => return (FunctionCallOutputBody::String(format!("err: {err}")), false),
        }
    };
    let invocation = McpInvocation {
        server: tool.server.clone(),
        tool: tool.tool.name.clone(),
        arguments: arguments.clone(),
    };
    let call = async {
        match arguments {
            // MCP passes arguments as an object; anything else is refused before it is sent,
            // in the words the reference's client uses.
            Some(arguments) if !arguments.is_object() => Err(format!(
                "tool call failed for `{}/{}`\n\nCaused by:\n    MCP tool arguments must be a JSON object, got {arguments}",
                tool.server, tool.tool.name
            )),
            arguments => {
                context
                    .mcp
                    .call_tool(&tool.server, &tool.tool.name, arguments)
                    .await
            }
        }
        .map_err(|err| format!("tool call error: {err}"))
    };
    let result = super::announced(context, call_id, invocation, call, Clone::clone).await;
    match &result {
        Ok(result) => result_output(result),
        Err(err) => (
            FunctionCallOutputBody::String(format!("err: {err:?}")),
            false,
        ),
    }
}

/// What the model reads of a tool's result: its structured content when it has some, else its
/// content as text and image items when an image is among it, else the content as JSON text.
/// A result the server marked as an error is a failure.
pub(crate) fn result_output(result: &CallToolResult) -> (FunctionCallOutputBody, bool) {
    let success = result.is_error != Some(true);
    if let Some(structured) = &result.structured_content
        && !structured.is_null()
    {
        return match serde_json::to_string(structured) {
            Ok(text) => (FunctionCallOutputBody::String(text), success),
            Err(err) => (FunctionCallOutputBody::String(err.to_string()), false),
        };
    }
    if let Some(items) = content_items(&result.content) {
        return (FunctionCallOutputBody::List(items), success);
    }
    (
        FunctionCallOutputBody::String(content_json(&result.content)),
        success,
    )
}

/// The content blocks as JSON text with their fields in the order the reference writes them
/// (its MCP types are structs): `type` first, then the block's own fields, then `annotations`
/// and `_meta`. The model sees this text, and the same result should read the same to it.
fn content_json(content: &[Value]) -> String {
    const LAST: [&str; 2] = ["annotations", "_meta"];
    let mut text = String::from("[");
    for (index, block) in content.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let Value::Object(fields) = block else {
            text.push_str(&block.to_string());
            continue;
        };
        let ordered = fields
            .get_key_value("type")
            .into_iter()
            .chain(
                fields
                    .iter()
                    .filter(|(key, _)| key.as_str() != "type" && !LAST.contains(&key.as_str())),
            )
            .chain(LAST.iter().filter_map(|key| fields.get_key_value(*key)));
        text.push('{');
        for (position, (key, value)) in ordered.enumerate() {
            if position > 0 {
                text.push(',');
            }
            text.push_str(&Value::String(key.clone()).to_string());
            text.push(':');
            text.push_str(&value.to_string());
        }
        text.push('}');
    }
    text.push(']');
    text
}

/// The content as input items, when it holds an image (the model sees the picture); `None`
/// otherwise. Text blocks become text items, images data URLs, and any other block its JSON.
fn content_items(content: &[Value]) -> Option<Vec<FunctionCallOutputContentItem>> {
    #[derive(Deserialize)]
    #[serde(tag = "type", rename_all = "lowercase")]
    enum Block {
        Text {
            text: String,
        },
        Image {
            data: String,
            #[serde(rename = "mimeType", alias = "mime_type", default)]
            mime_type: Option<String>,
        },
        #[serde(other)]
        Other,
    }
    let mut has_image = false;
    let items = content
        .iter()
        .map(
            |block| match serde_json::from_value::<Block>(block.clone()) {
                Ok(Block::Text { text }) => FunctionCallOutputContentItem::InputText { text },
                Ok(Block::Image { data, mime_type }) => {
                    has_image = true;
                    let image_url = if data.starts_with("data:") {
                        data
                    } else {
                        let mime_type = mime_type.as_deref().unwrap_or("application/octet-stream");
                        format!("data:{mime_type};base64,{data}")
                    };
                    FunctionCallOutputContentItem::InputImage { image_url }
                }
                Ok(Block::Other) | Err(_) => FunctionCallOutputContentItem::InputText {
                    text: block.to_string(),
                },
            },
        )
        .collect();
    has_image.then_some(items)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    #[test]
    fn content_text_puts_the_type_first_as_the_reference_does() {
        let content = vec![
            serde_json::json!({"type": "text", "text": "echo: ping"}),
            serde_json::json!({"annotations": {"priority": 1}, "type": "resource_link", "uri": "u", "name": "n"}),
        ];
        assert_eq!(
            super::content_json(&content),
            r#"[{"type":"text","text":"echo: ping"},{"type":"resource_link","name":"n","uri":"u","annotations":{"priority":1}}]"#
        );
    }
    use serde_json::json;

    use super::*;

    fn result(
        content: Vec<Value>,
        structured: Option<Value>,
        is_error: Option<bool>,
    ) -> CallToolResult {
        CallToolResult {
            content,
            structured_content: structured,
            is_error,
            meta: None,
        }
    }

    /// The output as the model reads it, with text outputs parsed back into JSON so that the
    /// comparison does not depend on key order.
    fn output(result: &CallToolResult) -> (Value, bool) {
        let (body, success) = result_output(result);
        let body = match body {
            FunctionCallOutputBody::String(text) => serde_json::from_str(&text).unwrap(),
            FunctionCallOutputBody::List(items) => serde_json::to_value(items).unwrap(),
        };
        (body, success)
    }

    #[test]
    fn text_content_is_its_json() {
        let echo = result(
            vec![json!({"type": "text", "text": "echo: ping"})],
            None,
            None,
        );
        assert_eq!(
            output(&echo),
            (json!([{"type": "text", "text": "echo: ping"}]), true)
        );
        assert_eq!(
            output(&result(Vec::new(), Some(Value::Null), Some(false))),
            (json!([]), true)
        );
    }

    #[test]
    fn structured_content_wins_when_present() {
        let structured = result(
            vec![json!({"type": "text", "text": "{\"a\":1}"})],
            Some(json!({"a": 1, "b": [true]})),
            None,
        );
        assert_eq!(output(&structured), (json!({"a": 1, "b": [true]}), true));
    }

    #[test]
    fn an_error_result_is_a_failure() {
        let failed = result(
            vec![json!({"type": "text", "text": "it broke"})],
            None,
            Some(true),
        );
        assert_eq!(
            output(&failed),
            (json!([{"type": "text", "text": "it broke"}]), false)
        );
        let structured = result(Vec::new(), Some(json!({"error": "x"})), Some(true));
        assert_eq!(output(&structured), (json!({"error": "x"}), false));
    }

    #[test]
    fn images_make_input_items() {
        let resource = json!({"type": "resource", "resource": {"uri": "mem://a", "text": "hi"}});
        let with_image = result(
            vec![
                json!({"type": "text", "text": "caption"}),
                json!({"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}),
                json!({"type": "image", "data": "data:image/gif;base64,R0lG"}),
                json!({"type": "image", "data": "AAAA"}),
                resource.clone(),
            ],
            None,
            None,
        );
        assert_eq!(
            result_output(&with_image),
            (
                FunctionCallOutputBody::List(vec![
                    FunctionCallOutputContentItem::InputText {
                        text: "caption".into()
                    },
                    FunctionCallOutputContentItem::InputImage {
                        image_url: "data:image/png;base64,iVBORw0KGgo=".into()
                    },
                    FunctionCallOutputContentItem::InputImage {
                        image_url: "data:image/gif;base64,R0lG".into()
                    },
                    FunctionCallOutputContentItem::InputImage {
                        image_url: "data:application/octet-stream;base64,AAAA".into()
                    },
                    FunctionCallOutputContentItem::InputText {
                        text: resource.to_string()
                    },
                ]),
                true
            )
        );
    }
}
