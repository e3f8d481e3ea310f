//! Which parts of the protocol are experimental: the exporters leave them out of the stable
//! bindings, and the server refuses them to clients that did not opt in.
//!
//! Experimental methods are flagged in the method tables. Experimental fields of otherwise stable
//! types, and experimental variants of stable enums, are listed here by wire name.

use serde_json::Value;

use crate::ClientRequest;

/// One experimental field of a stable type.
pub(crate) struct ExperimentalField {
    pub type_name: &'static str,
    pub field: &'static str,
    /// Whether the stable TypeScript leaves the field out too. The reference's stable bindings
    /// keep some fields that its stable JSON Schema drops; we follow both so clients see the same
    /// files from either program.
    pub hidden_in_typescript: bool,
}

pub(crate) const EXPERIMENTAL_FIELDS: &[ExperimentalField] = &[
    field("ThreadStartParams", "dynamicTools", true),
    field("ThreadStartParams", "mockExperimentalField", true),
    field("ThreadStartParams", "experimentalRawEvents", false),
    field("ThreadResumeParams", "history", false),
    field("ThreadResumeParams", "path", false),
    field("ThreadResumeParams", "afterSeq", true),
    field("ThreadResumeParams", "journalId", true),
    field("ThreadForkParams", "path", false),
    field("ThreadStartResponse", "journalId", true),
    field("ThreadResumeResponse", "journalId", true),
    field("ThreadForkResponse", "journalId", true),
    field("TurnStartParams", "collaborationMode", false),
    field("Config", "apps", true),
    field("ConfigRequirements", "network", true),
];

/// The request each params type of [`EXPERIMENTAL_FIELDS`] belongs to; the other types listed
/// there are responses, which the server filters rather than refuses.
const PARAMS_TYPES: &[(&str, &str)] = &[
    ("ThreadStartParams", "thread/start"),
    ("ThreadResumeParams", "thread/resume"),
    ("ThreadForkParams", "thread/fork"),
    ("TurnStartParams", "turn/start"),
];

/// Experimental variants of stable enums in params: (method, tag field, tag value).
const EXPERIMENTAL_VARIANTS: &[(&str, &str, &str)] =
    &[("account/login/start", "type", "chatgptAuthTokens")];

const fn field(
    type_name: &'static str,
    field: &'static str,
    hidden_in_typescript: bool,
) -> ExperimentalField {
    ExperimentalField {
        type_name,
        field,
        hidden_in_typescript,
    }
}

/// The experimental part of the protocol a request uses, if any, named as the reference names it
/// in its refusal: `collaborationMode/list` for a method, `thread/start.dynamicTools` for a field,
/// `account/login/start.chatgptAuthTokens` for an enum variant.
///
/// A field counts as used when it is present with a value other than `null` or `false`, which is
/// what its default reads as.
pub fn experimental_feature_used(method: &str, params: Option<&Value>) -> Option<String> {
    if ClientRequest::METHODS
        .iter()
        .any(|info| info.method == method && info.experimental)
    {
        return Some(method.to_string());
    }
    let params = params?.as_object()?;
    for (type_name, params_method) in PARAMS_TYPES {
        if *params_method != method {
            continue;
        }
        let used = EXPERIMENTAL_FIELDS
            .iter()
            .filter(|field| field.type_name == *type_name)
            .find(|field| {
                params
                    .get(field.field)
                    .is_some_and(|value| !matches!(value, Value::Null | Value::Bool(false)))
            });
        if let Some(field) = used {
            return Some(format!("{method}.{}", field.field));
        }
    }
    EXPERIMENTAL_VARIANTS
        .iter()
        .find(|(variant_method, tag, value)| {
            *variant_method == method && params.get(*tag).and_then(Value::as_str) == Some(*value)
        })
        .map(|(_, _, value)| format!("{method}.{value}"))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::MethodVisitor;

    fn check(method: &str, params: Option<Value>, expected: Option<&str>) {
        assert_eq!(
            experimental_feature_used(method, params.as_ref()).as_deref(),
            expected,
            "{method} {params:?}"
        );
    }

    #[test]
    fn names_methods_fields_and_variants() {
        check(
            "collaborationMode/list",
            None,
            Some("collaborationMode/list"),
        );
        check(
            "mock/experimentalMethod",
            Some(json!({})),
            Some("mock/experimentalMethod"),
        );
        check("thread/list", None, None);
        check("thread/start", Some(json!({"cwd": "/w"})), None);
        check(
            "thread/start",
            Some(json!({"dynamicTools": []})),
            Some("thread/start.dynamicTools"),
        );
        check(
            "thread/start",
            Some(json!({"experimentalRawEvents": true})),
            Some("thread/start.experimentalRawEvents"),
        );
        check(
            "thread/start",
            Some(json!({"experimentalRawEvents": false})),
            None,
        );
        check("thread/start", Some(json!({"dynamicTools": null})), None);
        check(
            "thread/resume",
            Some(json!({"path": "/r.jsonl"})),
            Some("thread/resume.path"),
        );
        check(
            "turn/start",
            Some(json!({"collaborationMode": {"mode": "plan"}})),
            Some("turn/start.collaborationMode"),
        );
        check(
            "account/login/start",
            Some(json!({"type": "chatgptAuthTokens"})),
            Some("account/login/start.chatgptAuthTokens"),
        );
        check("account/login/start", Some(json!({"type": "apiKey"})), None);
    }

    /// Each params type named in the table must really be the params of that method, or the
    /// gate would look at the wrong request.
    #[test]
    fn params_types_match_their_methods() {
        struct Find(&'static str, Option<&'static str>);
        impl MethodVisitor for Find {
            fn visit<P, R>(&mut self, method: &'static str, _experimental: bool)
            where
                P: 'static,
                R: 'static,
            {
                if method == self.0 {
                    let name = std::any::type_name::<P>();
                    self.1 = Some(name.rsplit("::").next().unwrap_or(name));
                }
            }
        }
        for (type_name, method) in PARAMS_TYPES {
            let mut find = Find(method, None);
            ClientRequest::visit_methods(&mut find);
            assert_eq!(find.1, Some(*type_name), "{method}");
        }
    }
}
