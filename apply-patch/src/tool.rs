//! How the tool is offered to the model: the freeform (custom) tool constrained by a Lark
//! grammar, for models trained on it, and a JSON function tool taking the patch as `input`.
//! The tool names, shapes and the language the grammar accepts are what the model depends on;
//! the grammar's wording and the descriptions are our own.

use serde_json::Value;
use serde_json::json;

/// The tool's name in both forms.
pub const TOOL_NAME: &str = "apply_patch";

/// The Lark grammar sent as the freeform tool's `format.definition`.
pub const LARK_GRAMMAR: &str = include_str!("tool_apply_patch.lark");

/// The freeform tool's description.
pub const FREEFORM_DESCRIPTION: &str =
    "Edit files with a patch. Send the patch text itself as the tool input, not wrapped in JSON.";

/// The function tool's description: the patch language explained to models that call tools
/// with JSON arguments.
pub const FUNCTION_DESCRIPTION: &str = include_str!("function_tool_description.md");

/// The freeform tool as it appears in a Responses API request's `tools`.
pub fn freeform_tool() -> Value {
    json!({
        "type": "custom",
        "name": TOOL_NAME,
        "description": FREEFORM_DESCRIPTION,
        "format": {
            "type": "grammar",
            "syntax": "lark",
            "definition": LARK_GRAMMAR,
        },
    })
}

/// The JSON Schema of the function tool's arguments: `{"input": "<patch>"}`.
pub fn function_tool_parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "input": {
                "type": "string",
                "description": "The whole patch, from `*** Begin Patch` to `*** End Patch`",
            },
        },
        "required": ["input"],
        "additionalProperties": false,
    })
}

/// The function tool as it appears in a Responses API request's `tools`.
pub fn function_tool() -> Value {
    json!({
        "type": "function",
        "name": TOOL_NAME,
        "description": FUNCTION_DESCRIPTION,
        "strict": false,
        "parameters": function_tool_parameters(),
    })
}
