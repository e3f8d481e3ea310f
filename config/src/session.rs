//! The session flags layer: `-c key=value`, `--enable`/`--disable`, and per-thread overrides.

use std::path::Path;

use crate::ConfigError;
use crate::loader;
use crate::tree;

/// Overrides given for this session, as one TOML table with its relative paths resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionFlags {
    config: toml::Table,
}

impl SessionFlags {
    /// Builds the layer from dotted `key = value` pairs, later pairs winning. Relative paths are
    /// resolved against `base` (the directory the server or thread runs in). Values of the
    /// wrong type are refused here, with the key's path.
    pub fn new(
        overrides: impl IntoIterator<Item = (String, toml::Value)>,
        base: &Path,
    ) -> Result<Self, ConfigError> {
        // Checked before any table is built: a path of thousands of parts would nest tables so
        // deep that dropping them overflows the stack.
        let overrides = overrides
            .into_iter()
            .map(|(key, value)| match tree::parse_key_path(&key) {
                Ok(_) => Ok((key, value)),
                Err(error) => Err(ConfigError::InvalidOverride(error.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut root = toml::Value::Table(toml::Table::new());
        codex_utils_cli::apply_overrides(&mut root, overrides);
        let toml::Value::Table(table) = root else {
            return Ok(Self::default());
        };
        let typed = crate::types::type_table(&table, base)
            .map_err(|error| ConfigError::InvalidOverride(error.to_string()))?;
        Ok(Self {
            config: loader::resolve_paths(table, &typed),
        })
    }

    /// These flags with `other`'s on top.
    pub fn with(&self, other: &SessionFlags) -> Self {
        let mut config = self.config.clone();
        tree::merge(&mut config, &other.config);
        Self { config }
    }

    pub fn is_empty(&self) -> bool {
        self.config.is_empty()
    }

    pub fn config(&self) -> &toml::Table {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, toml::Value)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.parse::<toml::Value>().unwrap()))
            .collect()
    }

    #[test]
    fn overrides_nest_resolve_paths_and_merge() {
        let base = Path::new("/work");
        let flags = SessionFlags::new(
            pairs(&[
                ("model", "'o3'"),
                ("sandbox_workspace_write.writable_roots", "['out', '/abs']"),
            ]),
            base,
        )
        .unwrap();
        let more = SessionFlags::new(pairs(&[("model", "'gpt-5'"), ("features.x", "true")]), base)
            .unwrap();
        let expected: toml::Table = toml::from_str(
            "model = 'gpt-5'\n[sandbox_workspace_write]\nwritable_roots = ['/work/out', '/abs']\n\
             [features]\nx = true",
        )
        .unwrap();
        assert_eq!(flags.with(&more).config(), &expected);
    }

    #[test]
    fn values_of_the_wrong_type_are_refused() {
        let error = SessionFlags::new(pairs(&[("approval_policy", "'sometimes'")]), Path::new("/"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid config override: unknown variant `sometimes`, expected one of `untrusted`, \
             `on-failure`, `on-request`, `never`\nin `approval_policy`\n"
        );
    }

    #[test]
    fn key_paths_too_deep_or_with_empty_parts_are_refused() {
        let deep = vec!["a"; 5000].join(".");
        let error =
            SessionFlags::new(vec![(deep, toml::Value::Integer(1))], Path::new("/")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid config override: key path has more than 32 parts"
        );
        let error = SessionFlags::new(pairs(&[("a..b", "1")]), Path::new("/")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid config override: key path has an empty part"
        );
    }
}
