//! `skills/list`, `skills/config/write`, and the remote skills of the ChatGPT backend
//! (`skills/remote/read`, `skills/remote/write`).
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

/// The remote skills client for the config's `chatgpt_base_url`, with this connection's user
/// agent and client name (the `originator` header), as the reference sends them.
async fn remote_skills(
    context: &RequestContext,
) -> Result<codex_skills::remote::RemoteSkills, String> {
    let config = super::config::blocking(&context.state.config.service, |service| {
        service.load(None).resolve()
    })
    .await
    .map_err(|err| err.message)?
    .map(|resolved| resolved.config)
    .unwrap_or_default();
    let base_url = config
        .chatgpt_base_url
        .as_deref()
        .unwrap_or(DEFAULT_CHATGPT_BASE_URL);
    let (user_agent, originator) = context
        .connection
        .handshake()
        .map(|handshake| (handshake.user_agent.clone(), handshake.client_name.clone()))
        .unwrap_or_default();
    codex_skills::remote::RemoteSkills::new(base_url, &user_agent, &originator)
        .map_err(|err| err.to_string())
}

/// Where the backend is when the config does not say.
const DEFAULT_CHATGPT_BASE_URL: &str = "https://chatgpt.com/backend-api/";

/// `skills/remote/read`: the skills the ChatGPT backend publishes. The request is bounded in
/// time and runs in a task of its own, so the connection goes on meanwhile.
pub(crate) async fn remote_read(context: RequestContext, _params: v2::SkillsRemoteReadParams) {
    let remote = remote_skills(&context).await;
    let responder = context.responder;
    tokio::spawn(async move {
        let listed = match remote {
            Ok(remote) => remote.list().await.map_err(|err| err.to_string()),
            Err(err) => Err(err),
        };
        let result = listed
            .map(|skills| v2::SkillsRemoteReadResponse {
                data: skills
                    .into_iter()
                    .map(|skill| v2::RemoteSkillSummary {
                        id: skill.id,
                        name: skill.name,
                        description: skill.description,
                    })
                    .collect(),
            })
            .map_err(|err| error::internal_error(format!("failed to read remote skills: {err}")));
        responder.respond(result).await;
    });
}

/// `skills/remote/write`: fetches one published skill and unpacks it into `$CODEX_HOME`.
pub(crate) async fn remote_write(context: RequestContext, params: v2::SkillsRemoteWriteParams) {
    let remote = remote_skills(&context).await;
    let codex_home = context
        .state
        .config
        .service
        .paths()
        .codex_home
        .to_path_buf();
    let responder = context.responder;
    tokio::spawn(async move {
        let downloaded = match remote {
            Ok(remote) => match remote.fetch(&params.hazelnut_id).await {
                Ok(fetched) => {
                    let is_preload = params.is_preload;
                    tokio::task::spawn_blocking(move || fetched.install(&codex_home, is_preload))
                        .await
                        .map_err(|err| format!("unpacking task failed: {err}"))
                        .and_then(|installed| installed.map_err(|err| err.to_string()))
                }
                Err(err) => Err(err.to_string()),
            },
            Err(err) => Err(err),
        };
        let result = downloaded
            .map(|skill| v2::SkillsRemoteWriteResponse {
                id: skill.id,
                name: skill.name,
                path: skill.path.display().to_string(),
            })
            .map_err(|err| {
                error::internal_error(format!("failed to download remote skill: {err}"))
            });
        responder.respond(result).await;
    });
}
