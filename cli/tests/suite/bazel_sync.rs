//! Keeps the Bazel build honest: every workspace member's `BUILD.bazel` must name the same
//! dependencies as its `Cargo.toml`, and `MODULE.bazel` must feed every manifest to
//! crate_universe.
//!
//! Cargo is the source of truth. Whoever changes a `Cargo.toml` updates the `BUILD.bazel` next to
//! it; this test says which file to fix and how.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::path::PathBuf;

use pretty_assertions::assert_eq;

type Labels = BTreeSet<String>;

fn workspace_root() -> PathBuf {
    let cli_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    cli_dir.parent().unwrap().canonicalize().unwrap()
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    text.parse()
        .unwrap_or_else(|error| panic!("cannot parse {}: {error}", path.display()))
}

fn workspace_members(root_manifest: &toml::Table) -> Vec<String> {
    let members = root_manifest["workspace"]["members"].as_array().unwrap();
    members
        .iter()
        .map(|member| member.as_str().unwrap().to_owned())
        .collect()
}

/// A member's dependencies as Bazel labels, grouped the way the BUILD file groups them.
#[derive(Debug, Default, PartialEq, Eq)]
struct DepsByRole {
    /// `[dependencies]`: the deps of `rust_library`/`rust_binary`/`rust_proc_macro`.
    normal: Labels,
    /// `[dev-dependencies]`: the deps of `rust_test` targets.
    dev: Labels,
    /// `[build-dependencies]`: the deps of `cargo_build_script`.
    build_script: Labels,
}

/// Reads a member's manifest and turns each dependency into the label Bazel knows it by: a
/// workspace crate is its package (`//utils/cli`), anything else comes from crate_universe
/// (`@crates//:serde`).
fn cargo_deps(root: &Path, workspace_deps: &toml::Table, member: &str) -> DepsByRole {
    let member_dir = root.join(member);
    let manifest = read_toml(&member_dir.join("Cargo.toml"));
    let mut deps = DepsByRole::default();

    let mut tables = vec![&manifest];
    // Target-specific tables (`[target.'cfg(unix)'.dependencies]`) count like the plain ones.
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        tables.extend(targets.values().filter_map(toml::Value::as_table));
    }
    for table in tables {
        for (key, labels) in [
            ("dependencies", &mut deps.normal),
            ("dev-dependencies", &mut deps.dev),
            ("build-dependencies", &mut deps.build_script),
        ] {
            let Some(entries) = table.get(key).and_then(toml::Value::as_table) else {
                continue;
            };
            for (name, spec) in entries {
                labels.insert(dependency_label(
                    root,
                    &member_dir,
                    workspace_deps,
                    name,
                    spec,
                ));
            }
        }
    }
    deps
}

fn dependency_label(
    root: &Path,
    member_dir: &Path,
    workspace_deps: &toml::Table,
    name: &str,
    spec: &toml::Value,
) -> String {
    let inherits = spec.get("workspace").and_then(toml::Value::as_bool) == Some(true);
    // An inherited dependency's source (path or registry) is in `[workspace.dependencies]`,
    // whose paths are relative to the root rather than to the member.
    let (source, base) = if inherits {
        let inherited = workspace_deps
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in [workspace.dependencies]"));
        (inherited, root)
    } else {
        (spec, member_dir)
    };
    let package = [spec, source]
        .into_iter()
        .find_map(|value| value.get("package").and_then(toml::Value::as_str))
        .unwrap_or(name);
    match source.get("path").and_then(toml::Value::as_str) {
        Some(path) => {
            let dir = base.join(path).canonicalize().unwrap();
            let relative = dir.strip_prefix(root).unwrap();
            format!("//{}", relative.to_str().unwrap().replace('\\', "/"))
        }
        None => format!("@crates//:{package}"),
    }
}

/// What one rule call in a BUILD file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Build,
    Test,
    BuildScript,
}

fn role_of(rule: &str) -> Option<Role> {
    match rule {
        "rust_library"
        | "rust_binary"
        | "rust_proc_macro"
        | "rust_shared_library"
        | "rust_static_library" => Some(Role::Build),
        "rust_test" | "rust_test_suite" | "rust_doc_test" => Some(Role::Test),
        "cargo_build_script" => Some(Role::BuildScript),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Splits Starlark into identifiers, string literals and punctuation, dropping comments and
/// whitespace. Numbers and operators come out as punctuation; nothing here needs them.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' | '\'' => {
                let quote = c;
                let mut literal = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => literal.extend(chars.next()),
                        _ if c == quote => break,
                        _ => literal.push(c),
                    }
                }
                tokens.push(Token::Str(literal));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut ident = String::from(c);
                while let Some(&next) = chars.peek() {
                    if !(next.is_alphanumeric() || next == '_') {
                        break;
                    }
                    ident.push(next);
                    chars.next();
                }
                tokens.push(Token::Ident(ident));
            }
            c if c.is_whitespace() => {}
            c => tokens.push(Token::Punct(c)),
        }
    }
    tokens
}

/// Collects the labels in every `deps = [...]` and `proc_macro_deps = [...]` list, by the role
/// of the rule the list belongs to. Labels of targets in the same package (`":codex"`) are left
/// out, since Cargo has no counterpart for them. A list built by a function call or `select`
/// is not seen, so such a BUILD file shows up as missing its dependencies.
fn bazel_deps(text: &str) -> BTreeMap<Role, Labels> {
    let tokens = tokenize(text);
    let mut deps: BTreeMap<Role, Labels> = BTreeMap::new();
    let mut depth = 0_usize;
    let mut role = None;
    let mut in_deps_list = false;
    for (index, token) in tokens.iter().enumerate() {
        let next = |offset: usize| tokens.get(index + offset);
        match token {
            Token::Ident(rule) if depth == 0 && next(1) == Some(&Token::Punct('(')) => {
                role = role_of(rule);
            }
            Token::Ident(attribute)
                if depth == 1
                    && attribute.ends_with("deps")
                    && next(1) == Some(&Token::Punct('='))
                    && next(2) == Some(&Token::Punct('[')) =>
            {
                in_deps_list = true;
            }
            Token::Str(label) if in_deps_list && depth == 2 && !label.starts_with(':') => {
                if let Some(role) = role {
                    deps.entry(role).or_default().insert(label.clone());
                }
            }
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth <= 1 {
                    in_deps_list = false;
                }
                if depth == 0 {
                    role = None;
                }
            }
            Token::Ident(_) | Token::Str(_) | Token::Punct(_) => {}
        }
    }
    deps
}

fn listed(labels: &Labels) -> String {
    let quoted: Vec<String> = labels.iter().map(|label| format!("\"{label}\"")).collect();
    quoted.join(", ")
}

/// Describes how one member's BUILD file differs from its manifest; empty when they agree.
fn differences(cargo: &DepsByRole, bazel: &BTreeMap<Role, Labels>) -> Vec<String> {
    let empty = Labels::new();
    let named = |role| bazel.get(&role).unwrap_or(&empty);
    let mut found = Vec::new();
    let mut report = |labels: Labels, what: &str| {
        if !labels.is_empty() {
            found.push(format!("{what}: {}", listed(&labels)));
        }
    };

    let build = named(Role::Build);
    report(
        cargo.normal.difference(build).cloned().collect(),
        "add to the rust_library/rust_binary deps (they are in [dependencies])",
    );
    report(
        build.difference(&cargo.normal).cloned().collect(),
        "remove from the rust_library/rust_binary deps (not in [dependencies])",
    );

    // A test may also use the crate's normal dependencies directly, as Cargo allows.
    let test = named(Role::Test);
    report(
        cargo.dev.difference(test).cloned().collect(),
        "add to the rust_test deps (they are in [dev-dependencies])",
    );
    report(
        test.iter()
            .filter(|label| !cargo.dev.contains(*label) && !cargo.normal.contains(*label))
            .cloned()
            .collect(),
        "remove from the rust_test deps (in neither [dependencies] nor [dev-dependencies])",
    );

    let build_script = named(Role::BuildScript);
    report(
        cargo
            .build_script
            .difference(build_script)
            .cloned()
            .collect(),
        "add to the cargo_build_script deps (they are in [build-dependencies])",
    );
    report(
        build_script
            .difference(&cargo.build_script)
            .cloned()
            .collect(),
        "remove from the cargo_build_script deps (not in [build-dependencies])",
    );
    found
}

#[test]
fn build_files_name_the_same_dependencies_as_cargo_manifests() {
    let root = workspace_root();
    let root_manifest = read_toml(&root.join("Cargo.toml"));
    let workspace_deps = root_manifest["workspace"]
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();

    let mut report = String::new();
    for member in workspace_members(&root_manifest) {
        let cargo = cargo_deps(&root, &workspace_deps, &member);
        let build_file = root.join(&member).join("BUILD.bazel");
        let found = match std::fs::read_to_string(&build_file) {
            Ok(text) => differences(&cargo, &bazel_deps(&text)),
            Err(error) => vec![format!("cannot read it ({error}); create it")],
        };
        if !found.is_empty() {
            writeln!(
                report,
                "{member}/BUILD.bazel (compare with {member}/Cargo.toml):"
            )
            .unwrap();
            for difference in found {
                writeln!(report, "  - {difference}").unwrap();
            }
        }
    }
    assert!(
        report.is_empty(),
        "BUILD.bazel files have drifted from the Cargo manifests. Cargo.toml is the source of \
         truth: edit these BUILD.bazel files to match.\n{report}"
    );
}

#[test]
fn module_bazel_feeds_every_manifest_to_crate_universe() {
    let root = workspace_root();
    let members = workspace_members(&read_toml(&root.join("Cargo.toml")));
    let module_file = root.join("MODULE.bazel");
    let text = std::fs::read_to_string(&module_file)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", module_file.display()));
    let strings: Labels = tokenize(&text)
        .into_iter()
        .filter_map(|token| match token {
            Token::Str(text) => Some(text),
            Token::Ident(_) | Token::Punct(_) => None,
        })
        .collect();

    let mut expected: Labels = ["//:Cargo.toml".to_owned(), "//:Cargo.lock".to_owned()].into();
    expected.extend(
        members
            .iter()
            .map(|member| format!("//{member}:Cargo.toml")),
    );
    let missing: Labels = expected.difference(&strings).cloned().collect();
    assert_eq!(
        missing,
        Labels::new(),
        "MODULE.bazel: add these to crate.from_cargo (cargo_lockfile/manifests)"
    );
}

#[test]
fn scanner_reads_deps_lists_by_rule_role() {
    let text = r#"
load("@rules_rust//rust:defs.bzl", "rust_binary", "rust_test")

# deps = ["@crates//:commented_out"]
rust_binary(
    name = "codex",
    srcs = glob(["src/**/*.rs"]),
    deps = [
        "//utils/cli",
        '@crates//:anyhow',  # trailing comment
    ],
    proc_macro_deps = ["@crates//:derive_more"],
)

rust_test(
    name = "tests",
    rustc_env = {"CARGO_BIN_EXE_codex": "$(rootpath :codex)"},
    data = [":codex"],
    deps = [":helpers", "@crates//:tempfile"],
)

exports_files(["Cargo.toml"], visibility = ["//visibility:public"])
"#;
    let labels = |list: &[&str]| {
        list.iter()
            .map(|label| (*label).to_owned())
            .collect::<Labels>()
    };
    let expected = BTreeMap::from([
        (
            Role::Build,
            labels(&["//utils/cli", "@crates//:anyhow", "@crates//:derive_more"]),
        ),
        (Role::Test, labels(&["@crates//:tempfile"])),
    ]);
    assert_eq!(bazel_deps(text), expected);
}
