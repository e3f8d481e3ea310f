//! `update_plan`: the model's task plan, passed on to the client as `PlanUpdate`.

use codex_protocol::plan_tool::UpdatePlanArgs;
use codex_protocol::protocol::EventMsg;

use crate::context::ToolContext;

/// Emits the plan; the model only hears that it was recorded.
pub(crate) async fn update_plan(context: &ToolContext, arguments: &str) -> (String, bool) {
    match serde_json::from_str::<UpdatePlanArgs>(arguments) {
        Ok(plan) => {
            context.emit(EventMsg::PlanUpdate(plan)).await;
            ("Plan updated".to_owned(), true)
        }
        Err(err) => (format!("failed to parse function arguments: {err}"), false),
    }
}
