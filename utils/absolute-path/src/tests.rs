use std::path::Path;
use std::path::PathBuf;

use pretty_assertions::assert_eq;
use serde_json::json;
use ts_rs::TS;

use super::*;

/// Resolves `path` against `base` and compares with `expected`; `None` means an error.
#[track_caller]
fn check_resolve(path: &str, base: &str, expected: Option<&str>) {
    let actual = AbsolutePathBuf::resolve_path_against_base(path, base)
        .ok()
        .map(AbsolutePathBuf::into_path_buf);
    assert_eq!(
        actual,
        expected.map(PathBuf::from),
        "resolving {path:?} against {base:?}"
    );
}

#[cfg(unix)]
#[test]
fn resolve_against_base() {
    check_resolve("b", "/a", Some("/a/b"));
    check_resolve("./b/./c", "/a", Some("/a/b/c"));
    check_resolve("../b", "/a/x", Some("/a/b"));
    check_resolve("../../../..", "/a/b", Some("/"));
    check_resolve("", "/a/./b/..", Some("/a"));
    check_resolve("/abs/../other", "/ignored", Some("/other"));
    check_resolve("/abs", "relative-base", Some("/abs"));
    check_resolve("b", "relative-base", None);
}

#[cfg(unix)]
#[test]
fn resolve_expands_tilde() {
    let Some(home) = std::env::home_dir() else {
        return;
    };
    let resolved = |path: &str| {
        AbsolutePathBuf::resolve_path_against_base(path, "/base")
            .unwrap()
            .into_path_buf()
    };
    assert_eq!(resolved("~"), normalize(&home));
    assert_eq!(resolved("~/x/../y"), normalize(&home.join("y")));
    // Only a whole `~` component is expanded.
    assert_eq!(resolved("~user/x"), PathBuf::from("/base/~user/x"));
    assert_eq!(resolved("x/~"), PathBuf::from("/base/x/~"));
}

#[cfg(unix)]
#[test]
fn from_absolute_path_requires_absolute() {
    let ok = AbsolutePathBuf::from_absolute_path("/a/./b/../c").unwrap();
    assert_eq!(ok.as_path(), Path::new("/a/c"));

    let err = AbsolutePathBuf::from_absolute_path("a/b").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(err.to_string(), "path is not absolute: a/b");

    assert!(AbsolutePathBuf::try_from(PathBuf::from("rel")).is_err());
    let converted = AbsolutePathBuf::try_from(PathBuf::from("/x/..")).unwrap();
    assert_eq!(PathBuf::from(converted), PathBuf::from("/"));
}

#[cfg(unix)]
#[test]
fn join_and_parent() {
    let base = AbsolutePathBuf::from_absolute_path("/a/b").unwrap();
    assert_eq!(base.join("c/../d").unwrap().as_path(), Path::new("/a/b/d"));
    assert_eq!(base.join("/etc").unwrap().as_path(), Path::new("/etc"));

    let parent = base.parent().unwrap();
    assert_eq!(parent.as_path(), Path::new("/a"));
    let root = parent.parent().unwrap();
    assert_eq!(root.as_path(), Path::new("/"));
    assert_eq!(root.parent(), None);
}

#[cfg(unix)]
#[test]
fn display_debug_and_deref() {
    let path = AbsolutePathBuf::from_absolute_path("/a/b.txt").unwrap();
    assert_eq!(path.display().to_string(), "/a/b.txt");
    assert_eq!(format!("{path:?}"), "\"/a/b.txt\"");
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("txt"));
    let as_ref: &Path = path.as_ref();
    assert_eq!(as_ref, Path::new("/a/b.txt"));
}

#[cfg(unix)]
#[test]
fn serializes_as_string() {
    let path = AbsolutePathBuf::from_absolute_path("/a/b").unwrap();
    assert_eq!(serde_json::to_value(&path).unwrap(), json!("/a/b"));
}

fn parse(json: &str) -> Result<AbsolutePathBuf, String> {
    serde_json::from_str(json).map_err(|err| err.to_string())
}

#[cfg(unix)]
#[test]
fn deserialize_absolute_without_guard() {
    assert_eq!(parse(r#""/a/./b""#).unwrap().as_path(), Path::new("/a/b"));
}

#[cfg(unix)]
#[test]
fn deserialize_relative_without_guard_fails() {
    assert_eq!(
        parse(r#""a/b""#),
        Err(
            "relative path a/b cannot be resolved: no base directory is set \
             (install an AbsolutePathBufGuard while deserializing)"
                .to_owned()
        )
    );
}

#[cfg(unix)]
#[test]
fn deserialize_with_nested_guards() {
    let outer = AbsolutePathBufGuard::new(Path::new("/outer"));
    assert_eq!(parse(r#""x""#).unwrap().as_path(), Path::new("/outer/x"));
    {
        let _inner = AbsolutePathBufGuard::new(Path::new("/inner"));
        assert_eq!(parse(r#""../x""#).unwrap().as_path(), Path::new("/x"));
        assert_eq!(parse(r#""x""#).unwrap().as_path(), Path::new("/inner/x"));
    }
    assert_eq!(parse(r#""x""#).unwrap().as_path(), Path::new("/outer/x"));
    drop(outer);
    assert!(parse(r#""x""#).is_err());
}

#[cfg(unix)]
#[test]
fn deserialize_with_relative_guard_base_fails() {
    let _guard = AbsolutePathBufGuard::new(Path::new("relative"));
    let err = parse(r#""x""#).unwrap_err();
    assert!(err.contains("base is not absolute"), "{err}");
}

#[test]
fn guard_is_per_thread() {
    let base = std::env::temp_dir();
    let _guard = AbsolutePathBufGuard::new(&base);
    let from_other_thread = std::thread::spawn(|| parse(r#""x""#)).join().unwrap();
    assert!(from_other_thread.is_err());
    assert_eq!(
        parse(r#""x""#).unwrap().as_path(),
        normalize(&base.join("x"))
    );
}

#[test]
fn json_schema_is_a_string() {
    let schema = schemars::schema_for!(AbsolutePathBuf);
    assert_eq!(
        serde_json::to_value(&schema).unwrap(),
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "AbsolutePathBuf",
            "type": "string",
        })
    );
    assert_eq!(
        <AbsolutePathBuf as schemars::JsonSchema>::schema_name(),
        "AbsolutePathBuf"
    );
}

#[test]
fn json_schema_is_referenced_from_containers() {
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Holder {
        cwd: AbsolutePathBuf,
    }
    let schema = serde_json::to_value(schemars::schema_for!(Holder)).unwrap();
    assert_eq!(
        schema["properties"]["cwd"],
        json!({"$ref": "#/definitions/AbsolutePathBuf"})
    );
    assert_eq!(
        schema["definitions"]["AbsolutePathBuf"],
        json!({"type": "string"})
    );
}

#[test]
fn typescript_is_a_string_alias() {
    assert_eq!(AbsolutePathBuf::decl(), "type AbsolutePathBuf = string;");
    assert_eq!(AbsolutePathBuf::name(), "AbsolutePathBuf");
    assert_eq!(
        AbsolutePathBuf::output_path(),
        Some(PathBuf::from("AbsolutePathBuf.ts"))
    );
    let exported = AbsolutePathBuf::export_to_string().unwrap();
    assert!(
        exported.contains("export type AbsolutePathBuf = string;"),
        "{exported}"
    );
}
