//! Equality of two JSON values up to what a schema says makes no difference on the wire.
//!
//! Two values are equivalent under a schema when they are equal, except that a member the
//! schema does not require may be absent on one side and, on the other, `null` (where the
//! member's schema admits `null`) or the member's declared `default`. A member the schema marks
//! `writeOnly` (serde's `skip_serializing`) must be absent from the actual value. Numbers of
//! `"type": "number"` compare by value, so `2` and `2.0` are equal there.
//!
//! Both values must also fit the schema where that decides which `oneOf`/`anyOf` branch applies:
//! their `type`, `enum`, `const` and required members are checked, so a tagged variant is
//! compared under its own branch. Nothing else is forgiven: unknown members, a required member
//! missing, a different enum spelling or a different number all make the values differ.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use schemars::Map;
use schemars::schema::InstanceType;
use schemars::schema::RootSchema;
use schemars::schema::Schema;
use schemars::schema::SchemaObject;
use schemars::schema::SingleOrVec;
use serde_json::Value;

/// Checks that `actual` is equivalent to `expected` under `root`; the error names the first
/// place where they differ.
pub fn check(root: &RootSchema, expected: &Value, actual: &Value) -> Result<(), String> {
    let checker = Checker {
        definitions: &root.definitions,
    };
    let parts = checker.expand_object(&root.schema, Vec::new())?;
    checker.equivalent(parts, expected, actual, "$")
}

struct Checker<'a> {
    definitions: &'a Map<String, Schema>,
}

/// One of the schemas that all apply to a value (the parts of an `allOf`, a `$ref` resolved).
/// Once the `oneOf`/`anyOf` of a part has been split into its branches, the part stays in the
/// list for its other keywords, with `branched` set.
#[derive(Clone, Copy)]
struct Part<'a> {
    object: &'a SchemaObject,
    branched: bool,
}

impl<'a> Part<'a> {
    fn branches(self) -> Option<&'a Vec<Schema>> {
        if self.branched {
            return None;
        }
        let subschemas = self.object.subschemas.as_ref()?;
        subschemas.one_of.as_ref().or(subschemas.any_of.as_ref())
    }

    fn allows(self, instance_type: InstanceType) -> bool {
        match &self.object.instance_type {
            None => false,
            Some(SingleOrVec::Single(single)) => **single == instance_type,
            Some(SingleOrVec::Vec(list)) => list.contains(&instance_type),
        }
    }
}

impl<'a> Checker<'a> {
    fn equivalent(
        &self,
        parts: Vec<Part<'a>>,
        expected: &Value,
        actual: &Value,
        path: &str,
    ) -> Result<(), String> {
        // Try each branch of the first `oneOf`/`anyOf`, with the other parts beside it.
        if let Some((index, branches)) = parts
            .iter()
            .enumerate()
            .find_map(|(index, part)| Some((index, part.branches()?)))
        {
            let mut errors = Vec::new();
            for branch in branches {
                let mut with_branch = parts.clone();
                with_branch[index].branched = true;
                let with_branch = self.expand(branch, with_branch)?;
                match self.equivalent(with_branch, expected, actual, path) {
                    Ok(()) => return Ok(()),
                    Err(error) => errors.push(error),
                }
            }
            // The variants whose tag does not match say nothing useful.
            let tagged: Vec<&String> = errors
                .iter()
                .filter(|error| !is_tag_mismatch(error, path))
                .collect();
            let shown = if tagged.is_empty() {
                errors.iter().collect()
            } else {
                tagged
            };
            return Err(format!(
                "{path}: no variant fits both values:\n  {}",
                shown
                    .iter()
                    .map(|error| error.replace('\n', "\n  "))
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
        for part in &parts {
            fits(*part, expected).map_err(|why| format!("{path}: expected {expected} {why}"))?;
            fits(*part, actual).map_err(|why| format!("{path}: found {actual} {why}"))?;
        }
        match (expected, actual) {
            (Value::Object(expected), Value::Object(actual)) => {
                self.members(&parts, expected, actual, path)
            }
            (Value::Array(expected), Value::Array(actual)) => {
                if expected.len() != actual.len() {
                    return Err(format!(
                        "{path}: {} items expected, {} found",
                        expected.len(),
                        actual.len()
                    ));
                }
                for (index, (expected, actual)) in expected.iter().zip(actual).enumerate() {
                    let path = format!("{path}[{index}]");
                    let mut items = Vec::new();
                    for schema in item_schemas(&parts, index) {
                        items = self.expand(schema, items)?;
                    }
                    self.equivalent(items, expected, actual, &path)?;
                }
                Ok(())
            }
            (Value::Number(left), Value::Number(right))
                if parts.iter().any(|part| part.allows(InstanceType::Number))
                    && left.as_f64() == right.as_f64() =>
            {
                Ok(())
            }
            _ if expected == actual => Ok(()),
            _ => Err(format!("{path}: expected {expected}, found {actual}")),
        }
    }

    fn members(
        &self,
        parts: &[Part<'a>],
        expected: &serde_json::Map<String, Value>,
        actual: &serde_json::Map<String, Value>,
        path: &str,
    ) -> Result<(), String> {
        let mut properties: BTreeMap<&str, Vec<&Schema>> = BTreeMap::new();
        let mut required = BTreeSet::new();
        let mut additional = Vec::new();
        for part in parts {
            let Some(validation) = &part.object.object else {
                continue;
            };
            for (name, schema) in &validation.properties {
                properties.entry(name.as_str()).or_default().push(schema);
            }
            required.extend(validation.required.iter().map(String::as_str));
            if let Some(schema) = &validation.additional_properties {
                additional.push(&**schema);
            }
        }
        for name in &required {
            // A write-only member is required on input only.
            let write_only = self.is_write_only_member(properties.get(name))?;
            if !expected.contains_key(*name) || (!write_only && !actual.contains_key(*name)) {
                return Err(format!(
                    "{path}.{name}: required, expected {}, found {}",
                    show(expected.get(*name)),
                    show(actual.get(*name))
                ));
            }
        }
        // Tags first: they tell a wrong variant apart at once.
        let mut names: Vec<&str> = expected
            .keys()
            .chain(actual.keys())
            .map(String::as_str)
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .collect();
        names.sort_by_key(|name| !properties.get(name).is_some_and(|schemas| is_tag(schemas)));
        for name in names {
            let path = format!("{path}.{name}");
            let (expected, actual) = (expected.get(name), actual.get(name));
            let named = properties.contains_key(name);
            let schemas = match properties.get(name) {
                Some(schemas) => schemas,
                // A member the schema does not name belongs to a flattened map, if any.
                None => &additional,
            };
            let mut member = Vec::new();
            for schema in schemas {
                member = self.expand(schema, member)?;
            }
            if self.is_write_only_member(properties.get(name))? {
                if let Some(actual) = actual {
                    return Err(format!("{path}: write-only member serialised as {actual}"));
                }
                continue;
            }
            match (expected, actual) {
                (Some(expected), Some(actual)) if named || !schemas.is_empty() => {
                    self.equivalent(member, expected, actual, &path)?
                }
                (Some(present), None) | (None, Some(present)) if named => {
                    let default = member
                        .iter()
                        .find_map(|part| part.object.metadata.as_ref()?.default.as_ref());
                    let forgiven = !required.contains(name)
                        && ((present.is_null() && self.admits_null(member)?)
                            || default == Some(present));
                    if !forgiven {
                        return Err(format!(
                            "{path}: expected {}, found {}",
                            show(expected),
                            show(actual)
                        ));
                    }
                }
                _ => {
                    if expected != actual {
                        return Err(format!(
                            "{path}: expected {}, found {}",
                            show(expected),
                            show(actual)
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether a property (given by its schemas, if the schema names it) is write-only.
    fn is_write_only_member(&self, schemas: Option<&Vec<&'a Schema>>) -> Result<bool, String> {
        let mut parts = Vec::new();
        for schema in schemas.into_iter().flatten() {
            parts = self.expand(schema, parts)?;
        }
        Ok(parts.iter().any(|part| is_write_only(part.object)))
    }

    /// Whether `null` satisfies all of `parts`.
    fn admits_null(&self, parts: Vec<Part<'a>>) -> Result<bool, String> {
        if let Some((index, branches)) = parts
            .iter()
            .enumerate()
            .find_map(|(index, part)| Some((index, part.branches()?)))
        {
            for branch in branches {
                let mut with_branch = parts.clone();
                with_branch[index].branched = true;
                if self.admits_null(self.expand(branch, with_branch)?)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        Ok(parts.iter().all(|part| {
            let object = part.object;
            (object.instance_type.is_none() || part.allows(InstanceType::Null))
                && object
                    .enum_values
                    .as_ref()
                    .is_none_or(|values| values.contains(&Value::Null))
                && object.const_value.as_ref().is_none_or(Value::is_null)
        }))
    }

    /// Adds `schema` to `parts`, resolving references and splitting `allOf` into its parts.
    fn expand(&self, schema: &'a Schema, parts: Vec<Part<'a>>) -> Result<Vec<Part<'a>>, String> {
        match schema {
            Schema::Bool(true) => Ok(parts),
            Schema::Bool(false) => Err("the schema admits no value".to_string()),
            Schema::Object(object) => self.expand_object(object, parts),
        }
    }

    fn expand_object(
        &self,
        object: &'a SchemaObject,
        mut parts: Vec<Part<'a>>,
    ) -> Result<Vec<Part<'a>>, String> {
        if let Some(reference) = &object.reference {
            let name = reference
                .strip_prefix("#/definitions/")
                .unwrap_or(reference);
            let target = self
                .definitions
                .get(name)
                .ok_or_else(|| format!("$ref to missing definition {name}"))?;
            return self.expand(target, parts);
        }
        parts.push(Part {
            object,
            branched: false,
        });
        if let Some(all_of) = object.subschemas.as_ref().and_then(|s| s.all_of.as_ref()) {
            for schema in all_of {
                parts = self.expand(schema, parts)?;
            }
        }
        Ok(parts)
    }
}

/// Checks `value` against the keywords of `part` that concern the value itself (not its members
/// or items): `type`, `enum` and `const`.
fn fits(part: Part<'_>, value: &Value) -> Result<(), String> {
    let object = part.object;
    if object.instance_type.is_some() {
        let allowed = match value {
            Value::Null => part.allows(InstanceType::Null),
            Value::Bool(_) => part.allows(InstanceType::Boolean),
            Value::Number(number) => {
                part.allows(InstanceType::Number)
                    || (part.allows(InstanceType::Integer) && !number.is_f64())
            }
            Value::String(_) => part.allows(InstanceType::String),
            Value::Array(_) => part.allows(InstanceType::Array),
            Value::Object(_) => part.allows(InstanceType::Object),
        };
        if !allowed {
            return Err(format!("is not of type {:?}", object.instance_type));
        }
    }
    if let Some(values) = &object.enum_values
        && !values.contains(value)
    {
        return Err(format!("is not one of {values:?}"));
    }
    if let Some(constant) = &object.const_value
        && constant != value
    {
        return Err(format!("is not {constant}"));
    }
    Ok(())
}

/// Whether `error` is about a member of the value at `path` not being the one value its schema
/// allows: a variant tried whose tag is not the value's.
fn is_tag_mismatch(error: &str, path: &str) -> bool {
    let first_line = error.lines().next().unwrap_or_default();
    let Some(rest) = first_line.strip_prefix(&format!("{path}.")) else {
        return false;
    };
    let member = rest.split(':').next().unwrap_or_default();
    !member.contains(['.', '[']) && first_line.contains(" is not one of ")
}

/// Whether a property is a tag: a single string it must be.
fn is_tag(schemas: &[&Schema]) -> bool {
    schemas.iter().any(|schema| {
        matches!(schema, Schema::Object(SchemaObject { enum_values: Some(values), .. }) if values.len() == 1)
    })
}

fn is_write_only(object: &SchemaObject) -> bool {
    object
        .metadata
        .as_ref()
        .is_some_and(|metadata| metadata.write_only)
}

/// The schemas of the array item at `index`.
fn item_schemas<'a>(parts: &[Part<'a>], index: usize) -> Vec<&'a Schema> {
    parts
        .iter()
        .filter_map(|part| match part.object.array.as_ref()?.items.as_ref()? {
            SingleOrVec::Single(item) => Some(&**item),
            SingleOrVec::Vec(tuple) => tuple.get(index),
        })
        .collect()
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "no member".to_string(), Value::to_string)
}
