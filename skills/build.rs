//! The bundled skills are embedded with `include_dir!`, which Cargo does not know reads files:
//! without this, editing a skill would not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=bundled");
}
