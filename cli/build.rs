//! Asks the linker to lay out the functions listed in `hot-functions.txt` (those an ordinary
//! session runs; `cargo bench -p codex-cli --bench hot_functions` writes the list) next to each
//! other in the release `codex` binary. The kernel keeps resident, with every page of code that
//! runs, the cached pages around it: with the hot functions spread through the binary that was
//! most of its 40 MB of code; together they fill a few MB.
//!
//! The list reaches the linker twice: as a linker script (`build/hot_layout.rs`) that gathers,
//! before the rest of `.text`, every function whose name matches a listed name with the parts
//! that move left open, so that a function renamed since the list was written still joins the
//! others; and as the symbol order, which arranges the names that still match exactly.
//!
//! Only where the linker is rustc's default on x86_64 Linux (LLD, which reads both) and no
//! other linker was asked for; elsewhere the binary links as it would without this.

#[path = "build/hot_layout.rs"]
mod hot_layout;

use std::env;
use std::path::Path;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=hot-functions.txt");
    println!("cargo:rerun-if-changed=build/hot_layout.rs");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let release = var("PROFILE") == "release";
    let default_lld = var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_ENV") == "gnu";
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let other_linker = env::var_os("RUSTC_LINKER").is_some()
        || ["linker", "fuse-ld", "link-self-contained"]
            .iter()
            .any(|flag| flags.contains(flag));
    if !release || !default_lld || other_linker {
        return;
    }
    let list = Path::new(&var("CARGO_MANIFEST_DIR")).join("hot-functions.txt");
    let Ok(names) = std::fs::read_to_string(&list) else {
        return;
    };
    let script = PathBuf::from(var("OUT_DIR")).join("hot-functions.ld");
    if let Err(err) = std::fs::write(&script, hot_layout::linker_script(&names)) {
        panic!("cannot write {}: {err}", script.display());
    }
    println!("cargo:rustc-link-arg-bin=codex=-Wl,-T,{}", script.display());
    println!(
        "cargo:rustc-link-arg-bin=codex=-Wl,--symbol-ordering-file={}",
        list.display()
    );
    // The list also names functions the toolchain or a dependency has since renamed.
    println!("cargo:rustc-link-arg-bin=codex=-Wl,--no-warn-symbol-ordering");
}
