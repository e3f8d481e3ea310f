//! Hosted web search: whether a turn offers the model's `web_search` tool, and in which shape,
//! and how a `web_search_call` the model made reads as a `webSearch` item.
//!
//! The config names a mode (`web_search = "live" | "cached" | "disabled"`, top level or in the
//! profile); without one, the deprecated feature switches decide (`[features]
//! web_search_cached`, then `web_search_request`, its alias `web_search`, and `[tools]
//! web_search`), and without those the mode is `cached`. Each turn then picks the mode it runs
//! with: a turn in `danger-full-access` prefers live results unless search is disabled, and a
//! mode the requirements do not allow gives way to one they do, as the reference does.

use codex_config::ConfigToml;
use codex_protocol::config_types::WebSearchMode;
use codex_protocol::items::WebSearchItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::models::WebSearchAction;
use codex_protocol::protocol::SandboxPolicy;

/// What a thread's config says about web search; the mode of each turn follows from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSearchSettings {
    /// The configured mode, if the config names one (directly or through the legacy switches).
    pub configured: Option<WebSearchMode>,
    /// The modes the requirements allow (`allowed_web_search_modes`); all when `None`.
    pub allowed: Option<Vec<WebSearchMode>>,
}

impl WebSearchSettings {
    /// Reads the settings from a thread's resolved config and its requirements' allowed modes.
    pub fn from_config(config: &ConfigToml, allowed: Option<Vec<WebSearchMode>>) -> Self {
        WebSearchSettings {
            configured: configured_mode(config),
            allowed,
        }
    }

    /// The mode a turn in `sandbox` runs with.
    pub fn mode_for_turn(&self, sandbox: &SandboxPolicy) -> WebSearchMode {
        let preferred = self.configured.unwrap_or(WebSearchMode::Cached);
        let allowed = |mode: WebSearchMode| {
            self.allowed
                .as_ref()
                .is_none_or(|allowed| allowed.contains(&mode))
        };
        let fallbacks = if matches!(sandbox, SandboxPolicy::DangerFullAccess)
            && preferred != WebSearchMode::Disabled
        {
            [
                WebSearchMode::Live,
                WebSearchMode::Cached,
                WebSearchMode::Disabled,
            ]
        } else if allowed(preferred) {
            return preferred;
        } else {
            [
                WebSearchMode::Cached,
                WebSearchMode::Live,
                WebSearchMode::Disabled,
            ]
        };
        fallbacks
            .into_iter()
            .find(|mode| allowed(*mode))
            .unwrap_or(WebSearchMode::Disabled)
    }
}

/// The mode the config asks for: the `web_search` key, else the deprecated switches.
fn configured_mode(config: &ConfigToml) -> Option<WebSearchMode> {
    if let Some(mode) = config.web_search {
        return Some(mode);
    }
    if config
        .features
        .get("web_search_cached")
        .copied()
        .unwrap_or(false)
    {
        return Some(WebSearchMode::Cached);
    }
    // `[tools] web_search` is read first and the `[features]` table overrides it; in that
    // table `web_search` is an alias that `web_search_request` (read after it) overrides.
    let requested = config
        .features
        .get("web_search_request")
        .or_else(|| config.features.get("web_search"))
        .copied()
        .or_else(|| config.tools.as_ref().and_then(|tools| tools.web_search))
        .unwrap_or(false);
    requested.then_some(WebSearchMode::Live)
}

/// The `webSearch` item of a `web_search_call` output item; `None` for other items. A call
/// that has not said what it does yet (as when it starts) reads as `other` with an empty query.
pub(crate) fn web_search_item(item: &ResponseItem, fallback_id: &str) -> Option<WebSearchItem> {
    let ResponseItem::WebSearchCall { id, action, .. } = item else {
        return None;
    };
    let id = id
        .clone()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| fallback_id.to_owned());
    let (action, query) = match action {
        Some(action) => (action.clone(), action_detail(action)),
        None => (WebSearchAction::Other, String::new()),
    };
    Some(WebSearchItem { id, query, action })
}

/// The one-line summary of what a search did, which becomes the item's `query`: the query
/// (the first of several, with ` ...`), the page opened, or `'pattern' in url`.
fn action_detail(action: &WebSearchAction) -> String {
    match action {
        WebSearchAction::Search { query, queries } => {
            match query.as_deref().filter(|query| !query.is_empty()) {
                Some(query) => query.to_owned(),
                None => {
                    let queries = queries.as_deref().unwrap_or_default();
                    let first = queries.first().cloned().unwrap_or_default();
                    if queries.len() > 1 && !first.is_empty() {
                        format!("{first} ...")
                    } else {
                        first
                    }
                }
            }
        }
        WebSearchAction::OpenPage { url } => url.clone().unwrap_or_default(),
        WebSearchAction::FindInPage { url, pattern } => match (pattern, url) {
            (Some(pattern), Some(url)) => format!("'{pattern}' in {url}"),
            (Some(pattern), None) => format!("'{pattern}'"),
            (None, Some(url)) => url.clone(),
            (None, None) => String::new(),
        },
        WebSearchAction::Other => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use codex_protocol::protocol::NetworkAccess;
    use pretty_assertions::assert_eq;

    use super::*;

    fn config(text: &str) -> ConfigToml {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_mode_key_wins_over_the_legacy_switches_and_cached_is_the_default() {
        for (text, expected) in [
            ("", None),
            ("web_search = 'live'", Some(WebSearchMode::Live)),
            (
                "web_search = 'disabled'\n[features]\nweb_search_request = true",
                Some(WebSearchMode::Disabled),
            ),
            (
                "[features]\nweb_search_request = true",
                Some(WebSearchMode::Live),
            ),
            ("[features]\nweb_search = true", Some(WebSearchMode::Live)),
            ("[tools]\nweb_search = true", Some(WebSearchMode::Live)),
            (
                "[tools]\nweb_search = true\n[features]\nweb_search_request = false",
                None,
            ),
            (
                "[features]\nweb_search_cached = true\nweb_search_request = true",
                Some(WebSearchMode::Cached),
            ),
            ("[tools]\nweb_search = false", None),
        ] {
            assert_eq!(configured_mode(&config(text)), expected, "{text}");
        }
    }

    #[test]
    fn a_turn_in_full_access_prefers_live_results_within_the_requirements() {
        let workspace = SandboxPolicy::WorkspaceWrite {
            writable_roots: None,
            read_only_access: None,
            network_access: false,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
        };
        let read_only = SandboxPolicy::ReadOnly { access: None };
        let external = SandboxPolicy::ExternalSandbox {
            network_access: NetworkAccess::Enabled,
        };
        let settings = |configured, allowed: Option<Vec<WebSearchMode>>| WebSearchSettings {
            configured,
            allowed,
        };
        use WebSearchMode::*;
        for (settings, sandbox, expected) in [
            (settings(None, None), &workspace, Cached),
            (settings(None, None), &read_only, Cached),
            (settings(None, None), &SandboxPolicy::DangerFullAccess, Live),
            (
                settings(Some(Cached), None),
                &SandboxPolicy::DangerFullAccess,
                Live,
            ),
            (
                settings(Some(Disabled), None),
                &SandboxPolicy::DangerFullAccess,
                Disabled,
            ),
            (settings(Some(Live), None), &workspace, Live),
            (settings(Some(Live), None), &external, Live),
            (
                settings(None, Some(vec![Cached, Disabled])),
                &SandboxPolicy::DangerFullAccess,
                Cached,
            ),
            (
                settings(Some(Live), Some(vec![Cached, Disabled])),
                &workspace,
                Cached,
            ),
            (
                settings(Some(Live), Some(vec![Disabled])),
                &workspace,
                Disabled,
            ),
        ] {
            assert_eq!(
                settings.mode_for_turn(sandbox),
                expected,
                "{settings:?} {sandbox:?}"
            );
        }
    }

    #[test]
    fn a_call_reads_as_an_item_with_the_reference_summary_as_its_query() {
        let call = |action: Option<WebSearchAction>| ResponseItem::WebSearchCall {
            id: Some("ws_1".to_owned()),
            status: Some("completed".to_owned()),
            action,
        };
        let search = |query: Option<&str>, queries: Option<Vec<&str>>| WebSearchAction::Search {
            query: query.map(str::to_owned),
            queries: queries.map(|queries| queries.into_iter().map(str::to_owned).collect()),
        };
        for (action, expected) in [
            (None, ""),
            (Some(search(Some("rust"), Some(vec!["a", "b"]))), "rust"),
            (Some(search(Some(""), Some(vec!["a", "b"]))), "a ..."),
            (Some(search(None, Some(vec!["a"]))), "a"),
            (
                Some(WebSearchAction::OpenPage {
                    url: Some("https://example.com".to_owned()),
                }),
                "https://example.com",
            ),
            (
                Some(WebSearchAction::FindInPage {
                    url: Some("https://example.com".to_owned()),
                    pattern: Some("foo".to_owned()),
                }),
                "'foo' in https://example.com",
            ),
            (
                Some(WebSearchAction::FindInPage {
                    url: None,
                    pattern: Some("foo".to_owned()),
                }),
                "'foo'",
            ),
        ] {
            let item = web_search_item(&call(action.clone()), "x").unwrap();
            assert_eq!(item.query, expected);
            assert_eq!(item.id, "ws_1");
            assert_eq!(item.action, action.unwrap_or(WebSearchAction::Other));
        }
        let without_id = ResponseItem::WebSearchCall {
            id: None,
            status: None,
            action: None,
        };
        assert_eq!(web_search_item(&without_id, "fresh").unwrap().id, "fresh");
    }
}
