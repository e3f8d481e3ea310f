//! Approval and sandbox policies between the wire (v2 spells its own) and the core.

use codex_app_server_protocol::v2;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::protocol as core;

pub(crate) fn sandbox_mode_to_core(mode: v2::SandboxMode) -> SandboxMode {
    match mode {
        v2::SandboxMode::ReadOnly => SandboxMode::ReadOnly,
        v2::SandboxMode::WorkspaceWrite => SandboxMode::WorkspaceWrite,
        v2::SandboxMode::DangerFullAccess => SandboxMode::DangerFullAccess,
    }
}

pub(crate) fn approval_to_core(policy: v2::AskForApproval) -> core::AskForApproval {
    match policy {
        v2::AskForApproval::Untrusted => core::AskForApproval::Untrusted,
        v2::AskForApproval::OnFailure => core::AskForApproval::OnFailure,
        v2::AskForApproval::OnRequest => core::AskForApproval::OnRequest,
        v2::AskForApproval::Never => core::AskForApproval::Never,
    }
}

pub(crate) fn approval_to_wire(policy: core::AskForApproval) -> v2::AskForApproval {
    match policy {
        core::AskForApproval::Untrusted => v2::AskForApproval::Untrusted,
        core::AskForApproval::OnFailure => v2::AskForApproval::OnFailure,
        core::AskForApproval::OnRequest => v2::AskForApproval::OnRequest,
        core::AskForApproval::Never => v2::AskForApproval::Never,
    }
}

fn network_to_wire(access: core::NetworkAccess) -> v2::NetworkAccess {
    match access {
        core::NetworkAccess::Restricted => v2::NetworkAccess::Restricted,
        core::NetworkAccess::Enabled => v2::NetworkAccess::Enabled,
    }
}

fn network_to_core(access: v2::NetworkAccess) -> core::NetworkAccess {
    match access {
        v2::NetworkAccess::Restricted => core::NetworkAccess::Restricted,
        v2::NetworkAccess::Enabled => core::NetworkAccess::Enabled,
    }
}

fn read_access_to_wire(access: Option<&core::ReadOnlyAccess>) -> v2::ReadOnlyAccess {
    match access {
        None | Some(core::ReadOnlyAccess::FullAccess) => v2::ReadOnlyAccess::FullAccess,
        Some(core::ReadOnlyAccess::Restricted {
            include_platform_defaults,
            readable_roots,
        }) => v2::ReadOnlyAccess::Restricted {
            include_platform_defaults: *include_platform_defaults,
            readable_roots: readable_roots.clone().unwrap_or_default(),
        },
    }
}

fn read_access_to_core(access: v2::ReadOnlyAccess) -> core::ReadOnlyAccess {
    match access {
        v2::ReadOnlyAccess::FullAccess => core::ReadOnlyAccess::FullAccess,
        v2::ReadOnlyAccess::Restricted {
            include_platform_defaults,
            readable_roots,
        } => core::ReadOnlyAccess::Restricted {
            include_platform_defaults,
            readable_roots: (!readable_roots.is_empty()).then_some(readable_roots),
        },
    }
}

pub(crate) fn sandbox_to_wire(policy: &core::SandboxPolicy) -> v2::SandboxPolicy {
    match policy {
        core::SandboxPolicy::DangerFullAccess => v2::SandboxPolicy::DangerFullAccess,
        core::SandboxPolicy::ReadOnly { access } => v2::SandboxPolicy::ReadOnly {
            access: read_access_to_wire(access.as_ref()),
        },
        core::SandboxPolicy::ExternalSandbox { network_access } => {
            v2::SandboxPolicy::ExternalSandbox {
                network_access: network_to_wire(*network_access),
            }
        }
        core::SandboxPolicy::WorkspaceWrite {
            writable_roots,
            read_only_access,
            network_access,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
        } => v2::SandboxPolicy::WorkspaceWrite {
            writable_roots: writable_roots.clone().unwrap_or_default(),
            read_only_access: read_access_to_wire(read_only_access.as_ref()),
            network_access: *network_access,
            exclude_tmpdir_env_var: *exclude_tmpdir_env_var,
            exclude_slash_tmp: *exclude_slash_tmp,
        },
    }
}

pub(crate) fn sandbox_to_core(policy: v2::SandboxPolicy) -> core::SandboxPolicy {
    match policy {
        v2::SandboxPolicy::DangerFullAccess => core::SandboxPolicy::DangerFullAccess,
        v2::SandboxPolicy::ReadOnly { access } => core::SandboxPolicy::ReadOnly {
            access: Some(read_access_to_core(access)),
        },
        v2::SandboxPolicy::ExternalSandbox { network_access } => {
            core::SandboxPolicy::ExternalSandbox {
                network_access: network_to_core(network_access),
            }
        }
        v2::SandboxPolicy::WorkspaceWrite {
            writable_roots,
            read_only_access,
            network_access,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
        } => core::SandboxPolicy::WorkspaceWrite {
            writable_roots: (!writable_roots.is_empty()).then_some(writable_roots),
            read_only_access: Some(read_access_to_core(read_only_access)),
            network_access,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
        },
    }
}
