//! `app/list` entries.

use codex_app_server_protocol::v2;
use codex_apps::App;

pub(crate) fn app_info(app: App) -> v2::AppInfo {
    let App {
        id,
        name,
        description,
        logo_url,
        logo_url_dark,
        distribution_channel,
        install_url,
        is_accessible,
    } = app;
    v2::AppInfo {
        id,
        name,
        description,
        logo_url,
        logo_url_dark,
        distribution_channel,
        install_url,
        is_accessible,
    }
}
