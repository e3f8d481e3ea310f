//! Threads: a conversation with the agent, run as an actor.
//!
//! A [`CodexThread`] takes [`Op`]s through [`CodexThread::submit`] and reports what happens as
//! [`Event`]s (the legacy `EventMsg` stream, each tagged with the id of the turn it belongs
//! to) on the bounded [`EventStream`] handed out when the thread is loaded. The app server maps
//! those events onto v2 notifications; for a text turn they are, in order:
//!
//! `TaskStarted`, `ItemStarted(UserMessage)`, `ItemCompleted(UserMessage)`, `UserMessage`,
//! `TokenCount` (rate limits, once the model answers), `ItemStarted(AgentMessage)`, then per
//! delta `AgentMessageContentDelta` and the legacy `AgentMessageDelta`, `ItemCompleted
//! (AgentMessage)`, `AgentMessage`, `TokenCount` (usage), `TaskComplete`.
//!
//! A failed turn sends `Error` and then `TaskComplete` (the turn's status is `failed` when an
//! `Error` came before its `TaskComplete`); an interrupted one ends with `TurnAborted` instead.
//! [`ThreadManager`] starts, resumes, forks and holds the loaded threads.

mod actor;
mod manager;

pub use actor::CodexThread;
pub use actor::Op;
pub use actor::ThreadError;
pub use actor::TurnOverrides;
pub use manager::ModelClientFactory;
pub use manager::NewThread;
pub use manager::SeeRollout;
pub use manager::StartThread;
pub use manager::ThreadManager;
pub use manager::ThreadManagerOptions;
pub use manager::configured_model_clients;
pub(crate) use manager::initial_context;
pub use manager::sandbox_policy;

pub use crate::session::output::Event;
pub use crate::session::output::EventStream;
pub use crate::settings::ThreadSettings;
