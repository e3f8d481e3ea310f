//! `skills/list` and `skills/config/write`.
//!
//! Skills are read from disk on every call (a few folders per working directory), so the list
//! is always current and `forceReload` has nothing to bypass.

use std::path::PathBuf;

use codex_app_server_protocol::v2;
use codex_config::ConfigService;
use codex_config::ConfigToml;
use codex_utils_absolute_path::AbsolutePathBuf;

use crate::error;
use crate::responder::RequestContext;
use crate::wire;

pub(crate) async fn list(context: RequestContext, params: v2::SkillsListParams) {
    let server_cwd = context.state.config.cwd.clone();
    let cwds = match params.cwds.filter(|cwds| !cwds.is_empty()) {
        Some(cwds) => cwds,
        None => vec![server_cwd.as_path().display().to_string()],
    };
    // Extra roots must be absolute; those of a cwd not asked about are ignored unchecked.
    let relative_root = params
        .per_cwd_extra_user_roots
        .iter()
        .flatten()
        .filter(|extra| cwds.contains(&extra.cwd))
        .flat_map(|extra| &extra.extra_user_roots)
        .find(|root| !std::path::Path::new(root.as_str()).is_absolute());
    if let Some(root) = relative_root {
        return context
            .responder
            .fail(error::invalid_request(format!(
                "skills/list perCwdExtraUserRoots extraUserRoots paths must be absolute: {root}"
            )))
            .await;
    }
    let mut requests = Vec::with_capacity(cwds.len());
    for cwd in cwds {
        let resolved = match AbsolutePathBuf::resolve_path_against_base(&cwd, &server_cwd) {
            Ok(resolved) => resolved,
            Err(err) => {
                return context
                    .responder
                    .fail(error::invalid_params(format!("cwd {cwd}: {err}")))
                    .await;
            }
        };
        let extra_roots: Vec<PathBuf> = params
            .per_cwd_extra_user_roots
            .iter()
            .flatten()
            .filter(|extra| extra.cwd == cwd)
            .flat_map(|extra| &extra.extra_user_roots)
            .map(|root| server_cwd.as_path().join(root))
            .collect();
        requests.push((cwd, resolved, extra_roots));
    }
    let service = context.state.config.service.clone();
    let result = tokio::task::spawn_blocking(move || {
        let codex_home = service.paths().codex_home.to_path_buf();
        if let Err(err) = codex_skills::install_system_skills(&codex_home) {
            tracing::warn!("cannot install the system skills: {err}");
        }
        let data = requests
            .into_iter()
            .map(|(cwd, resolved, extra_roots)| {
                let config = thread_config(&service, &resolved);
                let outcome = codex_core::skills::skills_for_cwd(
                    &codex_home,
                    &config,
                    resolved.as_path(),
                    &extra_roots,
                );
                wire::skills::list_entry(cwd, outcome)
            })
            .collect();
        v2::SkillsListResponse { data }
    })
    .await
    .map_err(|err| error::internal_error(format!("skills task failed: {err}")));
    context.responder.respond(result).await;
}

/// The config that applies in `cwd`, project layers included. A config that cannot be
/// resolved (its problems are reported as config warnings) leaves every skill on.
fn thread_config(service: &ConfigService, cwd: &AbsolutePathBuf) -> ConfigToml {
    service
        .load(Some(cwd))
        .resolve()
        .map(|resolved| resolved.config)
        .unwrap_or_default()
}

pub(crate) async fn config_write(context: RequestContext, params: v2::SkillsConfigWriteParams) {
    let enabled = params.enabled;
    let result = super::config::blocking(&context.state.config.service, move |service| {
        service.set_skill_enabled(std::path::Path::new(&params.path), enabled)
    })
    .await;
    let result =
        super::config::written(&context.state, result).map(|_| v2::SkillsConfigWriteResponse {
            effective_enabled: enabled,
        });
    context.responder.respond(result).await;
}
