//! Command-line flags shared by the binaries: `-c key=value` config overrides and
//! `--enable`/`--disable` feature toggles.
//!
//! Both produce `(dotted.key, toml::Value)` pairs that are layered on top of the parsed config
//! file with [`apply_overrides`].
//!
//! ```
//! use clap::Parser;
//! use codex_utils_cli::CliConfigOverrides;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     overrides: CliConfigOverrides,
//! }
//!
//! let cli = Cli::parse_from(["codex", "-c", "model=o3", "-c", "sandbox.network_access=true"]);
//! let mut config: toml::Value = toml::from_str("model = 'gpt-5'").unwrap();
//! cli.overrides.apply_on_value(&mut config).unwrap();
//! assert_eq!(config["model"].as_str(), Some("o3"));
//! assert_eq!(config["sandbox"]["network_access"].as_bool(), Some(true));
//! ```

mod config_override;
mod feature_toggles;

pub use config_override::CliConfigOverrides;
pub use config_override::OverrideError;
pub use config_override::apply_overrides;
pub use feature_toggles::FeatureToggles;
