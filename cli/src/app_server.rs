//! `codex app-server`: its flags, and the generators of client bindings it carries.
//!
//! Serving is not built yet, so `run` validates everything a server would need and then reports
//! that this build cannot serve; the generate subcommands are fully functional.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use clap::Subcommand;
use codex_utils_cli::CliConfigOverrides;
use codex_utils_cli::FeatureToggles;

use crate::Outcome;
use crate::listen::ListenTarget;

#[derive(Debug, Args)]
pub struct AppServerCommand {
    #[command(flatten)]
    config_overrides: CliConfigOverrides,

    #[command(flatten)]
    features: FeatureToggles,

    /// Where to accept the client: `stdio://` (stdin and stdout), `ws://IP:PORT` (WebSocket
    /// clients on that socket address) or `off` (no transport).
    #[arg(long, value_name = "URL", default_value = "stdio://")]
    listen: ListenTarget,

    #[command(subcommand)]
    generate: Option<GenerateCommand>,
}

#[derive(Debug, Subcommand)]
enum GenerateCommand {
    /// Write TypeScript definitions of every protocol type into a directory.
    GenerateTs(GenerateTsArgs),

    /// Write a JSON Schema for every protocol type, and one bundle of all of them, into a
    /// directory.
    GenerateJsonSchema(GenerateJsonSchemaArgs),
}

#[derive(Debug, Args)]
struct GenerateTsArgs {
    /// Directory to write into; created if missing.
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,

    /// Also emit methods and fields that are still experimental.
    #[arg(long)]
    experimental: bool,

    /// Prettier executable to format the generated files with.
    #[arg(long, value_name = "BIN")]
    prettier: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct GenerateJsonSchemaArgs {
    /// Directory to write into; created if missing.
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,

    /// Also emit methods and fields that are still experimental.
    #[arg(long)]
    experimental: bool,
}

pub fn run(command: AppServerCommand) -> anyhow::Result<Outcome> {
    let AppServerCommand {
        config_overrides,
        features,
        listen,
        generate,
    } = command;

    // Overrides are checked before anything runs, so a typo in `-c` is reported as such rather
    // than ignored or hidden behind a later message.
    let mut overrides = config_overrides
        .parse_overrides()
        .context("failed to parse -c/--config overrides")?;
    overrides.extend(features.to_overrides());

    match generate {
        Some(GenerateCommand::GenerateTs(args)) => {
            codex_app_server_protocol::generate_ts(
                &args.out,
                args.prettier.as_deref(),
                args.experimental,
            )
            .with_context(|| {
                format!(
                    "failed to generate TypeScript bindings in {}",
                    args.out.display()
                )
            })?;
            Ok(Outcome::Done)
        }
        Some(GenerateCommand::GenerateJsonSchema(args)) => {
            codex_app_server_protocol::generate_json(&args.out, args.experimental).with_context(
                || {
                    format!(
                        "failed to generate JSON Schema files in {}",
                        args.out.display()
                    )
                },
            )?;
            Ok(Outcome::Done)
        }
        None => {
            // The server that will consume the overrides is the next piece of work.
            let _ = overrides;
            not_served_yet(listen);
            Ok(Outcome::Unsupported)
        }
    }
}

#[expect(
    clippy::print_stderr,
    reason = "stderr is how the binary talks to the person who ran it"
)]
fn not_served_yet(listen: ListenTarget) {
    eprintln!(
        "codex app-server: serving is not implemented in this build yet \
         (the command line is valid; it would listen on {listen})"
    );
}
