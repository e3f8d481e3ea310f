//! The TypeScript tree: one file per type (ts-rs), an `index.ts` per folder, and optionally a
//! Prettier pass.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;

use schemars::JsonSchema;
use ts_rs::TS;

use super::write_file;
use crate::ClientNotification;
use crate::ClientRequest;
use crate::ProtocolTypeVisitor;
use crate::SchemaFolder;
use crate::ServerNotification;
use crate::ServerRequest;
use crate::experimental::EXPERIMENTAL_FIELDS;
use codex_protocol::protocol::EventMsg;

const HEADER: &str = "// GENERATED CODE! DO NOT MODIFY BY HAND!\n\n";

struct Exporter<'a> {
    out_dir: &'a Path,
    result: io::Result<()>,
}

impl Exporter<'_> {
    fn export<T: TS + 'static>(&mut self) {
        // Types without a file of their own (such as `NoParams`) are inlined where used.
        if self.result.is_ok() && T::output_path().is_some() {
            self.result = T::export_all_to(self.out_dir).map_err(io::Error::other);
        }
    }
}

impl ProtocolTypeVisitor for Exporter<'_> {
    // Experimental types are exported in any case: what they refer to may be shared with stable
    // types. Their own files are removed afterwards when the output is stable.
    fn visit<T: TS + JsonSchema + 'static>(&mut self, _folder: SchemaFolder, _experimental: bool) {
        self.export::<T>();
    }
}

/// Collects the files experimental methods and notifications need: their params and response
/// types and everything those refer to. Files stable types also refer to are kept.
#[derive(Default)]
struct ExperimentalFiles {
    experimental: Reachable,
    stable: Reachable,
}

/// The files a set of types and their dependencies are written to.
#[derive(Default)]
struct Reachable {
    seen: std::collections::HashSet<std::any::TypeId>,
    paths: BTreeSet<PathBuf>,
}

impl ts_rs::TypeVisitor for Reachable {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(std::any::TypeId::of::<T>()) {
            return;
        }
        if let Some(path) = T::output_path() {
            self.paths.insert(path);
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

impl ProtocolTypeVisitor for ExperimentalFiles {
    fn visit<T: TS + JsonSchema + 'static>(&mut self, _folder: SchemaFolder, experimental: bool) {
        let reachable = if experimental {
            &mut self.experimental
        } else {
            &mut self.stable
        };
        ts_rs::TypeVisitor::visit::<T>(reachable);
    }
}

fn remove_experimental_method_files(out_dir: &Path) -> io::Result<()> {
    let mut files = ExperimentalFiles::default();
    ClientRequest::visit_types(&mut files);
    ServerRequest::visit_types(&mut files);
    ServerNotification::visit_types(&mut files);
    ts_rs::TypeVisitor::visit::<EventMsg>(&mut files.stable);
    ts_rs::TypeVisitor::visit::<crate::v1::V1TextElement>(&mut files.stable);
    ts_rs::TypeVisitor::visit::<crate::RequestId>(&mut files.stable);
    // The reference's stable bindings keep this one, which only experimental types use.
    ts_rs::TypeVisitor::visit::<codex_protocol::config_types::CollaborationModeMask>(
        &mut files.stable,
    );
    for path in files.experimental.paths.difference(&files.stable.paths) {
        match std::fs::remove_file(out_dir.join(path)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    Ok(())
}

/// Writes the TypeScript bindings under `out_dir`, then formats them with the Prettier binary
/// `prettier` when one is given.
pub fn generate_ts(out_dir: &Path, prettier: Option<&Path>, experimental: bool) -> io::Result<()> {
    std::fs::create_dir_all(out_dir)?;
    let mut exporter = Exporter {
        out_dir,
        result: Ok(()),
    };
    exporter.export::<ClientRequest>();
    exporter.export::<ClientNotification>();
    exporter.export::<ServerRequest>();
    exporter.export::<ServerNotification>();
    exporter.export::<EventMsg>();
    ClientRequest::visit_types(&mut exporter);
    ServerRequest::visit_types(&mut exporter);
    ServerNotification::visit_types(&mut exporter);
    // v1's text element and the agent's own share a file name, as they do in the reference's
    // bindings; writing v1's last keeps the outcome independent of export order.
    exporter.export::<crate::v1::V1TextElement>();
    exporter.result?;
    if !experimental {
        remove_experimental_method_files(out_dir)?;
    }

    let files = ts_files(out_dir)?;
    for file in &files {
        let text = std::fs::read_to_string(file)?;
        let mut text = if experimental {
            text
        } else {
            strip_experimental(file, text)
        };
        if !text.starts_with(HEADER) {
            text.insert_str(0, HEADER);
        }
        std::fs::write(file, text)?;
    }
    write_index(out_dir, true)?;
    write_index(&out_dir.join("v2"), false)?;

    if let Some(prettier) = prettier {
        let status = Command::new(prettier)
            .arg("--write")
            .arg("--log-level")
            .arg("warn")
            .args(ts_files(out_dir)?)
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "{} exited with {status}",
                prettier.display()
            )));
        }
    }
    Ok(())
}

/// Every `.ts` file under `dir`, sorted.
fn ts_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "ts") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes `index.ts` re-exporting every type of a folder; the root one also exposes `v2`.
fn write_index(dir: &Path, is_root: bool) -> io::Result<()> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file()
            && let Some(stem) = path.file_stem().and_then(|stem| stem.to_str())
            && path.extension().is_some_and(|ext| ext == "ts")
            && stem != "index"
        {
            names.insert(stem.to_string());
        }
    }
    let mut text = String::from(HEADER);
    for name in names {
        text.push_str(&format!("export type {{ {name} }} from \"./{name}\";\n"));
    }
    if is_root {
        text.push_str("export * as v2 from \"./v2\";\n");
    }
    write_file(&dir.join("index.ts"), &text)
}

/// Cuts experimental methods and fields out of one generated file.
fn strip_experimental(file: &Path, text: String) -> String {
    let Some(type_name) = file.file_stem().and_then(|stem| stem.to_str()) else {
        return text;
    };
    let mut text = text;
    let methods = match type_name {
        "ClientRequest" => ClientRequest::METHODS,
        "ServerNotification" => ServerNotification::METHODS,
        _ => &[],
    };
    for info in methods.iter().filter(|info| info.experimental) {
        text = remove_union_member(&text, &format!("{{ \"method\": \"{}\"", info.method));
    }
    for field in EXPERIMENTAL_FIELDS
        .iter()
        .filter(|field| field.type_name == type_name && field.hidden_in_typescript)
    {
        text = remove_object_member(&text, field.field);
    }
    drop_unused_imports(&text)
}

/// Removes the union member that starts with `start` (and the `|` joining it to its neighbour).
fn remove_union_member(text: &str, start: &str) -> String {
    let Some(begin) = text.find(start) else {
        return text.to_string();
    };
    let end = matching_close(text, begin).map_or(text.len(), |close| close + 1);
    let before = text[..begin].trim_end();
    if let Some(before) = before.strip_suffix('|') {
        format!("{}{}", before.trim_end(), &text[end..])
    } else {
        let after = text[end..].trim_start();
        let after = after.strip_prefix('|').unwrap_or(after);
        format!("{}{}", &text[..begin], after.trim_start())
    }
}

/// Removes the member `name` (optional or not) of the top-level object type in `text`.
fn remove_object_member(text: &str, name: &str) -> String {
    let Some(decl) = text.find("export type ") else {
        return text.to_string();
    };
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = decl;
    while index < bytes.len() {
        match bytes[index] {
            b'{' | b'(' | b'[' | b'<' => depth += 1,
            b'}' | b')' | b']' | b'>' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 1 && starts_member(text, index + 1, name) {
            let start = index + 1;
            let end = member_end(text, start);
            return format!("{}{}", &text[..start], &text[end..]);
        }
        index += 1;
    }
    text.to_string()
}

/// Whether a member called `name` starts at `at` (after whitespace).
fn starts_member(text: &str, at: usize, name: &str) -> bool {
    let rest = text[at..].trim_start();
    let Some(after) = rest.strip_prefix(name) else {
        return false;
    };
    after.starts_with("?:") || after.starts_with(':')
}

/// The end of the member starting at `start`: just past its `,`, or at the closing brace.
fn member_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = start;
    while index < bytes.len() {
        match bytes[index] {
            b'{' | b'(' | b'[' | b'<' => depth += 1,
            b'}' | b')' | b']' | b'>' if depth == 0 => return index,
            b'}' | b')' | b']' | b'>' => depth -= 1,
            b',' if depth == 0 => return index + 1,
            _ => {}
        }
        index += 1;
    }
    text.len()
}

/// The index of the bracket closing the one opened at `open`.
fn matching_close(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in text.bytes().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// Drops `import type` lines whose name no longer appears in the rest of the file.
fn drop_unused_imports(text: &str) -> String {
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("import type "))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("import type { ")
            && let Some((name, _)) = rest.split_once(' ')
            && !contains_word(&body, name)
        {
            continue;
        }
        out.push_str(line);
    }
    out
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(index, _)| {
        let before = text[..index].chars().next_back();
        let after = text[index + word.len()..].chars().next();
        let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !is_ident(before) && !is_ident(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn removes_a_member_and_its_import() {
        let text = "import type { A } from \"./A\";\nimport type { B } from \"./B\";\n\nexport type T = { a?: A | null, b: Array<B>, c: string, };";
        let out = drop_unused_imports(&remove_object_member(text, "b"));
        assert_eq!(
            out,
            "import type { A } from \"./A\";\n\nexport type T = { a?: A | null, c: string, };"
        );
    }

    #[test]
    fn removes_the_last_member_without_a_trailing_comma() {
        let text = "export type T = {a: string, b: { [key in string]?: number }};";
        assert_eq!(
            remove_object_member(text, "b"),
            "export type T = {a: string,};"
        );
    }

    #[test]
    fn removes_a_union_member() {
        let text = "export type R = { \"method\": \"a\", id: X, } | { \"method\": \"b\", id: X, } | { \"method\": \"c\", id: X, };";
        assert_eq!(
            remove_union_member(text, "{ \"method\": \"b\""),
            "export type R = { \"method\": \"a\", id: X, } | { \"method\": \"c\", id: X, };"
        );
    }
}
