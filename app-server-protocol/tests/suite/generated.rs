//! Values generated from JSON Schemas go through each method's Rust types and come back.
//!
//! For every method of every table, and for its params and response types, values are generated
//! (`schema_gen`) from two schemas: the type's own (schemars), and the reference's export of
//! the type of the same name. Each value must deserialise; its serialisation `first` must
//! deserialise again and serialise to the very same JSON; and `first` must be equivalent to the
//! generated value under the schema it came from (`schema_eq`: equal, except that a member the
//! schema does not require may be absent on one side and `null` or its default on the other,
//! and a write-only member disappears).
//!
//! From our own schema, this shows that the schema and the serde attributes agree on names,
//! spellings, optionality and defaults, and that serialising loses nothing. From the
//! reference's, it shows that we read everything the reference may send and write it back the
//! way the reference would read it.
//!
//! Generation is steered to cover every choice a schema offers (variant, enum value, optional
//! member present or absent, `null` or not); the tests fail if a choice was never taken.

use std::collections::BTreeSet;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::MethodInfo;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use pretty_assertions::assert_eq;
use schemars::schema::RootSchema;
use serde_json::Value;

use super::diff;
use super::methods;
use super::methods::Payload;
use super::methods::Table;
use super::reference;
use super::schema_eq;
use super::schema_gen;
use super::schema_gen::Choice;
use super::schema_gen::Generator;
use super::schema_gen::Rng;

/// Each type gets at least `MIN_SAMPLES` values, and more until every choice its schema offers
/// has been taken, up to `MAX_SAMPLES`.
const MIN_SAMPLES: usize = 32;
const MAX_SAMPLES: usize = 4000;

/// Rust types whose values cannot all be generated from their own schema, with the reason. A
/// failure of any other type fails the test, and so does an entry here that no longer fails.
const NOT_FROM_SCHEMA: &[(&str, &str)] = &[];

/// Where our types knowingly differ from the reference: optional members whose default is not
/// the reference's, so that a value without them means something else to us. Values generated
/// from the reference schema always carry these members, so that the rest of each type is still
/// checked; `known_mismatches_still_differ` fails once one is fixed, to have it removed here.
const KNOWN_MISMATCHES: &[Mismatch] = &[];

/// A known difference from the reference, with a value of one of `method`'s types that shows
/// it.
struct Mismatch {
    /// The object the member belongs to: its tag if it is an internally tagged variant, else
    /// its definition's name.
    owner: &'static str,
    member: &'static str,
    bug: &'static str,
    table: Table,
    method: &'static str,
    /// `params` or `response`: which of the method's types reads the probe.
    payload: &'static str,
    probe: fn() -> Value,
}

/// Which schema values are generated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The type's own schema, from schemars.
    Own,
    /// The reference's schema of the type with the same name.
    Reference,
}

#[test]
fn client_request_types_round_trip_values_from_their_own_schema() {
    check_table(Table::ClientRequest, Source::Own);
}

#[test]
fn server_request_types_round_trip_values_from_their_own_schema() {
    check_table(Table::ServerRequest, Source::Own);
}

#[test]
fn server_notification_types_round_trip_values_from_their_own_schema() {
    check_table(Table::ServerNotification, Source::Own);
}

#[test]
fn client_request_types_round_trip_values_from_the_reference_schema() {
    check_table(Table::ClientRequest, Source::Reference);
}

#[test]
fn server_request_types_round_trip_values_from_the_reference_schema() {
    check_table(Table::ServerRequest, Source::Reference);
}

#[test]
fn server_notification_types_round_trip_values_from_the_reference_schema() {
    check_table(Table::ServerNotification, Source::Reference);
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

/// Each entry of `KNOWN_MISMATCHES` still shows: its probe, read and written by our types, is
/// not what the reference would read.
#[test]
fn known_mismatches_still_differ() {
    let methods = methods::all();
    for mismatch in KNOWN_MISMATCHES {
        let method = methods::find(&methods, mismatch.table, mismatch.method)
            .unwrap_or_else(|| panic!("{} {} does not exist", mismatch.table, mismatch.method));
        let probe = (mismatch.probe)();
        let (_, payload) = method
            .payloads()
            .find(|(label, _)| *label == mismatch.payload)
            .unwrap_or_else(|| panic!("{} has no {}", method.name, mismatch.payload));
        let title = payload.schema_name().expect("a titled schema");
        let schema = reference::schema(title)
            .unwrap_or_else(|| panic!("the reference exports no schema {title}"));
        let ours = payload
            .round_trip(probe.clone())
            .unwrap_or_else(|err| panic!("{}: the probe {err}", mismatch.bug))
            .first;
        match schema_eq::check(&schema, &probe, &ours) {
            Ok(()) => panic!(
                "fixed: {}; remove it from KNOWN_MISMATCHES\n{}",
                mismatch.bug,
                diff(&probe, &ours)
            ),
            Err(why) => assert!(
                why.contains(mismatch.member),
                "{}: the probe shows another difference: {why}",
                mismatch.bug
            ),
        }
    }
}

/// Definitions whose exported schema does not describe their wire form, each replaced by the
/// definition that does, with the reason. The exported files must keep the reference's text, so
/// the correction is made here, for generation only.
const SCHEMA_CORRECTIONS: &[(&str, &str, &str)] = &[(
    "FunctionCallOutputPayload",
    "FunctionCallOutputBody",
    "the reference exports `{body, success}`, but it writes and reads only the body, a string \
     or a list of content items, and so do we",
)];

fn wire_truth(mut schema: RootSchema) -> RootSchema {
    for (definition, wire_form, _why) in SCHEMA_CORRECTIONS {
        if schema.definitions.contains_key(*wire_form)
            && let Some(slot) = schema.definitions.get_mut(*definition)
        {
            *slot = schemars::schema::Schema::new_ref(format!("#/definitions/{wire_form}"));
        }
    }
    schema
}

fn check_table(table: Table, source: Source) {
    let methods = methods::all();
    let always: Vec<(&str, &str)> = match source {
        Source::Own => Vec::new(),
        Source::Reference => KNOWN_MISMATCHES
            .iter()
            .map(|mismatch| (mismatch.owner, mismatch.member))
            .collect(),
    };
    let mut failures = Vec::new();
    let mut excused = Vec::new();
    let mut coverage = Coverage::default();
    let mut checked = 0;
    for method in methods.iter().filter(|method| method.table == table) {
        for (label, payload) in method.payloads() {
            let context = format!("{} {label} ({})", method.name, payload.type_name);
            let schema = match source {
                Source::Own => wire_truth(payload.schema.clone()),
                Source::Reference => {
                    let title = payload.schema_name().unwrap_or("(untitled)");
                    match reference::schema(title) {
                        Some(schema) => wire_truth(schema),
                        // Methods without params have none: the reference exports no schema for
                        // their params, and `NoParams` is tested in the crate.
                        None if title == "NoParams" => continue,
                        // Experimental methods the reference does not have (upstream's later
                        // ones) have no schema there; their own round trip checks them.
                        None if method.experimental => continue,
                        None => {
                            failures.push(format!("{context}: the reference exports no {title}"));
                            continue;
                        }
                    }
                }
            };
            checked += 1;
            let Err(failure) = check_payload(&context, payload, &schema, &always, &mut coverage)
            else {
                continue;
            };
            let excuse = NOT_FROM_SCHEMA
                .iter()
                .find(|(name, _)| *name == payload.type_name);
            match excuse {
                Some(_) if source == Source::Own => excused.push(payload.type_name),
                _ => failures.push(failure),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the {checked} {table} types do not round-trip values generated from \
         {source:?} schemas:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    if source == Source::Own {
        let stale: Vec<&str> = NOT_FROM_SCHEMA
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| {
                let in_table = methods
                    .iter()
                    .filter(|method| method.table == table)
                    .any(|method| method.payloads().any(|(_, p)| p.type_name == *name));
                in_table && !excused.contains(name)
            })
            .collect();
        assert!(
            stale.is_empty(),
            "these types round-trip now; drop them from NOT_FROM_SCHEMA: {stale:?}"
        );
    }
    let missed: Vec<&String> = coverage.reachable.difference(&coverage.taken).collect();
    assert!(
        missed.is_empty(),
        "{} of the {} choices (variants, enum values, optional members) of the {table} types \
         ({source:?} schemas) were never generated; generate more samples:\n{}",
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
pub(super) struct Coverage {
    pub reachable: BTreeSet<String>,
    pub taken: BTreeSet<String>,
}

/// Generates values from `schema` for `payload` and checks each; the first failure ends the
/// check. The optional members `always` names, as (owner, member), are always generated.
pub(super) fn check_payload(
    context: &str,
    payload: &Payload,
    schema: &RootSchema,
    always: &[(&str, &str)],
    coverage: &mut Coverage,
) -> Result<(), String> {
    let choices = schema_gen::choices(schema);
    // The members generated every time are never absent, by design.
    let reachable: Vec<(&Choice, &String)> = choices
        .names
        .iter()
        .filter(|(_, name)| {
            !always
                .iter()
                .any(|(_, member)| name.ends_with(&format!(".{member} absent")))
        })
        .collect();
    coverage
        .reachable
        .extend(reachable.iter().map(|(_, name)| (*name).clone()));
    let mut generator = Generator::new(schema, &choices, Rng::seeded(context)).always_with(always);
    for sample in 0..MAX_SAMPLES {
        let done = || {
            reachable
                .iter()
                .all(|(choice, _)| generator.has_taken(**choice))
        };
        if sample >= MIN_SAMPLES && done() {
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
        schema_eq::check(schema, &value, &round_trip.first).map_err(|why| {
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
