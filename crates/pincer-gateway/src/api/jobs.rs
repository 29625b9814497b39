//! The Tasks page's API: background jobs and their run ledger. Reads come from the store
//! (as `pincer tasks list` reads them); every change is submitted to the engine as
//! [`Op::Job`], which checks it and wakes the scheduler, so nothing goes around it. A
//! refusal is the engine's own words (a schedule that cannot run says what to write).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::wire::{
    JobChange, JobView, NewJobRequest, PendingApproval, RunSpend, RunView, SchedulePreview,
    SchedulePreviewRequest,
};
use pincer_core::protocol::{JobOp, Op, Reply, Submission};
use pincer_core::scheduler::JobInfo;
use pincer_core::scheduler::spend::session_spend;
use pincer_core::store::{Run, RunStatus};

/// The most runs one request lists.
const MAX_RUNS: usize = 500;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/jobs", get(list).post(create))
        .route("/api/jobs/{id}", get(show).patch(update).delete(delete))
        .route("/api/jobs/{id}/pause", post(pause))
        .route("/api/jobs/{id}/resume", post(resume))
        .route("/api/jobs/{id}/run", post(run_now))
        .route("/api/runs", get(runs))
        .route("/api/runs/{id}", get(run))
        .route("/api/runs/{id}/cancel", post(cancel))
        .route("/api/schedule-preview", post(preview))
}

/// Submits `op` to the engine off the async workers (it writes to the store).
async fn submit(state: &AppState, op: Op) -> ApiResult<Reply> {
    let engine = state.engine.clone();
    super::blocking("the job change", move || {
        engine.submit(Submission::fresh(op))
    })
    .await?
    .map_err(ApiError::from)
}

fn job_view(state: &AppState, info: JobInfo) -> ApiResult<JobView> {
    let last_run = state
        .engine
        .store()
        .runs(Some(&info.job.id), 1)?
        .into_iter()
        .next();
    Ok(JobView { info, last_run })
}

/// The job a change answered with, as the page lists it.
fn changed_job(state: &AppState, reply: Reply) -> ApiResult<Json<JobView>> {
    match reply {
        Reply::Job { job } => Ok(Json(job_view(state, *job)?)),
        other => Err(ApiError::internal(format!(
            "the engine answered a job change with {other:?}"
        ))),
    }
}

fn now(state: &AppState) -> i64 {
    state.engine.wall_clock().unix_now()
}

async fn list(State(state): State<Arc<AppState>>) -> ApiResult<Json<Vec<JobView>>> {
    let now = now(&state);
    let jobs = state.engine.store().jobs()?;
    let views = jobs
        .into_iter()
        .map(|job| job_view(&state, JobInfo::of(job, now)))
        .collect::<ApiResult<_>>()?;
    Ok(Json(views))
}

fn no_job(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no job {id:?}"))
}

async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    let job = state.engine.store().job(&id)?.ok_or_else(|| no_job(&id))?;
    Ok(Json(job_view(&state, JobInfo::of(job, now(&state)))?))
}

async fn create(
    State(state): State<Arc<AppState>>,
    Json(body): Json<NewJobRequest>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let change = JobOp::Create {
        name: body.name,
        prompt: body.prompt,
        schedule: body.schedule,
        options: body.options,
    };
    let reply = submit(&state, Op::Job { change }).await?;
    Ok((StatusCode::CREATED, changed_job(&state, reply)?))
}

async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Json(body): Json<JobChange>,
) -> ApiResult<Json<JobView>> {
    let change = JobOp::Update {
        id,
        name: body.name,
        prompt: body.prompt,
        schedule: body.schedule,
        options: body.options,
    };
    let reply = submit(&state, Op::Job { change }).await?;
    changed_job(&state, reply)
}

async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    submit(
        &state,
        Op::Job {
            change: JobOp::Delete { id },
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn pause(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    let reply = submit(
        &state,
        Op::Job {
            change: JobOp::Pause { id },
        },
    )
    .await?;
    changed_job(&state, reply)
}

async fn resume(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    let reply = submit(
        &state,
        Op::Job {
            change: JobOp::Resume { id },
        },
    )
    .await?;
    changed_job(&state, reply)
}

async fn run_now(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    match submit(
        &state,
        Op::Job {
            change: JobOp::RunNow { id },
        },
    )
    .await?
    {
        Reply::RunQueued { run } => Ok((StatusCode::CREATED, Json(*run))),
        other => Err(ApiError::internal(format!(
            "the engine answered \"run now\" with {other:?}"
        ))),
    }
}

#[derive(Deserialize)]
struct RunsQuery {
    /// One job's runs; absent or empty: every job's.
    job: Option<String>,
    /// Statuses, comma-separated (`running,waiting_approval`); absent or empty: any.
    #[serde(default)]
    status: String,
    /// Words of the output, the reason or the job's name.
    #[serde(default)]
    q: String,
    limit: Option<usize>,
}

fn statuses(text: &str) -> ApiResult<Vec<RunStatus>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
                ApiError::bad_request(format!(
                    "status {s:?}: use queued, running, waiting_approval, succeeded, failed, \
                     timed_out, cancelled, skipped, missed or lost"
                ))
            })
        })
        .collect()
}

/// The first approval waiting in each session, from the engine's running turns.
fn pending_approvals(state: &AppState) -> ApiResult<HashMap<String, PendingApproval>> {
    let mut out = HashMap::new();
    for approval in super::approvals::waiting(state)? {
        out.entry(approval.session.clone()).or_insert(approval);
    }
    Ok(out)
}

/// `runs` with what the unended ones spent so far and the approvals they wait for.
fn run_views(state: &AppState, runs: Vec<(Run, String)>) -> ApiResult<Vec<RunView>> {
    let pricing = state.engine.settings().pricing;
    let approvals = if runs
        .iter()
        .any(|(r, _)| r.status == RunStatus::WaitingApproval)
    {
        pending_approvals(state)?
    } else {
        HashMap::new()
    };
    let store = state.engine.store();
    runs.into_iter()
        .map(|(run, job_name)| {
            let session = run.session_id.as_deref();
            let spend = match session {
                Some(session) if !run.status.is_final() => {
                    let spend = session_spend(store, session, &pricing)?;
                    Some(RunSpend {
                        requests: spend.totals.requests,
                        input_tokens: spend.totals.input_tokens,
                        output_tokens: spend.totals.output_tokens,
                        cost_usd: spend.priced.then_some(spend.cost_usd),
                    })
                }
                _ => None,
            };
            let approval = match session {
                Some(session) if run.status == RunStatus::WaitingApproval => {
                    approvals.get(session).cloned()
                }
                _ => None,
            };
            Ok(RunView {
                run,
                job_name,
                spend,
                approval,
            })
        })
        .collect()
}

async fn runs(
    State(state): State<Arc<AppState>>,
    Query(query): Query<RunsQuery>,
) -> ApiResult<Json<Vec<RunView>>> {
    let statuses = statuses(&query.status)?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_RUNS);
    let job = query.job.as_deref().filter(|j| !j.is_empty());
    let found = state
        .engine
        .store()
        .search_runs(job, &statuses, &query.q, limit)?;
    Ok(Json(run_views(&state, found)?))
}

async fn run(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    let store = state.engine.store();
    let run = store
        .run(&id)?
        .ok_or_else(|| ApiError::not_found(format!("there is no run {id:?}")))?;
    let job_name = match store.job(&run.job_id)? {
        Some(job) => job.name,
        // Deleted: the ledger still names it.
        None => store
            .search_runs(Some(&run.job_id), &[], "", MAX_RUNS)?
            .into_iter()
            .find(|(r, _)| r.id == run.id)
            .map_or_else(|| run.job_id.clone(), |(_, name)| name),
    };
    let mut views = run_views(&state, vec![(run, job_name)])?;
    views
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::internal("the run vanished"))
}

async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    submit(
        &state,
        Op::Job {
            change: JobOp::CancelRun { run: id },
        },
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

async fn preview(
    State(state): State<Arc<AppState>>,
    Json(body): Json<SchedulePreviewRequest>,
) -> ApiResult<Json<SchedulePreview>> {
    match state.engine.submit(Submission::fresh(Op::SchedulePreview {
        schedule: body.schedule,
    }))? {
        Reply::SchedulePreview {
            description,
            upcoming,
        } => Ok(Json(SchedulePreview {
            description,
            upcoming,
        })),
        other => Err(ApiError::internal(format!(
            "the engine answered a schedule preview with {other:?}"
        ))),
    }
}
