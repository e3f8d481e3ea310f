//! A small generator of pseudo-random JSON values that satisfy a schemars 0.8 JSON Schema.
//!
//! It knows the subset of JSON Schema that schemars emits for serde types: `$ref` into
//! `definitions`, `type` (one or a list), `enum`, `const`, `oneOf`/`anyOf`/`allOf`, `properties`
//! with `required`, `additionalProperties`, `items`, and the integer `format`s schemars uses for
//! the Rust integer types. Recursion and size are bounded: past `MAX_DEPTH` references or
//! `NODE_BUDGET` values the generator takes the cheapest way out (no optional members, empty
//! arrays, `null` where allowed).
//!
//! Over many values, the generator steers towards the choices (variant, enum value, optional
//! member present or absent, `null` or not) it has not taken yet, so a few hundred values of a
//! type cover every choice its schema offers; [`choices`] lists and names them.
//!
//! A few Rust types accept fewer values than their schema admits; they are listed in
//! [`NARROW_DEFINITIONS`] and [`NARROW_MAP_KEYS`] and get values their Rust type accepts.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::HashSet;

use schemars::schema::InstanceType;
use schemars::schema::RootSchema;
use schemars::schema::Schema;
use schemars::schema::SchemaObject;
use schemars::schema::SingleOrVec;
use serde_json::Value;
use serde_json::json;

/// How many references deep the generator goes before it stops adding optional content. Only
/// references count: a type can only contain itself through one.
const MAX_DEPTH: usize = 8;

/// How many values one generated value may hold before the generator stops adding optional
/// content, so that wide types stay small.
const NODE_BUDGET: usize = 1000;

/// A xorshift64* generator: deterministic, seeded per method, good enough to vary test data.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from a label (a method and type name): a run generates the same
    /// values as the last, so a failure comes back until it is fixed.
    pub fn seeded(label: &str) -> Self {
        // FNV-1a over the label, then a splitmix64 step to spread the bits.
        let mut state: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in label.bytes() {
            state ^= u64::from(byte);
            state = state.wrapping_mul(0x0100_0000_01b3);
        }
        state = (state ^ (state >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        state = (state ^ (state >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        state ^= state >> 31;
        // Zero is the one state xorshift never leaves.
        Self(state.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound`; `bound` must not be zero.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Makes a value of a narrow type.
type Make = fn(&mut Rng) -> Value;

/// Definitions whose Rust type is narrower than its schema, with a generator for values the
/// Rust type accepts.
const NARROW_DEFINITIONS: &[(&str, Make)] = &[
    // `codex_protocol::ThreadId` is a UUID; its schema is a plain string.
    ("ThreadId", thread_id),
    // `AbsolutePathBuf` refuses relative paths (without a base directory) and normalises `.`
    // and `..`; its schema is a plain string.
    ("AbsolutePathBuf", absolute_path),
    // `std::time::Duration` carries the nanoseconds above 999_999_999 into the seconds, so only
    // values below a second survive a round trip; the schema allows any `uint32`.
    ("Duration", duration),
];

/// Maps whose keys are parsed into a type narrower than a string, as (owner, property). The owner
/// of an object is its tag value if it is the inline variant of an internally tagged enum (for a
/// newtype variant, schemars copies the struct's properties in), else its definition's name.
const NARROW_MAP_KEYS: &[(&str, &str, Make)] = &[
    // `CollabWaitingEndEvent::statuses` is a `BTreeMap<ThreadId, AgentStatus>`: UUID keys.
    ("CollabWaitingEndEvent", "statuses", thread_id),
    ("collab_waiting_end", "statuses", thread_id),
];

fn thread_id(rng: &mut Rng) -> Value {
    // Lowercase and hyphenated: the form `Uuid` prints, so the value comes back unchanged.
    let bits = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    let hex = format!("{bits:032x}");
    Value::String(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

fn absolute_path(rng: &mut Rng) -> Value {
    let segments = rng.below(4);
    if segments == 0 {
        return json!("/");
    }
    let mut path = String::new();
    for _ in 0..segments {
        path.push('/');
        const SEGMENTS: &[&str] = &["tmp", "work", "src", "a b", "é", ".codex", "x-1_2"];
        let segment: &&str = rng.pick(SEGMENTS);
        path.push_str(segment);
    }
    Value::String(path)
}

fn duration(rng: &mut Rng) -> Value {
    json!({
        "secs": rng.pick(&[0, 1, 59, 86_400, u64::MAX]),
        "nanos": rng.below(1_000_000_000),
    })
}

/// Where the generator chooses between options: the address of a `oneOf`/`anyOf` branch list,
/// an `enum` list, a `type` list or an optional property's schema, and the option taken.
/// Addresses are stable for as long as the `RootSchema` lives.
pub type Choice = (usize, usize);

/// Generates values for one root schema, steering towards the choices not taken yet: at each
/// choice it prefers the options with something untaken at or below them, and among those the
/// option taken least often (ties broken at random). So the samples of one type soon cover all
/// its variants, enum values and optional members.
pub struct Generator<'a> {
    root: &'a RootSchema,
    choices: &'a Choices,
    rng: Rng,
    taken: HashMap<Choice, u32>,
    /// Choices whose option and everything below it have been taken.
    exhausted: HashSet<Choice>,
    budget: usize,
    /// Optional members generated as if required, as (owner, property); see [`NARROW_MAP_KEYS`]
    /// for owners.
    always: &'a [(&'a str, &'a str)],
}

impl<'a> Generator<'a> {
    /// `choices` must be `choices(root)`.
    pub fn new(root: &'a RootSchema, choices: &'a Choices, rng: Rng) -> Self {
        Self {
            root,
            choices,
            rng,
            taken: HashMap::new(),
            exhausted: HashSet::new(),
            budget: 0,
            always: &[],
        }
    }

    /// Generates the optional members `always` lists, as (owner, property), every time.
    pub fn always_with(mut self, always: &'a [(&'a str, &'a str)]) -> Self {
        self.always = always;
        self
    }

    /// A fresh value satisfying the root schema.
    pub fn generate(&mut self) -> Value {
        self.budget = NODE_BUDGET;
        self.object(&self.root.schema, 0, None)
    }

    /// Whether `choice` has been made, in any generated value.
    pub fn has_taken(&self, choice: Choice) -> bool {
        self.taken.contains_key(&choice)
    }

    /// The choices made so far, over all generated values.
    pub fn taken(&self) -> impl Iterator<Item = Choice> + '_ {
        self.taken.keys().copied()
    }

    /// Past the depth limit or the node budget, the generator only finishes what it must.
    fn deep(&self, depth: usize) -> bool {
        depth >= MAX_DEPTH || self.budget == 0
    }

    /// Whether `choice` and everything below it have been taken.
    fn is_exhausted(&mut self, choice: Choice) -> bool {
        if self.exhausted.contains(&choice) {
            return true;
        }
        let below = self
            .choices
            .below
            .get(&choice)
            .map_or(&[][..], Vec::as_slice);
        let exhausted = self.taken.contains_key(&choice)
            && below.iter().all(|choice| self.taken.contains_key(choice));
        if exhausted {
            self.exhausted.insert(choice);
        }
        exhausted
    }

    /// Takes one of `options` options at the choice point `at`.
    fn choose<T: ?Sized>(&mut self, at: &T, options: usize) -> usize {
        let point = std::ptr::from_ref(at).cast::<()>() as usize;
        let open: Vec<usize> = (0..options)
            .filter(|option| !self.is_exhausted((point, *option)))
            .collect();
        let candidates: Vec<usize> = if open.is_empty() {
            (0..options).collect()
        } else {
            open
        };
        let count = |option: &usize| self.taken.get(&(point, *option)).copied().unwrap_or(0);
        let least = candidates.iter().map(count).min().unwrap_or(0);
        let ties: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|option| count(option) == least)
            .collect();
        let option = *self.rng.pick(&ties);
        *self.taken.entry((point, option)).or_default() += 1;
        option
    }

    /// Records a choice the generator could not make freely.
    fn forced<T: ?Sized>(&mut self, at: &T, option: usize) -> usize {
        let point = std::ptr::from_ref(at).cast::<()>() as usize;
        *self.taken.entry((point, option)).or_default() += 1;
        option
    }

    fn schema(&mut self, schema: &'a Schema, depth: usize, definition: Option<&str>) -> Value {
        self.budget = self.budget.saturating_sub(1);
        match schema {
            Schema::Bool(true) => self.any(depth),
            Schema::Bool(false) => panic!("the schema admits no value"),
            Schema::Object(object) => self.object(object, depth, definition),
        }
    }

    /// `definition` names the definition `object` belongs to, for [`NARROW_MAP_KEYS`].
    fn object(
        &mut self,
        object: &'a SchemaObject,
        depth: usize,
        definition: Option<&str>,
    ) -> Value {
        if let Some(reference) = &object.reference {
            let name = definition_name(reference);
            if let Some((_, narrow)) = NARROW_DEFINITIONS.iter().find(|(n, _)| *n == name) {
                return narrow(&mut self.rng);
            }
            let target = self
                .root
                .definitions
                .get(name)
                .unwrap_or_else(|| panic!("$ref to missing definition {name}"));
            return self.schema(target, depth + 1, Some(name));
        }
        if let Some(value) = &object.const_value {
            return value.clone();
        }
        if let Some(values) = &object.enum_values {
            let option = self.choose(values, values.len());
            return values[option].clone();
        }
        if let Some(subschemas) = &object.subschemas {
            if let Some(branches) = subschemas.one_of.as_ref().or(subschemas.any_of.as_ref()) {
                // Deep down, a `null` branch (an `Option` ending the recursion) when there is one.
                let null = branches.iter().position(is_null);
                let option = match null {
                    Some(null) if self.deep(depth) => self.forced(branches, null),
                    _ => self.choose(branches, branches.len()),
                };
                return self.schema(&branches[option], depth, definition);
            }
            if let Some(parts) = &subschemas.all_of {
                // schemars writes `allOf` for a `$ref` with metadata beside it, and for the tag
                // object of an internally tagged newtype variant: objects to merge.
                let own = object.instance_type.is_some() || object.object.is_some();
                let mut merged = if own {
                    self.typed(object, depth, definition)
                } else {
                    Value::Null
                };
                for part in parts {
                    let value = self.schema(part, depth, definition);
                    merged = merge(merged, value);
                }
                return merged;
            }
        }
        self.typed(object, depth, definition)
    }

    /// A value of the object's `type`, ignoring its subschemas.
    fn typed(&mut self, object: &'a SchemaObject, depth: usize, definition: Option<&str>) -> Value {
        let Some(types) = &object.instance_type else {
            // No constraint at all: any value.
            return self.any(depth);
        };
        let instance_type = match types {
            SingleOrVec::Single(single) => **single,
            SingleOrVec::Vec(list) => {
                let null = list.iter().position(|t| *t == InstanceType::Null);
                let option = match null {
                    Some(null) if self.deep(depth) => self.forced(list, null),
                    _ => self.choose(list, list.len()),
                };
                list[option]
            }
        };
        match instance_type {
            InstanceType::Null => Value::Null,
            InstanceType::Boolean => Value::Bool(self.rng.one_in(2)),
            InstanceType::Integer => self.integer(object),
            InstanceType::Number => self.number(object),
            InstanceType::String => Value::String(self.string()),
            InstanceType::Array => self.array(object, depth, definition),
            InstanceType::Object => self.members(object, depth, definition),
        }
    }

    fn integer(&mut self, object: &SchemaObject) -> Value {
        let (min, max): (i128, i128) = match object.format.as_deref() {
            Some("int8") => (i8::MIN.into(), i8::MAX.into()),
            Some("int16") => (i16::MIN.into(), i16::MAX.into()),
            Some("int32") => (i32::MIN.into(), i32::MAX.into()),
            Some("int64" | "int") => (i64::MIN.into(), i64::MAX.into()),
            Some("uint8") => (0, u8::MAX.into()),
            Some("uint16") => (0, u16::MAX.into()),
            Some("uint32") => (0, u32::MAX.into()),
            Some("uint64") => (0, u64::MAX.into()),
            // `usize`: keep within 32 bits so that the test does not depend on the platform.
            Some("uint") => (0, u32::MAX.into()),
            None => (i64::MIN.into(), i64::MAX.into()),
            Some(other) => panic!("integer format {other} is not handled"),
        };
        let (min, max) = match &object.number {
            Some(number) => (
                number
                    .minimum
                    .map_or(min, |minimum| min.max(minimum.ceil() as i128)),
                number
                    .maximum
                    .map_or(max, |maximum| max.min(maximum.floor() as i128)),
            ),
            None => (min, max),
        };
        let candidates = [min, max, 0, 1, -1, 42, 1_700_000_000];
        let value = if self.rng.one_in(2) {
            *self.rng.pick(&candidates)
        } else {
            i128::from(self.rng.next_u64() % 100_000) - 1000
        };
        let value = value.clamp(min, max);
        if let Ok(unsigned) = u64::try_from(value) {
            json!(unsigned)
        } else {
            json!(i64::try_from(value).unwrap_or_else(|_| panic!("{value} out of range")))
        }
    }

    /// Multiples of 1/8 are exact in `f32` and `f64` alike, so a float field gives back the very
    /// number it was given.
    fn number(&mut self, object: &SchemaObject) -> Value {
        let eighths = self.rng.below(8001) as f64 - 4000.0;
        let mut value = eighths / 8.0;
        if let Some(number) = &object.number {
            if let Some(minimum) = number.minimum {
                value = value.max(minimum);
            }
            if let Some(maximum) = number.maximum {
                value = value.min(maximum);
            }
        }
        json!(value)
    }

    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "7", " ", "-", "_", "/", ".", "é", "✓", "🦀", "\"", "\\", "\n", "\t", "{}",
            "id",
        ];
        let len = self.rng.below(6);
        (0..len).map(|_| *self.rng.pick(PIECES)).collect()
    }

    fn array(&mut self, object: &'a SchemaObject, depth: usize, definition: Option<&str>) -> Value {
        let Some(array) = &object.array else {
            return Value::Array(Vec::new());
        };
        let items = match &array.items {
            None => {
                let len = self.len(depth, 0, 2);
                return Value::Array((0..len).map(|_| self.any(depth + 1)).collect());
            }
            Some(SingleOrVec::Vec(tuple)) => {
                return Value::Array(
                    tuple
                        .iter()
                        .map(|item| self.schema(item, depth, definition))
                        .collect(),
                );
            }
            Some(SingleOrVec::Single(item)) => item,
        };
        let min = array.min_items.unwrap_or(0) as usize;
        let max = array.max_items.map_or(min + 3, |max| max as usize);
        let len = self.len(depth, min, max);
        Value::Array(
            (0..len)
                .map(|_| self.schema(items, depth, definition))
                .collect(),
        )
    }

    /// A length in `min..=max`, the minimum once deep.
    fn len(&mut self, depth: usize, min: usize, max: usize) -> usize {
        if self.deep(depth) || max <= min {
            min
        } else {
            min + self.rng.below(max - min + 1)
        }
    }

    fn members(
        &mut self,
        object: &'a SchemaObject,
        depth: usize,
        definition: Option<&str>,
    ) -> Value {
        let mut members = serde_json::Map::new();
        let Some(validation) = &object.object else {
            // A bare `"type": "object"` says nothing of its members (schemars writes it for a
            // flattened map); generate none rather than guess.
            return Value::Object(members);
        };
        let owner = tag(object).or(definition);
        for (name, property) in &validation.properties {
            let always = self
                .always
                .iter()
                .any(|(member_owner, member)| Some(*member_owner) == owner && member == name);
            let present = if validation.required.contains(name) {
                true
            } else if always {
                self.forced(property, 1) == 1
            } else if self.deep(depth) {
                self.forced(property, 0) == 1
            } else {
                self.choose(property, 2) == 1
            };
            if !present {
                continue;
            }
            let narrow_keys = NARROW_MAP_KEYS
                .iter()
                .find(|(map_owner, field, _)| Some(*map_owner) == owner && field == name);
            let value = match narrow_keys {
                Some((_, _, key)) => self.map_with_keys(property, *key, depth),
                None => self.schema(property, depth, definition),
            };
            members.insert(name.clone(), value);
        }
        if let Some(additional) = &validation.additional_properties
            && !matches!(**additional, Schema::Bool(false))
        {
            let count = self.len(depth, 0, 2);
            for _ in 0..count {
                let key = format!("extra{}", self.string());
                if validation.properties.contains_key(&key) {
                    continue;
                }
                let value = self.schema(additional, depth, None);
                members.insert(key, value);
            }
        }
        Value::Object(members)
    }

    /// A map whose values follow `map`'s `additionalProperties` and whose keys come from `key`.
    fn map_with_keys(&mut self, map: &'a Schema, key: Make, depth: usize) -> Value {
        let values = match map {
            Schema::Object(SchemaObject {
                object: Some(validation),
                ..
            }) => validation.additional_properties.as_deref(),
            _ => None,
        };
        let values = values.unwrap_or_else(|| panic!("narrow map keys on a non-map schema"));
        let mut members = serde_json::Map::new();
        for _ in 0..self.len(depth, 0, 2) {
            let Value::String(key) = key(&mut self.rng) else {
                panic!("map keys must be strings");
            };
            let value = self.schema(values, depth, None);
            members.insert(key, value);
        }
        Value::Object(members)
    }

    /// Any JSON value, small, nesting less the deeper it already is.
    fn any(&mut self, depth: usize) -> Value {
        self.budget = self.budget.saturating_sub(1);
        let kinds = if self.deep(depth) { 5 } else { 7 };
        match self.rng.below(kinds) {
            0 => Value::Null,
            1 => Value::Bool(self.rng.one_in(2)),
            2 => json!(self.rng.below(1000) as i64 - 500),
            3 => self.number(&SchemaObject::default()),
            4 => Value::String(self.string()),
            5 => Value::Array(
                (0..self.rng.below(3))
                    .map(|_| self.any(depth + 1))
                    .collect(),
            ),
            _ => {
                let mut members = serde_json::Map::new();
                for _ in 0..self.rng.below(3) {
                    let key = self.string();
                    let value = self.any(depth + 1);
                    members.insert(key, value);
                }
                Value::Object(members)
            }
        }
    }
}

fn definition_name(reference: &str) -> &str {
    reference
        .strip_prefix("#/definitions/")
        .unwrap_or_else(|| panic!("unexpected $ref {reference}"))
}

fn is_null(schema: &Schema) -> bool {
    matches!(
        schema,
        Schema::Object(SchemaObject { instance_type: Some(SingleOrVec::Single(t)), .. })
            if **t == InstanceType::Null
    )
}

/// The tag value of an internally tagged variant's object: its `type` member, if that is a
/// single string.
fn tag(object: &SchemaObject) -> Option<&str> {
    let property = object.object.as_ref()?.properties.get("type")?;
    let Schema::Object(property) = property else {
        return None;
    };
    match property.enum_values.as_deref()? {
        [Value::String(tag)] => Some(tag),
        _ => None,
    }
}

/// Merges the members of two generated objects (the parts of an `allOf`).
fn merge(left: Value, right: Value) -> Value {
    match (left, right) {
        (Value::Null, right) => right,
        (Value::Object(mut left), Value::Object(right)) => {
            left.extend(right);
            Value::Object(left)
        }
        (left, right) => panic!("allOf parts that are not objects: {left} and {right}"),
    }
}

/// Every choice the generator can make for one root schema.
pub struct Choices {
    /// Each choice with a name for messages: the choices of the root type and of every
    /// definition reachable from it. Names do not depend on the root, so the choices of two
    /// types that share a definition have the same names there.
    pub names: HashMap<Choice, String>,
    /// The choices reachable from each choice's option, references followed.
    below: HashMap<Choice, Vec<Choice>>,
}

pub fn choices(root: &RootSchema) -> Choices {
    let mut walk = ChoiceWalk {
        root,
        done: HashMap::new(),
        walking: HashSet::new(),
        choices: Choices {
            names: HashMap::new(),
            below: HashMap::new(),
        },
    };
    let title = root
        .schema
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.title.clone())
        .unwrap_or_else(|| "root".to_string());
    walk.object(&root.schema, &title);
    walk.choices
}

/// Walks a schema the way `Generator` does, naming every choice and collecting what lies below.
struct ChoiceWalk<'a> {
    root: &'a RootSchema,
    /// The choices reachable from each definition walked so far.
    done: HashMap<&'a str, Vec<Choice>>,
    /// The definitions being walked: a reference back to one of them adds nothing new.
    walking: HashSet<&'a str>,
    choices: Choices,
}

impl<'a> ChoiceWalk<'a> {
    fn add<T: ?Sized>(
        &mut self,
        at: &T,
        option: usize,
        name: String,
        below: Vec<Choice>,
    ) -> Choice {
        let choice = (std::ptr::from_ref(at).cast::<()>() as usize, option);
        self.choices.names.insert(choice, name);
        self.choices.below.insert(choice, below);
        choice
    }

    /// The choices reachable from `schema`, its own included.
    fn schema(&mut self, schema: &'a Schema, label: &str) -> Vec<Choice> {
        match schema {
            Schema::Object(object) => self.object(object, label),
            Schema::Bool(_) => Vec::new(),
        }
    }

    /// Mirrors `Generator::object`.
    fn object(&mut self, object: &'a SchemaObject, label: &str) -> Vec<Choice> {
        if let Some(reference) = &object.reference {
            let name = definition_name(reference);
            if NARROW_DEFINITIONS.iter().any(|(n, _)| *n == name) || self.walking.contains(name) {
                return Vec::new();
            }
            if let Some(done) = self.done.get(name) {
                return done.clone();
            }
            let Some(target) = self.root.definitions.get(name) else {
                return Vec::new();
            };
            self.walking.insert(name);
            let mut reached = self.schema(target, name);
            self.walking.remove(name);
            reached.sort_unstable();
            reached.dedup();
            self.done.insert(name, reached.clone());
            return reached;
        }
        if object.const_value.is_some() {
            return Vec::new();
        }
        if let Some(values) = &object.enum_values {
            return values
                .iter()
                .enumerate()
                .map(|(option, value)| {
                    self.add(values, option, format!("{label} = {value}"), Vec::new())
                })
                .collect();
        }
        if let Some(subschemas) = &object.subschemas {
            if let Some(branches) = subschemas.one_of.as_ref().or(subschemas.any_of.as_ref()) {
                let mut reached = Vec::new();
                for (option, branch) in branches.iter().enumerate() {
                    let variant = format!("{label} | {}", describe(branch, option));
                    let below = self.schema(branch, &variant);
                    reached.push(self.add(branches, option, variant, below.clone()));
                    reached.extend(below);
                }
                return reached;
            }
            if let Some(parts) = &subschemas.all_of {
                let mut reached = Vec::new();
                if object.instance_type.is_some() || object.object.is_some() {
                    reached = self.typed(object, label);
                }
                for part in parts {
                    reached.extend(self.schema(part, label));
                }
                return reached;
            }
        }
        self.typed(object, label)
    }

    /// Mirrors `Generator::typed`.
    fn typed(&mut self, object: &'a SchemaObject, label: &str) -> Vec<Choice> {
        let types: &[InstanceType] = match &object.instance_type {
            None => return Vec::new(),
            Some(SingleOrVec::Single(single)) => std::slice::from_ref(&**single),
            Some(SingleOrVec::Vec(list)) => list,
        };
        let mut items = Vec::new();
        if types.contains(&InstanceType::Array)
            && let Some(array) = &object.array
        {
            match &array.items {
                None => {}
                Some(SingleOrVec::Single(item)) => items = self.schema(item, &format!("{label}[]")),
                Some(SingleOrVec::Vec(tuple)) => {
                    for (index, item) in tuple.iter().enumerate() {
                        items.extend(self.schema(item, &format!("{label}[{index}]")));
                    }
                }
            }
        }
        let mut members = Vec::new();
        if types.contains(&InstanceType::Object)
            && let Some(validation) = &object.object
        {
            let properties: BTreeMap<&String, &Schema> = validation.properties.iter().collect();
            for (name, property) in properties {
                let member = format!("{label}.{name}");
                let below = self.schema(property, &member);
                if !validation.required.contains(name) {
                    members.push(self.add(property, 0, format!("{member} absent"), Vec::new()));
                    members.push(self.add(property, 1, format!("{member} present"), below.clone()));
                }
                members.extend(below);
            }
            if let Some(additional) = &validation.additional_properties {
                members.extend(self.schema(additional, &format!("{label}.*")));
            }
        }
        let mut reached = Vec::new();
        if let Some(SingleOrVec::Vec(list)) = &object.instance_type {
            for (option, instance_type) in list.iter().enumerate() {
                let below = match instance_type {
                    InstanceType::Array => items.clone(),
                    InstanceType::Object => members.clone(),
                    _ => Vec::new(),
                };
                reached.push(self.add(
                    list,
                    option,
                    format!("{label} as {instance_type:?}"),
                    below,
                ));
            }
        }
        reached.extend(items);
        reached.extend(members);
        reached
    }
}

/// A short name for a `oneOf`/`anyOf` branch: its tag, its single member, its reference, its
/// type or its enum value.
fn describe(branch: &Schema, index: usize) -> String {
    let Schema::Object(object) = branch else {
        return format!("#{index}");
    };
    if let Some(tag) = tag(object) {
        return tag.to_string();
    }
    if let Some(reference) = &object.reference {
        return definition_name(reference).to_string();
    }
    if let Some(validation) = &object.object
        && validation.required.len() == 1
        && validation.properties.len() == 1
        && let Some(name) = validation.required.iter().next()
    {
        return name.clone();
    }
    if let Some(values) = &object.enum_values {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(",");
    }
    if let Some(instance_type) = &object.instance_type {
        return format!("{instance_type:?}");
    }
    format!("#{index}")
}
