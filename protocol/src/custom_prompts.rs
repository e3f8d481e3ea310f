//! User-defined prompt files offered as slash commands.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
pub struct CustomPrompt {
    pub name: String,
    pub path: String,
    pub content: String,
    pub description: Option<String>,
    pub argument_hint: Option<String>,
}
