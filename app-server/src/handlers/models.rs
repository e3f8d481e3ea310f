//! `model/list`: the models built into the binary (`codex_model_client::presets`), paged.
//!
//! This is what the reference lists offline and for API-key accounts; the list a ChatGPT
//! account gets from the backend is not fetched.

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v2;
use codex_model_client::presets::builtin_presets;

use crate::paging;
use crate::paging::Page;
use crate::responder::RequestContext;
use crate::wire;

pub(crate) async fn list(context: RequestContext, params: v2::ModelListParams) {
    context.responder.respond(page(params)).await;
}

fn page(params: v2::ModelListParams) -> Result<v2::ModelListResponse, JSONRPCErrorError> {
    let presets = builtin_presets();
    let Page { range, next_cursor } = paging::page(
        presets.len(),
        params.cursor.as_deref(),
        params.limit,
        "models",
    )?;
    // The default is the first model of the whole list, whichever page shows it.
    let data = range
        .map(|index| wire::models::model(&presets[index], index == 0))
        .collect();
    Ok(v2::ModelListResponse { data, next_cursor })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn ids(cursor: Option<&str>, limit: Option<u32>) -> (Vec<(String, bool)>, Option<String>) {
        let response = page(v2::ModelListParams {
            cursor: cursor.map(str::to_owned),
            limit,
        })
        .unwrap();
        let ids = response
            .data
            .into_iter()
            .map(|model| (model.id, model.is_default))
            .collect();
        (ids, response.next_cursor)
    }

    fn entries(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter()
            .map(|(id, is_default)| ((*id).to_owned(), *is_default))
            .collect()
    }

    #[test]
    fn the_first_model_is_the_default_on_every_page() {
        assert_eq!(
            ids(None, None),
            (
                entries(&[
                    ("gpt-5.2-codex", true),
                    ("gpt-5.1-codex-max", false),
                    ("gpt-5.2", false),
                    ("gpt-5.1-codex-mini", false),
                ]),
                None
            )
        );
        assert_eq!(
            ids(Some("1"), Some(2)),
            (
                entries(&[("gpt-5.1-codex-max", false), ("gpt-5.2", false)]),
                Some("3".to_owned())
            )
        );
        assert_eq!(ids(Some("4"), None), (Vec::new(), None));
    }

    #[test]
    fn a_cursor_past_the_end_names_the_models() {
        let error = page(v2::ModelListParams {
            cursor: Some("5".to_owned()),
            limit: None,
        })
        .unwrap_err();
        assert_eq!(error.message, "cursor 5 exceeds total models 4");
    }
}
