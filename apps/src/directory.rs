//! The backend's directory of apps: every page of the public list, plus the workspace's own
//! apps for workspace plans, without the hidden ones.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use crate::App;
use crate::AppsError;
use crate::backend::Account;
use crate::backend::Backend;
use crate::merge::install_url;
use crate::merge::non_blank;
use crate::merge::sort_by_name;

/// Each directory request's limit, the reference's.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
struct Page {
    apps: Vec<Entry>,
    #[serde(default, alias = "nextToken")]
    next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Entry {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, alias = "logoUrl")]
    logo_url: Option<String>,
    #[serde(default, alias = "logoUrlDark")]
    logo_url_dark: Option<String>,
    #[serde(default, alias = "distributionChannel")]
    distribution_channel: Option<String>,
    #[serde(default)]
    visibility: Option<String>,
}

impl Entry {
    fn is_hidden(&self) -> bool {
        self.visibility.as_deref() == Some("HIDDEN")
    }

    /// Fills what this entry lacks from another listing of the same app.
    fn fill_from(&mut self, other: Entry) {
        if self.name.trim().is_empty() && !other.name.trim().is_empty() {
            self.name = other.name;
        }
        if non_blank(self.description.as_deref()).is_none()
            && non_blank(other.description.as_deref()).is_some()
        {
            self.description = other.description;
        }
        self.logo_url = self.logo_url.take().or(other.logo_url);
        self.logo_url_dark = self.logo_url_dark.take().or(other.logo_url_dark);
        self.distribution_channel = self
            .distribution_channel
            .take()
            .or(other.distribution_channel);
    }

    fn into_app(self) -> App {
        let install_url = install_url(&self.name, &self.id);
        let name = match self.name.trim() {
            "" => self.id.clone(),
            name => name.to_owned(),
        };
        App {
            description: non_blank(self.description.as_deref()),
            logo_url: self.logo_url,
            logo_url_dark: self.logo_url_dark,
            distribution_channel: self.distribution_channel,
            install_url: Some(install_url),
            is_accessible: false,
            id: self.id,
            name,
        }
    }
}

/// Every visible app of the directory, by name then id.
pub(crate) async fn load(backend: &Backend, account: &Account) -> Result<Vec<App>, AppsError> {
    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("tier", "categorized")];
        if let Some(token) = token.as_deref() {
            query.push(("token", token));
        }
        let page: Page = backend
            .get(
                account,
                "/connectors/directory/list",
                &query,
                REQUEST_TIMEOUT,
            )
            .await?;
        entries.extend(page.apps.into_iter().filter(|entry| !entry.is_hidden()));
        token = non_blank(page.next_token.as_deref());
        if token.is_none() {
            break;
        }
    }
    if account.workspace {
        // The workspace list is a bonus: the reference goes on without it when it fails.
        let workspace: Result<Page, AppsError> = backend
            .get(
                account,
                "/connectors/directory/list_workspace",
                &[],
                REQUEST_TIMEOUT,
            )
            .await;
        if let Ok(page) = workspace {
            entries.extend(page.apps.into_iter().filter(|entry| !entry.is_hidden()));
        }
    }
    Ok(combine(entries))
}

/// One app per id, by name then id.
fn combine(entries: Vec<Entry>) -> Vec<App> {
    let mut by_id: HashMap<String, Entry> = HashMap::new();
    for entry in entries {
        match by_id.get_mut(&entry.id) {
            Some(first) => first.fill_from(entry),
            None => {
                by_id.insert(entry.id.clone(), entry);
            }
        }
    }
    let mut apps: Vec<App> = by_id.into_values().map(Entry::into_app).collect();
    sort_by_name(&mut apps);
    apps
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn entries(value: serde_json::Value) -> Vec<Entry> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn one_app_per_id_filled_from_every_listing_and_sorted() {
        let apps = combine(entries(json!([
            {"id": "b", "name": "  ", "description": " "},
            {"id": "a", "name": "Zed", "logoUrl": "z.png"},
            {"id": "b", "name": "Beta", "description": "the beta", "distribution_channel": "x"},
        ])));
        let summary: Vec<(&str, &str, Option<&str>, Option<&str>)> = apps
            .iter()
            .map(|app| {
                (
                    app.id.as_str(),
                    app.name.as_str(),
                    app.description.as_deref(),
                    app.install_url.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "b",
                    "Beta",
                    Some("the beta"),
                    Some("https://chatgpt.com/apps/beta/b")
                ),
                ("a", "Zed", None, Some("https://chatgpt.com/apps/zed/a")),
            ]
        );
        assert_eq!(apps[0].distribution_channel.as_deref(), Some("x"));
        assert_eq!(apps[1].logo_url.as_deref(), Some("z.png"));
    }

    #[test]
    fn a_blank_name_shows_the_id() {
        let apps = combine(entries(json!([{"id": "only-id", "name": ""}])));
        assert_eq!(apps[0].name, "only-id");
        assert_eq!(
            apps[0].install_url.as_deref(),
            Some("https://chatgpt.com/apps/app/only-id")
        );
    }
}
