//! A best-effort reading of what a shell command does (read, list, search), for display.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParsedCommand {
    #[serde(rename_all = "camelCase")]
    Read {
        cmd: String,
        name: String,
        path: String,
    },
    #[serde(rename_all = "camelCase")]
    ListFiles { cmd: String, path: Option<String> },
    #[serde(rename_all = "camelCase")]
    Search {
        cmd: String,
        query: Option<String>,
        path: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Unknown { cmd: String },
}
