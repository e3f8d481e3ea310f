//! Writes the TypeScript and JSON Schema trees that clients build against.
//!
//! Both trees come from the method tables in `protocol::common`: every params, response and
//! notification type listed there is exported together with everything it refers to. Without
//! `experimental`, experimental methods are left out and experimental fields are cut from the
//! output, so the stable bindings only describe what every client may use. `generate_ts_client`
//! adds the method map a typed client needs beside a bindings tree.

mod client_methods;
mod json;
mod typescript;

use std::io;
use std::path::Path;

pub use client_methods::generate_ts_client;
pub use json::generate_json;
pub use typescript::generate_ts;

/// Writes `contents` to `path`, creating parent folders.
fn write_file(path: &Path, contents: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)
}

#[cfg(test)]
mod checked_in;
