//! Test support: a mock of the model APIs the agent calls, so integration tests never touch the
//! network.
//!
//! [`MockModelServer`] listens on a loopback port. Point a model provider's `base_url` at
//! [`MockModelServer::base_url`], script what the "model" answers with [`Reply`]s, run the code
//! under test, then look at what it sent with [`MockModelServer::requests`]. Replies are served
//! in order to `POST …/responses` (the Responses API) and `POST …/chat/completions` (Chat
//! Completions, for local servers); [`sse`] builds Responses API events and [`chat`] Chat
//! Completions chunks. When the script runs out, the mock answers `500` with a body saying so,
//! and records the request as [`Served::ScriptEmpty`].
//!
//! ```
//! use std::time::Duration;
//! use codex_test_support::{sse, MockModelServer, Reply};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = MockModelServer::start().await?;
//! server.enqueue(Reply::status(429).retry_after(Duration::from_secs(1)));
//! server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hello")));
//! // config: model_providers.mock.base_url = server.base_url()
//! // ... run the app-server, start a turn ...
//! // let requests = server.wait_for_requests(2, Duration::from_secs(10)).await?;
//! // assert_eq!(requests[1].json.as_ref().unwrap()["model"], "gpt-5");
//! # Ok(())
//! # }
//! ```

pub mod chat;
pub mod chatgpt;
pub mod issuer;
pub mod json_script;
pub mod jwt;
mod reference;
mod reply;
mod server;
pub mod sse;
mod token_endpoint;

pub use reference::reference_dir;
pub use reply::Reply;
pub use server::CapturedRequest;
pub use server::MockModelServer;
pub use server::Served;
pub use server::WaitTimeout;
pub use sse::SseEvent;
pub use token_endpoint::MockTokenEndpoint;
