//! Write access limited to the writable roots, with Landlock.

use std::path::Path;

use landlock::ABI;
use landlock::Access;
use landlock::AccessFs;
use landlock::CompatLevel;
use landlock::Compatible;
use landlock::Ruleset;
use landlock::RulesetAttr;
use landlock::RulesetCreatedAttr;
use landlock::RulesetError;
use landlock::RulesetStatus;
use landlock::path_beneath_rules;

use crate::SandboxError;
use crate::WritableRoot;

/// ABI 3 is the first that governs every way of changing a file, truncation included; with an
/// older one, `truncate` outside the roots would go through.
const REQUIRED_ABI: ABI = ABI::V3;

/// Devices that any command may write to: writing there changes nothing on disk.
const WRITABLE_DEVICES: [&str; 4] = ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"];

/// Allows this process and its descendants to read everything but to write only under `roots`
/// and to [`WRITABLE_DEVICES`]. Also sets `no_new_privs`, which Landlock requires.
pub(super) fn restrict_writes(roots: &[WritableRoot]) -> Result<(), SandboxError> {
    let all = AccessFs::from_all(REQUIRED_ABI);
    let read = AccessFs::from_read(REQUIRED_ABI);
    let writable: Vec<&Path> = roots
        .iter()
        .map(|root| root.root.as_path())
        .chain(WRITABLE_DEVICES.iter().map(Path::new))
        .filter(|path| path.exists())
        .collect();
    let status = Ruleset::default()
        // Fail rather than quietly enforce less than asked on an older kernel.
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(all)
        .and_then(|ruleset| ruleset.create())
        .and_then(|ruleset| ruleset.add_rules(path_beneath_rules(["/"], read)))
        .and_then(|ruleset| ruleset.add_rules(path_beneath_rules(writable, all)))
        .and_then(|ruleset| ruleset.restrict_self())
        .map_err(unenforceable)?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(()),
        RulesetStatus::PartiallyEnforced | RulesetStatus::NotEnforced => {
            Err(SandboxError::Unenforceable(format!(
                "landlock is {:?} on this kernel (ABI 3 or later is needed)",
                status.ruleset
            )))
        }
    }
}

fn unenforceable(error: RulesetError) -> SandboxError {
    SandboxError::Unenforceable(format!("landlock (ABI 3 or later is needed): {error}"))
}
