//! The user agent string a server announces at `initialize`, built from who is speaking, the
//! client's name and version, and what we can tell about the machine and terminal.
//!
//! Shape: `<originator>/<server version> (<os> <os version>; <arch>) <terminal> (<client>;
//! <client version>)`, e.g. `vscode/0.1.0 (Debian 12.0.0; x86_64) xterm (vscode; 1.2.3)`.
//! Clients log it and pass it on as an HTTP header, so anything a header cannot carry is
//! replaced.

#[cfg(target_os = "linux")]
mod lsb_release;
mod platform;

pub use platform::Platform;

/// Who a user agent names.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    /// What speaks: the client's name for the app server, the command for others.
    pub originator: &'a str,
    /// This server's version.
    pub version: &'a str,
    pub client_name: &'a str,
    pub client_version: &'a str,
}

pub fn user_agent(parties: Parties<'_>, platform: &Platform) -> String {
    let Parties {
        originator,
        version,
        client_name,
        client_version,
    } = parties;
    let Platform {
        os,
        os_version,
        arch,
        terminal,
    } = platform;
    let text = format!(
        "{originator}/{version} ({os} {os_version}; {arch}) {terminal} ({client_name}; \
         {client_version})"
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

    fn platform() -> Platform {
        Platform {
            os: "Debian".into(),
            os_version: "12.0.0".into(),
            arch: "x86_64".into(),
            terminal: "xterm".into(),
        }
    }

    #[test]
    fn follows_the_reference_shape() {
        let parties = Parties {
            originator: "codex_cli_rs",
            version: "0.1.0",
            client_name: "vscode",
            client_version: "1.2.3",
        };
        assert_eq!(
            user_agent(parties, &platform()),
            "codex_cli_rs/0.1.0 (Debian 12.0.0; x86_64) xterm (vscode; 1.2.3)"
        );
    }

    #[test]
    fn what_a_header_cannot_carry_is_replaced() {
        let parties = Parties {
            originator: "ed\nitor",
            version: "0.1.0",
            client_name: "ed\nitor",
            client_version: "é",
        };
        let agent = user_agent(parties, &platform());
        assert!(agent.starts_with("ed_itor/"), "{agent}");
        assert!(agent.ends_with("(ed_itor; _)"), "{agent}");
    }
}
