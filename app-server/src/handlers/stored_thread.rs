//! The thread methods that work on stored threads: `thread/list`, `thread/read`,
//! `thread/archive`, `thread/unarchive`, `thread/name/set` and `thread/loaded/list`.
//!
//! Everything here goes through the `RolloutStore` on the blocking pool, after the loaded
//! threads have written what they recorded; the rollouts are the truth, and a thread's turns
//! are rebuilt from its rollout when asked for. Only ephemeral threads, which have none, are
//! read from memory.

use std::ops::ControlFlow;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::SystemTime;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_protocol::ThreadId;
use codex_rollout::Page;
use codex_rollout::RolloutError;
use codex_rollout::RolloutStore;
use codex_rollout::SessionMeta;

use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;
use crate::wire;
use crate::wire::history;
use crate::wire::thread::MAX_LIST_LIMIT;
use crate::wire::thread::parse_thread_id;
use crate::wire::thread::store_error;

/// The folder of archived rollouts in `$CODEX_HOME`.
const ARCHIVED_DIR: &str = "archived_sessions";

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &ServerState,
    work: impl FnOnce(&RolloutStore) -> Result<T, JSONRPCErrorError> + Send + 'static,
) -> Result<T, JSONRPCErrorError> {
    let store = state.threads.store().await?;
    state.threads.flush_loaded().await;
    tokio::task::spawn_blocking(move || work(&store))
        .await
        .map_err(|err| error::internal_error(format!("thread store task failed: {err}")))?
}

/// The provider of new threads, which `thread/list` lists by default. Loading the config costs
/// more than a page from the index, so the answer is kept while the files it comes from are
/// unchanged: a page then costs a `stat` of each.
async fn default_model_provider(state: &ServerState) -> String {
    let cache = &state.config.default_provider;
    let paths = state.config.service.paths();
    let files = [
        paths.system_config(),
        paths.user_config(),
        paths.managed_config(),
        paths.requirements(),
    ];
    // Stat'ed before the load: a file changed during the load is loaded again next time.
    let stamps: Vec<Option<FileStamp>> = files
        .iter()
        .map(|file| FileStamp::of(file.as_path()))
        .collect();
    if let Some((kept_stamps, provider)) = &*codex_utils_lock::lock(&cache.kept)
        && *kept_stamps == stamps
    {
        return provider.clone();
    }
    let service = Arc::clone(&state.config.service);
    let resolved = tokio::task::spawn_blocking(move || service.load(None).resolve()).await;
    let provider = match resolved {
        Ok(Ok(resolved)) => resolved.config.model_provider,
        _ => None,
    }
    .unwrap_or_else(|| wire::thread::DEFAULT_MODEL_PROVIDER.to_owned());
    *codex_utils_lock::lock(&cache.kept) = Some((stamps, provider.clone()));
    provider
}

/// The default provider of `thread/list` as last loaded, with the config files it came from.
#[derive(Debug, Default)]
pub(crate) struct DefaultProviderCache {
    kept: Mutex<Option<(Vec<Option<FileStamp>>, String)>>,
}

/// What tells that a file changed: its size, mtime and inode (a replaced file is a new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileStamp {
    /// `None` for a file that does not exist (or cannot be stat'ed).
    fn of(path: &Path) -> Option<FileStamp> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            inode,
        })
    }
}

pub(crate) async fn list(context: RequestContext, params: v2::ThreadListParams) {
    let result = list_page(&context.state, params)
        .await
        .map(|(page, fallback_provider)| v2::ThreadListResponse {
            data: page
                .items
                .iter()
                .map(|summary| wire::thread::thread_from_summary(summary, &fallback_provider))
                .collect(),
            next_cursor: page.next_cursor,
        });
    context.responder.respond(result).await;
}

/// A page of stored threads as `thread/list` (and v1 `listConversations`) asks for it, with
/// the provider of the threads that name none.
pub(crate) async fn list_page(
    state: &ServerState,
    params: v2::ThreadListParams,
) -> Result<(Page, String), JSONRPCErrorError> {
    let fallback_provider = default_model_provider(state).await;
    let query = wire::thread::list_query(params, &fallback_provider);
    let page = blocking(state, move |store| store.list(&query).map_err(store_error)).await?;
    Ok((page, fallback_provider))
}

/// A stored thread as the wire shows it, with its turns if asked for, and its `session_meta`.
/// `active_turn`: the turn the thread runs now, if it is loaded and busy. The rollout is read a
/// line at a time: a long thread's file is never held whole, only the turns built from it.
pub(crate) fn scan_thread(
    path: &Path,
    include_turns: bool,
    active_turn: Option<&str>,
) -> Result<(SessionMeta, v2::Thread), RolloutError> {
    let mut preview = None;
    let mut builder = include_turns.then(history::HistoryBuilder::default);
    // Turns and the preview come from events: the model's items and the other events are
    // skipped unparsed. Without turns, the first user message (the preview) ends the read.
    let wanted_event: fn(&[u8]) -> bool = if include_turns {
        history::is_turn_event
    } else {
        |kind: &[u8]| kind == b"user_message"
    };
    let scanned = codex_rollout::scan_rollout_events_of(path, wanted_event, |line| {
        if preview.is_none() {
            preview = wire::thread::preview_of(&line.item);
        }
        match &mut builder {
            Some(builder) => builder.item(&line.item),
            None if preview.is_some() => return ControlFlow::Break(()),
            None => {}
        }
        ControlFlow::Continue(())
    })?;
    let turns = builder
        .map(|builder| builder.into_turns(active_turn))
        .unwrap_or_default();
    let thread =
        wire::thread::stored_thread(&scanned.meta, path, preview.unwrap_or_default(), turns);
    Ok((scanned.meta, thread))
}

pub(crate) fn is_archived(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|name| name == ARCHIVED_DIR)
}

/// The rollout of a stored thread, or `missing` when there is none.
pub(crate) fn find(
    store: &RolloutStore,
    id: ThreadId,
    missing: fn(ThreadId) -> JSONRPCErrorError,
) -> Result<PathBuf, JSONRPCErrorError> {
    match store.find(id) {
        Ok(path) => Ok(path),
        Err(RolloutError::ThreadNotFound(_)) => Err(missing(id)),
        Err(err) => Err(store_error(err)),
    }
}

fn read_at(
    store: &RolloutStore,
    id: ThreadId,
    path: &Path,
    include_turns: bool,
    active_turn: Option<&str>,
) -> Result<v2::Thread, JSONRPCErrorError> {
    match scan_thread(path, include_turns, active_turn) {
        Ok((_, thread)) => Ok(thread),
        Err(RolloutError::FileNotFound(_)) => {
            // Moved since the index saw it; look again once.
            let path = find(store, id, error::thread_not_loaded)?;
            scan_thread(&path, include_turns, active_turn)
                .map(|(_, thread)| thread)
                .map_err(store_error)
        }
        Err(err) => Err(store_error(err)),
    }
}

pub(crate) async fn read(context: RequestContext, params: v2::ThreadReadParams) {
    let id = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let include_turns = params.include_turns;
    // An ephemeral thread has no rollout: while it runs, it is read from memory.
    if let Some(thread) = super::loaded_thread::ephemeral(&context.state, id) {
        let thread = wire::thread::loaded_thread(&thread, include_turns);
        return context
            .responder
            .respond(Ok(v2::ThreadReadResponse { thread }))
            .await;
    }
    // A thread loaded here may be mid-turn; any other unfinished turn was cut off.
    let active_turn = context
        .state
        .threads
        .running()
        .and_then(|manager| manager.get(id).ok())
        .and_then(|thread| thread.active_turn_id());
    let result = blocking(&context.state, move |store| {
        let path = find(store, id, error::thread_not_loaded)?;
        read_at(store, id, &path, include_turns, active_turn.as_deref())
    })
    .await
    .map(|thread| v2::ThreadReadResponse { thread });
    context.responder.respond(result).await;
}

pub(crate) async fn archive(context: RequestContext, params: v2::ThreadArchiveParams) {
    let id = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let result = blocking(&context.state, move |store| {
        let path = find(store, id, error::no_rollout)?;
        if is_archived(&path) {
            return Err(error::no_rollout(id));
        }
        store.archive(id).map_err(store_error)?;
        Ok(v2::ThreadArchiveResponse {})
    })
    .await;
    context.responder.respond(result).await;
}

pub(crate) async fn unarchive(context: RequestContext, params: v2::ThreadUnarchiveParams) {
    let id = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let result = blocking(&context.state, move |store| {
        let path = find(store, id, error::no_archived_rollout)?;
        if !is_archived(&path) {
            return Err(error::no_archived_rollout(id));
        }
        let path = store.unarchive(id).map_err(store_error)?;
        read_at(store, id, &path, false, None)
    })
    .await
    .map(|thread| v2::ThreadUnarchiveResponse { thread });
    context.responder.respond(result).await;
}

pub(crate) async fn set_name(context: RequestContext, params: v2::ThreadSetNameParams) {
    let id = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let name = params.name.trim().to_owned();
    if name.is_empty() {
        return context
            .responder
            .fail(error::invalid_request("thread name must not be empty"))
            .await;
    }
    let written = name.clone();
    let result = blocking(&context.state, move |store| {
        find(store, id, error::thread_not_found)?;
        store.set_thread_name(id, &written).map_err(store_error)
    })
    .await;
    let result = result.map(|()| v2::ThreadSetNameResponse {});
    super::answer_then_announce(context, result, |state| {
        // Names show in every client's lists, so every client hears of the change.
        state
            .registry
            .notify_all(&ServerNotification::ThreadNameUpdated(
                v2::ThreadNameUpdatedNotification {
                    thread_id: id.to_string(),
                    thread_name: Some(name),
                },
            ));
    })
    .await;
}

pub(crate) async fn loaded_list(context: RequestContext, params: v2::ThreadLoadedListParams) {
    let ids: Vec<String> = context
        .state
        .threads
        .loaded_ids()
        .iter()
        .map(ToString::to_string)
        .collect();
    context.responder.respond(page_of_ids(ids, params)).await;
}

/// One page of loaded thread ids. The cursor is the last id of the previous page.
fn page_of_ids(
    mut ids: Vec<String>,
    params: v2::ThreadLoadedListParams,
) -> Result<v2::ThreadLoadedListResponse, JSONRPCErrorError> {
    ids.sort();
    let start = match &params.cursor {
        None => 0,
        Some(cursor) => ids.partition_point(|id| id <= cursor),
    };
    let limit = params
        .limit
        .map_or(MAX_LIST_LIMIT, |limit| limit as usize)
        .clamp(1, MAX_LIST_LIMIT);
    let page: Vec<String> = ids.iter().skip(start).take(limit).cloned().collect();
    let next_cursor = if start + page.len() < ids.len() {
        page.last().cloned()
    } else {
        None
    };
    Ok(v2::ThreadLoadedListResponse {
        data: page,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[tokio::test]
    async fn the_default_provider_follows_the_user_s_config_file() {
        let root = tempfile::tempdir().unwrap();
        let state = ServerState::new(root.path());
        let config = root.path().join("home").join("config.toml");
        assert_eq!(
            default_model_provider(&state).await,
            wire::thread::DEFAULT_MODEL_PROVIDER
        );
        std::fs::write(&config, "model_provider = \"first\"\n").unwrap();
        assert_eq!(default_model_provider(&state).await, "first");
        assert_eq!(default_model_provider(&state).await, "first");
        // Replaced by a file of the same size: a new inode.
        let next = root.path().join("home").join("config.toml.new");
        std::fs::write(&next, "model_provider = \"other\"\n").unwrap();
        std::fs::rename(&next, &config).unwrap();
        assert_eq!(default_model_provider(&state).await, "other");
        std::fs::remove_file(&config).unwrap();
        assert_eq!(
            default_model_provider(&state).await,
            wire::thread::DEFAULT_MODEL_PROVIDER
        );
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("id-{i}")).collect()
    }

    #[test]
    fn loaded_ids_page_by_cursor() {
        let first = page_of_ids(
            ids(3),
            v2::ThreadLoadedListParams {
                cursor: None,
                limit: Some(2),
            },
        )
        .unwrap();
        assert_eq!(first.data, ["id-0", "id-1"]);
        assert_eq!(first.next_cursor.as_deref(), Some("id-1"));
        let second = page_of_ids(
            ids(3),
            v2::ThreadLoadedListParams {
                cursor: first.next_cursor,
                limit: Some(2),
            },
        )
        .unwrap();
        assert_eq!(second.data, ["id-2"]);
        assert_eq!(second.next_cursor, None);
    }
}
