//! [`CodexTools`]: the agent's tools, offered per model family and dispatched by name.

use std::path::Path;
use std::path::PathBuf;

use codex_protocol::config_types::WebSearchMode;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ViewImageToolCallEvent;
use codex_protocol::user_input::UserInput;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::apply_patch;
use crate::approval::Escalation;
use crate::call::ToolCall;
use crate::call::ToolOffer;
use crate::call::ToolPayload;
use crate::call::ToolRouter;
use crate::client;
use crate::context::ToolContext;
use crate::mcp;
use crate::mcp::McpTool;
use crate::mcp::ResourceTool;
use crate::model_family::ApplyPatchKind;
use crate::model_family::ModelFamily;
use crate::plan;
use crate::shell;
use crate::shell::CommandCall;
use crate::shell::Mode;
use crate::shell::ShellFraming;
use crate::spec;
use crate::spec::SpecOptions;
use crate::truncate;
use crate::unified_exec;
use crate::unified_exec::ExecCommandArgs;
use crate::unified_exec::WriteStdinArgs;

/// How the tools run commands.
#[derive(Debug, Clone, Default)]
pub struct ToolsConfig {
    /// The `codex` executable whose `sandbox linux` subcommand runs sandboxed commands. Without
    /// it, commands that must be sandboxed are refused (danger-full-access still runs them).
    pub sandbox_launcher: Option<PathBuf>,
}

/// The arguments `shell_command` and `shell` share.
#[derive(Deserialize)]
struct ShellOptions {
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    sandbox_permissions: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    prefix_rule: Option<Vec<String>>,
}

/// The reference's tools: commands, patches, the plan, and the rest of its list.
#[derive(Debug, Clone, Default)]
pub struct CodexTools {
    config: ToolsConfig,
}

impl CodexTools {
    pub fn new(config: ToolsConfig) -> CodexTools {
        CodexTools { config }
    }

    fn launcher(&self) -> Option<&Path> {
        self.config.sandbox_launcher.as_deref()
    }

    /// `shell_command` and `shell`: run to the end under the time limit.
    async fn run_shell(
        &self,
        context: &ToolContext,
        call_id: &str,
        argv: Vec<String>,
        options: ShellOptions,
        framing: ShellFraming,
    ) -> (String, bool) {
        let command = CommandCall {
            call_id,
            argv,
            cwd: workdir(context, options.workdir.as_deref()),
            escalation: escalation(
                context,
                options.sandbox_permissions.as_deref(),
                options.justification,
                options.prefix_rule,
            ),
            mode: Mode::Shell {
                timeout_ms: options.timeout_ms,
                framing,
            },
        };
        shell::run(context, self.launcher(), command).await
    }

    async fn run(&self, call: &ToolCall, context: &ToolContext) -> (String, bool) {
        match (call.name.as_str(), &call.payload) {
            ("apply_patch", ToolPayload::Custom { input }) => {
                apply_patch::apply(context, &call.call_id, input, &context.cwd).await
            }
            ("apply_patch", ToolPayload::Function { arguments }) => {
                #[derive(Deserialize)]
                struct Args {
                    input: String,
                }
                match parse::<Args>(arguments) {
                    Ok(args) => {
                        apply_patch::apply(context, &call.call_id, &args.input, &context.cwd).await
                    }
                    Err(err) => (err, false),
                }
            }
            (_, ToolPayload::Custom { .. }) => (
                format!("unsupported custom tool call: {}", call.name),
                false,
            ),
            ("update_plan", ToolPayload::Function { arguments }) => {
                plan::update_plan(context, arguments).await
            }
            ("exec_command", ToolPayload::Function { arguments }) => {
                let args = match parse::<ExecCommandArgs>(arguments) {
                    Ok(args) => args,
                    Err(err) => return (err, false),
                };
                let argv = unified_exec::shell_argv(
                    args.shell.as_deref(),
                    args.login.unwrap_or(true),
                    &args.cmd,
                );
                let command = CommandCall {
                    call_id: &call.call_id,
                    argv,
                    cwd: workdir(context, args.workdir.as_deref()),
                    escalation: escalation(
                        context,
                        args.sandbox_permissions.as_deref(),
                        args.justification.clone(),
                        args.prefix_rule.clone(),
                    ),
                    mode: Mode::Unified(&args),
                };
                shell::run(context, self.launcher(), command).await
            }
            ("write_stdin", ToolPayload::Function { arguments }) => {
                match parse::<WriteStdinArgs>(arguments) {
                    Ok(args) => unified_exec::write_stdin(context, args).await,
                    Err(err) => (err, false),
                }
            }
            ("shell_command", ToolPayload::Function { arguments }) => {
                #[derive(Deserialize)]
                struct Args {
                    command: String,
                    #[serde(default)]
                    login: Option<bool>,
                    #[serde(flatten)]
                    options: ShellOptions,
                }
                let args = match parse::<Args>(arguments) {
                    Ok(args) => args,
                    Err(err) => return (err, false),
                };
                let argv =
                    unified_exec::shell_argv(None, args.login.unwrap_or(true), &args.command);
                self.run_shell(
                    context,
                    &call.call_id,
                    argv,
                    args.options,
                    ShellFraming::Text,
                )
                .await
            }
            ("shell", ToolPayload::Function { arguments }) => {
                #[derive(Deserialize)]
                struct Args {
                    command: Vec<String>,
                    #[serde(flatten)]
                    options: ShellOptions,
                }
                let args = match parse::<Args>(arguments) {
                    Ok(args) => args,
                    Err(err) => return (err, false),
                };
                if args.command.is_empty() {
                    return ("command must not be empty".to_owned(), false);
                }
                // The reference answers `shell` in JSON unless the model edits files with the
                // freeform `apply_patch`.
                let framing = match context.family.apply_patch {
                    Some(ApplyPatchKind::Freeform) => ShellFraming::Text,
                    Some(ApplyPatchKind::Function) | None => ShellFraming::Json,
                };
                self.run_shell(context, &call.call_id, args.command, args.options, framing)
                    .await
            }
            ("request_user_input", ToolPayload::Function { arguments }) => {
                client::request_user_input(context, &call.call_id, arguments).await
            }
            ("list_mcp_resources", ToolPayload::Function { arguments }) => {
                let tool = ResourceTool::ListResources;
                mcp::resource_tool(context, &call.call_id, tool, arguments).await
            }
            ("list_mcp_resource_templates", ToolPayload::Function { arguments }) => {
                let tool = ResourceTool::ListTemplates;
                mcp::resource_tool(context, &call.call_id, tool, arguments).await
            }
            ("read_mcp_resource", ToolPayload::Function { arguments }) => {
                let tool = ResourceTool::Read;
                mcp::resource_tool(context, &call.call_id, tool, arguments).await
            }
            ("view_image", ToolPayload::Function { arguments }) => {
                view_image(context, &call.call_id, arguments).await
            }
            (name, ToolPayload::Function { .. }) => (format!("unsupported call: {name}"), false),
        }
    }
}

impl ToolRouter for CodexTools {
    fn specs(&self, family: &ModelFamily) -> Vec<serde_json::Value> {
        // `unified_exec` and `request_rule` are on by default, and so is web search with
        // cached results.
        let options = SpecOptions {
            unified_exec: true,
            web_search: WebSearchMode::Cached,
            request_rule: true,
        };
        spec::specs(family, options)
    }

    fn specs_for(&self, family: &ModelFamily, offer: ToolOffer<'_>) -> Vec<serde_json::Value> {
        let mut specs = spec::specs(
            family,
            SpecOptions {
                unified_exec: offer.unified_exec,
                web_search: offer.web_search,
                request_rule: offer.request_rule,
            },
        );
        // The servers' tools follow the built-in ones, by name so that the prompt stays
        // cacheable; the client's come last.
        let mut mcp_tools: Vec<&McpTool> = offer.mcp_tools.iter().collect();
        mcp_tools.sort_by(|a, b| a.qualified_name.cmp(&b.qualified_name));
        specs.extend(mcp_tools.into_iter().filter_map(mcp::tool_spec));
        specs.extend(offer.dynamic_tools.iter().map(client::dynamic_tool_spec));
        specs
    }

    fn dispatch<'a>(
        &'a self,
        call: ToolCall,
        context: &'a ToolContext,
    ) -> BoxFuture<'a, ResponseItem> {
        Box::pin(async move {
            let policy = truncate::for_output(context.family.truncation);
            if let ToolPayload::Function { arguments } = &call.payload
                && let Some(tool) = context
                    .mcp_tools
                    .iter()
                    .find(|tool| tool.qualified_name == call.name)
            {
                let (body, success) = mcp::call(context, &call.call_id, tool, arguments).await;
                return call.output_body(truncate::truncate_body(body, policy), success);
            }
            if let ToolPayload::Function { arguments } = &call.payload
                && context
                    .dynamic_tools
                    .iter()
                    .any(|tool| tool.name == call.name)
            {
                let (body, success) =
                    client::call_dynamic(context, &call.call_id, &call.name, arguments).await;
                return call.output_body(truncate::truncate_body(body, policy), success);
            }
            let (text, success) = self.run(&call, context).await;
            // The whole output is cut once more, to 1.2 times the model's policy.
            call.output(truncate::truncate_text(&text, policy), success)
        })
    }
}

fn parse<T: DeserializeOwned>(arguments: &str) -> Result<T, String> {
    serde_json::from_str(arguments)
        .map_err(|err| format!("failed to parse function arguments: {err}"))
}

fn workdir(context: &ToolContext, workdir: Option<&str>) -> PathBuf {
    match workdir {
        Some(dir) if !dir.is_empty() => context.cwd.join(dir),
        _ => context.cwd.clone(),
    }
}

/// What a command call says about escalation; its `prefix_rule` counts only with the
/// `request_rule` feature.
fn escalation(
    context: &ToolContext,
    sandbox_permissions: Option<&str>,
    justification: Option<String>,
    prefix_rule: Option<Vec<String>>,
) -> Escalation {
    Escalation {
        requested: sandbox_permissions == Some("require_escalated"),
        justification,
        prefix_rule: prefix_rule.filter(|_| context.request_rule),
    }
}

/// Puts a local image in front of the model: the tool answers at once, and the image follows
/// as user input with the next request, as the reference does.
async fn view_image(context: &ToolContext, call_id: &str, arguments: &str) -> (String, bool) {
    #[derive(serde::Deserialize)]
    struct Args {
        path: String,
    }
    let args: Args = match serde_json::from_str(arguments) {
        Ok(args) => args,
        Err(err) => return (format!("failed to parse function arguments: {err}"), false),
    };
    let path = context.cwd.join(&args.path);
    let image_url = match crate::image::image_data_url(&path) {
        Ok(url) => url,
        Err(err) => {
            return (
                format!("unable to read image at {}: {err}", path.display()),
                false,
            );
        }
    };
    context
        .emit(EventMsg::ViewImageToolCall(ViewImageToolCallEvent {
            call_id: call_id.to_owned(),
            path: path.display().to_string(),
        }))
        .await;
    codex_utils_lock::lock(&context.state.attached).push(UserInput::Image { image_url });
    ("attached local image path".to_owned(), true)
}
