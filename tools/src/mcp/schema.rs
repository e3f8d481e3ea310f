//! An MCP tool as the model is offered it: a Responses function tool whose parameters are the
//! tool's `inputSchema`, brought into the small JSON Schema subset the reference sends.
//!
//! MCP servers write all kinds of schemas: without `type`, with `integer`, unions, `anyOf`,
//! boolean schemas. The reference first fills in what is missing (a type inferred from the
//! keywords present, `properties` for objects, `items` for arrays), then keeps only `type`,
//! `description`, `items`, `properties`, `required` and `additionalProperties`. A schema that
//! still does not fit (a `null` type, say) leaves the tool out of the offer.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;
use serde_json::json;

use super::McpTool;

/// The function tool definition for `tool`, or `None` when its schema cannot be offered.
pub(crate) fn tool_spec(tool: &McpTool) -> Option<Value> {
    let mut schema = tool.tool.input_schema.clone();
    // The models require `properties` on the parameters object.
    if let Some(map) = schema.as_object_mut()
        && map.get("properties").is_none_or(Value::is_null)
    {
        map.insert("properties".to_owned(), Value::Object(Map::new()));
    }
    sanitize(&mut schema);
    let parameters = match serde_json::from_value::<Schema>(schema) {
        Ok(parameters) => parameters,
        Err(err) => {
            tracing::warn!(
                "leaving out the MCP tool {}: its input schema does not fit: {err}",
                tool.qualified_name
            );
            return None;
        }
    };
    Some(json!({
        "type": "function",
        "name": tool.qualified_name,
        "description": tool.tool.description.clone().unwrap_or_default(),
        "strict": false,
        "parameters": parameters,
    }))
}

/// The schema subset the model is offered.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Schema {
    Boolean {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    String {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    #[serde(alias = "integer")]
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    Array {
        items: Box<Schema>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    Object {
        properties: BTreeMap<String, Schema>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        required: Option<Vec<String>>,
        #[serde(
            rename = "additionalProperties",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        additional_properties: Option<AdditionalProperties>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum AdditionalProperties {
    Allowed(bool),
    Schema(Box<Schema>),
}

/// The types a union (`"type": [...]`) may be narrowed to.
const KNOWN_TYPES: [&str; 6] = ["object", "array", "string", "number", "integer", "boolean"];

/// Fills in, recursively, what the subset requires: every schema gets a `type` (inferred from
/// its keywords, else `string`), objects get `properties` and arrays `items`. A boolean schema
/// becomes a string.
fn sanitize(value: &mut Value) {
    let map = match value {
        Value::Bool(_) => {
            *value = json!({"type": "string"});
            return;
        }
        Value::Array(values) => {
            values.iter_mut().for_each(sanitize);
            return;
        }
        Value::Object(map) => map,
        Value::Null | Value::Number(_) | Value::String(_) => return,
    };
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(sanitize);
    }
    for nested in ["items", "oneOf", "anyOf", "allOf", "prefixItems"] {
        if let Some(value) = map.get_mut(nested) {
            sanitize(value);
        }
    }
    let ty = match map.get("type") {
        Some(Value::String(ty)) => Some(ty.clone()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|ty| KNOWN_TYPES.contains(ty))
            .map(str::to_owned),
        _ => None,
    };
    let has = |keys: &[&str]| keys.iter().any(|key| map.contains_key(*key));
    let ty = ty.unwrap_or_else(|| {
        let inferred = if has(&["properties", "required", "additionalProperties"]) {
            "object"
        } else if has(&["items", "prefixItems"]) {
            "array"
        } else if has(&["enum", "const", "format"]) {
            "string"
        } else if has(&[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ]) {
            "number"
        } else {
            "string"
        };
        inferred.to_owned()
    });
    map.insert("type".to_owned(), Value::String(ty.clone()));
    match ty.as_str() {
        "object" => {
            map.entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(additional) = map.get_mut("additionalProperties")
                && !additional.is_boolean()
            {
                sanitize(additional);
            }
        }
        "array" => {
            map.entry("items")
                .or_insert_with(|| json!({"type": "string"}));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use codex_protocol::mcp::Tool;
    use pretty_assertions::assert_eq;

    use super::*;

    fn mcp_tool(name: &str, description: Option<&str>, input_schema: Value) -> McpTool {
        McpTool {
            qualified_name: format!("mcp__srv__{name}"),
            server: "srv".to_owned(),
            tool: Tool {
                name: name.to_owned(),
                title: Some("ignored".to_owned()),
                description: description.map(str::to_owned),
                input_schema,
                output_schema: None,
                annotations: None,
                icons: None,
                meta: None,
            },
        }
    }

    /// The parameters offered for a tool whose only property has `schema`.
    fn property(schema: Value) -> Option<Value> {
        let spec = tool_spec(&mcp_tool(
            "t",
            None,
            json!({"type": "object", "properties": {"p": schema}}),
        ))?;
        Some(spec["parameters"]["properties"]["p"].clone())
    }

    #[test]
    fn a_plain_tool_keeps_its_schema() {
        let spec = tool_spec(&mcp_tool(
            "echo",
            Some("Echo the given text back."),
            json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
        ));
        assert_eq!(
            spec,
            Some(json!({
                "type": "function",
                "name": "mcp__srv__echo",
                "description": "Echo the given text back.",
                "strict": false,
                "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
            }))
        );
    }

    #[test]
    fn the_top_level_object_always_has_properties() {
        for schema in [
            json!({"type": "object"}),
            json!({"type": "object", "properties": null}),
            json!({"properties": {"a": {"type": "string"}}}),
        ] {
            let spec = tool_spec(&mcp_tool("t", None, schema.clone())).unwrap();
            assert_eq!(spec["parameters"]["type"], "object", "{schema}");
            assert!(spec["parameters"]["properties"].is_object(), "{schema}");
            assert_eq!(spec["description"], "");
        }
        let spec = tool_spec(&mcp_tool(
            "t",
            None,
            json!({"type": "object", "required": ["zz"], "additionalProperties": false, "title": "T", "description": "D", "$schema": "x"}),
        ))
        .unwrap();
        assert_eq!(
            spec["parameters"],
            json!({"type": "object", "properties": {}, "required": ["zz"], "additionalProperties": false})
        );
    }

    /// Each case as the reference offered it (recorded from codex-cli 0.101.0).
    #[test]
    fn properties_are_brought_into_the_subset() {
        let cases = [
            (
                json!({"type": "integer", "description": "an int", "minimum": 1, "default": 3}),
                json!({"type": "number", "description": "an int"}),
            ),
            (
                json!({"enum": ["a", "b"], "description": "enum no type"}),
                json!({"type": "string", "description": "enum no type"}),
            ),
            (
                json!({"anyOf": [{"type": "string"}, {"type": "number"}]}),
                json!({"type": "string"}),
            ),
            (
                json!({"type": ["null", "string"]}),
                json!({"type": "string"}),
            ),
            (
                json!({"type": ["integer", "null"]}),
                json!({"type": "number"}),
            ),
            (json!(true), json!({"type": "string"})),
            (
                json!({"type": "array"}),
                json!({"type": "array", "items": {"type": "string"}}),
            ),
            (
                json!({"type": "array", "items": {"enum": [1, 2]}, "description": "d"}),
                json!({"type": "array", "items": {"type": "string"}, "description": "d"}),
            ),
            (
                json!({"properties": {"x": {"type": "boolean"}}, "required": ["x"], "additionalProperties": false}),
                json!({"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"], "additionalProperties": false}),
            ),
            (
                json!({"type": "object", "additionalProperties": {"type": "integer"}}),
                json!({"type": "object", "properties": {}, "additionalProperties": {"type": "number"}}),
            ),
            (
                json!({"type": "object", "additionalProperties": true}),
                json!({"type": "object", "properties": {}, "additionalProperties": true}),
            ),
            (
                json!({"required": ["q"]}),
                json!({"type": "object", "properties": {}, "required": ["q"]}),
            ),
            (json!({"format": "date-time"}), json!({"type": "string"})),
            (json!({"const": "k"}), json!({"type": "string"})),
            (json!({"maximum": 5}), json!({"type": "number"})),
            (json!({}), json!({"type": "string"})),
            (
                json!({"oneOf": [{"type": "string"}], "description": "one"}),
                json!({"type": "string", "description": "one"}),
            ),
            (
                json!({"type": "string", "description": "plain", "enum": ["x"], "title": "S"}),
                json!({"type": "string", "description": "plain"}),
            ),
        ];
        for (schema, offered) in cases {
            assert_eq!(property(schema.clone()), Some(offered), "{schema}");
        }
    }

    #[test]
    fn a_schema_outside_the_subset_leaves_the_tool_out() {
        assert_eq!(property(json!({"type": "null"})), None);
        assert_eq!(
            property(json!({"type": "object", "properties": null})),
            None
        );
        assert_eq!(property(json!({"type": "string", "description": 5})), None);
    }
}
