//! Admin requirements: which approval policies, sandbox modes and web search modes a user may
//! choose. They come from the ChatGPT workspace (cloud requirements, set on the
//! `ConfigService` by whoever fetched them), `requirements.toml` in the system folder and, for
//! backwards compatibility, from the approval policy and sandbox mode of the legacy
//! `managed_config.toml`, in that order.
//!
//! A requirement set by an earlier source cannot be changed by a later one. The server enforces
//! them on every layer (a forbidden value is dropped from the merge, with a warning), on
//! session overrides (refused) and on writes (refused).

use codex_protocol::config_types::WebSearchMode;
use codex_protocol::protocol::AskForApproval;
use codex_utils_absolute_path::AbsolutePathBuf;
use serde::Deserialize;
use serde::Serialize;

/// The sandbox modes a requirement may allow. `external-sandbox` is allowed in requirements but
/// cannot be chosen in `config.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxModeRequirement {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
    ExternalSandbox,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResidencyRequirement {
    Us,
}

/// Where a requirement comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequirementSource {
    /// The requirements the ChatGPT backend serves the account's workspace.
    Cloud,
    File(AbsolutePathBuf),
}

impl std::fmt::Display for RequirementSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cloud => f.write_str("cloud requirements"),
            Self::File(file) => write!(f, "{}", file.display()),
        }
    }
}

/// A requirement and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: RequirementSource,
}

/// Requirements the ChatGPT backend served as `requirements.toml` text, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudRequirements(RequirementsToml);

impl CloudRequirements {
    /// `None` when the text sets nothing; an error when it is not valid requirements.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let toml: RequirementsToml = toml::from_str(text).map_err(|err| err.to_string())?;
        toml.validate()?;
        Ok((toml != RequirementsToml::default()).then_some(Self(toml)))
    }

    pub(crate) fn toml(&self) -> &RequirementsToml {
        &self.0
    }
}

/// The merged requirements of every source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    pub allowed_approval_policies: Option<Sourced<Vec<AskForApproval>>>,
    pub allowed_sandbox_modes: Option<Sourced<Vec<SandboxModeRequirement>>>,
    /// `disabled` is always allowed as well, whatever the file says.
    pub allowed_web_search_modes: Option<Sourced<Vec<WebSearchMode>>>,
    pub enforce_residency: Option<Sourced<ResidencyRequirement>>,
    /// MCP servers the admin allows, kept as written.
    pub mcp_servers: Option<Sourced<toml::Table>>,
}

/// `requirements.toml` as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct RequirementsToml {
    pub allowed_approval_policies: Option<Vec<AskForApproval>>,
    pub allowed_sandbox_modes: Option<Vec<SandboxModeRequirement>>,
    pub allowed_web_search_modes: Option<Vec<WebSearchMode>>,
    pub enforce_residency: Option<ResidencyRequirement>,
    pub mcp_servers: Option<toml::Table>,
}

impl RequirementsToml {
    /// Checks what serde cannot: lists that allow nothing, sandbox lists without `read-only`
    /// (the fallback every thread must be able to use).
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self
            .allowed_approval_policies
            .as_ref()
            .is_some_and(Vec::is_empty)
        {
            return Err("`allowed_approval_policies` must allow at least one policy".to_owned());
        }
        if let Some(modes) = &self.allowed_sandbox_modes
            && !modes.contains(&SandboxModeRequirement::ReadOnly)
        {
            return Err("`allowed_sandbox_modes` must include `read-only`".to_owned());
        }
        Ok(())
    }

    /// The requirements implied by a legacy `managed_config.toml`: its approval policy is the
    /// only one allowed, its sandbox mode is allowed beside `read-only`.
    pub(crate) fn from_legacy_managed_config(config: &toml::Table) -> Self {
        let approval = config
            .get("approval_policy")
            .and_then(|value| value.clone().try_into::<AskForApproval>().ok());
        let sandbox = config
            .get("sandbox_mode")
            .and_then(|value| value.clone().try_into::<SandboxModeRequirement>().ok());
        Self {
            allowed_approval_policies: approval.map(|policy| vec![policy]),
            allowed_sandbox_modes: sandbox.map(|mode| {
                let mut modes = vec![SandboxModeRequirement::ReadOnly];
                if mode != SandboxModeRequirement::ReadOnly {
                    modes.push(mode);
                }
                modes
            }),
            ..Self::default()
        }
    }
}

/// A value a layer sets that the requirements forbid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub key_path: Vec<String>,
    /// Why, naming the key, the value, what is allowed and which file says so.
    pub message: String,
}

impl Requirements {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Adds the requirements of `file` that no earlier source has set.
    pub(crate) fn fill_unset(&mut self, file: &RequirementSource, toml: RequirementsToml) {
        fn fill<T>(slot: &mut Option<Sourced<T>>, value: Option<T>, file: &RequirementSource) {
            if slot.is_none()
                && let Some(value) = value
            {
                *slot = Some(Sourced {
                    value,
                    source: file.clone(),
                });
            }
        }
        let RequirementsToml {
            allowed_approval_policies,
            allowed_sandbox_modes,
            allowed_web_search_modes,
            enforce_residency,
            mcp_servers,
        } = toml;
        fill(
            &mut self.allowed_approval_policies,
            allowed_approval_policies,
            file,
        );
        fill(&mut self.allowed_sandbox_modes, allowed_sandbox_modes, file);
        fill(
            &mut self.allowed_web_search_modes,
            allowed_web_search_modes,
            file,
        );
        fill(&mut self.enforce_residency, enforce_residency, file);
        fill(&mut self.mcp_servers, mcp_servers, file);
    }

    /// The approval policy to use when no layer picks an allowed one.
    pub fn default_approval_policy(&self) -> Option<AskForApproval> {
        self.allowed_approval_policies
            .as_ref()
            .and_then(|allowed| allowed.value.first().copied())
    }

    /// Every value in `config` (top level and profiles) that the requirements forbid.
    pub fn violations(&self, config: &toml::Table) -> Vec<Violation> {
        let mut found = Vec::new();
        let mut scopes: Vec<(Vec<String>, &toml::Table)> = vec![(Vec::new(), config)];
        if let Some(toml::Value::Table(profiles)) = config.get("profiles") {
            for (name, profile) in profiles {
                if let toml::Value::Table(profile) = profile {
                    scopes.push((vec!["profiles".to_owned(), name.clone()], profile));
                }
            }
        }
        for (prefix, table) in scopes {
            let key = |name: &str| {
                let mut path = prefix.clone();
                path.push(name.to_owned());
                path
            };
            if let Some(allowed) = &self.allowed_approval_policies {
                check(
                    table,
                    key("approval_policy"),
                    allowed,
                    |policy: &AskForApproval| allowed.value.contains(policy),
                    &mut found,
                );
            }
            if let Some(allowed) = &self.allowed_sandbox_modes {
                check(
                    table,
                    key("sandbox_mode"),
                    allowed,
                    |mode: &SandboxModeRequirement| allowed.value.contains(mode),
                    &mut found,
                );
            }
            if let Some(allowed) = &self.allowed_web_search_modes {
                let with_disabled = Sourced {
                    value: self.web_search_modes().unwrap_or_default(),
                    source: allowed.source.clone(),
                };
                check(
                    table,
                    key("web_search"),
                    &with_disabled,
                    |mode: &WebSearchMode| with_disabled.value.contains(mode),
                    &mut found,
                );
            }
        }
        found
    }

    /// The allowed web search modes as clients see them: `disabled` is always among them.
    pub fn web_search_modes(&self) -> Option<Vec<WebSearchMode>> {
        self.allowed_web_search_modes.as_ref().map(|allowed| {
            let mut modes = allowed.value.clone();
            if !modes.contains(&WebSearchMode::Disabled) {
                modes.push(WebSearchMode::Disabled);
            }
            modes
        })
    }
}

/// Records a violation when `table[key]` parses as a `T` that `allows` refuses. A value that
/// does not parse is left to the typed validation, which reports it better.
fn check<T, A>(
    table: &toml::Table,
    path: Vec<String>,
    allowed: &Sourced<Vec<A>>,
    allows: impl Fn(&T) -> bool,
    found: &mut Vec<Violation>,
) where
    T: for<'de> Deserialize<'de> + Serialize,
    A: Serialize,
{
    let Some(raw) = path.last().and_then(|name| table.get(name)) else {
        return;
    };
    let Ok(value) = raw.clone().try_into::<T>() else {
        return;
    };
    if allows(&value) {
        return;
    }
    let allowed_list = allowed
        .value
        .iter()
        .map(|item| format!("`{}`", wire_name(item)))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!(
        "invalid value for `{}`: `{}` is not in the allowed set [{allowed_list}] (set by {})",
        path.join("."),
        wire_name(&value),
        allowed.source
    );
    found.push(Violation {
        key_path: path,
        message,
    });
}

/// How a unit enum variant is spelled in config files.
fn wire_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn file() -> AbsolutePathBuf {
        AbsolutePathBuf::from_absolute_path("/etc/codex/requirements.toml").unwrap()
    }

    fn requirements(text: &str) -> Requirements {
        let toml: RequirementsToml = toml::from_str(text).unwrap();
        toml.validate().unwrap();
        let mut requirements = Requirements::default();
        requirements.fill_unset(&RequirementSource::File(file()), toml);
        requirements
    }

    #[test]
    fn forbidden_values_are_found_at_the_top_and_in_profiles() {
        let requirements = requirements(
            "allowed_approval_policies = ['on-request', 'never']\n\
             allowed_sandbox_modes = ['read-only']\n\
             allowed_web_search_modes = ['cached']",
        );
        let config: toml::Table = toml::from_str(
            "approval_policy = 'never'\nsandbox_mode = 'danger-full-access'\n\
             web_search = 'disabled'\n\
             [profiles.p]\napproval_policy = 'untrusted'\nweb_search = 'live'\n\
             [profiles.q]\napproval_policy = 'not a policy'",
        )
        .unwrap();
        let messages: Vec<_> = requirements
            .violations(&config)
            .into_iter()
            .map(|violation| (violation.key_path.join("."), violation.message))
            .collect();
        assert_eq!(
            messages,
            vec![
                (
                    "sandbox_mode".to_owned(),
                    "invalid value for `sandbox_mode`: `danger-full-access` is not in the allowed \
                     set [`read-only`] (set by /etc/codex/requirements.toml)"
                        .to_owned()
                ),
                (
                    "profiles.p.approval_policy".to_owned(),
                    "invalid value for `profiles.p.approval_policy`: `untrusted` is not in the \
                     allowed set [`on-request`, `never`] (set by /etc/codex/requirements.toml)"
                        .to_owned()
                ),
                (
                    "profiles.p.web_search".to_owned(),
                    "invalid value for `profiles.p.web_search`: `live` is not in the allowed set \
                     [`cached`, `disabled`] (set by /etc/codex/requirements.toml)"
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn earlier_sources_win_and_legacy_managed_config_implies_requirements() {
        let mut merged = requirements("allowed_approval_policies = ['never']");
        let legacy: toml::Table =
            toml::from_str("approval_policy = 'on-request'\nsandbox_mode = 'workspace-write'")
                .unwrap();
        let legacy_file =
            AbsolutePathBuf::from_absolute_path("/etc/codex/managed_config.toml").unwrap();
        merged.fill_unset(
            &RequirementSource::File(legacy_file.clone()),
            RequirementsToml::from_legacy_managed_config(&legacy),
        );
        assert_eq!(
            merged.allowed_approval_policies,
            Some(Sourced {
                value: vec![AskForApproval::Never],
                source: RequirementSource::File(file())
            })
        );
        assert_eq!(
            merged.allowed_sandbox_modes,
            Some(Sourced {
                value: vec![
                    SandboxModeRequirement::ReadOnly,
                    SandboxModeRequirement::WorkspaceWrite
                ],
                source: RequirementSource::File(legacy_file)
            })
        );
        assert_eq!(
            merged.default_approval_policy(),
            Some(AskForApproval::Never)
        );
    }

    #[test]
    fn requirement_lists_must_leave_a_way_out() {
        let check = |text: &str| toml::from_str::<RequirementsToml>(text).unwrap().validate();
        assert_eq!(
            check("allowed_approval_policies = []"),
            Err("`allowed_approval_policies` must allow at least one policy".to_owned())
        );
        assert_eq!(
            check("allowed_sandbox_modes = ['workspace-write']"),
            Err("`allowed_sandbox_modes` must include `read-only`".to_owned())
        );
        assert_eq!(check("allowed_sandbox_modes = ['read-only']"), Ok(()));
    }

    #[test]
    fn cloud_requirements_are_checked_and_empty_ones_are_none() {
        assert_eq!(CloudRequirements::parse("  \n"), Ok(None));
        assert_eq!(CloudRequirements::parse("# nothing set\n"), Ok(None));
        assert!(CloudRequirements::parse("allowed_sandbox_modes = ['workspace-write']").is_err());
        assert!(CloudRequirements::parse("allowed_approval_policies = 'never'").is_err());
        let parsed = CloudRequirements::parse("allowed_approval_policies = ['on-request']")
            .unwrap()
            .unwrap();
        let mut merged = Requirements::default();
        merged.fill_unset(&RequirementSource::Cloud, parsed.toml().clone());
        merged.fill_unset(
            &RequirementSource::File(file()),
            toml::from_str("allowed_approval_policies = ['never']").unwrap(),
        );
        assert_eq!(
            merged.allowed_approval_policies,
            Some(Sourced {
                value: vec![AskForApproval::OnRequest],
                source: RequirementSource::Cloud,
            })
        );
        let config: toml::Table = toml::from_str("approval_policy = 'never'").unwrap();
        assert_eq!(
            merged.violations(&config)[0].message,
            "invalid value for `approval_policy`: `never` is not in the allowed set \
             [`on-request`] (set by cloud requirements)"
        );
    }
}
