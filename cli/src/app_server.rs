//! `codex app-server`: its flags, serving, and the generators of client bindings it carries.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use clap::Subcommand;
use clap::ValueEnum;
use codex_app_server::AllowedOrigins;
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

    /// A web origin (`http://HOST[:PORT]` or `https://HOST[:PORT]`) whose pages may connect
    /// over WebSocket; repeatable, matched exactly. Any other request with `Origin` gets 403.
    #[arg(long = "ws-allow-origin", value_name = "ORIGIN")]
    ws_allow_origin: Vec<String>,

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
    #[command(name = "generate-ts")]
    Ts(GenerateTsArgs),

    /// Write what a typed TypeScript client builds on: the bindings in `DIR/protocol` (as
    /// `generate-ts` writes them) and `DIR/methods.ts`, which pairs every method with its params
    /// and result types.
    #[command(name = "generate-ts-client")]
    TsClient(GenerateTsArgs),

    /// Write a JSON Schema for every protocol type, and one bundle of all of them, into a
    /// directory.
    #[command(name = "generate-json-schema")]
    JsonSchema(GenerateJsonSchemaArgs),
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
        ws_allow_origin,
        generate,
    } = command;

    // Overrides are checked before anything runs, so a typo in `-c` is reported as such rather
    // than ignored or hidden behind a later message.
    let mut overrides = config_overrides
        .parse_overrides()
        .context("failed to parse -c/--config overrides")?;
    overrides.extend(features.to_overrides());

    match generate {
        Some(GenerateCommand::Ts(args)) => {
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
        Some(GenerateCommand::TsClient(args)) => {
            codex_app_server_protocol::generate_ts_client(
                &args.out,
                args.prettier.as_deref(),
                args.experimental,
            )
            .with_context(|| {
                format!(
                    "failed to generate the TypeScript client's bindings in {}",
                    args.out.display()
                )
            })?;
            Ok(())
        }
        Some(GenerateCommand::JsonSchema(args)) => {
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
            let transport = transport(listen, ws_auth, ws_token_file, ws_allow_origin)?;
            crate::serve::serve(codex_app_server::run(ServerOptions {
                transport,
                config_overrides: overrides,
                release_memory: crate::allocator::release_memory,
            }))
        }
    }
}

fn transport(
    listen: ListenTarget,
    ws_auth: Option<WebSocketAuthMode>,
    ws_token_file: Option<PathBuf>,
    ws_allow_origin: Vec<String>,
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
        ListenTarget::Stdio | ListenTarget::Off if !ws_allow_origin.is_empty() => {
            anyhow::bail!("--ws-allow-origin applies to WebSocket listeners only, not to {listen}")
        }
        ListenTarget::Stdio => Ok(Transport::Stdio),
        ListenTarget::Off => Ok(Transport::Off),
        ListenTarget::WebSocket(address) => Ok(Transport::WebSocket {
            address,
            auth,
            allowed_origins: AllowedOrigins::new(ws_allow_origin)?,
        }),
    }
}
