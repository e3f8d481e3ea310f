//! The params type of methods that take none.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::InstanceType;
use schemars::schema::Schema;
use schemars::schema::SchemaObject;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::Serializer;
use serde::de::IgnoredAny;
use serde::de::Visitor;
use ts_rs::TS;

/// Params of a method without any: `undefined` in TypeScript, `null` in JSON Schema, and absent
/// or `null` on the wire.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NoParams;

impl Serialize for NoParams {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_none()
    }
}

impl<'de> Deserialize<'de> for NoParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Going through `deserialize_option` makes a missing `params` member read as none.
        deserializer.deserialize_option(NoParamsVisitor)
    }
}

struct NoParamsVisitor;

impl<'de> Visitor<'de> for NoParamsVisitor {
    type Value = NoParams;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no params (null or absent)")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<NoParams, E> {
        Ok(NoParams)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<NoParams, E> {
        Ok(NoParams)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<NoParams, D::Error> {
        // An empty object is what many clients send for "nothing"; accept it too.
        let members = BTreeMap::<String, IgnoredAny>::deserialize(deserializer)?;
        match members.keys().next() {
            None => Ok(NoParams),
            Some(name) => Err(serde::de::Error::custom(format!(
                "this method takes no params, got `{name}`"
            ))),
        }
    }
}

impl JsonSchema for NoParams {
    fn schema_name() -> String {
        "NoParams".to_string()
    }

    fn is_referenceable() -> bool {
        false
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        SchemaObject {
            instance_type: Some(InstanceType::Null.into()),
            ..Default::default()
        }
        .into()
    }

    // Not required in the enclosing object, like an `Option`.
    fn _schemars_private_is_option() -> bool {
        true
    }
}

impl TS for NoParams {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn decl() -> String {
        "type NoParams = undefined;".to_string()
    }

    fn decl_concrete() -> String {
        Self::decl()
    }

    fn name() -> String {
        "undefined".to_string()
    }

    fn inline() -> String {
        "undefined".to_string()
    }

    fn inline_flattened() -> String {
        "undefined".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Envelope {
        #[allow(dead_code)]
        params: NoParams,
    }

    #[test]
    fn absent_null_and_empty_object_are_accepted() {
        for value in [json!({}), json!({"params": null}), json!({"params": {}})] {
            assert!(
                serde_json::from_value::<Envelope>(value.clone()).is_ok(),
                "{value}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for value in [
            json!({"params": 1}),
            json!({"params": {"x": 1}}),
            json!({"params": []}),
        ] {
            assert!(
                serde_json::from_value::<Envelope>(value.clone()).is_err(),
                "{value}"
            );
        }
    }
}
