use std::path::Path;
use std::path::PathBuf;

use pretty_assertions::assert_eq;
use tempfile::TempDir;

use super::*;

/// A fake workspace on disk: `<root>/Cargo.toml` with `[workspace]` and a member at
/// `<root>/crates/member`.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Self { dir };
        fixture.write("Cargo.toml", "[workspace]\nmembers = [\"crates/member\"]\n");
        fixture.write(
            "crates/member/Cargo.toml",
            "[package]\nname = \"member\"\n[workspace.dependencies]\n",
        );
        fixture
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
        path
    }

    /// Creates an empty file standing in for a binary, adding the platform's exe suffix.
    fn binary(&self, relative: &str) -> PathBuf {
        self.write(&format!("{relative}{EXE_SUFFIX}"), "")
    }

    fn inputs(&self) -> Inputs {
        Inputs {
            manifest_dir: self.path("crates/member"),
            bin_exe: None,
            target_dir: None,
            current_exe: None,
            current_dir: None,
        }
    }
}

fn exe(path: PathBuf) -> PathBuf {
    let mut path = path.into_os_string();
    path.push(EXE_SUFFIX);
    PathBuf::from(path)
}

#[test]
fn workspace_root_skips_member_manifests() {
    let fixture = Fixture::new();
    let found = find_workspace_root(&fixture.path("crates/member/src")).unwrap();
    assert_eq!(found, fixture.root());
}

#[test]
fn workspace_root_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("no/manifest/here");
    let err = find_workspace_root(&start).unwrap_err();
    // This assumes no ancestor of the system temp dir holds a workspace manifest.
    assert_eq!(
        err.to_string(),
        format!(
            "no Cargo.toml with a [workspace] section in {} or any parent directory",
            start.display()
        )
    );
}

#[test]
fn bin_exe_env_wins_and_relative_resolves_against_cwd_then_root() {
    let fixture = Fixture::new();
    let custom = fixture.binary("elsewhere/tool");
    fixture.binary("target/debug/tool");

    let mut inputs = fixture.inputs();
    inputs.bin_exe = Some(custom.clone().into_os_string());
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), custom);

    inputs.bin_exe = Some(OsString::from(format!("elsewhere/tool{EXE_SUFFIX}")));
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), custom);

    // The directory the test runs in comes first, as Bazel's runfiles need.
    let in_runfiles = fixture.binary("runfiles/elsewhere/tool");
    inputs.current_dir = Some(fixture.path("runfiles"));
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), in_runfiles);
}

#[test]
fn missing_bin_exe_falls_back_to_target_dir() {
    let fixture = Fixture::new();
    let built = fixture.binary("target/debug/tool");
    let mut inputs = fixture.inputs();
    inputs.bin_exe = Some(fixture.path("gone").into_os_string());
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), built);
}

#[test]
fn prefers_profile_of_running_test() {
    let fixture = Fixture::new();
    fixture.binary("target/debug/tool");
    let from_test = fixture.binary("custom-target/release/tool");
    let mut inputs = fixture.inputs();
    inputs.current_exe = Some(fixture.path("custom-target/release/deps/all-0123abcd"));
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), from_test);
}

#[test]
fn target_dir_env_uses_profile_of_running_test() {
    let fixture = Fixture::new();
    let built = fixture.binary("out/release/tool");
    let mut inputs = fixture.inputs();
    inputs.target_dir = Some(OsString::from("out"));
    // The test binary ran from a different target dir, where the tool was not built.
    inputs.current_exe = Some(fixture.path("elsewhere/release/deps/all-0123abcd"));
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), built);

    inputs.target_dir = Some(fixture.path("out").into_os_string());
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), built);
}

#[test]
fn ignores_current_exe_outside_deps() {
    let fixture = Fixture::new();
    let built = fixture.binary("target/debug/tool");
    fixture.binary("target/release/tool");
    let mut inputs = fixture.inputs();
    inputs.current_exe = Some(fixture.path("target/release/not-deps/runner"));
    assert_eq!(find_cargo_bin("tool", &inputs).unwrap(), built);
}

#[test]
fn not_found_lists_every_place_looked() {
    let fixture = Fixture::new();
    let mut inputs = fixture.inputs();
    inputs.bin_exe = Some(fixture.path("gone").into_os_string());
    inputs.current_exe = Some(fixture.path("target/debug/deps/all-0123abcd"));
    let err = find_cargo_bin("tool", &inputs).unwrap_err();
    let CargoBinError::BinaryNotFound { name, tried } = &err else {
        panic!("unexpected error: {err}");
    };
    assert_eq!(name, "tool");
    // The test's profile dir and the default target dir coincide, so that is tried once.
    assert_eq!(
        tried,
        &vec![fixture.path("gone"), exe(fixture.path("target/debug/tool"))]
    );
    assert_eq!(
        err.to_string(),
        format!(
            "binary `tool` not found (is it built? try `cargo build --bin tool`); looked for: {}, {}",
            fixture.path("gone").display(),
            exe(fixture.path("target/debug/tool")).display()
        )
    );
}

#[test]
fn default_target_dir_needs_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = Inputs {
        manifest_dir: dir.path().to_path_buf(),
        bin_exe: None,
        target_dir: None,
        current_exe: None,
        current_dir: None,
    };
    let err = find_cargo_bin("tool", &inputs).unwrap_err();
    assert!(
        matches!(err, CargoBinError::WorkspaceRootNotFound { .. }),
        "{err}"
    );
}

#[test]
fn this_workspace() {
    let root = workspace_root().unwrap();
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).starts_with(&root));
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("\"utils/cargo-bin\""), "{manifest}");

    let err = cargo_bin("no-such-binary-anywhere").unwrap_err();
    assert!(
        matches!(&err, CargoBinError::BinaryNotFound { tried, .. } if !tried.is_empty()),
        "{err}"
    );
}
