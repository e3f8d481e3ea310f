//! The user agent string `initialize` answers with, built from the client's name and version
//! and what we can tell about the machine and terminal.
//!
//! Shape: `<client>/<server version> (<os> <os version>; <arch>) <terminal> (<client>; <client
//! version>)`, e.g. `vscode/0.1.0 (Debian 12.0.0; x86_64) xterm (vscode; 1.2.3)`. Clients log it
//! and pass it on as an HTTP header, so anything a header cannot carry is replaced.

use codex_app_server_protocol::v1::ClientInfo;

/// Facts about where the server runs, gathered once.
#[derive(Debug, Clone)]
pub(crate) struct Platform {
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub terminal: String,
}

impl Platform {
    pub(crate) fn detect() -> Self {
        let info = os_info::get();
        Self {
            os: info.os_type().to_string(),
            os_version: info.version().to_string(),
            arch: info
                .architecture()
                .unwrap_or(std::env::consts::ARCH)
                .to_string(),
            terminal: detect_terminal(),
        }
    }
}

/// The terminal the server was started from, as far as the environment tells: the program a
/// terminal announces itself as, else `TERM`, else `unknown`.
fn detect_terminal() -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (var("TERM_PROGRAM"), var("TERM")) {
        (Some(program), _) => match var("TERM_PROGRAM_VERSION") {
            Some(version) => format!("{program}/{version}"),
            None => program,
        },
        (None, Some(term)) => term,
        (None, None) => "unknown".to_string(),
    }
}

pub(crate) fn user_agent(client: &ClientInfo, platform: &Platform) -> String {
    let Platform {
        os,
        os_version,
        arch,
        terminal,
    } = platform;
    let name = &client.name;
    let text = format!(
        "{name}/{} ({os} {os_version}; {arch}) {terminal} ({name}; {})",
        env!("CARGO_PKG_VERSION"),
        client.version,
    );
    header_safe(&text)
}

/// Replaces what an HTTP header value cannot hold (controls, non-ASCII) with `_`.
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn follows_the_reference_shape() {
        let platform = Platform {
            os: "Debian".into(),
            os_version: "12.0.0".into(),
            arch: "x86_64".into(),
            terminal: "xterm".into(),
        };
        let client = ClientInfo {
            name: "vscode".into(),
            title: None,
            version: "1.2.3".into(),
        };
        assert_eq!(
            user_agent(&client, &platform),
            format!(
                "vscode/{} (Debian 12.0.0; x86_64) xterm (vscode; 1.2.3)",
                env!("CARGO_PKG_VERSION")
            )
        );
        let odd = ClientInfo {
            name: "ed\nitor".into(),
            title: None,
            version: "é".into(),
        };
        assert!(user_agent(&odd, &platform).starts_with("ed_itor/"));
        assert!(user_agent(&odd, &platform).ends_with("(ed_itor; _)"));
    }
}
