//! The config methods of a running `codex app-server`: session flags from the command line,
//! `configWarning` for broken files, requirements, and writers racing across connections and
//! processes.
//!
//! Each test gets a temporary `home/` (CODEX_HOME) and `system/` (CODEX_SYSTEM_CONFIG_DIR), and
//! talks to the server with the client of `serve`.

mod concurrent;
mod flags;
mod key_paths;
mod warnings;

use std::path::PathBuf;

use serde_json::Value;
use serde_json::json;
use tempfile::TempDir;

use super::serve::Client;
use super::serve::LOOPBACK;
use super::serve::Server;

/// The folders a test's servers share.
pub struct Folders {
    dir: TempDir,
}

impl Folders {
    pub fn new() -> Self {
        let folders = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(folders.home()).unwrap();
        std::fs::create_dir_all(folders.system()).unwrap();
        folders
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn system(&self) -> PathBuf {
        self.dir.path().join("system")
    }

    pub fn user_config(&self) -> PathBuf {
        self.home().join("config.toml")
    }

    pub fn write_user_config(&self, text: &str) {
        std::fs::write(self.user_config(), text).unwrap();
    }

    pub fn read_user_config(&self) -> String {
        std::fs::read_to_string(self.user_config()).unwrap()
    }

    /// The environment that points a server at these folders.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("CODEX_HOME".to_owned(), self.home().display().to_string()),
            (
                "CODEX_SYSTEM_CONFIG_DIR".to_owned(),
                self.system().display().to_string(),
            ),
        ]
    }

    /// A stdio server on these folders and its client, initialized.
    pub async fn stdio(&self) -> (Server, Client) {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (server, mut client) = Server::stdio(&env);
        client.initialize(false).await;
        (server, client)
    }

    /// A WebSocket server on these folders started with `args`.
    pub async fn websocket(&self, args: &[&str]) -> Server {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Server::websocket(LOOPBACK, args, &env).await
    }
}

/// A `config/value/write` request.
pub fn write(id: u64, key_path: &str, value: Value, expected_version: Option<&str>) -> Value {
    let mut params = json!({"keyPath": key_path, "value": value, "mergeStrategy": "replace"});
    if let Some(version) = expected_version {
        params["expectedVersion"] = json!(version);
    }
    json!({"id": id, "method": "config/value/write", "params": params})
}

/// The user layer's version, as `config/read` reports it.
pub async fn user_version(client: &mut Client, id: u64) -> String {
    let answer = client
        .request(&json!({"id": id, "method": "config/read", "params": {"includeLayers": true}}))
        .await;
    let layers = answer["result"]["layers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    layers
        .iter()
        .find(|layer| layer["name"]["type"] == "user")
        .and_then(|layer| layer["version"].as_str())
        .unwrap_or_else(|| panic!("no user layer in {answer}\n{}", client.report()))
        .to_owned()
}

/// The answer's `config_write_error_code`, or `"ok"` for a success.
pub fn write_outcome(answer: &Value) -> String {
    match answer.get("error") {
        Some(error) => error["data"]["config_write_error_code"]
            .as_str()
            .unwrap_or("(no code)")
            .to_owned(),
        None => answer["result"]["status"]
            .as_str()
            .unwrap_or("(none)")
            .to_owned(),
    }
}
