//! `-c key=value` overrides: parsing them and applying them to a TOML tree.

use clap::ArgAction;
use clap::Args;
use toml::Value;

/// Config values given on the command line, each as `key=value`.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct CliConfigOverrides {
    /// Override a config value, e.g. `-c model="o3"` or `-c sandbox.network_access=true`.
    ///
    /// `key` is a dotted path into the config. `value` is parsed as TOML; if that fails it is
    /// used as a plain string, so `-c model=o3` works without quoting.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "key=value",
        action = ArgAction::Append,
        global = true
    )]
    pub raw_overrides: Vec<String>,
}

/// A `-c` argument that is not of the form `dotted.key=value`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("invalid override (missing '='): {0}")]
    MissingEquals(String),
    #[error("invalid override (empty key segment): {0}")]
    EmptyKeySegment(String),
}

impl CliConfigOverrides {
    /// Parses every override into a normalised dotted key (segments trimmed) and its value.
    pub fn parse_overrides(&self) -> Result<Vec<(String, Value)>, OverrideError> {
        self.raw_overrides
            .iter()
            .map(|raw| parse_override(raw))
            .collect()
    }

    /// Parses the overrides and applies them to `target` in order, so a later `-c` for the same
    /// key wins. Nothing is applied if any override is malformed.
    pub fn apply_on_value(&self, target: &mut Value) -> Result<(), OverrideError> {
        let overrides = self.parse_overrides()?;
        apply_overrides(target, overrides);
        Ok(())
    }
}

fn parse_override(raw: &str) -> Result<(String, Value), OverrideError> {
    let Some((key, value)) = raw.split_once('=') else {
        return Err(OverrideError::MissingEquals(raw.to_owned()));
    };
    let segments = key.split('.').map(str::trim).collect::<Vec<_>>();
    if segments.iter().any(|segment| segment.is_empty()) {
        return Err(OverrideError::EmptyKeySegment(raw.to_owned()));
    }
    let value = value.trim();
    // Anything that is not valid TOML, such as a bare word, is meant as a string.
    let value = value
        .parse::<Value>()
        .unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((segments.join("."), value))
}

/// Sets each dotted key in `target` to its value, in order.
///
/// Missing intermediate tables are created, and an intermediate that is not a table (or a
/// `target` that is not a table) is replaced by one: the command line wins over the file. Keys
/// are split on every `.`; quoted TOML keys are not supported.
pub fn apply_overrides(target: &mut Value, overrides: impl IntoIterator<Item = (String, Value)>) {
    for (key, value) in overrides {
        set_dotted(target, &key, value);
    }
}

fn set_dotted(target: &mut Value, key: &str, value: Value) {
    let mut segments = key.split('.').collect::<Vec<_>>();
    let Some(last) = segments.pop() else {
        return;
    };
    let mut node = target;
    for segment in segments {
        node = as_table_or_replace(node)
            .entry(segment)
            .or_insert_with(|| Value::Table(toml::Table::new()));
    }
    as_table_or_replace(node).insert(last.to_owned(), value);
}

fn as_table_or_replace(node: &mut Value) -> &mut toml::Table {
    match node {
        Value::Table(table) => table,
        other => {
            *other = Value::Table(toml::Table::new());
            // Now a table, so this recurses exactly once.
            as_table_or_replace(other)
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn overrides(raw: &[&str]) -> CliConfigOverrides {
        CliConfigOverrides {
            raw_overrides: raw.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Parses one `-c` argument and compares it with `expected`, written as a TOML document
    /// `key = value` so the expectation reads like the config file it stands for.
    #[track_caller]
    fn check_parse(raw: &str, expected: &str) {
        let (key, value) = parse_override(raw).unwrap();
        let mut actual = toml::Table::new();
        actual.insert(key, value);
        let expected = toml::from_str::<toml::Table>(expected).unwrap();
        assert_eq!(actual, expected, "parsing {raw:?}");
    }

    #[test]
    fn parses_toml_values() {
        check_parse(r#"model="o3""#, r#""model" = "o3""#);
        check_parse("model='o3'", r#""model" = "o3""#);
        check_parse("n=42", r#""n" = 42"#);
        check_parse("t=0.5", r#""t" = 0.5"#);
        check_parse(
            "sandbox_workspace_write.network_access=true",
            r#""sandbox_workspace_write.network_access" = true"#,
        );
        check_parse(
            r#"writable_roots=["/a","/b"]"#,
            r#""writable_roots" = ["/a", "/b"]"#,
        );
        check_parse("x={a=1}", r#""x" = { a = 1 }"#);
        check_parse(
            "x = { a = 1, b = [true] } ",
            r#""x" = { a = 1, b = [true] }"#,
        );
    }

    #[test]
    fn falls_back_to_plain_strings() {
        check_parse("model=o3", r#""model" = "o3""#);
        check_parse("model= gpt-5 mini ", r#""model" = "gpt-5 mini""#);
        check_parse("path=/tmp/x", r#""path" = "/tmp/x""#);
        check_parse("empty=", r#""empty" = """#);
        check_parse("eq=a=b", r#""eq" = "a=b""#);
        check_parse(r#"open=["/a""#, r#""open" = '["/a"'"#);
    }

    #[test]
    fn normalises_keys() {
        check_parse(" a . b .c =1", r#""a.b.c" = 1"#);
    }

    #[track_caller]
    fn check_error(raw: &str, expected: &str) {
        let err = parse_override(raw).unwrap_err();
        assert_eq!(err.to_string(), expected);
    }

    #[test]
    fn rejects_malformed_overrides() {
        check_error("foo", "invalid override (missing '='): foo");
        check_error("=1", "invalid override (empty key segment): =1");
        check_error(" =1", "invalid override (empty key segment):  =1");
        check_error("a..b=1", "invalid override (empty key segment): a..b=1");
        check_error(".a=1", "invalid override (empty key segment): .a=1");
        check_error("a.=1", "invalid override (empty key segment): a.=1");
    }

    #[test]
    fn parse_overrides_keeps_order_and_stops_at_first_error() {
        let parsed = overrides(&["b=1", "a=2"]).parse_overrides().unwrap();
        assert_eq!(
            parsed,
            vec![
                ("b".to_owned(), Value::Integer(1)),
                ("a".to_owned(), Value::Integer(2)),
            ]
        );
        assert_eq!(
            overrides(&["a=1", "bad", "..=2"]).parse_overrides(),
            Err(OverrideError::MissingEquals("bad".to_owned()))
        );
    }

    /// Applies `raw` overrides to the TOML document `before` and compares with `after`.
    #[track_caller]
    fn check_apply(before: &str, raw: &[&str], after: &str) {
        let mut actual = Value::Table(toml::from_str(before).unwrap());
        overrides(raw).apply_on_value(&mut actual).unwrap();
        let expected = Value::Table(toml::from_str(after).unwrap());
        assert_eq!(actual, expected, "applying {raw:?} to {before:?}");
    }

    #[test]
    fn apply_sets_dotted_paths() {
        check_apply("", &["model=o3"], "model = 'o3'");
        check_apply("model = 'gpt-5'", &["model=o3"], "model = 'o3'");
        check_apply(
            "[a]\nkeep = 1",
            &["a.b.c=true"],
            "[a]\nkeep = 1\n[a.b]\nc = true",
        );
        check_apply("", &["x=1", "x=2"], "x = 2");
        check_apply("", &["x.y=1", "x={z=2}"], "x = { z = 2 }");
        check_apply("", &["x={z=2}", "x.y=1"], "x = { z = 2, y = 1 }");
    }

    #[test]
    fn apply_replaces_non_table_intermediates() {
        check_apply("a = 1", &["a.b=2"], "a = { b = 2 }");
        check_apply("a = [1]", &["a.b.c=2"], "a = { b = { c = 2 } }");
        let mut scalar = Value::Integer(1);
        overrides(&["a=2"]).apply_on_value(&mut scalar).unwrap();
        assert_eq!(scalar, Value::Table(toml::from_str("a = 2").unwrap()));
    }

    #[test]
    fn apply_is_all_or_nothing() {
        let mut target = Value::Table(toml::from_str("a = 1").unwrap());
        let err = overrides(&["a=2", "oops"]).apply_on_value(&mut target);
        assert_eq!(err, Err(OverrideError::MissingEquals("oops".to_owned())));
        assert_eq!(target, Value::Table(toml::from_str("a = 1").unwrap()));
    }

    #[test]
    fn clap_collects_repeated_flags() {
        use clap::Parser;

        #[derive(Parser, Debug)]
        struct Cli {
            #[command(flatten)]
            overrides: CliConfigOverrides,
        }

        let cli = Cli::try_parse_from(["codex", "-c", "a=1", "--config", "b=x", "-cc=3"]).unwrap();
        assert_eq!(cli.overrides, overrides(&["a=1", "b=x", "c=3"]));
        let none = Cli::try_parse_from(["codex"]).unwrap();
        assert_eq!(none.overrides, CliConfigOverrides::default());
    }
}
