//! The checks the other modules rely on catch what they are meant to catch: small types with
//! known flaws must fail them, and their sound counterparts must pass.

use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use serde_json::json;

use super::generated::Coverage;
use super::generated::check_payload;
use super::methods::Payload;
use super::schema_eq;
use super::schema_gen;
use super::schema_gen::Generator;
use super::schema_gen::Rng;

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Probe {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
    note: Option<String>,
    #[serde(default)]
    flag: bool,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    secret: Option<String>,
    kind: ProbeKind,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
enum ProbeKind {
    First,
    SecondOne,
}

#[test]
fn equivalence_forgives_only_optional_nulls_defaults_and_write_only_members() {
    let schema = schemars::schema_for!(Probe);
    let base = json!({"name": "n", "nickname": "k", "note": "x", "flag": true, "kind": "first"});
    let with = |changes: Value| {
        let mut value = base.clone();
        for (key, change) in changes.as_object().expect("an object of changes") {
            match change {
                Value::String(marker) if marker == "<absent>" => {
                    value.as_object_mut().expect("an object").remove(key);
                }
                change => value[key] = change.clone(),
            }
        }
        value
    };
    let cases = [
        // (what, expected, actual, equivalent)
        ("equal", base.clone(), base.clone(), true),
        (
            "optional null vs absent",
            with(json!({"nickname": null})),
            with(json!({"nickname": "<absent>"})),
            true,
        ),
        (
            "optional absent vs null",
            with(json!({"note": "<absent>"})),
            with(json!({"note": null})),
            true,
        ),
        (
            "default absent vs written",
            with(json!({"flag": "<absent>"})),
            with(json!({"flag": false})),
            true,
        ),
        (
            "write-only member dropped",
            with(json!({"secret": "s"})),
            base.clone(),
            true,
        ),
        (
            "absent is not another value than the default",
            with(json!({"flag": "<absent>"})),
            with(json!({"flag": true})),
            false,
        ),
        (
            "an optional value is not lost",
            base.clone(),
            with(json!({"nickname": "<absent>"})),
            false,
        ),
        (
            "a required member is not absent",
            with(json!({"name": null})),
            with(json!({"name": "<absent>"})),
            false,
        ),
        (
            "a write-only member is not written, even the value given",
            with(json!({"secret": "s"})),
            with(json!({"secret": "s"})),
            false,
        ),
        (
            "a write-only member written back",
            base.clone(),
            with(json!({"secret": "s"})),
            false,
        ),
        (
            "no unknown members",
            base.clone(),
            with(json!({"extra": null})),
            false,
        ),
        (
            "enum spelling",
            with(json!({"kind": "secondOne"})),
            with(json!({"kind": "second_one"})),
            false,
        ),
    ];
    for (what, expected, actual, equivalent) in cases {
        let verdict = schema_eq::check(&schema, &expected, &actual);
        assert_eq!(verdict.is_ok(), equivalent, "{what}: {verdict:?}");
    }
}

/// The schema (through `schemars(rename)`) and serde disagree on the member's name.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Misnamed {
    #[serde(rename = "wire")]
    #[schemars(rename = "schema")]
    field: String,
}

/// Serialising drops a member the schema requires, when it is empty.
#[derive(Serialize, Deserialize, JsonSchema)]
struct DropsEmpty {
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
}

/// Serialising rewrites the value.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Shouts {
    #[serde(serialize_with = "shout")]
    text: String,
}

fn shout<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&text.to_uppercase())
}

/// The schema promises more than the type holds.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Narrow {
    #[schemars(with = "u32")]
    count: u8,
}

/// Nothing wrong.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
enum Sound {
    Empty,
    #[serde(rename_all = "camelCase")]
    Full {
        items: Vec<ProbeKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u16>,
    },
}

#[test]
fn generated_round_trips_catch_types_that_disagree_with_their_schema() {
    let cases = [
        (
            "Misnamed",
            Payload::of::<Misnamed>(),
            "does not deserialise: missing field `wire`",
        ),
        (
            "DropsEmpty",
            Payload::of::<DropsEmpty>(),
            "does not deserialise again",
        ),
        ("Shouts", Payload::of::<Shouts>(), "comes back different"),
        (
            "Narrow",
            Payload::of::<Narrow>(),
            "does not deserialise: invalid value",
        ),
    ];
    for (name, payload, expected) in cases {
        let failure = check_payload(
            name,
            &payload,
            &payload.schema,
            &[],
            &mut Coverage::default(),
        )
        .expect_err(&format!("{name} passes"));
        assert!(
            failure.contains(expected),
            "{name} fails otherwise:\n{failure}"
        );
    }
    let mut coverage = Coverage::default();
    let sound = Payload::of::<Sound>();
    check_payload("Sound", &sound, &sound.schema, &[], &mut coverage).expect("Sound round-trips");
    let missed: Vec<&String> = coverage.reachable.difference(&coverage.taken).collect();
    assert_eq!(
        missed,
        Vec::<&String>::new(),
        "choices of Sound never generated"
    );
    assert!(coverage.taken.len() >= 6, "{:?}", coverage.taken);
}

/// The generator keeps integers within the range of their `format`.
#[test]
fn generator_respects_integer_formats() {
    let schema = schemars::schema_for!((u8, i16, u32, usize));
    let choices = schema_gen::choices(&schema);
    let mut generator = Generator::new(&schema, &choices, Rng::seeded("formats"));
    for _ in 0..200 {
        let value = generator.generate();
        let parsed: Result<(u8, i16, u32, usize), _> = serde_json::from_value(value.clone());
        assert!(parsed.is_ok(), "{value}");
    }
}
