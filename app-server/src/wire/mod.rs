//! The one boundary between the wire and the domain: every conversion between the protocol's
//! types (`codex_app_server_protocol`) and those of the core, the config, the rollouts and
//! `codex_protocol`, one file per resource. Handlers and the event mapper call these and never
//! convert inline, so a wire change touches this folder only.
//!
//! `thread`: ids, stored and loaded threads, list queries, start options and refusals;
//! `policy`: approval and sandbox policies; `input`: user input; `event`: the payloads of the
//! core's events; `tools`: command, file-change and plan items; `history`: a stored thread's
//! turns rebuilt from its rollout; `requests`: the server's requests to clients (approvals,
//! client tools) and their answers; `skills`: `skills/list` entries; `config`: the config
//! methods' answers; `review`: review targets, the review turn and review items; `command`: one-off commands and their output; `models`: `model/list`
//! entries; `apps`: `app/list` entries.

pub(crate) mod apps;
pub(crate) mod command;
pub(crate) mod config;
pub(crate) mod event;
pub(crate) mod history;
pub(crate) mod input;
pub(crate) mod models;
pub(crate) mod policy;
pub(crate) mod requests;
pub(crate) mod review;
pub(crate) mod skills;
pub(crate) mod thread;
pub(crate) mod tools;
