//! One list from the directory and the connected apps: connected first, then by name and id,
//! with every app given an install link and the apps ChatGPT keeps to itself left out.

use std::collections::HashMap;

use crate::App;

/// Apps the reference never lists.
const WITHHELD_IDS: &[&str] = &[
    "asdk_app_6938a94a61d881918ef32cb999ff937c",
    "connector_2b0a9009c9c64bf9933a3dae3f2b1254",
    "connector_68de829bf7648191acd70a907364c67c",
];
const WITHHELD_PREFIX: &str = "connector_openai_";

/// The merge of what has been loaded so far; either list may still be missing (empty).
pub fn merge(directory: &[App], accessible: &[App]) -> Vec<App> {
    let mut by_id: HashMap<String, App> = directory
        .iter()
        .map(|app| {
            let mut app = app.clone();
            app.is_accessible = false;
            (app.id.clone(), app)
        })
        .collect();
    for connected in accessible {
        match by_id.get_mut(&connected.id) {
            Some(app) => {
                app.is_accessible = true;
                if app.name == app.id && connected.name != connected.id {
                    app.name = connected.name.clone();
                }
                fill(&mut app.description, &connected.description);
                fill(&mut app.logo_url, &connected.logo_url);
                fill(&mut app.logo_url_dark, &connected.logo_url_dark);
                fill(
                    &mut app.distribution_channel,
                    &connected.distribution_channel,
                );
            }
            None => {
                let mut app = connected.clone();
                app.is_accessible = true;
                by_id.insert(app.id.clone(), app);
            }
        }
    }
    let mut apps: Vec<App> = by_id
        .into_values()
        .filter(|app| !is_withheld(&app.id))
        .map(|mut app| {
            if app.install_url.is_none() {
                app.install_url = Some(install_url(&app.name, &app.id));
            }
            app
        })
        .collect();
    // Connected apps first; each group by name (stable, so by id within a name).
    sort_by_name(&mut apps);
    apps.sort_by_key(|app| !app.is_accessible);
    apps
}

/// By name, then id.
pub(crate) fn sort_by_name(apps: &mut [App]) {
    apps.sort_by(|left, right| left.name.cmp(&right.name).then(left.id.cmp(&right.id)));
}

fn fill(slot: &mut Option<String>, from: &Option<String>) {
    if slot.is_none() {
        slot.clone_from(from);
    }
}

fn is_withheld(id: &str) -> bool {
    id.starts_with(WITHHELD_PREFIX) || WITHHELD_IDS.contains(&id)
}

/// Where ChatGPT installs an app: `https://chatgpt.com/apps/<slug>/<id>`, the slug being the
/// name in lower-case ASCII letters and digits with `-` for anything else, or `app`.
pub fn install_url(name: &str, id: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = match slug.trim_matches('-') {
        "" => "app",
        slug => slug,
    };
    format!("https://chatgpt.com/apps/{slug}/{id}")
}

/// `value` trimmed, unless nothing is left.
pub(crate) fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn app(id: &str, name: &str) -> App {
        App::named(id.to_owned(), name.to_owned())
    }

    #[test]
    fn slugs_keep_letters_and_digits() {
        assert_eq!(
            install_url("Google Drive (2)", "c1"),
            "https://chatgpt.com/apps/google-drive--2/c1"
        );
        assert_eq!(install_url("--", "c2"), "https://chatgpt.com/apps/app/c2");
        assert_eq!(install_url("Été", "c3"), "https://chatgpt.com/apps/t/c3");
    }

    #[test]
    fn connected_apps_come_first_and_fill_the_directory_entry() {
        let mut listed = app("b", "b");
        listed.description = Some("from the directory".to_owned());
        let directory = vec![app("a", "Alpha"), listed, app("connector_openai_x", "X")];
        let mut connected = app("b", "Beta");
        connected.logo_url = Some("beta.png".to_owned());
        let accessible = vec![connected, app("c", "Gamma")];

        let merged = merge(&directory, &accessible);
        let order: Vec<(&str, &str, bool)> = merged
            .iter()
            .map(|app| (app.id.as_str(), app.name.as_str(), app.is_accessible))
            .collect();
        assert_eq!(
            order,
            vec![
                ("b", "Beta", true),
                ("c", "Gamma", true),
                ("a", "Alpha", false)
            ]
        );
        assert_eq!(merged[0].description.as_deref(), Some("from the directory"));
        assert_eq!(merged[0].logo_url.as_deref(), Some("beta.png"));
        assert_eq!(
            merged[2].install_url.as_deref(),
            Some("https://chatgpt.com/apps/alpha/a")
        );
    }
}
