//! `collaborationMode/list` (experimental): the Plan and Default presets, with the developer
//! instructions each gives the model (`codex_core::collaboration_modes`).

use codex_app_server_protocol::v2;

use crate::responder::RequestContext;

pub(crate) async fn list(context: RequestContext, _params: v2::CollaborationModeListParams) {
    let data = codex_core::collaboration_modes::presets();
    context
        .responder
        .respond(Ok(v2::CollaborationModeListResponse { data }))
        .await;
}
