//! The tools the server offers: their names, descriptions and input schemas. What each one does
//! is in `handler.rs`; this module only describes them, so `--tools` can be checked before the
//! server starts.

use std::str::FromStr;
use std::sync::Arc;

use rmcp::model::JsonObject;
use rmcp::model::Tool;
use serde_json::Value;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolName {
    Echo,
    EchoStructured,
    Fail,
    Error,
    Sleep,
    Pid,
    SpawnChild,
    Env,
    Cwd,
    Elicit,
}

impl ToolName {
    pub const ALL: [ToolName; 10] = [
        ToolName::Echo,
        ToolName::EchoStructured,
        ToolName::Fail,
        ToolName::Error,
        ToolName::Sleep,
        ToolName::Pid,
        ToolName::SpawnChild,
        ToolName::Env,
        ToolName::Cwd,
        ToolName::Elicit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::Echo => "echo",
            ToolName::EchoStructured => "echo_structured",
            ToolName::Fail => "fail",
            ToolName::Error => "error",
            ToolName::Sleep => "sleep",
            ToolName::Pid => "pid",
            ToolName::SpawnChild => "spawn_child",
            ToolName::Env => "env",
            ToolName::Cwd => "cwd",
            ToolName::Elicit => "elicit",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ToolName::Echo => "Answers `echo: <text>`.",
            ToolName::EchoStructured => {
                "Answers `echo: <text>` and the structured content `{\"echo\": <text>}`."
            }
            ToolName::Fail => "Answers a tool result with isError set.",
            ToolName::Error => "Answers a JSON-RPC error (code -32000).",
            ToolName::Sleep => "Sleeps for `ms` milliseconds, then answers `slept <ms> ms`.",
            ToolName::Pid => "Answers the server's process id.",
            ToolName::SpawnChild => {
                "Starts `sleep 600` in the server's process group and answers its pid."
            }
            ToolName::Env => "Answers the server's environment as a JSON object.",
            ToolName::Cwd => "Answers the server's working directory.",
            ToolName::Elicit => {
                "Asks the client for input (elicitation/create) and answers the client's action."
            }
        }
    }

    fn input_schema(self) -> JsonObject {
        let text = json!({"type": "string"});
        let message = json!({"type": "string"});
        match self {
            ToolName::Echo | ToolName::EchoStructured => {
                object_schema(json!({"text": text}), &["text"])
            }
            ToolName::Fail | ToolName::Error => object_schema(json!({"message": message}), &[]),
            ToolName::Sleep => {
                object_schema(json!({"ms": {"type": "integer", "minimum": 0}}), &["ms"])
            }
            ToolName::Elicit => object_schema(json!({"message": message}), &["message"]),
            ToolName::Pid | ToolName::SpawnChild | ToolName::Env | ToolName::Cwd => {
                object_schema(json!({}), &[])
            }
        }
    }

    /// The tool as `tools/list` describes it.
    pub fn tool(self) -> Tool {
        let tool = Tool::new(self.as_str(), self.description(), self.input_schema());
        if self != ToolName::EchoStructured {
            return tool;
        }
        let output = object_schema(json!({"echo": {"type": "string"}}), &["echo"]);
        tool.with_raw_output_schema(Arc::new(output))
    }
}

impl FromStr for ToolName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ToolName::ALL
            .into_iter()
            .find(|tool| tool.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = ToolName::ALL.iter().map(|tool| tool.as_str()).collect();
                format!("unknown tool `{name}` (known: {})", known.join(", "))
            })
    }
}

fn object_schema(properties: Value, required: &[&str]) -> JsonObject {
    let mut schema = JsonObject::new();
    schema.insert("type".to_owned(), json!("object"));
    schema.insert("properties".to_owned(), properties);
    if !required.is_empty() {
        schema.insert("required".to_owned(), json!(required));
    }
    schema
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn every_tool_name_parses_back() {
        for tool in ToolName::ALL {
            assert_eq!(tool.as_str().parse::<ToolName>(), Ok(tool));
        }
        assert_eq!(
            "nope".parse::<ToolName>(),
            Err(
                "unknown tool `nope` (known: echo, echo_structured, fail, error, sleep, pid, \
                 spawn_child, env, cwd, elicit)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn schemas_are_objects_naming_their_required_arguments() {
        let echo = serde_json::to_value(ToolName::Echo.tool()).unwrap();
        assert_eq!(
            echo["inputSchema"],
            json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})
        );
        let pid = serde_json::to_value(ToolName::Pid.tool()).unwrap();
        assert_eq!(
            pid["inputSchema"],
            json!({"type": "object", "properties": {}})
        );
        let structured = serde_json::to_value(ToolName::EchoStructured.tool()).unwrap();
        assert_eq!(structured["outputSchema"]["required"], json!(["echo"]));
    }
}
