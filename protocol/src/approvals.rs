//! Requests for the user's approval raised by the agent: commands, patches, MCP elicitations.

use std::collections::BTreeMap;

use crate::parse_command::ParsedCommand;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
pub struct ApplyPatchApprovalRequestEvent {
    pub call_id: String,
    #[serde(default)]
    pub turn_id: String,
    pub changes: BTreeMap<String, FileChange>,
    pub reason: Option<String>,
    pub grant_root: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
pub struct ElicitationRequestEvent {
    pub server_name: String,
    #[ts(type = "string | number")]
    pub id: crate::mcp::RequestId,
    pub message: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
pub struct ExecApprovalRequestEvent {
    pub call_id: String,
    #[serde(default)]
    pub turn_id: String,
    pub command: Vec<String>,
    pub cwd: String,
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub proposed_execpolicy_amendment: Option<ExecPolicyAmendment>,
    pub parsed_cmd: Vec<ParsedCommand>,
}

// NOTE: no json schema found
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(transparent)]
pub struct ExecPolicyAmendment(pub Vec<String>);

// One file of a patch: what an approval shows and a patch event reports. No doc comment: it
// would become a description in the exported schema, which must stay the reference's.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FileChange {
    #[serde(rename_all = "camelCase")]
    Add { content: String },
    #[serde(rename_all = "camelCase")]
    Delete { content: String },
    Update {
        unified_diff: String,
        move_path: Option<String>,
    },
}
