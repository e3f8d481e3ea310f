//! `codex app-server`: its flags, serving, and the generators of client bindings it carries.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use clap::Subcommand;
use clap::ValueEnum;
use codex_app_server::ServerOptions;
use codex_app_server::Transport;
use codex_app_server::WebSocketAuth;
use codex_utils_cli::CliConfigOverrides;
use codex_utils_cli::FeatureToggles;

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

    /// How WebSocket clients prove they may connect. Required to listen on a non-loopback
    /// address.
    #[arg(long, value_name = "MODE", requires = "ws_token_file")]
    ws_auth: Option<WebSocketAuthMode>,

    /// File holding the capability token clients present as `Authorization: Bearer <token>`.
    #[arg(long, value_name = "PATH", requires = "ws_auth")]
    ws_token_file: Option<PathBuf>,

    #[command(subcommand)]
    generate: Option<GenerateCommand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WebSocketAuthMode {
    /// A shared secret read from `--ws-token-file`.
    CapabilityToken,
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

pub fn run(command: AppServerCommand) -> anyhow::Result<()> {
    let AppServerCommand {
        config_overrides,
        features,
        listen,
        ws_auth,
        ws_token_file,
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
            Ok(())
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
            Ok(())
        }
        None => {
            let transport = transport(listen, ws_auth, ws_token_file)?;
            crate::serve::serve(codex_app_server::run(ServerOptions {
                transport,
                config_overrides: overrides,
            }))
        }
    }
}

fn transport(
    listen: ListenTarget,
    ws_auth: Option<WebSocketAuthMode>,
    ws_token_file: Option<PathBuf>,
) -> anyhow::Result<Transport> {
    let auth = match (ws_auth, ws_token_file) {
        (Some(WebSocketAuthMode::CapabilityToken), Some(file)) => {
            Some(WebSocketAuth::from_token_file(&file)?)
        }
        // clap makes the two flags require each other.
        _ => None,
    };
    match listen {
        ListenTarget::Stdio | ListenTarget::Off if auth.is_some() => {
            anyhow::bail!("--ws-auth applies to WebSocket listeners only, not to {listen}")
        }
        ListenTarget::Stdio => Ok(Transport::Stdio),
        ListenTarget::Off => Ok(Transport::Off),
        ListenTarget::WebSocket(address) => Ok(Transport::WebSocket { address, auth }),
    }
}
