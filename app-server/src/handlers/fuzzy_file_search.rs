//! `fuzzyFileSearch`: the files under the given roots whose paths match a typed query, best
//! first, for a client's file picker.
//!
//! Each root is walked on the blocking pool with the `ignore` crate, which skips what
//! `.gitignore` and `.ignore` files exclude (even outside a git repository) but keeps hidden
//! files, as the reference does. Paths relative to their root are scored by
//! `codex_utils_fuzzy_match`. A search that names a `cancellationToken` cancels the earlier
//! search of the same connection with the same token, which then answers with no files.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;

use codex_app_server_protocol::FuzzyFileSearchParams;
use codex_app_server_protocol::FuzzyFileSearchResponse;
use codex_app_server_protocol::FuzzyFileSearchResult;
use codex_utils_fuzzy_match::Pattern;

use crate::error;
use crate::responder::RequestContext;

/// At most this many files are answered, over all roots.
const MAX_RESULTS: usize = 50;
/// A root's walk stops after this many files, so a search of a huge tree (or of `/`) ends.
const MAX_FILES_PER_ROOT: usize = 200_000;

pub(super) async fn search(context: RequestContext, params: FuzzyFileSearchParams) {
    let FuzzyFileSearchParams {
        query,
        roots,
        cancellation_token,
    } = params;
    if let Some(root) = roots.iter().find(|root| !Path::new(root).is_absolute()) {
        return context
            .responder
            .fail(error::invalid_params(format!(
                "roots must be absolute paths, got {root:?}"
            )))
            .await;
    }

    let cancelled = match &cancellation_token {
        Some(token) => context.connection.start_search(token),
        None => Arc::new(AtomicBool::new(false)),
    };

    let connection = Arc::clone(&context.connection);
    let responder = context.responder;
    tokio::spawn(async move {
        let flag = Arc::clone(&cancelled);
        let files = if query.is_empty() {
            Vec::new()
        } else {
            tokio::task::spawn_blocking(move || search_roots(&query, &roots, &flag))
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!("fuzzy file search failed: {err}");
                    Vec::new()
                })
        };
        if let Some(token) = &cancellation_token {
            connection.end_search(token, &cancelled);
        }
        let files = if cancelled.load(Ordering::Relaxed) {
            Vec::new()
        } else {
            files
        };
        responder
            .respond(Ok(FuzzyFileSearchResponse { files }))
            .await;
    });
}

/// The best matches under all roots: highest score first, then by path; a root that does not
/// exist or is not a folder has no files.
fn search_roots(
    query: &str,
    roots: &[String],
    cancelled: &AtomicBool,
) -> Vec<FuzzyFileSearchResult> {
    let pattern = Pattern::parse(query);
    let mut found = Vec::new();
    for root in roots {
        search_root(&pattern, root, cancelled, &mut found);
        // Keep only what can still make the cut, so memory stays bounded on big trees.
        if found.len() > MAX_RESULTS {
            sort_results(&mut found);
            found.truncate(MAX_RESULTS);
        }
    }
    sort_results(&mut found);
    found.truncate(MAX_RESULTS);
    found
}

fn search_root(
    pattern: &Pattern,
    root: &str,
    cancelled: &AtomicBool,
    found: &mut Vec<FuzzyFileSearchResult>,
) {
    let root_path = Path::new(root);
    if !root_path.is_dir() {
        return;
    }
    let walk = ignore::WalkBuilder::new(root_path)
        .hidden(false)
        .require_git(false)
        .follow_links(true)
        .build();
    let mut seen = 0;
    for entry in walk {
        if cancelled.load(Ordering::Relaxed) || seen >= MAX_FILES_PER_ROOT {
            return;
        }
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        seen += 1;
        let Ok(relative) = entry.path().strip_prefix(root_path) else {
            continue;
        };
        let path = relative.to_string_lossy().into_owned();
        let Some(found_match) = pattern.match_path(&path) else {
            continue;
        };
        let file_name = relative
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.clone());
        found.push(FuzzyFileSearchResult {
            root: root.to_string(),
            path,
            file_name,
            score: found_match.score,
            indices: Some(found_match.indices),
        });
        if found.len() >= MAX_RESULTS * 4 {
            sort_results(found);
            found.truncate(MAX_RESULTS);
        }
    }
}

fn sort_results(results: &mut [FuzzyFileSearchResult]) {
    results.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.root.cmp(&b.root))
    });
}
