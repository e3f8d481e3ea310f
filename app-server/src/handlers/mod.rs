//! The handler of each request method, chosen by an exhaustive match so that a method added to
//! the protocol table cannot be forgotten here. Each resource's handlers live in a module of
//! their own (`config`; `stored_thread` for stored threads, `loaded_thread` for loaded threads
//! and their turns).
//!
//! A handler answers through `context.responder`. One that needs to wait on something slow (a
//! process, the network, the user) moves the responder into a task of its own, so the
//! connection's next request is not held up.

use std::sync::Arc;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v1 as wire_v1;
use codex_app_server_protocol::v2::MockExperimentalMethodResponse;
use serde::Serialize;

use crate::connection::Handshake;
use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;
use codex_utils_user_agent::Parties;
use codex_utils_user_agent::user_agent;

mod account;
mod apps;
mod collaboration_mode;
mod command;
mod config;
mod feedback;
mod fuzzy_file_search;
mod git;
mod loaded_thread;
mod login;
mod mcp;
mod models;
mod rate_limits;
mod review;
mod skills;
mod stored_thread;
mod v1;

pub(crate) use stored_thread::DefaultProviderCache;

pub(crate) async fn handle(context: RequestContext, request: ClientRequest) {
    match request {
        ClientRequest::Initialize { params, .. } => initialize(context, params).await,
        ClientRequest::GetUserAgent { .. } => {
            let user_agent = context
                .connection
                .handshake()
                .map(|handshake| handshake.user_agent.clone())
                .unwrap_or_default();
            context
                .responder
                .respond(Ok(wire_v1::GetUserAgentResponse { user_agent }))
                .await;
        }
        ClientRequest::MockExperimentalMethod { params, .. } => {
            #[cfg(test)]
            if params.value.as_deref() == Some(tests::PANIC) {
                panic!("asked to panic");
            }
            context
                .responder
                .respond(Ok(MockExperimentalMethodResponse {
                    echoed: params.value,
                }))
                .await;
        }
        ClientRequest::ConfigRead { params, .. } => config::read(context, params).await,
        ClientRequest::ConfigValueWrite { params, .. } => {
            config::value_write(context, params).await;
        }
        ClientRequest::ConfigBatchWrite { params, .. } => {
            config::batch_write(context, params).await;
        }
        ClientRequest::ConfigRequirementsRead { .. } => config::requirements_read(context).await,
        ClientRequest::ExperimentalFeatureList { params, .. } => {
            config::feature_list(context, params).await;
        }
        ClientRequest::GetUserSavedConfig { .. } => config::user_saved_config(context).await,
        ClientRequest::SetDefaultModel { params, .. } => {
            config::set_default_model(context, params).await;
        }
        ClientRequest::ThreadList { params, .. } => stored_thread::list(context, params).await,
        ClientRequest::ThreadRead { params, .. } => stored_thread::read(context, params).await,
        ClientRequest::ThreadArchive { params, .. } => {
            stored_thread::archive(context, params).await
        }
        ClientRequest::ThreadUnarchive { params, .. } => {
            stored_thread::unarchive(context, params).await
        }
        ClientRequest::ThreadSetName { params, .. } => {
            stored_thread::set_name(context, params).await
        }
        ClientRequest::ThreadLoadedList { params, .. } => {
            stored_thread::loaded_list(context, params).await;
        }
        ClientRequest::ThreadStart { params, .. } => loaded_thread::start(context, params).await,
        ClientRequest::ThreadResume { params, .. } => loaded_thread::resume(context, params).await,
        ClientRequest::ThreadUnsubscribe { params, .. } => {
            loaded_thread::unsubscribe(context, params).await;
        }
        ClientRequest::ThreadFork { params, .. } => loaded_thread::fork(context, params).await,
        ClientRequest::ThreadCompactStart { params, .. } => {
            loaded_thread::compact_start(context, params).await;
        }
        ClientRequest::ThreadRollback { params, .. } => {
            loaded_thread::rollback(context, params).await
        }
        ClientRequest::TurnStart { params, .. } => loaded_thread::turn_start(context, params).await,
        ClientRequest::TurnSteer { params, .. } => loaded_thread::turn_steer(context, params).await,
        ClientRequest::TurnInterrupt { params, .. } => {
            loaded_thread::turn_interrupt(context, params).await;
        }
        ClientRequest::NewConversation { params, .. } => {
            v1::new_conversation(context, params).await;
        }
        ClientRequest::GetConversationSummary { params, .. } => {
            v1::summary(context, params).await;
        }
        ClientRequest::ListConversations { params, .. } => v1::list(context, params).await,
        ClientRequest::ResumeConversation { params, .. } => v1::resume(context, params).await,
        ClientRequest::ForkConversation { params, .. } => v1::fork(context, params).await,
        ClientRequest::ArchiveConversation { params, .. } => v1::archive(context, params).await,
        ClientRequest::SendUserMessage { params, .. } => {
            v1::send_user_message(context, params).await;
        }
        ClientRequest::SendUserTurn { params, .. } => v1::send_user_turn(context, params).await,
        ClientRequest::InterruptConversation { params, .. } => {
            v1::interrupt(context, params).await;
        }
        ClientRequest::AddConversationListener { params, .. } => {
            v1::add_listener(context, params).await;
        }
        ClientRequest::RemoveConversationListener { params, .. } => {
            v1::remove_listener(context, params).await;
        }
        ClientRequest::CommandExec { params, .. } => command::exec(context, params).await,
        ClientRequest::McpServerStatusList { params, .. } => {
            mcp::status_list(context, params).await
        }
        ClientRequest::McpServerRefresh { .. } => mcp::reload(context).await,
        ClientRequest::McpServerOauthLogin { params, .. } => {
            mcp::oauth_login(context, params).await;
        }
        ClientRequest::ExecOneOffCommand { params, .. } => {
            command::exec_one_off(context, params).await;
        }
        ClientRequest::SkillsList { params, .. } => skills::list(context, params).await,
        ClientRequest::SkillsConfigWrite { params, .. } => {
            skills::config_write(context, params).await;
        }
        ClientRequest::FuzzyFileSearch { params, .. } => {
            fuzzy_file_search::search(context, params).await;
        }
        ClientRequest::GetAccount { params, .. } => account::read(context, params).await,
        ClientRequest::LoginAccount { params, .. } => account::login_start(context, params).await,
        ClientRequest::LogoutAccount { .. } => account::logout(context).await,
        ClientRequest::GetAccountRateLimits { .. } => rate_limits::read(context).await,
        ClientRequest::CancelLoginAccount { params, .. } => login::cancel_v2(context, params).await,
        ClientRequest::LoginChatGpt { .. } => login::start_v1(context).await,
        ClientRequest::CancelLoginChatGpt { params, .. } => login::cancel_v1(context, params).await,
        ClientRequest::LoginApiKey { params, .. } => {
            account::login_api_key_v1(context, params).await;
        }
        ClientRequest::LogoutChatGpt { .. } => account::logout_v1(context).await,
        ClientRequest::GetAuthStatus { params, .. } => account::auth_status(context, params).await,
        ClientRequest::UserInfo { .. } => account::user_info(context).await,
        ClientRequest::ModelList { params, .. } => models::list(context, params).await,
        ClientRequest::AppsList { params, .. } => apps::list(context, params).await,
        ClientRequest::ThreadBackgroundTerminalsClean { params, .. } => {
            loaded_thread::background_terminals_clean(context, params).await;
        }
        ClientRequest::SkillsRemoteRead { params, .. } => {
            skills::remote_read(context, params).await
        }
        ClientRequest::SkillsRemoteWrite { params, .. } => {
            skills::remote_write(context, params).await;
        }
        ClientRequest::CollaborationModeList { params, .. } => {
            collaboration_mode::list(context, params).await;
        }
        ClientRequest::FeedbackUpload { params, .. } => feedback::upload(context, params).await,
        ClientRequest::GitDiffToRemote { params, .. } => git::diff_to_remote(context, params).await,
        ClientRequest::ReviewStart { params, .. } => review::start(context, params).await,
    }
}

/// Answers the request with `result` and, when it succeeded, runs `announce` afterwards, so
/// the client hears the answer before the notifications it caused.
async fn answer_then_announce<T: Serialize>(
    context: RequestContext,
    result: Result<T, JSONRPCErrorError>,
    announce: impl FnOnce(&ServerState),
) {
    let succeeded = result.is_ok();
    let state = Arc::clone(&context.state);
    context.responder.respond(result).await;
    if succeeded {
        announce(&state);
    }
}

async fn initialize(context: RequestContext, params: wire_v1::InitializeParams) {
    let (experimental_api, opted_out) = match params.capabilities {
        Some(capabilities) => (
            capabilities.experimental_api,
            capabilities
                .opt_out_notification_methods
                .unwrap_or_default(),
        ),
        None => (false, Vec::new()),
    };
    let client = &params.client_info;
    let parties = Parties {
        originator: &client.name,
        version: env!("CARGO_PKG_VERSION"),
        client_name: &client.name,
        client_version: &client.version,
    };
    let user_agent = user_agent(parties, &context.state.platform);
    let handshake = Handshake {
        user_agent: user_agent.clone(),
        client_name: params.client_info.name.clone(),
        experimental_api,
        opted_out: opted_out.into_iter().collect(),
    };
    // The dispatcher refuses a second initialize before it gets here, and a connection's
    // requests are handled one at a time, so this cannot race; answer correctly regardless.
    if context.connection.initialize(handshake).is_err() {
        return context.responder.fail(error::already_initialized()).await;
    }
    tracing::info!(
        connection = context.connection.id.0,
        client = %params.client_info.name,
        version = %params.client_info.version,
        "client initialized"
    );
    context
        .responder
        .respond(Ok(wire_v1::InitializeResponse { user_agent }))
        .await;
    // After the answer, so the client knows it is initialized when it hears of them.
    config::send_current_warnings(&context.state, &context.connection);
    context.state.open_store_soon();
}

#[cfg(test)]
pub(crate) mod tests {
    /// A `mock/experimentalMethod` value that makes the handler panic, in unit tests only.
    pub(crate) const PANIC: &str = "__panic_for_tests__";
}
