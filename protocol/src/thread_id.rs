//! The identifier of a thread (a conversation with the agent).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::Schema;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::Serializer;
use ts_rs::TS;
use uuid::Uuid;

/// A thread id: a UUID on the inside, a plain string on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(type = "string")]
pub struct ThreadId(Uuid);

impl ThreadId {
    /// A fresh id. Version 7 UUIDs sort by creation time, which keeps rollout listings stable.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for ThreadId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Uuid> for ThreadId {
    fn from(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl FromStr for ThreadId {
    type Err = ParseThreadIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(Self)
            .map_err(|err| ParseThreadIdError(reference_words(&err.to_string())))
    }
}

/// Why a string is not a thread id, in the reference's words: clients may show the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseThreadIdError(String);

impl fmt::Display for ParseThreadIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseThreadIdError {}

/// The reference's uuid crate words a bad character differently, and counts from 1.
fn reference_words(message: &str) -> String {
    let rewritten = message
        .strip_prefix("invalid character: found ")
        .and_then(|rest| rest.rsplit_once(" at "))
        .and_then(|(found, at)| Some((found, at.parse::<usize>().ok()?)))
        .map(|(found, at)| {
            format!(
                "invalid character: expected an optional prefix of `urn:uuid:` followed by \
                 [0-9a-fA-F-], found {found} at {}",
                at + 1
            )
        });
    rewritten.unwrap_or_else(|| message.to_owned())
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for ThreadId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ThreadId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|err| serde::de::Error::custom(format!("invalid thread id: {err}")))
    }
}

impl JsonSchema for ThreadId {
    fn schema_name() -> String {
        "ThreadId".to_string()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        String::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_bad_character_is_named_in_the_reference_words() {
        let err = "nope".parse::<ThreadId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid character: expected an optional prefix of `urn:uuid:` followed by \
             [0-9a-fA-F-], found `n` at 1"
        );
    }

    #[test]
    fn round_trips_as_a_string() {
        let id = ThreadId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        let back: ThreadId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn rejects_text_that_is_not_a_uuid() {
        let err = serde_json::from_str::<ThreadId>("\"nope\"").unwrap_err();
        assert!(err.to_string().starts_with("invalid thread id"), "{err}");
    }
}
