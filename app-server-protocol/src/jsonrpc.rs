//! The JSON-RPC-lite envelope: JSON-RPC 2.0 messages without the `"jsonrpc"` member.
//!
//! Incoming messages may carry `"jsonrpc": "2.0"`; serde ignores unknown members, so it is
//! accepted and dropped. Outgoing messages never carry it.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The id of a request: a string or an integer, echoed back in its response.
#[derive(
    Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema, TS,
)]
#[serde(untagged)]
pub enum RequestId {
    String(String),
    #[ts(type = "number")]
    Integer(i64),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(text) => f.write_str(text),
            Self::Integer(number) => write!(f, "{number}"),
        }
    }
}

/// Any message that can travel in either direction.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
#[serde(untagged)]
pub enum JSONRPCMessage {
    Request(JSONRPCRequest),
    Notification(JSONRPCNotification),
    Response(JSONRPCResponse),
    Error(JSONRPCError),
}

/// A request: it carries an id and expects exactly one response or error with that id.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
pub struct JSONRPCRequest {
    pub id: RequestId,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
}

/// A one-way message: no id, no answer.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
pub struct JSONRPCNotification {
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
}

/// The successful answer to a request.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
pub struct JSONRPCResponse {
    pub id: RequestId,
    pub result: serde_json::Value,
}

/// The failed answer to a request.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
pub struct JSONRPCError {
    pub error: JSONRPCErrorError,
    pub id: RequestId,
}

/// The error object inside [`JSONRPCError`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
pub struct JSONRPCErrorError {
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn accepts_and_drops_the_jsonrpc_member() {
        let message: JSONRPCMessage =
            serde_json::from_value(json!({"jsonrpc": "2.0", "id": 7, "method": "thread/list"}))
                .unwrap();
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            json!({"id": 7, "method": "thread/list"})
        );
    }

    #[test]
    fn tells_the_four_kinds_apart() {
        let cases = [
            (json!({"id": "a", "method": "m", "params": {}}), "request"),
            (json!({"method": "initialized"}), "notification"),
            (json!({"id": 1, "result": {}}), "response"),
            (
                json!({"id": 1, "error": {"code": -32600, "message": "bad"}}),
                "error",
            ),
        ];
        for (value, expected) in cases {
            let kind = match serde_json::from_value::<JSONRPCMessage>(value.clone()).unwrap() {
                JSONRPCMessage::Request(_) => "request",
                JSONRPCMessage::Notification(_) => "notification",
                JSONRPCMessage::Response(_) => "response",
                JSONRPCMessage::Error(_) => "error",
            };
            assert_eq!(kind, expected, "{value}");
        }
    }

    #[test]
    fn request_ids_are_strings_or_integers() {
        let ids: Vec<RequestId> = serde_json::from_value(json!(["x", 3, -1])).unwrap();
        assert_eq!(
            ids,
            vec![
                RequestId::String("x".into()),
                RequestId::Integer(3),
                RequestId::Integer(-1)
            ]
        );
        assert!(serde_json::from_value::<RequestId>(json!(1.5)).is_err());
        assert!(serde_json::from_value::<RequestId>(json!(null)).is_err());
    }
}
