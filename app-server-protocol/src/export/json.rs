//! The JSON Schema tree: one draft-07 file per protocol type, and one bundle of all of them.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use schemars::JsonSchema;
use schemars::r#gen::SchemaSettings;
use serde_json::Map;
use serde_json::Value;
use ts_rs::TS;

use super::write_file;
use crate::ClientNotification;
use crate::ClientRequest;
use crate::JSONRPCError;
use crate::JSONRPCErrorError;
use crate::JSONRPCMessage;
use crate::JSONRPCNotification;
use crate::JSONRPCRequest;
use crate::JSONRPCResponse;
use crate::ProtocolTypeVisitor;
use crate::RequestId;
use crate::SchemaFolder;
use crate::ServerNotification;
use crate::ServerRequest;
use crate::experimental::EXPERIMENTAL_FIELDS;
use codex_protocol::protocol::EventMsg;

const BUNDLE_FILE: &str = "codex_app_server_protocol.schemas.json";

/// One generated schema and where it goes.
struct SchemaFile {
    name: String,
    folder: SchemaFolder,
    schema: Value,
}

struct Collector {
    experimental: bool,
    files: Vec<SchemaFile>,
    result: io::Result<()>,
}

impl Collector {
    fn add<T: JsonSchema>(&mut self, folder: SchemaFolder) {
        // Inline-only types (such as `NoParams`) get no file of their own.
        if !T::is_referenceable() || self.result.is_err() {
            return;
        }
        let name = T::schema_name();
        // The same type can be listed twice (one response type for two methods).
        if self.files.iter().any(|file| file.name == name) {
            return;
        }
        let root = SchemaSettings::draft07()
            .into_generator()
            .into_root_schema_for::<T>();
        match serde_json::to_value(root) {
            Ok(schema) => self.files.push(SchemaFile {
                name,
                folder,
                schema,
            }),
            Err(err) => self.result = Err(io::Error::other(err)),
        }
    }
}

impl ProtocolTypeVisitor for Collector {
    fn visit<T: TS + JsonSchema + 'static>(&mut self, folder: SchemaFolder, experimental: bool) {
        if experimental && !self.experimental {
            return;
        }
        self.add::<T>(folder);
    }
}

/// Writes one JSON Schema file per protocol type under `out_dir` (`v1/`, `v2/` and the root, as
/// the method tables place them), plus the bundle `codex_app_server_protocol.schemas.json`.
pub fn generate_json(out_dir: &Path, experimental: bool) -> io::Result<()> {
    let mut collector = Collector {
        experimental,
        files: Vec::new(),
        result: Ok(()),
    };
    collector.add::<RequestId>(SchemaFolder::Root);
    collector.add::<JSONRPCMessage>(SchemaFolder::Root);
    collector.add::<JSONRPCRequest>(SchemaFolder::Root);
    collector.add::<JSONRPCNotification>(SchemaFolder::Root);
    collector.add::<JSONRPCResponse>(SchemaFolder::Root);
    collector.add::<JSONRPCError>(SchemaFolder::Root);
    collector.add::<JSONRPCErrorError>(SchemaFolder::Root);
    collector.add::<ClientRequest>(SchemaFolder::Root);
    collector.add::<ClientNotification>(SchemaFolder::Root);
    collector.add::<ServerRequest>(SchemaFolder::Root);
    collector.add::<ServerNotification>(SchemaFolder::Root);
    collector.add::<EventMsg>(SchemaFolder::Root);
    ClientRequest::visit_types(&mut collector);
    ServerRequest::visit_types(&mut collector);
    ServerNotification::visit_types(&mut collector);
    collector.result?;

    let experimental_methods: Vec<&str> = ClientRequest::METHODS
        .iter()
        .filter(|info| info.experimental)
        .map(|info| info.method)
        .collect();
    let experimental_notifications: Vec<&str> = ServerNotification::METHODS
        .iter()
        .filter(|info| info.experimental)
        .map(|info| info.method)
        .collect();
    for file in &mut collector.files {
        if !experimental {
            strip_experimental_fields(&mut file.schema);
            if file.name == "ClientRequest" {
                strip_methods(&mut file.schema, &experimental_methods);
            }
            if file.name == "ServerNotification" {
                strip_methods(&mut file.schema, &experimental_notifications);
                drop_unreferenced_definitions(&mut file.schema);
            }
        }
    }
    for file in &collector.files {
        let path = out_dir
            .join(file.folder.as_path())
            .join(format!("{}.json", file.name));
        write_file(&path, &to_pretty(&file.schema)?)?;
    }
    let bundle = bundle(&collector.files);
    write_file(&out_dir.join(BUNDLE_FILE), &to_pretty(&bundle)?)
}

fn to_pretty(value: &Value) -> io::Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    text.push('\n');
    Ok(text)
}

/// Removes experimental fields wherever their type appears: as the file's root or as a
/// definition.
fn strip_experimental_fields(schema: &mut Value) {
    let title = schema
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(title) = title {
        strip_fields_of(schema, &title);
    }
    if let Some(Value::Object(definitions)) = schema.get_mut("definitions") {
        for (name, definition) in definitions.iter_mut() {
            strip_fields_of(definition, name);
        }
    }
}

fn strip_fields_of(schema: &mut Value, type_name: &str) {
    for experimental in EXPERIMENTAL_FIELDS
        .iter()
        .filter(|field| field.type_name == type_name)
    {
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            properties.remove(experimental.field);
        }
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            required.retain(|name| name != experimental.field);
        }
    }
}

/// Removes the variants of the given methods from a tagged request union, with the definitions
/// of their params.
fn strip_methods(schema: &mut Value, methods: &[&str]) {
    let mut removed_params = Vec::new();
    if let Some(Value::Array(variants)) = schema.get_mut("oneOf") {
        variants.retain(|variant| {
            let method = variant
                .pointer("/properties/method/enum/0")
                .and_then(Value::as_str);
            let keep = !method.is_some_and(|method| methods.contains(&method));
            if !keep
                && let Some(reference) = variant
                    .pointer("/properties/params/$ref")
                    .and_then(Value::as_str)
            {
                removed_params.push(reference.rsplit('/').next().unwrap_or_default().to_string());
            }
            keep
        });
    }
    if let Some(Value::Object(definitions)) = schema.get_mut("definitions") {
        for name in removed_params {
            definitions.remove(&name);
        }
    }
}

/// Removes the definitions nothing in the document refers to any more, until none is left:
/// the types only experimental notifications used.
fn drop_unreferenced_definitions(schema: &mut Value) {
    loop {
        let Some(Value::Object(definitions)) = schema.get("definitions") else {
            return;
        };
        let text = schema.to_string();
        let unused: Vec<String> = definitions
            .keys()
            .filter(|name| {
                let reference = format!("\"#/definitions/{name}\"");
                !text.contains(&reference)
            })
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        if let Some(Value::Object(definitions)) = schema.get_mut("definitions") {
            for name in unused {
                definitions.remove(&name);
            }
        }
    }
}

/// All definitions in one document. v2 types live under `definitions.v2`, since some of their
/// names are also used by root types.
fn bundle(files: &[SchemaFile]) -> Value {
    let mut root_definitions = BTreeMap::new();
    let mut v2_definitions = BTreeMap::new();
    // Every name a v2 file defines belongs to the v2 namespace.
    let mut v2_names = std::collections::BTreeSet::new();
    for file in files.iter().filter(|file| file.folder == SchemaFolder::V2) {
        v2_names.insert(file.name.clone());
        if let Some(Value::Object(definitions)) = file.schema.get("definitions") {
            v2_names.extend(definitions.keys().cloned());
        }
    }
    // In a root file, a v2 type is either under its own name or, when a root type took that
    // name first, under the name with a `2` appended.
    let is_v2_in_root_file = |name: &str| {
        v2_names.contains(name)
            || name
                .strip_suffix('2')
                .is_some_and(|base| v2_names.contains(base))
    };
    for file in files {
        let mut schema = file.schema.clone();
        let definitions = match schema.as_object_mut() {
            Some(object) => object.remove("definitions"),
            None => None,
        };
        let is_v2 = file.folder == SchemaFolder::V2;
        let target = if is_v2 {
            &mut v2_definitions
        } else {
            &mut root_definitions
        };
        target.insert(file.name.clone(), schema);
        if let Some(Value::Object(definitions)) = definitions {
            for (name, definition) in definitions {
                if is_v2 || !is_v2_in_root_file(&name) {
                    target.entry(name).or_insert(definition);
                }
            }
        }
    }
    let v2_object: Map<String, Value> = v2_definitions
        .into_iter()
        .map(|(name, mut definition)| {
            rewrite_refs(&mut definition, "#/definitions/v2/");
            (name, definition)
        })
        .collect();
    let mut definitions: Map<String, Value> = root_definitions.into_iter().collect();
    definitions.insert("v2".to_string(), Value::Object(v2_object));
    serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "CodexAppServerProtocol",
        "type": "object",
        "definitions": definitions,
    })
}

fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                if key == "$ref"
                    && let Value::String(reference) = child
                    && let Some(name) = reference.strip_prefix("#/definitions/")
                {
                    *reference = format!("{prefix}{name}");
                } else {
                    rewrite_refs(child, prefix);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite_refs(item, prefix)),
        _ => {}
    }
}
