//! The ways setting up the sandbox or starting the command can fail.

use std::io;

/// Why the sandboxed command did not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The argv was empty.
    #[error("no command to run")]
    NoCommand,
    /// The policy asks for something this sandbox does not implement, so running the command
    /// would grant more than the policy allows.
    #[error("the linux sandbox does not support this policy: {0}")]
    UnsupportedPolicy(String),
    /// The kernel lacks a feature the policy needs (Landlock, seccomp, user namespaces).
    #[error("the kernel cannot enforce the sandbox: {0}")]
    Unenforceable(String),
    /// The policy could not be written as JSON for the helper's command line.
    #[error("could not encode the sandbox policy")]
    EncodePolicy(#[source] serde_json::Error),
    /// The sandbox is in place but the command could not be started.
    #[error("could not run {program}")]
    Exec {
        program: String,
        #[source]
        source: io::Error,
    },
}
