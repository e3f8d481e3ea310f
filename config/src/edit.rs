//! Editing `config.toml` as text, so that whatever a write does not change survives byte for
//! byte: comments, blank lines, key order, quoting, inline tables.
//!
//! The write decides on plain TOML values what each key path must hold; this module then makes
//! the document hold it while touching as little as it can. A value that did not change is
//! left alone, even if the client sent it again. Tables are edited in place: kept keys keep
//! their place and formatting, new keys are appended, removed keys go. A replaced value keeps
//! the whitespace and comment around it. New tables are written as `[headers]` (sorted), except
//! inside an inline table, where they stay inline.

use toml_edit::DocumentMut;
use toml_edit::Item;
use toml_edit::TableLike;

/// Makes the value at `path` in `doc` equal `new` (`None`: removes it), given that it was `old`.
/// The caller has checked that the path is possible (no value on the way), so a path that
/// cannot be followed is left unchanged.
pub(crate) fn apply(
    doc: &mut DocumentMut,
    path: &[String],
    old: Option<&toml::Value>,
    new: Option<&toml::Value>,
) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let Some((table, inline)) = parent_table(doc, parents, new.is_some()) else {
        return;
    };
    match new {
        None => {
            table.remove(last);
        }
        Some(new) => set_in(table, inline, last, old, new),
    }
}

/// Makes the value at `path` a list of records written as `[[path]]` sections (`None` or an
/// empty list: removes it), their fields in `field_order` first and the others sorted after.
/// Inside an inline table, where sections cannot go, the list is written inline.
pub(crate) fn set_records(
    doc: &mut DocumentMut,
    path: &[String],
    records: Option<&toml::Value>,
    field_order: &[&str],
) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let items = records
        .and_then(toml::Value::as_array)
        .filter(|items| !items.is_empty());
    let Some((table, inline)) = parent_table(doc, parents, items.is_some()) else {
        return;
    };
    let Some(items) = items else {
        table.remove(last);
        return;
    };
    if inline {
        table.insert(
            last,
            Item::Value(to_value(&toml::Value::Array(items.clone()))),
        );
        return;
    }
    let mut sections = toml_edit::ArrayOfTables::new();
    for fields in items.iter().filter_map(toml::Value::as_table) {
        let mut section = toml_edit::Table::new();
        let mut keys: Vec<&String> = fields.keys().collect();
        keys.sort_by_key(|key| {
            let rank = field_order.iter().position(|first| first == key);
            (rank.unwrap_or(usize::MAX), *key)
        });
        for key in keys {
            section.insert(key, Item::Value(to_value(&fields[key])));
        }
        sections.push(section);
    }
    table.insert(last, Item::ArrayOfTables(sections));
}

/// The table at `parents` and whether it is (inside) an inline table; missing tables on the way
/// are created when `create`.
fn parent_table<'a>(
    doc: &'a mut DocumentMut,
    parents: &[String],
    create: bool,
) -> Option<(&'a mut dyn TableLike, bool)> {
    let mut table: &mut dyn TableLike = doc.as_table_mut();
    let mut inline = false;
    for segment in parents {
        if create && table.get(segment).is_none() {
            insert_new(table, inline, segment, empty_table_like(inline));
        }
        let item = table.get_mut(segment)?;
        inline |= matches!(item, Item::Value(_));
        table = item.as_table_like_mut()?;
    }
    Some((table, inline))
}

/// Sets `table[key]` to `new`, given that it was `old`. `inline`: whether `table` is (inside)
/// an inline table.
fn set_in(
    table: &mut dyn TableLike,
    inline: bool,
    key: &str,
    old: Option<&toml::Value>,
    new: &toml::Value,
) {
    if old == Some(new) {
        return;
    }
    if let (Some(toml::Value::Table(old)), toml::Value::Table(new)) = (old, new)
        && let Some(existing) = table.get_mut(key)
    {
        let inline = inline || matches!(existing, Item::Value(_));
        if let Some(existing) = existing.as_table_like_mut() {
            sync_table(existing, inline, old, new);
            return;
        }
    }
    let mut item = if inline {
        Item::Value(to_value(new))
    } else {
        to_item(new)
    };
    if let (Some(Item::Value(existing)), Item::Value(replacement)) = (table.get(key), &mut item) {
        *replacement.decor_mut() = existing.decor().clone();
    }
    match table.get_mut(key) {
        Some(slot) => {
            // A `[header]` key spelled as `key = value` needs the usual spaces around `=`.
            let was_header = matches!(slot, Item::Table(_) | Item::ArrayOfTables(_));
            *slot = item;
            if was_header && let Some(mut key) = table.key_mut(key) {
                key.leaf_decor_mut().clear();
            }
        }
        None => insert_new(table, inline, key, item),
    }
}

/// Appends a key that `table` does not have.
fn insert_new(table: &mut dyn TableLike, inline: bool, key: &str, mut item: Item) {
    if inline {
        // The space before `}` belongs to the last value; hand it on to the new last one.
        let trailing = table
            .iter_mut()
            .last()
            .and_then(|(_, last)| last.as_value_mut())
            .and_then(|last| {
                let suffix = last.decor().suffix().cloned();
                last.decor_mut().set_suffix("");
                suffix
            });
        if let (Some(trailing), Item::Value(value)) = (trailing, &mut item) {
            value.decor_mut().set_suffix(trailing);
        }
    }
    table.insert(key, item);
}

/// Makes a table that held `old` hold `new`, in place.
fn sync_table(table: &mut dyn TableLike, inline: bool, old: &toml::Table, new: &toml::Table) {
    for key in old.keys().filter(|key| !new.contains_key(*key)) {
        table.remove(key);
    }
    for (key, value) in new {
        set_in(table, inline, key, old.get(key), value);
    }
}

/// The TOML for a table created on the way to a key: an implicit table (no header of its own
/// unless it gets values), or an inline table inside an inline table.
fn empty_table_like(inline: bool) -> Item {
    if inline {
        Item::Value(toml_edit::Value::InlineTable(toml_edit::InlineTable::new()))
    } else {
        let mut table = toml_edit::Table::new();
        table.set_implicit(true);
        Item::Table(table)
    }
}

/// A value for a standard table: tables become `[headers]`, everything else a value.
fn to_item(value: &toml::Value) -> Item {
    match value {
        toml::Value::Table(entries) => {
            let mut table = toml_edit::Table::new();
            table.set_implicit(false);
            for (key, entry) in sorted(entries) {
                table.insert(key, to_item(entry));
            }
            Item::Table(table)
        }
        other => Item::Value(to_value(other)),
    }
}

/// A value for an inline context: tables become inline tables.
fn to_value(value: &toml::Value) -> toml_edit::Value {
    match value {
        toml::Value::String(text) => text.as_str().into(),
        toml::Value::Integer(number) => (*number).into(),
        toml::Value::Float(number) => (*number).into(),
        toml::Value::Boolean(flag) => (*flag).into(),
        toml::Value::Datetime(datetime) => (*datetime).into(),
        toml::Value::Array(items) => toml_edit::Value::Array(items.iter().map(to_value).collect()),
        toml::Value::Table(entries) => {
            let mut table = toml_edit::InlineTable::new();
            for (key, entry) in sorted(entries) {
                table.insert(key, to_value(entry));
            }
            toml_edit::Value::InlineTable(table)
        }
    }
}

/// New tables list their keys in sorted order, whatever order the TOML map keeps.
fn sorted(entries: &toml::Table) -> Vec<(&String, &toml::Value)> {
    let mut entries: Vec<_> = entries.iter().collect();
    entries.sort_by_key(|(key, _)| *key);
    entries
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::tree;

    /// Applies `(key path, new value as a TOML value or "-" to remove)` edits to `before` the
    /// way a write does (computing the old value from the document itself) and compares the
    /// text with `after`.
    #[track_caller]
    fn check(before: &str, edits: &[(&str, &str)], after: &str) {
        let mut doc: DocumentMut = before.parse().unwrap();
        for (path, value) in edits {
            let path = tree::split_key_path(path);
            let model: toml::Table = toml::from_str(&doc.to_string()).unwrap();
            let old = tree::get(&model, &path).cloned();
            let new = (*value != "-").then(|| {
                let wrapped: toml::Table = toml::from_str(&format!("v = {value}")).unwrap();
                wrapped["v"].clone()
            });
            apply(&mut doc, &path, old.as_ref(), new.as_ref());
        }
        assert_eq!(doc.to_string(), after, "editing {before:?} with {edits:?}");
    }

    #[test]
    fn new_keys_go_after_the_tables_last_key_and_new_tables_at_the_end() {
        check(
            "# keep this comment\nmodel = \"m\"\n\n[model_providers.mock]\nname = \"mock\"\n",
            &[
                ("model_reasoning_effort", "'high'"),
                ("tools.web_search", "false"),
            ],
            "# keep this comment\nmodel = \"m\"\nmodel_reasoning_effort = \"high\"\n\n\
             [model_providers.mock]\nname = \"mock\"\n\n[tools]\nweb_search = false\n",
        );
    }

    #[test]
    fn replaced_values_keep_their_comments_and_unchanged_values_their_spelling() {
        check(
            "# about the model\nmodel = 'o3'   # trailing\neffort = 'low'\n",
            &[("model", "'gpt-5'"), ("effort", "\"low\"")],
            "# about the model\nmodel = \"gpt-5\"   # trailing\neffort = 'low'\n",
        );
    }

    #[test]
    fn table_edits_keep_the_hand_made_order() {
        check(
            "[t]\nz = 1 # zc\n# before a\na = 2\n",
            &[("t", "{ m = 3, z = 1, a = 20 }")],
            "[t]\nz = 1 # zc\n# before a\na = 20\nm = 3\n",
        );
        check(
            "[t]\nz = 1 # zc\n# before a\na = 2\n",
            &[("t", "{ a = 2 }")],
            "[t]\n# before a\na = 2\n",
        );
    }

    #[test]
    fn inline_tables_stay_inline() {
        check(
            "tools = { web_search = true }\n",
            &[("tools.view_image", "true"), ("tools.sub.x", "1")],
            "tools = { web_search = true, view_image = true, sub = { x = 1 } }\n",
        );
    }

    #[test]
    fn new_nested_tables_get_sorted_headers_and_implicit_parents() {
        check(
            "",
            &[("x.y.z", "{ b = 1, a = { c = 2 }, l = [{ k = 1 }] }")],
            "[x.y.z]\nb = 1\nl = [{ k = 1 }]\n\n[x.y.z.a]\nc = 2\n",
        );
    }

    #[test]
    fn removals_take_the_key_and_leave_the_rest() {
        check(
            "profile = 'p'\n\n[profiles.p]\nmodel = 'pm' # keep\neffort = 'high'\n",
            &[("profiles.p.model", "-"), ("profiles.p.effort", "-")],
            "profile = 'p'\n\n[profiles.p]\n",
        );
        check("a = 1\n", &[("nope.x", "-")], "a = 1\n");
    }
}
