//! The tool definitions sent to the model. Names, parameter names and types match the
//! reference (they are the interface the models were trained on); the descriptions are ours.

use codex_apply_patch::tool::freeform_tool;
use codex_apply_patch::tool::function_tool;
use codex_protocol::config_types::WebSearchMode;
use serde_json::Value;
use serde_json::json;

use crate::model_family::ApplyPatchKind;
use crate::model_family::ModelFamily;
use crate::model_family::ToolName;

/// What decides the shape of the offered tools besides the model family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpecOptions {
    pub(crate) unified_exec: bool,
    /// Hosted web search is left out when disabled.
    pub(crate) web_search: WebSearchMode,
    /// The command tools take `prefix_rule` only with the `request_rule` feature.
    pub(crate) request_rule: bool,
}

/// The definitions for `family`, in the reference's order.
pub(crate) fn specs(family: &ModelFamily, options: SpecOptions) -> Vec<Value> {
    family
        .tools(options.unified_exec)
        .into_iter()
        .filter_map(|name| match name {
            ToolName::WebSearch => web_search_spec(options.web_search),
            name => Some(spec(name, family, options.request_rule)),
        })
        .collect()
}

/// The hosted `web_search` tool: the model searches and the API runs the search, with live
/// pages or only cached results.
fn web_search_spec(mode: WebSearchMode) -> Option<Value> {
    let live = match mode {
        WebSearchMode::Disabled => return None,
        WebSearchMode::Cached => false,
        WebSearchMode::Live => true,
    };
    Some(json!({"type": "web_search", "external_web_access": live}))
}

fn spec(name: ToolName, family: &ModelFamily, request_rule: bool) -> Value {
    match name {
        ToolName::ExecCommand => function(
            name,
            "Runs a command in a shell and returns its output. Commands that are still running \
             when the yield time ends keep running; continue them with write_stdin.",
            exec_command_parameters(request_rule),
        ),
        ToolName::WriteStdin => function(
            name,
            "Writes characters to the standard input of a running exec_command session and \
             returns the output produced since the last call. Send empty chars to just poll.",
            object(
                json!({
                    "session_id": {"type": "number", "description": "The session id that exec_command returned."},
                    "chars": {"type": "string", "description": "Bytes to write; may be empty."},
                    "yield_time_ms": {"type": "number", "description": "How long to wait for output before answering."},
                    "max_output_tokens": {"type": "number", "description": "Output longer than this many tokens is shortened."},
                }),
                &["session_id"],
            ),
        ),
        ToolName::ShellCommand => function(
            name,
            "Runs a shell script in the user's default shell and returns its exit code and \
             output. Set workdir instead of using cd.",
            object(
                with_approval_properties(
                    request_rule,
                    json!({
                        "command": {"type": "string", "description": "The script to run."},
                        "workdir": {"type": "string", "description": "The folder to run it in; defaults to the turn's working directory."},
                        "login": {"type": "boolean", "description": "Run as a login shell (default true)."},
                        "timeout_ms": {"type": "number", "description": "Stop the command after this many milliseconds."},
                    }),
                ),
                &["command"],
            ),
        ),
        ToolName::Shell => function(
            name,
            "Runs a program with arguments and returns its exit code and output. Most commands \
             should be prefixed with [\"bash\", \"-lc\"]. Set workdir instead of using cd.",
            object(
                with_approval_properties(
                    request_rule,
                    json!({
                        "command": {"type": "array", "items": {"type": "string"}, "description": "The argv to run."},
                        "workdir": {"type": "string", "description": "The folder to run it in; defaults to the turn's working directory."},
                        "timeout_ms": {"type": "number", "description": "Stop the command after this many milliseconds."},
                    }),
                ),
                &["command"],
            ),
        ),
        ToolName::ListMcpResources => function(
            name,
            "Lists the resources that the configured MCP servers offer.",
            object(
                json!({
                    "server": {"type": "string", "description": "Only this server's resources."},
                    "cursor": {"type": "string", "description": "The cursor a previous call returned."},
                }),
                &[],
            ),
        ),
        ToolName::ListMcpResourceTemplates => function(
            name,
            "Lists the resource templates that the configured MCP servers offer.",
            object(
                json!({
                    "server": {"type": "string", "description": "Only this server's templates."},
                    "cursor": {"type": "string", "description": "The cursor a previous call returned."},
                }),
                &[],
            ),
        ),
        ToolName::ReadMcpResource => function(
            name,
            "Reads one resource from an MCP server.",
            object(
                json!({
                    "server": {"type": "string", "description": "The server that has the resource."},
                    "uri": {"type": "string", "description": "The resource's URI."},
                }),
                &["server", "uri"],
            ),
        ),
        ToolName::UpdatePlan => function(
            name,
            "Records the task plan: a list of steps, each pending, in_progress or completed. \
             At most one step is in progress at a time.",
            object(
                json!({
                    "explanation": {"type": "string"},
                    "plan": {
                        "type": "array",
                        "description": "The steps, in order.",
                        "items": object(
                            json!({
                                "step": {"type": "string"},
                                "status": {"type": "string", "description": "pending, in_progress or completed"},
                            }),
                            &["step", "status"],
                        ),
                    },
                }),
                &["plan"],
            ),
        ),
        ToolName::RequestUserInput => function(
            name,
            "Asks the user one or more short questions, each with a few suggested answers. \
             Only available in plan mode.",
            object(
                json!({
                    "questions": {
                        "type": "array",
                        "description": "The questions to ask.",
                        "items": object(
                            json!({
                                "id": {"type": "string", "description": "A stable identifier for the answer."},
                                "header": {"type": "string", "description": "A short label shown above the question."},
                                "question": {"type": "string", "description": "The question itself."},
                                "options": {
                                    "type": "array",
                                    "description": "Suggested answers.",
                                    "items": object(
                                        json!({
                                            "label": {"type": "string"},
                                            "description": {"type": "string"},
                                        }),
                                        &["label", "description"],
                                    ),
                                },
                            }),
                            &["id", "header", "question", "options"],
                        ),
                    },
                }),
                &["questions"],
            ),
        ),
        ToolName::ApplyPatch => match family.apply_patch {
            Some(ApplyPatchKind::Function) => function_tool(),
            Some(ApplyPatchKind::Freeform) | None => freeform_tool(),
        },
        // Offered by `specs` as the turn's mode says.
        ToolName::WebSearch => Value::Null,
        ToolName::ViewImage => function(
            name,
            "Attaches a local image file to the conversation so you can look at it.",
            object(
                json!({"path": {"type": "string", "description": "The image file's path."}}),
                &["path"],
            ),
        ),
    }
}

fn exec_command_parameters(request_rule: bool) -> Value {
    object(
        with_approval_properties(
            request_rule,
            json!({
                "cmd": {"type": "string", "description": "The shell command to run."},
                "workdir": {"type": "string", "description": "The folder to run it in; defaults to the turn's working directory."},
                "shell": {"type": "string", "description": "The shell binary; defaults to the user's shell."},
                "login": {"type": "boolean", "description": "Run the shell as a login shell (default true)."},
                "tty": {"type": "boolean", "description": "Give the process a terminal (for interactive programs)."},
                "yield_time_ms": {"type": "number", "description": "How long to wait for output before answering."},
                "max_output_tokens": {"type": "number", "description": "Output longer than this many tokens is shortened."},
            }),
        ),
        &["cmd"],
    )
}

/// Adds the parameters a command uses to ask for running outside the sandbox (and, with
/// `request_rule`, to propose a rule for later ones).
fn with_approval_properties(request_rule: bool, mut properties: Value) -> Value {
    if let Some(map) = properties.as_object_mut() {
        map.insert(
            "sandbox_permissions".to_owned(),
            json!({"type": "string", "description": "\"require_escalated\" to ask the user to run the command outside the sandbox; \"use_default\" otherwise."}),
        );
        map.insert(
            "justification".to_owned(),
            json!({"type": "string", "description": "With require_escalated: one sentence telling the user why."}),
        );
        if !request_rule {
            return properties;
        }
        map.insert(
            "prefix_rule".to_owned(),
            json!({"type": "array", "items": {"type": "string"}, "description": "With require_escalated: a command prefix the user may approve for the rest of the session."}),
        );
    }
    properties
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn function(name: ToolName, description: &str, parameters: Value) -> Value {
    json!({
        "type": "function",
        "name": name.as_str(),
        "description": description,
        "strict": false,
        "parameters": parameters,
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn options(web_search: WebSearchMode) -> SpecOptions {
        SpecOptions {
            unified_exec: true,
            web_search,
            request_rule: true,
        }
    }

    #[test]
    fn prefix_rule_is_a_command_argument_only_with_request_rule() {
        let family = ModelFamily::find("gpt-5.1-codex");
        for (request_rule, unified_exec) in
            [(true, true), (false, true), (true, false), (false, false)]
        {
            let specs = specs(
                &family,
                SpecOptions {
                    unified_exec,
                    web_search: WebSearchMode::Cached,
                    request_rule,
                },
            );
            let command = &specs[0];
            assert_eq!(
                command["parameters"]["properties"]
                    .get("prefix_rule")
                    .is_some(),
                request_rule,
                "{command}"
            );
        }
    }

    #[test]
    fn web_search_is_offered_as_the_turn_mode_says() {
        let family = ModelFamily::find("gpt-5.1-codex");
        let web_search = |mode| {
            specs(&family, options(mode))
                .into_iter()
                .filter(|spec| spec["type"] == "web_search")
                .collect::<Vec<_>>()
        };
        assert_eq!(web_search(WebSearchMode::Disabled), Vec::<Value>::new());
        assert_eq!(
            web_search(WebSearchMode::Cached),
            [json!({"type": "web_search", "external_web_access": false})]
        );
        assert_eq!(
            web_search(WebSearchMode::Live),
            [json!({"type": "web_search", "external_web_access": true})]
        );
        assert!(
            specs(&family, options(WebSearchMode::Live))
                .iter()
                .all(|spec| !spec.is_null())
        );
    }
}
