//! Wire types of the app-server protocol and the generators of its TypeScript and JSON Schema.
//!
//! Only types live here, and the code that exports them; the crate does no network or process IO.

mod experimental;
mod export;
mod jsonrpc;
mod protocol;

pub use experimental::experimental_feature_used;
pub use export::generate_json;
pub use export::generate_ts;
pub use export::generate_ts_client;
pub use jsonrpc::*;
pub use protocol::common::*;
pub use protocol::fuzzy_file_search::*;
pub use protocol::no_params::NoParams;
pub use protocol::v1;
pub use protocol::v2;
