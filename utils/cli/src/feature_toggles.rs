//! `--enable FEATURE` / `--disable FEATURE` flags, which are shorthands for
//! `-c features.FEATURE=true` / `-c features.FEATURE=false`.

use clap::ArgAction;
use clap::Args;
use toml::Value;

/// Feature flags switched on or off from the command line.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureToggles {
    /// Enable a feature (repeatable); equivalent to `-c features.<FEATURE>=true`.
    #[arg(long = "enable", value_name = "FEATURE", action = ArgAction::Append, global = true)]
    pub enable: Vec<String>,

    /// Disable a feature (repeatable); equivalent to `-c features.<FEATURE>=false`.
    #[arg(long = "disable", value_name = "FEATURE", action = ArgAction::Append, global = true)]
    pub disable: Vec<String>,
}

impl FeatureToggles {
    /// One `features.<name>` override per distinct feature, in order of first mention.
    ///
    /// clap keeps `--enable` and `--disable` in separate lists, so their relative order on the
    /// command line is lost; a feature named by both is disabled, the cautious choice. Names are
    /// trimmed and empty names are skipped.
    pub fn to_overrides(&self) -> Vec<(String, Value)> {
        let mut overrides: Vec<(String, Value)> = Vec::new();
        let toggles = self
            .enable
            .iter()
            .map(|name| (name, true))
            .chain(self.disable.iter().map(|name| (name, false)));
        for (name, enabled) in toggles {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let key = format!("features.{name}");
            match overrides.iter_mut().find(|(existing, _)| *existing == key) {
                Some((_, value)) => *value = Value::Boolean(enabled),
                None => overrides.push((key, Value::Boolean(enabled))),
            }
        }
        overrides
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use pretty_assertions::assert_eq;

    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        toggles: FeatureToggles,
    }

    /// Parses `args` as a command line and compares the overrides with `expected` pairs.
    #[track_caller]
    fn check(args: &[&str], expected: &[(&str, bool)]) {
        let cli =
            Cli::try_parse_from(std::iter::once("codex").chain(args.iter().copied())).unwrap();
        let actual = cli.toggles.to_overrides();
        let expected = expected
            .iter()
            .map(|(key, enabled)| ((*key).to_owned(), Value::Boolean(*enabled)))
            .collect::<Vec<_>>();
        assert_eq!(actual, expected, "args {args:?}");
    }

    #[test]
    fn toggles_become_feature_overrides() {
        check(&[], &[]);
        check(
            &["--enable", "web_search"],
            &[("features.web_search", true)],
        );
        check(
            &["--disable=apply_patch"],
            &[("features.apply_patch", false)],
        );
        check(
            &["--enable", "a", "--disable", "b", "--enable", "c"],
            &[
                ("features.a", true),
                ("features.c", true),
                ("features.b", false),
            ],
        );
    }

    #[test]
    fn duplicates_collapse_and_disable_wins() {
        check(&["--enable", "a", "--enable", "a"], &[("features.a", true)]);
        check(
            &["--disable", "a", "--enable", "a"],
            &[("features.a", false)],
        );
        check(
            &["--enable", "a", "--enable", "b", "--disable", " a "],
            &[("features.a", false), ("features.b", true)],
        );
    }

    #[test]
    fn empty_names_are_skipped() {
        check(&["--enable", "", "--disable", "  "], &[]);
    }

    #[test]
    fn overrides_apply_like_config_overrides() {
        let cli = Cli::try_parse_from(["codex", "--enable", "x", "--disable", "y"]).unwrap();
        let mut config: Value = toml::from_str("[features]\nx = false\nz = true").unwrap();
        crate::apply_overrides(&mut config, cli.toggles.to_overrides());
        let expected: Value = toml::from_str("[features]\nx = true\ny = false\nz = true").unwrap();
        assert_eq!(config, expected);
    }
}
