//! Operations on plain TOML trees: merging layers and addressing values by key path.

/// Merges `overlay` into `base`: tables merge key by key, anything else in `overlay` replaces
/// what `base` had (arrays are replaced whole, never concatenated).
pub(crate) fn merge(base: &mut toml::Table, overlay: &toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(incoming)) => {
                merge(existing, incoming);
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The value at `path` (table keys, or array indices written as numbers), if there is one.
pub(crate) fn get<'a, S: AsRef<str>>(
    table: &'a toml::Table,
    path: &[S],
) -> Option<&'a toml::Value> {
    let (first, rest) = path.split_first()?;
    let mut current = table.get(first.as_ref())?;
    for segment in rest {
        current = match current {
            toml::Value::Table(table) => table.get(segment.as_ref())?,
            toml::Value::Array(items) => items.get(segment.as_ref().parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Sets `path` to `value`, creating the tables on the way. Fails, changing nothing, when a value
/// on the way is not a table.
pub(crate) fn set(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), ()> {
    let Some((last, parents)) = path.split_last() else {
        return Err(());
    };
    if parents_block(table, parents) {
        return Err(());
    }
    let mut current = table;
    for segment in parents {
        let entry = current
            .entry(segment.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(next) = entry else {
            return Err(());
        };
        current = next;
    }
    current.insert(last.clone(), value);
    Ok(())
}

/// Whether some existing value along `parents` is not a table.
fn parents_block(table: &toml::Table, parents: &[String]) -> bool {
    let mut current = table;
    for segment in parents {
        match current.get(segment) {
            None => return false,
            Some(toml::Value::Table(next)) => current = next,
            Some(_) => return true,
        }
    }
    false
}

/// Removes the value at `path`. `Err` when a table on the way is missing or not a table;
/// `Ok(false)` when the parent exists but has no such key.
pub(crate) fn remove(table: &mut toml::Table, path: &[String]) -> Result<bool, ()> {
    let Some((last, parents)) = path.split_last() else {
        return Err(());
    };
    let mut current = table;
    for segment in parents {
        match current.get_mut(segment) {
            Some(toml::Value::Table(next)) => current = next,
            _ => return Err(()),
        }
    }
    Ok(current.remove(last).is_some())
}

/// The most dotted parts a key path that a client writes or overrides may have. TOML parsers
/// refuse files nested deeper than 80 levels ("recursion limit"), and the loader then ignores the
/// whole file; 32 leaves room for the value written at the end of the path.
pub const MAX_KEY_PATH_PARTS: usize = 32;

/// Why a client's key path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyPathError {
    #[error("key path must not be empty")]
    Empty,
    #[error("key path has an empty part")]
    EmptyPart,
    #[error("key path has more than {MAX_KEY_PATH_PARTS} parts")]
    TooDeep,
}

/// Splits a dotted key path that a client sent, refusing empty parts (`a..b`, `../`) and paths of
/// more than [`MAX_KEY_PATH_PARTS`] parts before anything is built from them.
pub(crate) fn parse_key_path(path: &str) -> Result<Vec<String>, KeyPathError> {
    if path.trim().is_empty() {
        return Err(KeyPathError::Empty);
    }
    if path.split('.').nth(MAX_KEY_PATH_PARTS).is_some() {
        return Err(KeyPathError::TooDeep);
    }
    let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
    if parts.iter().any(String::is_empty) {
        return Err(KeyPathError::EmptyPart);
    }
    Ok(parts)
}

/// Splits a dotted key path as written, for tests.
#[cfg(test)]
pub(crate) fn split_key_path(path: &str) -> Vec<String> {
    path.split('.').map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    fn path(text: &str) -> Vec<String> {
        split_key_path(text)
    }

    #[test]
    fn merge_combines_tables_and_replaces_the_rest() {
        let mut base = table("a = 1\nlist = [1, 2]\n[t]\nx = 1\ny = 2\n[u]\nz = 1");
        merge(
            &mut base,
            &table("list = [3]\nu = 5\n[t]\ny = 20\nw = 30\n[n]\nq = 1"),
        );
        assert_eq!(
            base,
            table("a = 1\nlist = [3]\nu = 5\n[t]\nx = 1\ny = 20\nw = 30\n[n]\nq = 1")
        );
    }

    #[test]
    fn get_follows_tables_and_array_indices() {
        let config = table("notify = ['a', 'b']\n[t.u]\nv = 1");
        assert_eq!(get(&config, &path("t.u.v")), Some(&toml::Value::Integer(1)));
        assert_eq!(
            get(&config, &path("notify.1")),
            Some(&toml::Value::String("b".into()))
        );
        assert_eq!(get(&config, &path("notify.2")), None);
        assert_eq!(get(&config, &path("t.u.v.w")), None);
        assert_eq!(get::<String>(&config, &[]), None);
    }

    #[test]
    fn set_creates_tables_and_refuses_to_go_through_values() {
        let mut config = table("a = 1");
        set(&mut config, &path("t.u.v"), toml::Value::Integer(2)).unwrap();
        assert_eq!(config, table("a = 1\n[t.u]\nv = 2"));
        assert_eq!(
            set(&mut config, &path("a.b"), toml::Value::Integer(3)),
            Err(())
        );
        assert_eq!(
            set(&mut config, &path("t.u.v.w"), toml::Value::Integer(3)),
            Err(())
        );
        assert_eq!(config, table("a = 1\n[t.u]\nv = 2"));
    }

    #[test]
    fn key_paths_are_limited_and_have_no_empty_parts() {
        let at_limit = vec!["a"; MAX_KEY_PATH_PARTS].join(".");
        assert_eq!(
            parse_key_path(&at_limit).map(|parts| parts.len()),
            Ok(MAX_KEY_PATH_PARTS)
        );
        let over = vec!["a"; MAX_KEY_PATH_PARTS + 1].join(".");
        assert_eq!(parse_key_path(&over), Err(KeyPathError::TooDeep));
        let huge = vec!["a"; 5000].join(".");
        assert_eq!(parse_key_path(&huge), Err(KeyPathError::TooDeep));
        assert_eq!(parse_key_path("a..b"), Err(KeyPathError::EmptyPart));
        assert_eq!(parse_key_path("../"), Err(KeyPathError::EmptyPart));
        assert_eq!(parse_key_path("model."), Err(KeyPathError::EmptyPart));
        assert_eq!(parse_key_path(" "), Err(KeyPathError::Empty));
        assert_eq!(
            parse_key_path("tools.web_search"),
            Ok(vec!["tools".to_owned(), "web_search".to_owned()])
        );
    }

    #[test]
    fn remove_distinguishes_missing_keys_from_missing_parents() {
        let mut config = table("a = 1\n[t]\nx = 1");
        assert_eq!(remove(&mut config, &path("t.x")), Ok(true));
        assert_eq!(remove(&mut config, &path("t.x")), Ok(false));
        assert_eq!(remove(&mut config, &path("nope.x")), Err(()));
        assert_eq!(remove(&mut config, &path("a.x")), Err(()));
        assert_eq!(config, table("a = 1\n[t]"));
    }
}
