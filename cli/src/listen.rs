//! The `--listen` address of `codex app-server`: where the server takes its clients from.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// Where `codex app-server` accepts its client.
///
/// The URL forms are `stdio://` (the default: one client speaking over stdin and stdout),
/// `ws://IP:PORT` (WebSocket clients on a socket address) and `off` (no transport at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenTarget {
    Stdio,
    WebSocket(SocketAddr),
    Off,
}

const STDIO_URL: &str = "stdio://";
const WEBSOCKET_SCHEME: &str = "ws://";
const OFF: &str = "off";

impl FromStr for ListenTarget {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if url == STDIO_URL {
            return Ok(ListenTarget::Stdio);
        }
        if url == OFF {
            return Ok(ListenTarget::Off);
        }
        if let Some(address) = url.strip_prefix(WEBSOCKET_SCHEME) {
            // A trailing slash is what people type after a host; anything more is a path we
            // would silently ignore, so it is refused.
            let address = address.strip_suffix('/').unwrap_or(address);
            return address
                .parse::<SocketAddr>()
                .map(ListenTarget::WebSocket)
                .map_err(|_| {
                    format!(
                        "`{url}` is not a WebSocket listen address: expected `ws://IP:PORT` \
                     with a numeric IP, e.g. `ws://127.0.0.1:4500` or `ws://[::1]:4500`"
                    )
                });
        }
        Err(format!(
            "unsupported listen URL `{url}`: expected `{STDIO_URL}`, `ws://IP:PORT` or `{OFF}`"
        ))
    }
}

impl fmt::Display for ListenTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenTarget::Stdio => f.write_str(STDIO_URL),
            ListenTarget::WebSocket(address) => write!(f, "{WEBSOCKET_SCHEME}{address}"),
            ListenTarget::Off => f.write_str(OFF),
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::ListenTarget;

    /// Parses `url` and renders the outcome as the text a user would see.
    fn check(url: &str, expected: &str) {
        let actual = match url.parse::<ListenTarget>() {
            Ok(target) => format!("ok {target}"),
            Err(message) => format!("error {message}"),
        };
        assert_eq!(actual, expected, "parsing {url:?}");
    }

    #[test]
    fn accepted_urls_round_trip() {
        check("stdio://", "ok stdio://");
        check("off", "ok off");
        check("ws://127.0.0.1:4500", "ok ws://127.0.0.1:4500");
        check("ws://0.0.0.0:0/", "ok ws://0.0.0.0:0");
        check("ws://[::1]:4500", "ok ws://[::1]:4500");
    }

    #[test]
    fn websocket_urls_need_an_ip_and_a_port() {
        let hint = "expected `ws://IP:PORT` with a numeric IP, e.g. `ws://127.0.0.1:4500` or \
                    `ws://[::1]:4500`";
        check(
            "ws://localhost:4500",
            &format!("error `ws://localhost:4500` is not a WebSocket listen address: {hint}"),
        );
        check(
            "ws://127.0.0.1",
            &format!("error `ws://127.0.0.1` is not a WebSocket listen address: {hint}"),
        );
        check(
            "ws://127.0.0.1:4500/rpc",
            &format!("error `ws://127.0.0.1:4500/rpc` is not a WebSocket listen address: {hint}"),
        );
    }

    #[test]
    fn other_urls_are_refused() {
        for url in [
            "",
            "stdio",
            "STDIO://",
            "http://127.0.0.1:80",
            "wss://127.0.0.1:443",
            "on",
        ] {
            check(
                url,
                &format!(
                    "error unsupported listen URL `{url}`: expected `stdio://`, `ws://IP:PORT` \
                     or `off`"
                ),
            );
        }
    }
}
