//! The linker script `build.rs` writes from `hot-functions.txt`: the listed functions matched
//! by name with the parts of their names that move left open.
//!
//! Symbol names move with more than their function. In the v0 scheme the binary is built with
//! (`.cargo/config.toml`) every path names its crate with a disambiguator Cargo derives from
//! the crate's dependencies, so adding a dependency to a crate renames every function of it and
//! of the crates that depend on it; ThinLTO's `.llvm.<N>` suffixes follow a module's contents.
//! An exact list a few edits old missed a tenth of a session's functions, the busiest among
//! them, and the process kept 10 MiB of code resident instead of 3.5.

use std::fmt::Write as _;

/// A script that LLD adds to its default layout (`INSERT`): the output section `.text`, where
/// it always is (before `.init`), starting with the function sections (`.text.<symbol>`, one
/// per function, or `.text.unlikely.<symbol>` for one LLVM judged cold) that the names in
/// `list` (one per line) match. The other functions follow in
/// it as they would without the script. A section of another name would do for the layout,
/// but valgrind counts only `.text` as the binary's code, and the list is made under it.
pub fn linker_script(list: &str) -> String {
    let mut script = String::from("SECTIONS {\n  .text : {\n    *(\n");
    for pattern in list.lines().flat_map(section_patterns) {
        let _ = writeln!(script, "      {pattern}");
    }
    script.push_str("    )\n  }\n}\nINSERT BEFORE .init;\n");
    script
}

/// The section name patterns for one listed symbol: its name with the crate disambiguators of
/// a v0 Rust name (`_R...`) left open, with and without ThinLTO's suffix, in a section for
/// code LLVM judged likely or unlikely to run. The judgement is static (no profile), so a hot
/// function can be `unlikely`: about one in thirty of a session's are, among them
/// `RawVecInner::finish_grow`, which every growing `Vec` calls. Nothing for a
/// line that is not a symbol LLD's script syntax can spell unquoted (callgrind's
/// `(below main)`), nor for a legacy Rust name (`_ZN...`): those spell neither a generic's type
/// arguments nor anything stable but the path, so they are only ordered exactly.
fn section_patterns(line: &str) -> Vec<String> {
    // Callgrind marks a recursive function's inner frames `'2`, `'3`, ...
    let name = line.split('\'').next().unwrap_or_default().trim();
    let name = match name.find(".llvm.") {
        Some(at) => &name[..at],
        None => name,
    };
    let spellable = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$');
    if name.is_empty() || name.starts_with("_ZN") || !name.chars().all(spellable) {
        return Vec::new();
    }
    let name = if name.starts_with("_R") {
        open_disambiguators(name)
    } else {
        name.to_owned()
    };
    [".text", ".text.unlikely"]
        .iter()
        .flat_map(|prefix| {
            [
                format!("{prefix}.{name}"),
                format!("{prefix}.{name}.llvm.*"),
            ]
        })
        .collect()
}

/// `name` with the digits of each crate disambiguator (`Cs<base-62>_`) replaced by `*`.
fn open_disambiguators(name: &str) -> String {
    let mut open = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find("Cs") {
        let (before, after) = rest.split_at(at + 2);
        open.push_str(before);
        let digits = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        if digits > 0 && after[digits..].starts_with('_') {
            open.push('*');
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    open.push_str(rest);
    open
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::linker_script;
    use super::section_patterns;

    #[test]
    fn crate_disambiguators_and_the_lto_suffix_are_left_open() {
        assert_eq!(
            section_patterns(
                "_RNvMNtCs1a2B3c_13codex_rollout5indexNtB2_5Index4list.llvm.123456789"
            ),
            [
                ".text._RNvMNtCs*_13codex_rollout5indexNtB2_5Index4list",
                ".text._RNvMNtCs*_13codex_rollout5indexNtB2_5Index4list.llvm.*",
                ".text.unlikely._RNvMNtCs*_13codex_rollout5indexNtB2_5Index4list",
                ".text.unlikely._RNvMNtCs*_13codex_rollout5indexNtB2_5Index4list.llvm.*",
            ]
        );
        // A generic instance: each crate of the path and of the type arguments.
        assert_eq!(
            section_patterns("_RINvNtCsx9_5tokio4taskINtCsQz_4core3OptionuEEB4_")[0],
            ".text._RINvNtCs*_5tokio4taskINtCs*_4core3OptionuEEB4_"
        );
    }

    #[test]
    fn c_names_match_as_they_are_and_unspellable_lines_not_at_all() {
        assert_eq!(
            section_patterns("malloc"),
            [
                ".text.malloc",
                ".text.malloc.llvm.*",
                ".text.unlikely.malloc",
                ".text.unlikely.malloc.llvm.*"
            ]
        );
        assert_eq!(
            section_patterns("_RNvCs1_4core5write'2")[0],
            ".text._RNvCs*_4core5write"
        );
        assert!(section_patterns("(below main)").is_empty());
        assert!(section_patterns("_ZN4core3fmt5write17h0123456789abcdefE").is_empty());
        assert!(section_patterns("").is_empty());
    }

    #[test]
    fn the_script_starts_text_with_the_listed_functions() {
        let script = linker_script("malloc\n(below main)\n");
        assert_eq!(
            script,
            "SECTIONS {\n  .text : {\n    *(\n      .text.malloc\n      \
             .text.malloc.llvm.*\n      .text.unlikely.malloc\n      \
             .text.unlikely.malloc.llvm.*\n    )\n  }\n}\nINSERT BEFORE .init;\n"
        );
    }
}
