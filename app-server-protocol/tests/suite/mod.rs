//! Round trips of the wire types: the reference's recorded examples, values generated from each
//! type's JSON Schema, and the typed parsing of requests.

mod examples;
mod from_parts;
mod generated;
mod harness;
mod methods;
mod reference;
mod schema_eq;
mod schema_gen;

/// A line diff of two JSON values, pretty-printed, for failure messages.
pub fn diff(expected: &serde_json::Value, actual: &serde_json::Value) -> String {
    let expected = format!("{expected:#}");
    let actual = format!("{actual:#}");
    pretty_assertions::StrComparison::new(&expected, &actual).to_string()
}
