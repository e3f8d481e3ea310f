//! The method map of a typed client: `methods.ts`, which pairs every method of the tables in
//! `protocol::common` with its params and result types, beside a bindings tree in `protocol/`.
//!
//! The bindings alone do not say which response answers which request, so a client written on
//! them has to pair methods and results by hand. This file is that pairing, generated from the
//! same tables as the bindings, so `request("thread/start", …)` can be typed by its method. It is
//! an output of its own (`codex app-server generate-ts-client`): the `generate-ts` tree stays
//! exactly the reference's.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use ts_rs::TS;

use super::write_file;
use crate::ClientRequest;
use crate::MethodVisitor;
use crate::ServerNotification;
use crate::ServerRequest;

/// The folder, beside `methods.ts`, that holds the bindings the map refers to.
pub const BINDINGS_FOLDER: &str = "protocol";

const HEADER: &str = "// GENERATED CODE! DO NOT MODIFY BY HAND!\n\
// The method table of the app-server protocol, written by `codex app-server generate-ts-client`.\n\n";

/// One method with the TypeScript spelling of its params and result types.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    method: &'static str,
    experimental: bool,
    params: String,
    result: String,
}

/// Collects the entries of one table, and the root-level type names they import.
#[derive(Default)]
struct Table {
    entries: Vec<Entry>,
    imports: BTreeSet<String>,
    uses_v2: bool,
    include_experimental: bool,
}

impl Table {
    /// How `T` is written in `methods.ts`: by name (a root type, or `v2.Name`), or inline for a
    /// type without a file of its own (`NoParams` is `undefined`).
    fn type_ref<T: TS + 'static>(&mut self) -> String {
        let Some(path) = T::output_path() else {
            return T::inline();
        };
        let name = T::name();
        if path.starts_with("v2") {
            self.uses_v2 = true;
            format!("v2.{name}")
        } else {
            self.imports.insert(name.clone());
            name
        }
    }
}

impl MethodVisitor for Table {
    fn visit<P, R>(&mut self, method: &'static str, experimental: bool)
    where
        P: Serialize + DeserializeOwned + JsonSchema + TS + 'static,
        R: Serialize + DeserializeOwned + JsonSchema + TS + 'static,
    {
        if experimental && !self.include_experimental {
            return;
        }
        let params = self.type_ref::<P>();
        let result = self.type_ref::<R>();
        self.entries.push(Entry {
            method,
            experimental,
            params,
            result,
        });
    }
}

/// Writes the bindings into `out_dir/protocol` (as `generate-ts` does) and the method map into
/// `out_dir/methods.ts`.
pub fn generate_ts_client(
    out_dir: &Path,
    prettier: Option<&Path>,
    experimental: bool,
) -> io::Result<()> {
    super::generate_ts(&out_dir.join(BINDINGS_FOLDER), prettier, experimental)?;
    write_file(&out_dir.join("methods.ts"), &method_map(experimental))
}

/// The text of `methods.ts`.
fn method_map(experimental: bool) -> String {
    let mut table = Table {
        include_experimental: experimental,
        ..Table::default()
    };
    ClientRequest::visit_methods(&mut table);
    let requests = std::mem::take(&mut table.entries);
    ServerRequest::visit_methods(&mut table);
    let server_requests = std::mem::take(&mut table.entries);
    ServerNotification::visit_methods(&mut table);
    let notifications = std::mem::take(&mut table.entries);

    let mut names: Vec<String> = table.imports.into_iter().collect();
    if table.uses_v2 {
        names.push("v2".to_string());
    }
    let mut text = String::from(HEADER);
    text.push_str(&format!(
        "import type {{ {} }} from \"./{BINDINGS_FOLDER}\";\n\n",
        names.join(", ")
    ));

    text.push_str("/** Each request a client may send, with its params and the result it is answered with. */\n");
    push_pairs(&mut text, "ClientRequestMethods", &requests);
    text.push_str("/** Each request the server may send (approvals, user input, client tools, token refresh), with its params and the result the client answers with. */\n");
    push_pairs(&mut text, "ServerRequestMethods", &server_requests);
    text.push_str("/** Each notification the server may send, with its params. */\n");
    text.push_str("export type ServerNotificationMethods = {\n");
    for entry in &notifications {
        text.push_str(&format!("  \"{}\": {};\n", entry.method, entry.params));
    }
    text.push_str("};\n\n");

    push_names(
        &mut text,
        "CLIENT_REQUEST_METHODS",
        requests.iter().map(|entry| entry.method),
    );
    push_names(
        &mut text,
        "EXPERIMENTAL_CLIENT_REQUEST_METHODS",
        requests
            .iter()
            .filter(|entry| entry.experimental)
            .map(|entry| entry.method),
    );
    push_names(
        &mut text,
        "SERVER_REQUEST_METHODS",
        server_requests.iter().map(|entry| entry.method),
    );
    push_names(
        &mut text,
        "SERVER_NOTIFICATION_METHODS",
        notifications.iter().map(|entry| entry.method),
    );
    // The last list ends without the blank line that separates the others.
    text.truncate(text.trim_end().len());
    text.push('\n');
    text
}

fn push_pairs(text: &mut String, name: &str, entries: &[Entry]) {
    text.push_str(&format!("export type {name} = {{\n"));
    for entry in entries {
        text.push_str(&format!(
            "  \"{}\": {{ params: {}; result: {} }};\n",
            entry.method, entry.params, entry.result
        ));
    }
    text.push_str("};\n\n");
}

fn push_names<'a>(text: &mut String, name: &str, methods: impl Iterator<Item = &'a str>) {
    text.push_str(&format!("export const {name} = [\n"));
    for method in methods {
        text.push_str(&format!("  \"{method}\",\n"));
    }
    text.push_str("] as const;\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn line_of(text: &str, method: &str) -> Option<String> {
        text.lines()
            .find(|line| line.starts_with(&format!("  \"{method}\":")))
            .map(str::to_string)
    }

    #[test]
    fn pairs_methods_with_their_types() {
        let text = method_map(true);
        assert_eq!(
            line_of(&text, "thread/start").as_deref(),
            Some(
                "  \"thread/start\": { params: v2.ThreadStartParams; result: v2.ThreadStartResponse };"
            )
        );
        assert_eq!(
            line_of(&text, "initialize").as_deref(),
            Some("  \"initialize\": { params: InitializeParams; result: InitializeResponse };")
        );
        // A method without params takes `undefined`, as the bindings' `ClientRequest` says.
        assert_eq!(
            line_of(&text, "account/logout").as_deref(),
            Some("  \"account/logout\": { params: undefined; result: v2.LogoutAccountResponse };")
        );
        assert_eq!(
            line_of(&text, "item/agentMessage/delta").as_deref(),
            Some("  \"item/agentMessage/delta\": v2.AgentMessageDeltaNotification;")
        );
        assert!(text.contains("import type { "), "{text}");
        assert!(text.contains(", v2 } from \"./protocol\";"), "{text}");
    }

    #[test]
    fn stable_map_leaves_experimental_methods_out() {
        let stable = method_map(false);
        let experimental = method_map(true);
        assert_eq!(line_of(&stable, "mock/experimentalMethod"), None);
        assert!(line_of(&experimental, "mock/experimentalMethod").is_some());
        assert!(experimental.contains("EXPERIMENTAL_CLIENT_REQUEST_METHODS = [\n  \""));
        assert!(stable.contains("EXPERIMENTAL_CLIENT_REQUEST_METHODS = [\n] as const;"));
    }
}
