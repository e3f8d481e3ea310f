//! Which `configWarning`s each client has been told about, so that a problem is announced once
//! and a client that connects later hears every one that still applies.

use std::collections::BTreeMap;
use std::sync::Mutex;

use codex_config::ConfigLayerStack;
use codex_config::ConfigWarning;
use codex_utils_lock::lock;

/// The warnings clients have been told about, by the file they concern (`""` for those about
/// no file). A load replaces the entries of the files it looked at; new warnings are announced
/// to every client, and a client that connects later gets all current ones.
#[derive(Debug, Default)]
pub(crate) struct WarningLedger {
    by_file: Mutex<BTreeMap<String, Vec<ConfigWarning>>>,
}

impl WarningLedger {
    /// Takes in what a load found; returns the warnings no client has been told about yet.
    pub(crate) fn record(&self, stack: &ConfigLayerStack) -> Vec<ConfigWarning> {
        let mut found: BTreeMap<String, Vec<ConfigWarning>> = stack
            .examined_files()
            .iter()
            .map(|file| (file.clone(), Vec::new()))
            .collect();
        found.insert(String::new(), Vec::new());
        for warning in stack.warnings() {
            found
                .entry(warning.path.clone().unwrap_or_default())
                .or_default()
                .push(warning.clone());
        }
        let mut by_file = lock(&self.by_file);
        let mut fresh = Vec::new();
        for (file, warnings) in found {
            let known = by_file.get(&file);
            fresh.extend(
                warnings
                    .iter()
                    .filter(|warning| known.is_none_or(|known| !known.contains(warning)))
                    .cloned(),
            );
            if warnings.is_empty() {
                by_file.remove(&file);
            } else {
                by_file.insert(file, warnings);
            }
        }
        fresh
    }

    /// Adds a warning found once, at startup, about a file no config load looks at (a rules
    /// file that does not parse): it stays for the server's life, as in the reference.
    pub(crate) fn record_lasting(&self, warning: ConfigWarning) {
        let file = warning.path.clone().unwrap_or_default();
        lock(&self.by_file).entry(file).or_default().push(warning);
    }

    /// Every warning that still applies, for a client that just connected.
    pub(crate) fn current(&self) -> Vec<ConfigWarning> {
        lock(&self.by_file).values().flatten().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::wire::config::tests::Folders;

    #[test]
    fn the_ledger_announces_each_problem_once_and_forgets_fixed_files() {
        let folders = Folders::new("ledger");
        let ledger = WarningLedger::default();
        let service = folders.service();
        assert_eq!(ledger.record(&service.load(None)), Vec::new());

        folders.write_user("model = [\n");
        let fresh = ledger.record(&service.load(None));
        assert_eq!(fresh.len(), 1);
        assert_eq!(ledger.current(), fresh);
        assert_eq!(ledger.record(&service.load(None)), Vec::new());

        folders.write_user("model = 'o3'\n");
        assert_eq!(ledger.record(&service.load(None)), Vec::new());
        assert_eq!(ledger.current(), Vec::new());

        folders.write_user("model = [\n");
        assert_eq!(ledger.record(&service.load(None)).len(), 1);
    }
}
