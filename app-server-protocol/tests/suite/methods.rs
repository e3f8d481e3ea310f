//! Every method of the three method tables, collected through `visit_methods` with its params
//! and response types turned into values the tests can hold: a JSON Schema and a round-trip
//! function. Tests iterate over this list, never over a hand-written one.

use std::any::TypeId;
use std::collections::BTreeSet;
use std::fmt;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::MethodVisitor;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use schemars::JsonSchema;
use schemars::schema::RootSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Which table a method comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    ClientRequest,
    ServerRequest,
    ServerNotification,
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::ClientRequest => "client request",
            Self::ServerRequest => "server request",
            Self::ServerNotification => "server notification",
        };
        f.write_str(name)
    }
}

/// The two serialisations of a value that went through its Rust type twice:
/// `value → T → first → T → second`.
#[derive(Debug)]
pub struct RoundTrip {
    pub first: Value,
    pub second: Value,
}

/// One Rust type of the protocol (a params or a response type), as the tests see it.
pub struct Payload {
    /// The Rust type's path, for messages.
    pub type_name: &'static str,
    /// The type's own JSON Schema (schemars), with its definitions.
    pub schema: RootSchema,
    round_trip: fn(Value) -> Result<RoundTrip, String>,
}

impl Payload {
    pub fn of<T: Serialize + DeserializeOwned + JsonSchema + 'static>() -> Self {
        Self {
            type_name: std::any::type_name::<T>(),
            schema: schemars::schema_for!(T),
            round_trip: round_trip::<T>,
        }
    }

    /// The schema's title: the type's name as it appears in the generated schema files.
    pub fn schema_name(&self) -> Option<&str> {
        self.schema
            .schema
            .metadata
            .as_ref()
            .and_then(|metadata| metadata.title.as_deref())
    }

    /// Deserialises `value` into the type, serialises it, and does both once more.
    pub fn round_trip(&self, value: Value) -> Result<RoundTrip, String> {
        (self.round_trip)(value)
    }
}

fn round_trip<T: Serialize + DeserializeOwned>(value: Value) -> Result<RoundTrip, String> {
    let typed: T =
        serde_json::from_value(value).map_err(|err| format!("does not deserialise: {err}"))?;
    let first = serde_json::to_value(&typed).map_err(|err| format!("does not serialise: {err}"))?;
    let typed: T = serde_json::from_value(first.clone()).map_err(|err| {
        format!("its own serialisation does not deserialise again: {err}\n{first:#}")
    })?;
    let second =
        serde_json::to_value(&typed).map_err(|err| format!("does not serialise again: {err}"))?;
    Ok(RoundTrip { first, second })
}

/// A method with its types. Notifications have no response.
pub struct Method {
    pub table: Table,
    pub name: &'static str,
    pub experimental: bool,
    pub params: Payload,
    pub response: Option<Payload>,
}

impl Method {
    /// The params type, then the response type if there is one, each with a label for messages.
    pub fn payloads(&self) -> impl Iterator<Item = (&'static str, &Payload)> {
        std::iter::once(("params", &self.params)).chain(
            self.response
                .as_ref()
                .map(|response| ("response", response)),
        )
    }
}

struct Collector {
    table: Table,
    methods: Vec<Method>,
}

impl MethodVisitor for Collector {
    fn visit<P, R>(&mut self, method: &'static str, experimental: bool)
    where
        P: Serialize + DeserializeOwned + JsonSchema + ts_rs::TS + 'static,
        R: Serialize + DeserializeOwned + JsonSchema + ts_rs::TS + 'static,
    {
        let is_unit = TypeId::of::<R>() == TypeId::of::<()>();
        let response = match self.table {
            Table::ServerNotification => {
                assert!(is_unit, "notification {method} has a response type");
                None
            }
            Table::ClientRequest | Table::ServerRequest => {
                assert!(!is_unit, "request {method} has `()` as its response type");
                Some(Payload::of::<R>())
            }
        };
        self.methods.push(Method {
            table: self.table,
            name: method,
            experimental,
            params: Payload::of::<P>(),
            response,
        });
    }
}

/// Every method of every table, in table order.
pub fn all() -> Vec<Method> {
    let mut client = Collector {
        table: Table::ClientRequest,
        methods: Vec::new(),
    };
    ClientRequest::visit_methods(&mut client);
    let mut server = Collector {
        table: Table::ServerRequest,
        methods: Vec::new(),
    };
    ServerRequest::visit_methods(&mut server);
    let mut notifications = Collector {
        table: Table::ServerNotification,
        methods: Vec::new(),
    };
    ServerNotification::visit_methods(&mut notifications);

    let methods: Vec<Method> = client
        .methods
        .into_iter()
        .chain(server.methods)
        .chain(notifications.methods)
        .collect();
    let mut seen = BTreeSet::new();
    for method in &methods {
        assert!(
            seen.insert((method.table, method.name)),
            "{} {} is visited twice",
            method.table,
            method.name
        );
    }
    methods
}

/// The method of that name in that table.
pub fn find<'a>(methods: &'a [Method], table: Table, name: &str) -> Option<&'a Method> {
    methods
        .iter()
        .find(|method| method.table == table && method.name == name)
}
