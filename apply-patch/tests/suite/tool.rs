//! The tool definitions offered to the model.

use codex_apply_patch::parse_patch;
use codex_apply_patch::tool;
use pretty_assertions::assert_eq;
use serde_json::json;

#[test]
fn freeform_tool_carries_the_grammar() {
    let spec = tool::freeform_tool();
    assert_eq!(spec["type"], "custom");
    assert_eq!(spec["name"], "apply_patch");
    assert_eq!(
        spec["format"],
        json!({"type": "grammar", "syntax": "lark", "definition": tool::LARK_GRAMMAR})
    );
    assert!(tool::LARK_GRAMMAR.starts_with("start: open_patch file_op+ close_patch\n"));
    assert!(tool::LARK_GRAMMAR.ends_with("%import common.LF\n"));
}

#[test]
fn function_tool_takes_input() {
    assert_eq!(
        tool::function_tool_parameters(),
        json!({
            "type": "object",
            "properties": {"input": {"type": "string", "description": "The whole patch, from `*** Begin Patch` to `*** End Patch`"}},
            "required": ["input"],
            "additionalProperties": false,
        })
    );
    let spec = tool::function_tool();
    assert_eq!(
        (spec["type"].clone(), spec["strict"].clone()),
        (json!("function"), json!(false))
    );
}

#[test]
fn the_example_in_the_description_parses() {
    let description = tool::FUNCTION_DESCRIPTION;
    let start = description.rfind("*** Begin Patch").unwrap();
    let end = description.rfind("*** End Patch").unwrap() + "*** End Patch".len();
    assert_eq!(
        parse_patch(&description[start..end]).unwrap().hunks.len(),
        3
    );
}
