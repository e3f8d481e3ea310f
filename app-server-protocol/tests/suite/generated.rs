//! Values generated from each method's JSON Schema go through its Rust types and come back.
//!
//! For every method of every table, and for its params and response types, `SAMPLES` values are
//! generated from the type's own schema (`schema_gen`). Each must deserialise; its
//! serialisation `first` must deserialise again and serialise to the very same JSON; and `first`
//! must be equivalent to the generated value under the schema (`schema_eq`: equal, except that a
//! member the schema does not require may be absent on one side and `null` or its default on
//! the other, and a write-only member disappears). So the schema and the serde attributes agree
//! on names, spellings, optionality and defaults, and serialising loses nothing.

use std::collections::BTreeSet;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::MethodInfo;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use pretty_assertions::assert_eq;

use super::diff;
use super::methods;
use super::methods::Payload;
use super::methods::Table;
use super::schema_eq;
use super::schema_gen;
use super::schema_gen::Generator;
use super::schema_gen::Rng;

/// Each type gets at least `MIN_SAMPLES` values, and more until every choice its schema offers
/// (variants, enum values, optional members) has been taken, up to `MAX_SAMPLES`.
const MIN_SAMPLES: usize = 32;
const MAX_SAMPLES: usize = 4000;

/// Rust types whose values cannot all be generated from their schema, with the reason. A
/// failure of any other type fails the test, and so does an entry here that no longer fails.
const NOT_FROM_SCHEMA: &[(&str, &str)] = &[];

#[test]
fn client_request_types_round_trip_generated_values() {
    check_table(Table::ClientRequest);
}

#[test]
fn server_request_types_round_trip_generated_values() {
    check_table(Table::ServerRequest);
}

#[test]
fn server_notification_types_round_trip_generated_values() {
    check_table(Table::ServerNotification);
}

/// `visit_methods` walks the same methods as the tables' `METHODS` lists, in the same order and
/// with the same experimental flags, so the tests above cover every method.
#[test]
fn visit_methods_walks_every_method() {
    let methods = methods::all();
    let tables: [(Table, &[MethodInfo]); 3] = [
        (Table::ClientRequest, ClientRequest::METHODS),
        (Table::ServerRequest, ServerRequest::METHODS),
        (Table::ServerNotification, ServerNotification::METHODS),
    ];
    for (table, infos) in tables {
        let visited: Vec<MethodInfo> = methods
            .iter()
            .filter(|method| method.table == table)
            .map(|method| MethodInfo {
                method: method.name,
                experimental: method.experimental,
            })
            .collect();
        assert_eq!(visited, infos.to_vec(), "{table}");
    }
}

fn check_table(table: Table) {
    let methods = methods::all();
    let mut failures = Vec::new();
    let mut excused = Vec::new();
    let mut coverage = Coverage::default();
    let mut checked = 0;
    for method in methods.iter().filter(|method| method.table == table) {
        for (label, payload) in method.payloads() {
            checked += 1;
            let context = format!("{} {label} ({})", method.name, payload.type_name);
            let Err(failure) = check_payload(&context, payload, &mut coverage) else {
                continue;
            };
            match NOT_FROM_SCHEMA
                .iter()
                .find(|(name, _)| *name == payload.type_name)
            {
                Some(_) => excused.push(payload.type_name),
                None => failures.push(failure),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the {checked} {table} types do not round-trip values generated from their \
         schema:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    let stale: Vec<&str> = NOT_FROM_SCHEMA
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            methods
                .iter()
                .filter(|method| method.table == table)
                .any(|method| {
                    method
                        .payloads()
                        .any(|(_, payload)| payload.type_name == *name)
                })
                && !excused.contains(name)
        })
        .collect();
    assert!(
        stale.is_empty(),
        "these types round-trip now; drop them from NOT_FROM_SCHEMA: {stale:?}"
    );
    let missed: Vec<&String> = coverage.reachable.difference(&coverage.taken).collect();
    assert!(
        missed.is_empty(),
        "{} of the {} choices (variants, enum values, optional members) of the {table} types \
         were never generated; generate more samples:\n{}",
        missed.len(),
        coverage.reachable.len(),
        missed
            .iter()
            .map(|name| name.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The choices of the generator, by name: those the schemas offer and those it took in values
/// that round-tripped.
#[derive(Default)]
struct Coverage {
    reachable: BTreeSet<String>,
    taken: BTreeSet<String>,
}

/// Generates values for `payload` and checks each; the first failure ends the check.
fn check_payload(context: &str, payload: &Payload, coverage: &mut Coverage) -> Result<(), String> {
    let choices = schema_gen::choices(&payload.schema);
    coverage.reachable.extend(choices.names.values().cloned());
    let mut generator = Generator::new(&payload.schema, &choices, Rng::seeded(context, 0));
    for sample in 0..MAX_SAMPLES {
        if sample >= MIN_SAMPLES && generator.taken().count() == choices.names.len() {
            break;
        }
        let value = generator.generate();
        let failure = |why: String| format!("{context}, sample {sample}: {why}\n{value:#}");
        let round_trip = payload.round_trip(value.clone()).map_err(failure)?;
        if round_trip.first != round_trip.second {
            return Err(failure(format!(
                "serialising twice gives different JSON\n{}",
                diff(&round_trip.first, &round_trip.second)
            )));
        }
        schema_eq::check(&payload.schema, &value, &round_trip.first).map_err(|why| {
            failure(format!(
                "comes back different: {why}\n{}",
                diff(&value, &round_trip.first)
            ))
        })?;
    }
    for choice in generator.taken() {
        let name = choices
            .names
            .get(&choice)
            .unwrap_or_else(|| panic!("{context}: the generator took a choice the walk missed"));
        coverage.taken.insert(name.clone());
    }
    Ok(())
}

/// The generator's output satisfies the simplest schemas exactly.
#[test]
fn generator_respects_integer_formats() {
    let schema = schemars::schema_for!((u8, i16, u32, usize));
    let choices = schema_gen::choices(&schema);
    let mut generator = Generator::new(&schema, &choices, Rng::seeded("formats", 0));
    for _ in 0..200 {
        let value = generator.generate();
        let parsed: Result<(u8, i16, u32, usize), _> = serde_json::from_value(value.clone());
        assert!(parsed.is_ok(), "{value}");
    }
}
