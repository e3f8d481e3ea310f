//! Which parts of the protocol are experimental, for the exporters.
//!
//! Experimental methods are flagged in the method tables. Experimental fields of otherwise stable
//! types are listed here, by type name and wire name.

/// One experimental field of a stable type.
pub(crate) struct ExperimentalField {
    pub type_name: &'static str,
    pub field: &'static str,
    /// Whether the stable TypeScript leaves the field out too. The reference's stable bindings
    /// keep some fields that its stable JSON Schema drops; we follow both so clients see the same
    /// files from either program.
    pub hidden_in_typescript: bool,
}

pub(crate) const EXPERIMENTAL_FIELDS: &[ExperimentalField] = &[
    field("ThreadStartParams", "dynamicTools", true),
    field("ThreadStartParams", "mockExperimentalField", true),
    field("ThreadStartParams", "experimentalRawEvents", false),
    field("ThreadResumeParams", "history", false),
    field("ThreadResumeParams", "path", false),
    field("ThreadForkParams", "path", false),
    field("TurnStartParams", "collaborationMode", false),
    field("Config", "apps", true),
    field("ConfigRequirements", "network", true),
];

const fn field(
    type_name: &'static str,
    field: &'static str,
    hidden_in_typescript: bool,
) -> ExperimentalField {
    ExperimentalField {
        type_name,
        field,
        hidden_in_typescript,
    }
}
