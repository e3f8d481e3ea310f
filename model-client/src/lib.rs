//! The model side of the agent: where requests go, with which credentials, and the HTTP clients
//! that send them.
//!
//! [`model`] is the boundary the turn loop sees: a [`model::Prompt`] goes into a
//! [`model::ModelClient`] and a stream of [`model::ResponseEvent`]s comes out. [`provider`]
//! resolves the configured provider, [`auth`] the bearer token, and [`client`] holds the
//! Responses and Chat Completions clients; [`presets`] lists the built-in models that clients
//! offer. Nothing here knows about tools or threads.

pub mod auth;
pub mod client;
pub mod model;
pub mod presets;
pub mod provider;
pub mod rate_limits;
