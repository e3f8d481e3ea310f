//! The named pairs of approval and sandbox policy that a client offers as one choice: read-only,
//! the default agent mode, and full access. The ids and labels are the reference's (codex-cli
//! 0.101.0), so a client's saved choice and what it shows mean the same thing here; the
//! descriptions are our own words.
//!
//! ```
//! use codex_protocol::protocol::AskForApproval;
//! use codex_utils_approval_presets::builtin_approval_presets;
//! use codex_utils_approval_presets::find_preset;
//!
//! let ids: Vec<&str> = builtin_approval_presets().iter().map(|p| p.id).collect();
//! assert_eq!(ids, ["read-only", "auto", "full-access"]);
//!
//! let full = find_preset("full-access").unwrap();
//! assert_eq!(full.label, "Full Access");
//! assert_eq!(full.approval, AskForApproval::Never);
//! ```

use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::SandboxPolicy;

/// One named choice of how much the agent may do unasked.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalPreset {
    /// Stable id, kept in settings.
    pub id: &'static str,
    /// Short name shown in pickers.
    pub label: &'static str,
    /// The text shown next to the label.
    pub description: &'static str,
    pub approval: AskForApproval,
    pub sandbox: SandboxPolicy,
}

/// The presets, from most to least restricted.
pub fn builtin_approval_presets() -> Vec<ApprovalPreset> {
    vec![
        ApprovalPreset {
            id: "read-only",
            label: "Read Only",
            description: "Reads files and answers questions; editing files or running other commands needs your approval.",
            approval: AskForApproval::OnRequest,
            sandbox: SandboxPolicy::ReadOnly { access: None },
        },
        ApprovalPreset {
            id: "auto",
            label: "Default",
            description: "Reads and edits files in the workspace and runs commands there; asks before going beyond it.",
            approval: AskForApproval::OnRequest,
            sandbox: SandboxPolicy::WorkspaceWrite {
                writable_roots: None,
                read_only_access: None,
                network_access: false,
                exclude_tmpdir_env_var: false,
                exclude_slash_tmp: false,
            },
        },
        ApprovalPreset {
            id: "full-access",
            label: "Full Access",
            description: "Edits any file and uses the network without asking. Use with care.",
            approval: AskForApproval::Never,
            sandbox: SandboxPolicy::DangerFullAccess,
        },
    ]
}

/// The preset with this `id`, if any.
pub fn find_preset(id: &str) -> Option<ApprovalPreset> {
    builtin_approval_presets()
        .into_iter()
        .find(|preset| preset.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn presets_pair_the_reference_policies() {
        let summary: Vec<(&str, &str, AskForApproval, SandboxPolicy)> = builtin_approval_presets()
            .into_iter()
            .map(|p| (p.id, p.label, p.approval, p.sandbox))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "read-only",
                    "Read Only",
                    AskForApproval::OnRequest,
                    SandboxPolicy::ReadOnly { access: None },
                ),
                (
                    "auto",
                    "Default",
                    AskForApproval::OnRequest,
                    SandboxPolicy::WorkspaceWrite {
                        writable_roots: None,
                        read_only_access: None,
                        network_access: false,
                        exclude_tmpdir_env_var: false,
                        exclude_slash_tmp: false,
                    },
                ),
                (
                    "full-access",
                    "Full Access",
                    AskForApproval::Never,
                    SandboxPolicy::DangerFullAccess,
                ),
            ]
        );
    }

    #[test]
    fn descriptions_are_our_one_line_sentences() {
        let descriptions: Vec<&str> = builtin_approval_presets()
            .iter()
            .map(|p| p.description)
            .collect();
        assert_eq!(
            descriptions,
            [
                "Reads files and answers questions; editing files or running other commands needs your approval.",
                "Reads and edits files in the workspace and runs commands there; asks before going beyond it.",
                "Edits any file and uses the network without asking. Use with care.",
            ]
        );
    }

    #[test]
    fn finds_by_id() {
        assert_eq!(find_preset("auto").map(|p| p.label), Some("Default"));
        assert_eq!(find_preset("Auto"), None);
        assert_eq!(find_preset("nope"), None);
    }
}
