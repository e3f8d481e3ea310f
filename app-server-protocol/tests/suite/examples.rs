//! The traffic recorded from the reference server (codex 0.101.0, `examples/` in the recorded
//! reference data) goes through our types unchanged.
//!
//! Each example file names a method and lists examples. Client requests carry `params` and
//! either `result` or `error`; notifications and server requests are their params. For each:
//! the params parse into the method's params type and serialise back to the same JSON, a result
//! does the same with the response type, and the typed envelope (`ClientRequest`, ...) gives back
//! the envelope it was read from. An error whose message starts with `Invalid request: ` is the
//! reference refusing the message while parsing it, so we must refuse it too, with the same serde
//! message; any other error came later, from a handler, so the params must parse.
//!
//! Where our output differs from the example, the difference is accepted only if the reference's
//! own JSON Schema for that type says it makes no difference (see `schema_eq`): a member the
//! reference does not require, absent on one side and `null` or its default on the other.

use std::fs;
use std::path::PathBuf;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::ParseError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use serde_json::Value;
use serde_json::json;

use super::diff;
use super::methods;
use super::methods::Method;
use super::methods::Payload;
use super::methods::Table;
use super::reference;
use super::schema_eq;

/// One example file: a method and its examples.
struct ExampleFile {
    name: String,
    method: String,
    examples: Vec<Value>,
}

fn load(folder: &str) -> Vec<ExampleFile> {
    let dir = reference::dir().join("examples").join(folder);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no example files in {}", dir.display());
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
            let mut file: Value = serde_json::from_str(&text)
                .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()));
            let name = format!(
                "{folder}/{}",
                path.file_name().expect("file name").display()
            );
            let method = file["method"]
                .as_str()
                .unwrap_or_else(|| panic!("{name} has no method"))
                .to_string();
            let Value::Array(examples) = file["examples"].take() else {
                panic!("{name} has no examples list");
            };
            assert!(!examples.is_empty(), "{name} has an empty examples list");
            ExampleFile {
                name,
                method,
                examples,
            }
        })
        .collect()
}

/// Failures and counts gathered over a folder of examples, reported together at the end.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    checked: usize,
}

impl Report {
    fn fail(&mut self, context: &str, message: impl std::fmt::Display) {
        self.failures.push(format!("{context}: {message}"));
    }

    fn finish(self, what: &str, expected_at_least: usize) {
        assert!(
            self.failures.is_empty(),
            "{} of the {what} do not round-trip:\n\n{}",
            self.failures.len(),
            self.failures.join("\n\n")
        );
        assert!(
            self.checked >= expected_at_least,
            "only {} {what} were checked",
            self.checked
        );
    }

    /// `value` parses into `payload`'s type and serialises back to itself, or to JSON the
    /// reference schema of the type says is the same. Returns our serialisation.
    fn round_trip(&mut self, context: &str, payload: &Payload, value: &Value) -> Option<Value> {
        self.checked += 1;
        let context = format!("{context} ({})", payload.type_name);
        let round_trip = match payload.round_trip(value.clone()) {
            Ok(round_trip) => round_trip,
            Err(err) => {
                self.fail(&context, format!("{err}\n{value:#}"));
                return None;
            }
        };
        if round_trip.first != round_trip.second {
            self.fail(
                &context,
                format!(
                    "serialising twice gives different JSON\n{}",
                    diff(&round_trip.first, &round_trip.second)
                ),
            );
        }
        if round_trip.first != *value {
            let reference = payload.schema_name().and_then(reference::schema);
            let verdict = match &reference {
                Some(schema) => schema_eq::check(schema, value, &round_trip.first),
                None => Err("the reference exports no schema for this type".to_string()),
            };
            if let Err(why) = verdict {
                self.fail(
                    &context,
                    format!(
                        "comes back different: {why}\n{}",
                        diff(value, &round_trip.first)
                    ),
                );
            }
        }
        Some(round_trip.first)
    }

    /// The whole message parses as the table's tagged enum and serialises back with the params
    /// as the params type writes them.
    fn envelope<T>(&mut self, context: &str, message: Value, params: Value)
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let mut expected = message.clone();
        expected["params"] = params;
        match serde_json::from_value::<T>(message.clone()) {
            Ok(typed) => {
                let actual = serde_json::to_value(&typed).expect("serialise the envelope");
                if actual != expected {
                    self.fail(
                        context,
                        format!(
                            "the envelope comes back different\n{}",
                            diff(&expected, &actual)
                        ),
                    );
                }
            }
            Err(err) => self.fail(
                context,
                format!("the envelope does not parse: {err}\n{message:#}"),
            ),
        }
    }
}

/// An example whose members are `params` and `result`/`error`, as opposed to bare params.
fn is_wrapped(example: &Value) -> bool {
    example.as_object().is_some_and(|members| {
        members.contains_key("params")
            && members
                .keys()
                .all(|key| matches!(key.as_str(), "params" | "result" | "error"))
    })
}

#[test]
fn client_request_examples_round_trip() {
    let methods = methods::all();
    let mut report = Report::default();
    for file in load("requests") {
        let method = methods::find(&methods, Table::ClientRequest, &file.method);
        for (index, example) in file.examples.iter().enumerate() {
            let context = format!("{} example {index} ({})", file.name, file.method);
            assert!(
                is_wrapped(example),
                "{context}: not a params/result pair: {example:#}"
            );
            let params = &example["params"];
            if let Some(error) = example.get("error") {
                let message = error["message"].as_str().expect("error message");
                if let Some(parse_error) = message.strip_prefix("Invalid request: ") {
                    report.checked += 1;
                    check_refused(&mut report, &context, &file.method, params, parse_error);
                    continue;
                }
            }
            let Some(method) = method else {
                report.fail(&context, "the method is not in ClientRequest's table");
                continue;
            };
            check_request(&mut report, &context, method, params);
            if let Some(result) = example.get("result") {
                let response = method.response.as_ref().expect("requests have responses");
                report.round_trip(&format!("{context} result"), response, result);
            }
        }
    }
    report.finish("client request examples", 60);
}

/// The params parse into the method's type, and the whole request into `ClientRequest`, both
/// with `from_parts` and as a tagged enum.
fn check_request(report: &mut Report, context: &str, method: &Method, params: &Value) {
    let context = format!("{context} params");
    let Some(ours) = report.round_trip(&context, &method.params, params) else {
        return;
    };
    let envelope = json!({"id": 1, "method": method.name, "params": params});
    report.envelope::<ClientRequest>(&context, envelope, ours.clone());
    match ClientRequest::from_parts(RequestId::Integer(1), method.name, Some(params.clone())) {
        Ok(request) => {
            let actual = serde_json::to_value(&request).expect("serialise the request");
            let expected = json!({"id": 1, "method": method.name, "params": ours});
            if actual != expected {
                report.fail(
                    &context,
                    format!(
                        "from_parts builds a different request\n{}",
                        diff(&expected, &actual)
                    ),
                );
            }
        }
        Err(err) => report.fail(&context, format!("from_parts refuses it: {err:?}")),
    }
}

/// serde's list of the methods it expected, without the experimental methods the reference
/// does not have (upstream's later ones).
fn without_later_methods(ours: &str, reference: &str) -> String {
    ours.split(", ")
        .filter(|part| {
            let later = part.starts_with('`')
                && part.ends_with('`')
                && ClientRequest::METHODS
                    .iter()
                    .any(|info| info.experimental && *part == format!("`{}`", info.method))
                && !reference.contains(*part);
            !later
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The reference refused the request while parsing it, with serde's `message`: we refuse it
/// with the same message, as a `ClientRequest` and through `from_parts`.
fn check_refused(report: &mut Report, context: &str, method: &str, params: &Value, message: &str) {
    let envelope = json!({"id": 1, "method": method, "params": params});
    match serde_json::from_value::<ClientRequest>(envelope.clone()) {
        Ok(request) => report.fail(context, format!("ClientRequest accepts it: {request:?}")),
        Err(err) if without_later_methods(&err.to_string(), message) != message => report.fail(
            context,
            format!(
                "ClientRequest refuses it with another message\n{}",
                pretty_assertions::StrComparison::new(message, &err.to_string())
            ),
        ),
        Err(_) => {}
    }
    let parsed = ClientRequest::from_parts(RequestId::Integer(1), method, Some(params.clone()));
    let unknown = format!("unknown variant `{method}`");
    match parsed {
        Err(ParseError::UnknownMethod(name)) if message.starts_with(&unknown) && name == method => {
        }
        Err(ParseError::InvalidParams(err))
            if !message.starts_with(&unknown) && err.to_string() == message => {}
        other => report.fail(
            context,
            format!("from_parts should fail like the reference ({message}), gives {other:?}"),
        ),
    }
}

#[test]
fn server_notification_examples_round_trip() {
    let methods = methods::all();
    let mut report = Report::default();
    for file in load("notifications") {
        let Some(method) = methods::find(&methods, Table::ServerNotification, &file.method) else {
            report.fail(
                &file.name,
                format!("{} is not a ServerNotification", file.method),
            );
            continue;
        };
        for (index, params) in file.examples.iter().enumerate() {
            let context = format!("{} example {index} ({})", file.name, file.method);
            if let Some(ours) = report.round_trip(&context, &method.params, params) {
                let envelope = json!({"method": method.name, "params": params});
                report.envelope::<ServerNotification>(&context, envelope, ours);
            }
        }
    }
    report.finish("server notification examples", 50);
}

#[test]
fn server_request_examples_round_trip() {
    let methods = methods::all();
    let mut report = Report::default();
    for file in load("server-requests") {
        let Some(method) = methods::find(&methods, Table::ServerRequest, &file.method) else {
            report.fail(
                &file.name,
                format!("{} is not a ServerRequest", file.method),
            );
            continue;
        };
        for (index, example) in file.examples.iter().enumerate() {
            let context = format!("{} example {index} ({})", file.name, file.method);
            // The files hold bare params; a `params`/`result` pair also carries the client's answer.
            let (params, result) = if is_wrapped(example) {
                (&example["params"], example.get("result"))
            } else {
                (example, None)
            };
            if let Some(ours) = report.round_trip(&context, &method.params, params) {
                let envelope = json!({"id": 1, "method": method.name, "params": params});
                report.envelope::<ServerRequest>(&context, envelope, ours);
            }
            if let Some(result) = result {
                let response = method.response.as_ref().expect("requests have responses");
                report.round_trip(&format!("{context} result"), response, result);
            }
        }
    }
    report.finish("server request examples", 4);
}
