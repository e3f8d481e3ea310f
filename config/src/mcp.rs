//! `[mcp_servers.NAME]` as the agent starts servers from it: [`McpServerConfig`], checked and
//! with defaults applied.
//!
//! The reference refuses the whole config file when an entry mixes the two transports, names
//! neither, or sets an inline `bearer_token`; [`McpServerToml`] does the same when it is
//! deserialised (with these texts), so such a file is an invalid layer like any type error. A
//! server name outside `^[a-zA-Z0-9_-]+$` is not a config error: that server fails at startup
//! ([`validate_server_name`]).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde::Deserializer;
use serde::de::Error as _;

use crate::McpServerToml;

/// How long a server may take to answer `initialize` and `tools/list` unless configured.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a tool call (and any other request after startup) may take unless configured.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// One configured MCP server, ready to start.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct McpServerConfig {
    pub transport: McpServerTransportConfig,
    pub enabled: bool,
    pub startup_timeout: Duration,
    pub tool_timeout: Duration,
    /// Allow-list of tool names; applied before `disabled_tools`.
    pub enabled_tools: Option<Vec<String>>,
    /// Deny-list of tool names.
    pub disabled_tools: Option<Vec<String>>,
    /// OAuth scopes to request at login.
    pub scopes: Option<Vec<String>>,
}

/// How to reach a server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum McpServerTransportConfig {
    /// A child process speaking newline-delimited JSON-RPC on stdin/stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        /// Variables set for the child, after the passed-through ones.
        env: BTreeMap<String, String>,
        /// Names of variables passed through from codex's environment.
        env_vars: Vec<String>,
        /// As written; resolved against the thread's cwd when the server starts.
        cwd: Option<String>,
    },
    /// An MCP endpoint over streamable HTTP.
    StreamableHttp {
        url: String,
        /// The variable holding the bearer token, read when the server starts.
        bearer_token_env_var: Option<String>,
        http_headers: BTreeMap<String, String>,
        /// Header name to the variable holding its value.
        env_http_headers: BTreeMap<String, String>,
    },
}

impl McpServerConfig {
    /// Checks an entry and applies the defaults. The errors are the reference's texts.
    pub fn from_toml(toml: &McpServerToml) -> Result<Self, String> {
        let transport = transport_of(toml)?;
        let startup_timeout = match (toml.startup_timeout_sec, toml.startup_timeout_ms) {
            (Some(secs), _) => seconds(secs)?,
            (None, Some(ms)) => Duration::from_millis(ms),
            (None, None) => DEFAULT_STARTUP_TIMEOUT,
        };
        let tool_timeout = match toml.tool_timeout_sec {
            Some(secs) => seconds(secs)?,
            None => DEFAULT_TOOL_TIMEOUT,
        };
        Ok(Self {
            transport,
            enabled: toml.enabled.unwrap_or(true),
            startup_timeout,
            tool_timeout,
            enabled_tools: toml.enabled_tools.clone(),
            disabled_tools: toml.disabled_tools.clone(),
            scopes: toml.scopes.clone(),
        })
    }

    /// Whether the filters let the model see and call `tool`.
    pub fn allows_tool(&self, tool: &str) -> bool {
        let allowed = self
            .enabled_tools
            .as_ref()
            .is_none_or(|enabled| enabled.iter().any(|name| name == tool));
        let denied = self
            .disabled_tools
            .as_ref()
            .is_some_and(|disabled| disabled.iter().any(|name| name == tool));
        allowed && !denied
    }
}

/// Every configured server, checked. An entry the config loader accepted converts without
/// error; the `Result` is for maps built by other means.
pub fn mcp_server_configs(
    servers: &BTreeMap<String, McpServerToml>,
) -> BTreeMap<String, Result<McpServerConfig, String>> {
    servers
        .iter()
        .map(|(name, toml)| (name.clone(), McpServerConfig::from_toml(toml)))
        .collect()
}

/// The reference's rule for server names, checked when a server starts.
pub fn validate_server_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "Invalid MCP server name '{name}': must match pattern ^[a-zA-Z0-9_-]+$"
        ))
    }
}

fn transport_of(toml: &McpServerToml) -> Result<McpServerTransportConfig, String> {
    fn refuse<T>(transport: &str, field: &str, value: &Option<T>) -> Result<(), String> {
        match value {
            Some(_) => Err(format!("{field} is not supported for {transport}")),
            None => Ok(()),
        }
    }
    if let Some(command) = &toml.command {
        // The reference checks the fields in this order; the first one set is reported.
        refuse("stdio", "url", &toml.url)?;
        refuse("stdio", "bearer_token_env_var", &toml.bearer_token_env_var)?;
        refuse("stdio", "bearer_token", &toml.bearer_token)?;
        refuse("stdio", "http_headers", &toml.http_headers)?;
        refuse("stdio", "env_http_headers", &toml.env_http_headers)?;
        Ok(McpServerTransportConfig::Stdio {
            command: command.clone(),
            args: toml.args.clone().unwrap_or_default(),
            env: toml.env.clone().unwrap_or_default(),
            env_vars: toml.env_vars.clone().unwrap_or_default(),
            cwd: toml.cwd.clone(),
        })
    } else if let Some(url) = &toml.url {
        refuse("streamable_http", "args", &toml.args)?;
        refuse("streamable_http", "env", &toml.env)?;
        refuse("streamable_http", "env_vars", &toml.env_vars)?;
        refuse("streamable_http", "cwd", &toml.cwd)?;
        refuse("streamable_http", "bearer_token", &toml.bearer_token)?;
        Ok(McpServerTransportConfig::StreamableHttp {
            url: url.clone(),
            bearer_token_env_var: toml.bearer_token_env_var.clone(),
            http_headers: toml.http_headers.clone().unwrap_or_default(),
            env_http_headers: toml.env_http_headers.clone().unwrap_or_default(),
        })
    } else {
        Err("invalid transport".to_owned())
    }
}

fn seconds(secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs).map_err(|error| error.to_string())
}

/// `tool_timeout_sec` is refused where it is written when it is not a duration, as the
/// reference does (its error points at the value, not the table).
pub(crate) fn deserialize_seconds<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    let secs = Option::<f64>::deserialize(deserializer)?;
    if let Some(secs) = secs {
        seconds(secs).map_err(D::Error::custom)?;
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::ConfigToml;

    fn parse(text: &str) -> Result<ConfigToml, String> {
        toml::from_str::<ConfigToml>(text).map_err(|error| error.message().to_owned())
    }

    fn config(entry: &str) -> Result<McpServerConfig, String> {
        let parsed = parse(&format!("[mcp_servers.s]\n{entry}\n"))?;
        let mut configs = mcp_server_configs(&parsed.mcp_servers);
        configs.remove("s").ok_or_else(|| "no server".to_owned())?
    }

    #[test]
    fn stdio_with_defaults() {
        assert_eq!(
            config("command = 'npx'\nargs = ['-y', 'srv']\nenv = { A = '1' }\nenv_vars = ['B']"),
            Ok(McpServerConfig {
                transport: McpServerTransportConfig::Stdio {
                    command: "npx".to_owned(),
                    args: vec!["-y".to_owned(), "srv".to_owned()],
                    env: BTreeMap::from([("A".to_owned(), "1".to_owned())]),
                    env_vars: vec!["B".to_owned()],
                    cwd: None,
                },
                enabled: true,
                startup_timeout: DEFAULT_STARTUP_TIMEOUT,
                tool_timeout: DEFAULT_TOOL_TIMEOUT,
                enabled_tools: None,
                disabled_tools: None,
                scopes: None,
            })
        );
    }

    #[test]
    fn streamable_http_with_everything() {
        let entry = "url = 'https://example.com/mcp'\nbearer_token_env_var = 'TOKEN'\n\
                     http_headers = { X = 'y' }\nenv_http_headers = { Z = 'ZVAR' }\n\
                     enabled = false\nstartup_timeout_sec = 2.5\ntool_timeout_sec = 7\n\
                     enabled_tools = ['a']\ndisabled_tools = ['b']\nscopes = ['read']";
        assert_eq!(
            config(entry),
            Ok(McpServerConfig {
                transport: McpServerTransportConfig::StreamableHttp {
                    url: "https://example.com/mcp".to_owned(),
                    bearer_token_env_var: Some("TOKEN".to_owned()),
                    http_headers: BTreeMap::from([("X".to_owned(), "y".to_owned())]),
                    env_http_headers: BTreeMap::from([("Z".to_owned(), "ZVAR".to_owned())]),
                },
                enabled: false,
                startup_timeout: Duration::from_millis(2500),
                tool_timeout: Duration::from_secs(7),
                enabled_tools: Some(vec!["a".to_owned()]),
                disabled_tools: Some(vec!["b".to_owned()]),
                scopes: Some(vec!["read".to_owned()]),
            })
        );
    }

    #[test]
    fn startup_timeout_in_milliseconds_and_seconds_winning() {
        let timeout = |entry: &str| config(entry).map(|config| config.startup_timeout);
        assert_eq!(
            timeout("command = 'x'\nstartup_timeout_ms = 1500"),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!(
            timeout("command = 'x'\nstartup_timeout_ms = 1500\nstartup_timeout_sec = 3"),
            Ok(Duration::from_secs(3))
        );
    }

    #[test]
    fn the_reference_errors_refuse_the_file() {
        let cases = [
            (
                "url = 'u'\nargs = ['x']",
                "args is not supported for streamable_http",
            ),
            (
                "url = 'u'\nenv = {}",
                "env is not supported for streamable_http",
            ),
            (
                "url = 'u'\nenv_vars = []",
                "env_vars is not supported for streamable_http",
            ),
            (
                "url = 'u'\ncwd = 'c'",
                "cwd is not supported for streamable_http",
            ),
            (
                "url = 'u'\nbearer_token = 't'",
                "bearer_token is not supported for streamable_http",
            ),
            ("command = 'c'\nurl = 'u'", "url is not supported for stdio"),
            (
                "command = 'c'\nbearer_token_env_var = 'T'",
                "bearer_token_env_var is not supported for stdio",
            ),
            (
                "command = 'c'\nbearer_token = 't'",
                "bearer_token is not supported for stdio",
            ),
            (
                "command = 'c'\nhttp_headers = {}",
                "http_headers is not supported for stdio",
            ),
            (
                "command = 'c'\nenv_http_headers = {}",
                "env_http_headers is not supported for stdio",
            ),
            ("enabled = true", "invalid transport"),
            (
                "command = 'c'\nstartup_timeout_sec = -1",
                "cannot convert float seconds to Duration: value is negative",
            ),
            (
                "command = 'c'\ntool_timeout_sec = -1",
                "cannot convert float seconds to Duration: value is negative",
            ),
        ];
        for (entry, expected) in cases {
            assert_eq!(
                parse(&format!("[mcp_servers.s]\n{entry}\n")).map(|_| ()),
                Err(expected.to_owned()),
                "{entry}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_ignored_as_the_reference_does() {
        assert!(config("command = 'c'\noauth_resource = 'r'\nrequired = true").is_ok());
    }

    #[test]
    fn tool_filters() {
        let filtered = |entry: &str| {
            config(&format!("command = 'c'\n{entry}")).map(|config| {
                ["a", "b", "c"]
                    .into_iter()
                    .filter(|tool| config.allows_tool(tool))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(filtered(""), Ok(vec!["a", "b", "c"]));
        assert_eq!(filtered("enabled_tools = ['a', 'b']"), Ok(vec!["a", "b"]));
        assert_eq!(filtered("disabled_tools = ['a']"), Ok(vec!["b", "c"]));
        assert_eq!(
            filtered("enabled_tools = ['a', 'b']\ndisabled_tools = ['a']"),
            Ok(vec!["b"])
        );
    }

    #[test]
    fn server_names() {
        assert_eq!(validate_server_name("my-server_2"), Ok(()));
        assert_eq!(
            validate_server_name("bad.name"),
            Err(
                "Invalid MCP server name 'bad.name': must match pattern ^[a-zA-Z0-9_-]+$"
                    .to_owned()
            )
        );
        assert!(validate_server_name("").is_err());
    }

    #[test]
    fn oauth_keys() {
        let parsed = parse("mcp_oauth_credentials_store = 'file'\nmcp_oauth_callback_port = 5555");
        assert_eq!(
            parsed.map(|c| (c.mcp_oauth_credentials_store, c.mcp_oauth_callback_port)),
            Ok((Some(crate::OAuthCredentialsStoreMode::File), Some(5555)))
        );
    }
}
