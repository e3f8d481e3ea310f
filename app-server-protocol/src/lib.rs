//! Wire types of the app-server protocol and the generators of its TypeScript and JSON Schema.

mod export;

pub use export::generate_json;
pub use export::generate_ts;
