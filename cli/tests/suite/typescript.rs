//! The TypeScript toolchain the tests compile with: the compiler and Node's type declarations
//! pinned by `tests/typescript/package-lock.json`, installed with `npm ci` into a folder of the
//! target dir (again only when the lockfile changed), so the source tree stays clean and results
//! do not drift with npm's newest release.

use std::fs;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The folder holding the pinned `node_modules`, installed on first use. Tests of one binary
/// share it; the first to ask installs while the others wait.
pub fn install() -> &'static Path {
    static INSTALL: OnceLock<PathBuf> = OnceLock::new();
    INSTALL.get_or_init(|| {
        let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/typescript");
        let install = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typescript");
        let tsc = install.join("node_modules/.bin/tsc");
        let read = |path: &Path| fs::read(path).ok();
        // `installed.json` is the lockfile of the last install that finished; while it equals
        // the committed one, that install is the pinned toolchain and is used again.
        let installed = install.join("installed.json");
        let lockfile = read(&package.join("package-lock.json"));
        if lockfile.is_some() && read(&installed) == lockfile && tsc.is_file() {
            return install;
        }
        fs::create_dir_all(&install)
            .unwrap_or_else(|error| panic!("cannot make {}: {error}", install.display()));
        for file in ["package.json", "package-lock.json"] {
            fs::copy(package.join(file), install.join(file)).unwrap_or_else(|error| {
                panic!("cannot copy {file} from {}: {error}", package.display())
            });
        }
        let output = Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
            ])
            .current_dir(&install)
            .output()
            .unwrap_or_else(|error| {
                panic!("could not run npm (node and npm are needed for this test): {error}")
            });
        assert!(
            output.status.success(),
            "npm ci in {} failed (it needs the npm registry or a filled npm cache):\n{}{}",
            install.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        fs::copy(install.join("package-lock.json"), &installed)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", installed.display()));
        install
    })
}

/// The pinned TypeScript compiler.
pub fn tsc() -> Command {
    Command::new(install().join("node_modules/.bin/tsc"))
}

/// Where the pinned Node.js type declarations are, for `--typeRoots`.
pub fn type_roots() -> PathBuf {
    install().join("node_modules/@types")
}
