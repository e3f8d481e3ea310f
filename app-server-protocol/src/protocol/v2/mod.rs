//! The v2 API, one module per resource. Everything is re-exported flat, as clients see it.

mod account;
mod approvals;
mod apps;
mod command;
mod config;
mod experimental;
mod feedback;
mod item;
mod mcp;
mod model;
mod notifications;
mod review;
mod skills;
mod thread;
mod turn;

pub use account::*;
pub use approvals::*;
pub use apps::*;
pub use command::*;
pub use config::*;
pub use experimental::*;
pub use feedback::*;
pub use item::*;
pub use mcp::*;
pub use model::*;
pub use notifications::*;
pub use review::*;
pub use skills::*;
pub use thread::*;
pub use turn::*;
