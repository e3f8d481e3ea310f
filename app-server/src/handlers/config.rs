//! The config methods: `config/read`, `config/value/write`, `config/batchWrite`,
//! `configRequirements/read`, `experimentalFeature/list`, and v1 `getUserSavedConfig` and
//! `setDefaultModel`.
//!
//! Config files are read and written on the blocking pool. Every load may find new problems
//! with the files; those are announced to every client as `configWarning`s before the answer.

use std::sync::Arc;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use codex_config::ConfigLayerStack;
use codex_config::ConfigService;
use codex_config::WriteError;
use codex_config::WriteOutcome;
use codex_config::WriteRequest;
use codex_utils_absolute_path::AbsolutePathBuf;

use crate::codec;
use crate::connection::Connection;
use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;
use crate::wire::config as wire_config;

/// Runs blocking config work off the async threads. A panic there is answered as an internal
/// error, like a panic in a handler.
pub(super) async fn blocking<T: Send + 'static>(
    service: &Arc<ConfigService>,
    work: impl FnOnce(&ConfigService) -> T + Send + 'static,
) -> Result<T, JSONRPCErrorError> {
    let service = Arc::clone(service);
    tokio::task::spawn_blocking(move || work(&service))
        .await
        .map_err(|err| error::internal_error(format!("config task failed: {err}")))
}

/// Tells every client about problems this load found that they have not heard of.
fn announce(state: &ServerState, stack: &ConfigLayerStack) {
    for warning in state.config.warnings.record(stack) {
        state
            .registry
            .notify_all(&wire_config::warning_notification(warning));
    }
}

/// Sends a client that just finished `initialize` every current config warning.
pub(crate) fn send_current_warnings(state: &ServerState, connection: &Connection) {
    for warning in state.config.warnings.current() {
        let notification = wire_config::warning_notification(warning);
        connection.notify_frame(notification.method(), &codec::message(&notification));
    }
}

/// Loads the layers, without project layers unless `cwd` is given.
async fn load(
    state: &ServerState,
    cwd: Option<AbsolutePathBuf>,
) -> Result<ConfigLayerStack, JSONRPCErrorError> {
    let stack = blocking(&state.config.service, move |service| {
        service.load(cwd.as_ref())
    })
    .await?;
    announce(state, &stack);
    Ok(stack)
}

pub(crate) async fn read(context: RequestContext, params: v2::ConfigReadParams) {
    let cwd = match params.cwd {
        None => None,
        Some(cwd) => {
            match AbsolutePathBuf::resolve_path_against_base(&cwd, &context.state.config.cwd) {
                Ok(cwd) => Some(cwd),
                Err(err) => {
                    return context
                        .responder
                        .fail(error::invalid_params(format!("cwd: {err}")))
                        .await;
                }
            }
        }
    };
    let result = match load(&context.state, cwd).await {
        Ok(stack) => wire_config::read_response(&stack, params.include_layers),
        Err(err) => Err(err),
    };
    context.responder.respond(result).await;
}

pub(crate) async fn value_write(context: RequestContext, params: v2::ConfigValueWriteParams) {
    let request = WriteRequest {
        edits: vec![codex_config::ConfigEdit {
            key_path: params.key_path,
            value: params.value,
            merge_strategy: wire_config::merge_strategy(params.merge_strategy),
        }],
        file_path: params.file_path,
        expected_version: params.expected_version,
    };
    write(context, request).await;
}

pub(crate) async fn batch_write(context: RequestContext, params: v2::ConfigBatchWriteParams) {
    let request = WriteRequest {
        edits: params
            .edits
            .into_iter()
            .map(|edit| codex_config::ConfigEdit {
                key_path: edit.key_path,
                value: edit.value,
                merge_strategy: wire_config::merge_strategy(edit.merge_strategy),
            })
            .collect(),
        file_path: params.file_path,
        expected_version: params.expected_version,
    };
    write(context, request).await;
}

async fn write(context: RequestContext, request: WriteRequest) {
    let result = blocking(&context.state.config.service, move |service| {
        service.write(request)
    })
    .await;
    let result = written(&context.state, result).map(wire_config::write_response);
    context.responder.respond(result).await;
}

/// Unpacks a write's result, announcing what the reloaded layers say.
pub(super) fn written(
    state: &ServerState,
    result: Result<Result<WriteOutcome, WriteError>, JSONRPCErrorError>,
) -> Result<WriteOutcome, JSONRPCErrorError> {
    let outcome = result?.map_err(|err| wire_config::write_error(&err))?;
    announce(state, &outcome.stack);
    Ok(outcome)
}

pub(crate) async fn requirements_read(context: RequestContext) {
    let result = match load(&context.state, None).await {
        Ok(stack) => wire_config::requirements_response(&stack),
        Err(err) => Err(err),
    };
    context.responder.respond(result).await;
}

pub(crate) async fn feature_list(
    context: RequestContext,
    params: v2::ExperimentalFeatureListParams,
) {
    let result = match load(&context.state, None).await {
        Ok(stack) => wire_config::feature_page(&stack, params),
        Err(err) => Err(err),
    };
    context.responder.respond(result).await;
}

pub(crate) async fn user_saved_config(context: RequestContext) {
    let result = match load(&context.state, None).await {
        Ok(stack) => wire_config::user_saved_config(&stack)
            .map(|config| v1::GetUserSavedConfigResponse { config }),
        Err(err) => Err(err),
    };
    context.responder.respond(result).await;
}

pub(crate) async fn set_default_model(context: RequestContext, params: v1::SetDefaultModelParams) {
    let result = blocking(&context.state.config.service, move |service| {
        service.set_default_model(params.model, params.reasoning_effort)
    })
    .await;
    let result = written(&context.state, result).map(|_| v1::SetDefaultModelResponse {});
    context.responder.respond(result).await;
}
