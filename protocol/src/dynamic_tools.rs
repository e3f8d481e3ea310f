//! Calls to tools that a client declared for a thread.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// A tool the client declared for a thread and runs itself. Rollouts keep the thread's list in
/// `session_meta.dynamic_tools`, so a resumed or forked thread still offers them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct DynamicToolSpec {
    pub name: String,
    pub description: String,
    /// The JSON Schema of its arguments, offered to the model as is.
    pub input_schema: serde_json::Value,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct DynamicToolCallRequest {
    pub call_id: String,
    pub turn_id: String,
    pub tool: String,
    pub arguments: serde_json::Value,
}
