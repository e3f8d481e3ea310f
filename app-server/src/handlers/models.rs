//! `model/list`: the models built into the binary (`codex_model_client::presets`) and, for a
//! ChatGPT account, the catalogue the backend offers it, paged.
//!
//! Offline and for API-key accounts the list is the built-in presets. A ChatGPT account's list
//! is the presets with the backend's catalogue laid over them by slug, sorted by priority, and
//! only the entries marked `visibility: "list"`; the first is the default. The catalogue is kept
//! by `crate::model_catalogue`.

use std::sync::Arc;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v2;
use codex_backend_client::models;
use codex_backend_client::models::RemoteModel;
use codex_backend_client::models::Visibility;
use codex_config::features;
use codex_model_client::presets::builtin_presets;

use crate::backend;
use crate::backend::Credentials;
use crate::model_catalogue::Caller;
use crate::paging;
use crate::paging::Page;
use crate::responder::RequestContext;
use crate::wire;

pub(crate) async fn list(context: RequestContext, params: v2::ModelListParams) {
    let models = available(&context).await;
    context.responder.respond(page(models, params)).await;
}

/// The models to list, the default first.
async fn available(context: &RequestContext) -> Vec<v2::Model> {
    // The catalogue is only asked for with the `remote_models` feature on (the default), and
    // only for ChatGPT accounts.
    let service = Arc::clone(&context.state.config.service);
    let remote = tokio::task::spawn_blocking(move || {
        let stack = service.load(None);
        let configured = stack
            .resolve()
            .map(|resolved| resolved.config.features)
            .or_else(|_| stack.typed().map(|config| config.features))
            .unwrap_or_default();
        features::is_enabled(&configured, "remote_models")
    })
    .await
    .unwrap_or(false);
    if !remote {
        return merged(&[]);
    }
    let Credentials::ChatGpt(account) = backend::credentials(&context.state.auth).await else {
        return merged(&[]);
    };
    let (originator, user_agent) = match context.connection.handshake() {
        Some(handshake) => (handshake.client_name.clone(), handshake.user_agent.clone()),
        None => (
            "codex_cli_rs".to_owned(),
            backend::server_user_agent(&context.state.platform),
        ),
    };
    let caller = Caller {
        originator: &originator,
        user_agent: &user_agent,
    };
    let catalogue = context
        .state
        .threads
        .models
        .current(&account.credentials, &caller)
        .await;
    let (remote, skipped) = models::parse_models(&catalogue.map(|c| c.models).unwrap_or_default());
    if skipped > 0 {
        tracing::warn!(
            skipped,
            "model/list: skipped catalogue entries it cannot read"
        );
    }
    merged(&remote)
}

/// The presets with `remote` laid over them by slug, sorted by priority (ties keep the presets
/// first, in their order), the listed ones only; the first is the default.
fn merged(remote: &[RemoteModel]) -> Vec<v2::Model> {
    let mut entries: Vec<(i32, bool, v2::Model)> = builtin_presets()
        .iter()
        .map(|preset| (preset.priority, true, wire::models::model(preset, false)))
        .collect();
    for model in remote {
        let entry = (
            model.priority,
            model.visibility == Visibility::List,
            wire::models::remote_model(model),
        );
        match entries
            .iter_mut()
            .find(|(_, _, known)| known.id == model.slug)
        {
            Some(known) => *known = entry,
            None => entries.push(entry),
        }
    }
    entries.sort_by_key(|(priority, _, _)| *priority);
    let mut listed: Vec<v2::Model> = entries
        .into_iter()
        .filter(|(_, visible, _)| *visible)
        .map(|(_, _, model)| model)
        .collect();
    if let Some(first) = listed.first_mut() {
        first.is_default = true;
    }
    listed
}

fn page(
    models: Vec<v2::Model>,
    params: v2::ModelListParams,
) -> Result<v2::ModelListResponse, JSONRPCErrorError> {
    let Page { range, next_cursor } = paging::page(
        models.len(),
        params.cursor.as_deref(),
        params.limit,
        "models",
    )?;
    let data = models
        .into_iter()
        .enumerate()
        .filter(|(index, _)| range.contains(index))
        .map(|(_, model)| model)
        .collect();
    Ok(v2::ModelListResponse { data, next_cursor })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn ids(cursor: Option<&str>, limit: Option<u32>) -> (Vec<(String, bool)>, Option<String>) {
        let response = page(
            merged(&[]),
            v2::ModelListParams {
                cursor: cursor.map(str::to_owned),
                limit,
            },
        )
        .unwrap();
        let ids = response
            .data
            .into_iter()
            .map(|model| (model.id, model.is_default))
            .collect();
        (ids, response.next_cursor)
    }

    fn entries(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter()
            .map(|(id, is_default)| ((*id).to_owned(), *is_default))
            .collect()
    }

    #[test]
    fn the_first_model_is_the_default_on_every_page() {
        assert_eq!(
            ids(None, None),
            (
                entries(&[
                    ("gpt-5.2-codex", true),
                    ("gpt-5.1-codex-max", false),
                    ("gpt-5.2", false),
                    ("gpt-5.1-codex-mini", false),
                ]),
                None
            )
        );
        assert_eq!(
            ids(Some("1"), Some(2)),
            (
                entries(&[("gpt-5.1-codex-max", false), ("gpt-5.2", false)]),
                Some("3".to_owned())
            )
        );
        assert_eq!(ids(Some("4"), None), (Vec::new(), None));
    }

    #[test]
    fn a_cursor_past_the_end_names_the_models() {
        let error = page(
            merged(&[]),
            v2::ModelListParams {
                cursor: Some("5".to_owned()),
                limit: None,
            },
        )
        .unwrap_err();
        assert_eq!(error.message, "cursor 5 exceeds total models 4");
    }

    #[test]
    fn remote_models_replace_presets_by_slug_and_sort_by_priority() {
        let (remote, skipped) = models::parse_models(&[
            json!({"slug": "gpt-5.3-codex", "display_name": "gpt-5.3-codex",
                   "description": "Newest.", "default_reasoning_level": "high",
                   "supported_reasoning_levels": [{"effort": "high", "description": "deep"}],
                   "visibility": "list", "supported_in_api": true, "priority": 0,
                   "upgrade": null}),
            json!({"slug": "gpt-5.2", "display_name": "gpt-5.2", "visibility": "hide",
                   "supported_in_api": true, "priority": 4}),
            json!({"slug": "gpt-5.1-codex-mini", "display_name": "Mini",
                   "visibility": "list", "supported_in_api": true, "priority": 0,
                   "upgrade": {"model": "gpt-5.3-codex", "migration_markdown": ""}}),
        ]);
        assert_eq!(skipped, 0);
        let listed: Vec<_> = merged(&remote)
            .into_iter()
            .map(|model| {
                (
                    model.id,
                    model.display_name,
                    model.upgrade,
                    model.is_default,
                )
            })
            .collect();
        let upgrade = Some("gpt-5.3-codex".to_owned());
        assert_eq!(
            listed,
            vec![
                // Equal priorities keep the presets' order, then the catalogue's.
                (
                    "gpt-5.1-codex-mini".into(),
                    "Mini".into(),
                    upgrade.clone(),
                    true
                ),
                ("gpt-5.3-codex".into(), "gpt-5.3-codex".into(), None, false),
                (
                    "gpt-5.2-codex".into(),
                    "gpt-5.2-codex".into(),
                    upgrade.clone(),
                    false
                ),
                (
                    "gpt-5.1-codex-max".into(),
                    "gpt-5.1-codex-max".into(),
                    upgrade,
                    false
                ),
            ]
        );
    }
}
