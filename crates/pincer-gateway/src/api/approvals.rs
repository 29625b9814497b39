//! Approval requests waiting for an answer, across sessions (answers go over the socket).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use pincer_core::protocol::{Event, Op, Reply, Submission};

use crate::error::ApiResult;
use crate::state::AppState;
use crate::wire::PendingApproval;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/approvals", get(pending))
}

async fn pending(State(state): State<Arc<AppState>>) -> ApiResult<Json<Vec<PendingApproval>>> {
    Ok(Json(waiting(&state)?))
}

/// Every approval waiting for an answer, oldest first in each session.
pub(crate) fn waiting(state: &AppState) -> ApiResult<Vec<PendingApproval>> {
    // The same query every surface draws itself from.
    let turns = match state.engine.submit(Submission::fresh(Op::Status))? {
        Reply::Status(status) => status.turns,
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for turn in &turns {
        for event in turn.pending_approvals() {
            if let Event::ApprovalRequested {
                call_id,
                tool,
                summary,
                pattern,
            } = event
            {
                out.push(PendingApproval {
                    session: turn.session.clone(),
                    call_id: call_id.clone(),
                    tool: tool.clone(),
                    summary: summary.clone(),
                    pattern: pattern.clone(),
                });
            }
        }
    }
    Ok(out)
}
