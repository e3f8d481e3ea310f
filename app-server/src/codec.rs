//! Turning frames of text into JSON-RPC messages and back.
//!
//! The wire is "JSON-RPC lite": the envelope of JSON-RPC 2.0 without the `"jsonrpc"` member
//! (accepted and ignored when a client sends it). Decoding is stricter than a plain serde
//! derive so that every malformed message can be answered with the right code and, where the
//! message carries one, its id.

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::RequestId;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::error;
use crate::outbound::Frame;

/// A well-formed message from the client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    Request {
        id: RequestId,
        method: String,
        /// Always an object when present.
        params: Option<Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// The client's answer to one of our requests.
    Response { id: RequestId, result: Value },
    /// The client's refusal of one of our requests.
    Error {
        id: RequestId,
        error: JSONRPCErrorError,
    },
}

/// A message the server cannot act on, with the answer it gets. `id` is `None` when the message
/// had no usable id, and the answer then carries `"id": null`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejected {
    pub id: Option<RequestId>,
    pub error: JSONRPCErrorError,
}

pub(crate) fn decode(text: &str) -> Result<Incoming, Rejected> {
    let value: Value = serde_json::from_str(text).map_err(|err| Rejected {
        id: None,
        error: error::parse_error(err),
    })?;
    let mut object = match value {
        Value::Object(object) => object,
        Value::Array(_) => return Err(unidentified("batches are not supported")),
        _ => return Err(unidentified("a message must be a JSON object")),
    };
    let id = match object.remove("id") {
        None => None,
        Some(value) => Some(
            request_id(value).ok_or_else(|| unidentified("`id` must be a string or an integer"))?,
        ),
    };
    let reject = |message: &str| Rejected {
        id: id.clone(),
        error: error::invalid_request(format!("Invalid request: {message}")),
    };

    match object.remove("method") {
        Some(Value::String(method)) => {
            let params = match object.remove("params") {
                None | Some(Value::Null) => None,
                Some(params @ Value::Object(_)) => Some(params),
                Some(_) if id.is_some() => {
                    return Err(Rejected {
                        id,
                        error: error::invalid_params("params must be an object"),
                    });
                }
                Some(_) => return Err(reject("params must be an object")),
            };
            Ok(match id {
                Some(id) => Incoming::Request { id, method, params },
                None => Incoming::Notification { method, params },
            })
        }
        Some(_) => Err(reject("`method` must be a string")),
        None => {
            let Some(id) = id.clone() else {
                return Err(reject("expected a request, a notification or a response"));
            };
            if let Some(result) = object.remove("result") {
                return Ok(Incoming::Response { id, result });
            }
            match object.remove("error") {
                Some(error) => {
                    // A garbled refusal still settles the request it answers.
                    let error = serde_json::from_value(error).unwrap_or_else(|err| {
                        error::invalid_request(format!("malformed error response: {err}"))
                    });
                    Ok(Incoming::Error { id, error })
                }
                None => Err(reject("expected a request, a notification or a response")),
            }
        }
    }
}

fn unidentified(message: &str) -> Rejected {
    Rejected {
        id: None,
        error: error::invalid_request(format!("Invalid request: {message}")),
    }
}

fn request_id(value: Value) -> Option<RequestId> {
    match value {
        Value::String(text) => Some(RequestId::String(text)),
        Value::Number(number) => number.as_i64().map(RequestId::Integer),
        _ => None,
    }
}

/// A successful answer. The result is serialised straight to text, not through a `Value`, so
/// its members keep the order of the type's fields, as the reference writes them.
pub(crate) fn response<T: Serialize>(
    id: &RequestId,
    result: &T,
) -> Result<Frame, serde_json::Error> {
    #[derive(Serialize)]
    struct Response<'a, T> {
        id: &'a RequestId,
        result: &'a T,
    }
    serde_json::to_string(&Response { id, result }).map(Frame::from)
}

/// An error answer; `id` is `None` for a message whose id could not be read.
pub(crate) fn error_response(id: Option<&RequestId>, error: &JSONRPCErrorError) -> Frame {
    #[derive(Serialize)]
    struct ErrorResponse<'a> {
        error: &'a JSONRPCErrorError,
        id: Option<&'a RequestId>,
    }
    encode(&ErrorResponse { error, id })
}

/// A notification or server request, already in its `{"method", "params"}` shape.
pub(crate) fn message(message: &impl Serialize) -> Frame {
    encode(message)
}

fn encode(value: &impl Serialize) -> Frame {
    match serde_json::to_string(value) {
        Ok(text) => Frame::from(text),
        // Our messages are plain data with string keys, so this cannot happen; if it ever
        // does, the client still gets a well-formed message instead of a broken line.
        Err(err) => {
            tracing::error!("failed to serialise an outgoing message: {err}");
            let mut error = Map::new();
            error.insert("code".into(), Value::from(error::INTERNAL_ERROR));
            error.insert(
                "message".into(),
                Value::from(format!("failed to serialise a message: {err}")),
            );
            let mut envelope = Map::new();
            envelope.insert("error".into(), Value::Object(error));
            envelope.insert("id".into(), Value::Null);
            Frame::from(Value::Object(envelope).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    /// Decodes `text` and renders the outcome as the JSON the server would act on or answer.
    fn check(text: &str, expected: Value) {
        let actual = match decode(text) {
            Ok(Incoming::Request { id, method, params }) => {
                json!({"request": {"id": id, "method": method, "params": params}})
            }
            Ok(Incoming::Notification { method, params }) => {
                json!({"notification": {"method": method, "params": params}})
            }
            Ok(Incoming::Response { id, result }) => {
                json!({"response": {"id": id, "result": result}})
            }
            Ok(Incoming::Error { id, error }) => json!({"error": {"id": id, "error": error}}),
            Err(rejected) => serde_json::from_str::<Value>(&error_response(
                rejected.id.as_ref(),
                &rejected.error,
            ))
            .unwrap(),
        };
        assert_eq!(actual, expected, "decoding {text}");
    }

    #[test]
    fn reads_the_four_kinds_of_message() {
        check(
            r#"{"jsonrpc":"2.0","id":1,"method":"thread/list","params":{"limit":2}}"#,
            json!({"request": {"id": 1, "method": "thread/list", "params": {"limit": 2}}}),
        );
        check(
            r#"{"id":"a","method":"thread/list","params":null}"#,
            json!({"request": {"id": "a", "method": "thread/list", "params": null}}),
        );
        check(
            r#"{"method":"initialized"}"#,
            json!({"notification": {"method": "initialized", "params": null}}),
        );
        check(
            r#"{"id":3,"result":{"decision":"accept"}}"#,
            json!({"response": {"id": 3, "result": {"decision": "accept"}}}),
        );
        check(
            r#"{"id":3,"error":{"code":1,"message":"no"}}"#,
            json!({"error": {"id": 3, "error": {"code": 1, "message": "no"}}}),
        );
    }

    #[test]
    fn answers_what_it_cannot_read() {
        check(
            "not json",
            json!({"error": {"code": -32700, "message": "Parse error: expected ident at line 1 column 2"}, "id": null}),
        );
        check(
            "[]",
            json!({"error": {"code": -32600, "message": "Invalid request: batches are not supported"}, "id": null}),
        );
        check(
            "7",
            json!({"error": {"code": -32600, "message": "Invalid request: a message must be a JSON object"}, "id": null}),
        );
        check(
            r#"{"id":1.5,"method":"x"}"#,
            json!({"error": {"code": -32600, "message": "Invalid request: `id` must be a string or an integer"}, "id": null}),
        );
        check(
            r#"{"id":4,"method":7}"#,
            json!({"error": {"code": -32600, "message": "Invalid request: `method` must be a string"}, "id": 4}),
        );
        check(
            r#"{"id":5,"method":"thread/list","params":[]}"#,
            json!({"error": {"code": -32602, "message": "Invalid params: params must be an object"}, "id": 5}),
        );
        check(
            r#"{"id":6}"#,
            json!({"error": {"code": -32600, "message": "Invalid request: expected a request, a notification or a response"}, "id": 6}),
        );
        check(
            r#"{}"#,
            json!({"error": {"code": -32600, "message": "Invalid request: expected a request, a notification or a response"}, "id": null}),
        );
    }

    #[test]
    fn a_garbled_error_response_still_settles_its_request() {
        check(
            r#"{"id":9,"error":"nope"}"#,
            json!({"error": {"id": 9, "error": {"code": -32600, "message": "malformed error response: invalid type: string \"nope\", expected struct JSONRPCErrorError"}}}),
        );
    }

    #[test]
    fn results_keep_the_order_of_their_fields() {
        #[derive(Serialize)]
        struct Answer {
            zebra: u8,
            apple: u8,
        }
        assert_eq!(
            &*response(&RequestId::Integer(2), &Answer { zebra: 1, apple: 2 }).unwrap(),
            r#"{"id":2,"result":{"zebra":1,"apple":2}}"#
        );
    }

    #[test]
    fn encodes_answers_without_a_jsonrpc_member() {
        assert_eq!(
            &*response(&RequestId::Integer(1), &json!({"ok": true})).unwrap(),
            r#"{"id":1,"result":{"ok":true}}"#
        );
        assert_eq!(
            &*error_response(None, &error::overloaded()),
            r#"{"error":{"code":-32001,"message":"Server overloaded; retry later."},"id":null}"#
        );
    }
}
