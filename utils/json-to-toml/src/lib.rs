//! Converts JSON values, as received over the wire, into `toml_edit` values for writing config.
//!
//! TOML has no `null`, so a JSON `null` means "absent": [`json_to_toml`] returns `None` for it,
//! and nulls inside objects and arrays are dropped. Integers that fit in `i64` stay integers;
//! larger ones (`u64` above `i64::MAX`) become floats, keeping them numbers at the cost of
//! precision, the same trade-off JSON parsers in most languages make.
//!
//! ```
//! use codex_utils_json_to_toml::json_to_toml;
//! use codex_utils_json_to_toml::json_to_toml_item;
//!
//! let json = serde_json::json!({"model": "o3", "tools": {"web_search": true}, "extra": null});
//! let value = json_to_toml(json.clone()).unwrap();
//! assert_eq!(value.to_string(), r#"{ model = "o3", tools = { web_search = true } }"#);
//!
//! let mut doc = toml_edit::DocumentMut::new();
//! doc["profile"] = json_to_toml_item(json);
//! assert_eq!(
//!     doc.to_string(),
//!     "[profile]\nmodel = \"o3\"\ntools = { web_search = true }\n",
//! );
//! ```

use serde_json::Value as JsonValue;
use toml_edit::Array;
use toml_edit::InlineTable;
use toml_edit::Item;
use toml_edit::Table;
use toml_edit::Value as TomlValue;

/// Converts `value` to a TOML value, with objects as inline tables. Returns `None` for `null`.
pub fn json_to_toml(value: JsonValue) -> Option<TomlValue> {
    let converted = match value {
        JsonValue::Null => return None,
        JsonValue::Bool(b) => TomlValue::from(b),
        JsonValue::Number(n) => match n.as_i64() {
            Some(i) => TomlValue::from(i),
            // Without serde_json's `arbitrary_precision`, every number is an f64 as well.
            None => TomlValue::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        JsonValue::String(s) => TomlValue::from(s),
        JsonValue::Array(items) => TomlValue::Array(
            items
                .into_iter()
                .filter_map(json_to_toml)
                .collect::<Array>(),
        ),
        JsonValue::Object(members) => TomlValue::InlineTable(
            members
                .into_iter()
                .filter_map(|(key, member)| Some((key, json_to_toml(member)?)))
                .collect::<InlineTable>(),
        ),
    };
    Some(converted)
}

/// Like [`json_to_toml`], but a top-level object becomes a standard `[table]` (its own nested
/// objects stay inline) and `null` becomes [`Item::None`], which `toml_edit` treats as absent.
pub fn json_to_toml_item(value: JsonValue) -> Item {
    match value {
        JsonValue::Object(members) => {
            let mut table = Table::new();
            for (key, member) in members {
                if let Some(member) = json_to_toml(member) {
                    table.insert(&key, Item::Value(member));
                }
            }
            Item::Table(table)
        }
        other => json_to_toml(other).map_or(Item::None, Item::Value),
    }
}

/// Why a config override given as JSON cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    /// The override's dotted key.
    pub key: String,
    pub reason: String,
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid config override `{}`: {}", self.key, self.reason)
    }
}

impl std::error::Error for OverrideError {}

/// Config overrides sent as JSON (`{"dotted.key": value}`), as the `toml` values config layers
/// hold. A top-level `null` has no TOML spelling and is refused.
pub fn config_overrides(
    overrides: impl IntoIterator<Item = (String, JsonValue)>,
) -> Result<Vec<(String, toml::Value)>, OverrideError> {
    overrides
        .into_iter()
        .map(|(key, value)| {
            let Some(value) = json_to_toml(value) else {
                return Err(OverrideError {
                    key,
                    reason: "null is not a value".to_owned(),
                });
            };
            // `toml_edit` and `toml` share the syntax, not the types: go through the text.
            match value.to_string().parse::<toml::Value>() {
                Ok(value) => Ok((key, value)),
                Err(err) => Err(OverrideError {
                    key,
                    reason: err.to_string(),
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    /// Converts `json` and compares the displayed TOML value with `expected`.
    #[track_caller]
    fn check(json: JsonValue, expected: Option<&str>) {
        let actual = json_to_toml(json.clone()).map(|value| value.to_string());
        assert_eq!(actual.as_deref(), expected, "converting {json}");
    }

    #[test]
    fn scalars() {
        check(json!(null), None);
        check(json!(true), Some("true"));
        check(json!(-7), Some("-7"));
        check(json!(i64::MAX), Some("9223372036854775807"));
        check(json!(1.5), Some("1.5"));
        check(json!(2.0), Some("2.0"));
        check(json!("a \"quoted\" word"), Some(r#"'a "quoted" word'"#));
        check(json!("two\nlines"), Some("\"\"\"\ntwo\nlines\"\"\""));
    }

    /// Whatever the display choices, the output must parse back to the same data.
    #[test]
    fn round_trips_through_toml() {
        let json = json!({
            "s": "it's \"both\"\n\ttabbed",
            "n": [1, -2, 3.25, u64::MAX],
            "nested": {"empty": {}, "list": [{"k": "v"}]},
        });
        let mut doc = toml_edit::DocumentMut::new();
        doc["root"] = json_to_toml_item(json.clone());
        let reparsed: toml_edit::DocumentMut = doc.to_string().parse().unwrap();
        assert_eq!(reparsed.to_string(), doc.to_string());
        let root = reparsed["root"].as_table().unwrap();
        assert_eq!(
            root["s"].as_str(),
            Some("it's \"both\"\n\ttabbed"),
            "document:\n{doc}"
        );
        assert_eq!(
            root["n"]
                .as_array()
                .unwrap()
                .get(3)
                .and_then(|v| v.as_float()),
            Some(u64::MAX as f64)
        );
        assert_eq!(
            root["nested"]["list"][0]["k"].as_str(),
            Some("v"),
            "document:\n{doc}"
        );
    }

    #[test]
    fn integers_beyond_i64_become_floats() {
        check(json!(u64::MAX), Some("18446744073709552000.0"));
        let value = json_to_toml(json!(u64::MAX)).unwrap();
        assert_eq!(value.as_float(), Some(u64::MAX as f64));
    }

    #[test]
    fn arrays_drop_nulls() {
        check(json!([]), Some("[]"));
        check(json!([1, null, "x", [null]]), Some(r#"[1, "x", []]"#));
    }

    #[test]
    fn objects_become_inline_tables_and_drop_nulls() {
        check(json!({}), Some("{}"));
        check(
            json!({"a": {"c": [true]}, "b": 1, "gone": null, "needs quotes": "x"}),
            Some(r#"{ a = { c = [true] }, b = 1, "needs quotes" = "x" }"#),
        );
    }

    /// Stores the converted item under `key` in an empty document and compares the document.
    #[track_caller]
    fn check_item(json: JsonValue, expected: &str) {
        let mut doc = toml_edit::DocumentMut::new();
        doc["key"] = json_to_toml_item(json.clone());
        assert_eq!(doc.to_string(), expected, "converting {json}");
    }

    #[test]
    fn items() {
        check_item(json!(null), "");
        check_item(json!("o3"), "key = \"o3\"\n");
        check_item(json!([1, null]), "key = [1]\n");
        check_item(
            json!({"x": 1, "y": null, "z": {"w": "v"}}),
            "[key]\nx = 1\nz = { w = \"v\" }\n",
        );
        check_item(json!({}), "[key]\n");
    }

    #[test]
    fn overrides_become_toml_values_and_null_is_refused() {
        let overrides = config_overrides([
            ("model".to_owned(), json!("o3")),
            ("tools".to_owned(), json!({"web_search": true, "x": null})),
            ("limit".to_owned(), json!(5)),
        ])
        .unwrap();
        assert_eq!(
            overrides,
            vec![
                ("model".to_owned(), toml::Value::String("o3".into())),
                (
                    "tools".to_owned(),
                    toml::Value::Table(toml::toml! { web_search = true })
                ),
                ("limit".to_owned(), toml::Value::Integer(5)),
            ]
        );
        let err = config_overrides([("model".to_owned(), json!(null))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid config override `model`: null is not a value"
        );
    }
}
