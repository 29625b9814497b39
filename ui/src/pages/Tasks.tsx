// Tasks: Pincer's background jobs. What waits for an approval (answered here), what runs
// now (live progress, cancel), the jobs (their schedules in words, next runs; create,
// edit, pause, run now, delete) and the history of runs (searched, filtered, each opening
// its conversation). Changes go through the daemon's engine; the page refetches whenever
// a run changes state (`run_updated` on the socket).

import { useCallback, useEffect, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { AlertIcon, ClockIcon, PlusIcon, RefreshIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { ApprovalDecision, JobView, RunView } from "../generated/protocol";
import { type StringKey, useI18n } from "../i18n";
import { useLive } from "../state/LiveProvider";
import type { LiveState } from "../state/types";
import { ActiveRuns, type Pending, type PendingWhat, type WaitingApproval } from "../tasks/ActiveRuns";
import { JobEditor } from "../tasks/JobEditor";
import { JobList, type JobAction } from "../tasks/JobList";
import { isRunSession } from "../tasks/progress";
import { RunHistory } from "../tasks/RunHistory";
import { useTasks } from "../tasks/useTasks";

const ACTION_LABEL: Record<JobAction, StringKey> = {
  run: "jobs.runNow",
  pause: "jobs.pause",
  resume: "jobs.resume",
  delete: "jobs.delete",
};

/** Approvals waiting in background runs' sessions, as the live stream shows them. */
function liveApprovals(state: LiveState): Record<string, WaitingApproval> {
  const out: Record<string, WaitingApproval> = {};
  for (const [session, live] of Object.entries(state.sessions)) {
    if (!isRunSession(session)) continue;
    const turn = live.turns[live.turns.length - 1];
    if (!turn || turn.end) continue;
    for (const block of turn.blocks) {
      if (block.kind === "tool" && block.tool.status === "approval" && block.tool.approval) {
        out[session] = { callId: block.tool.callId, tool: block.tool.name, summary: block.tool.approval.summary };
      }
    }
  }
  return out;
}

function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function TasksPage() {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const { state, send } = useLive();
  const toast = useToast();
  const [changes, setChanges] = useState(0);
  const [editing, setEditing] = useState<JobView | "new" | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(() => new Map());

  // A run changed state, a run's request reported its usage (its cost so far), or we
  // changed something.
  const usage = Object.values(state.runProgress)
    .map((p) => p.requests)
    .join(",");
  const reloadKey = `${state.runsSeq}/${usage}/${changes}`;
  const { jobs, setJobs, active, error, refetch } = useTasks(reloadKey);
  const approvals = useMemo(() => liveApprovals(state), [state]);
  const now = useNow(active && active.length > 0 ? 1000 : 30_000);

  // An answer is done once the run no longer waits; a cancel, once the run has ended.
  useEffect(() => {
    if (!active) return;
    setPending((p) => {
      if (p.size === 0) return p;
      const next: Pending = new Map(
        [...p].filter(([id, what]) => {
          const run = active.find((r) => r.id === id);
          return what === "cancel" ? !!run : run?.status === "waiting_approval";
        }),
      );
      return next.size === p.size ? p : next;
    });
  }, [active]);

  const settle = useCallback(
    (id: string, what: PendingWhat) =>
      setPending((p) => {
        if (p.get(id) !== what) return p;
        const next = new Map(p);
        next.delete(id);
        return next;
      }),
    [],
  );

  const fail = useCallback(
    (what: string, err: unknown) =>
      toast(t("tasks.failed", { what, error: err instanceof Error ? err.message : String(err) }), {
        kind: "error",
        testId: "tasks-error-toast",
      }),
    [t, toast],
  );

  const onAction = async (view: JobView, action: JobAction) => {
    const { id, name } = view.job;
    setBusy(id);
    try {
      if (action === "run") {
        await api.runJobNow(id);
        toast(t("tasks.queued", { name }), { kind: "success", testId: "tasks-toast" });
      } else if (action === "delete") {
        await api.deleteJob(id);
        setJobs((list) => list?.filter((j) => j.job.id !== id) ?? list);
        if (editing !== null && editing !== "new" && editing.job.id === id) setEditing(null);
        toast(t("tasks.deleted", { name }), { kind: "success", testId: "tasks-toast" });
      } else {
        const updated = action === "pause" ? await api.pauseJob(id) : await api.resumeJob(id);
        setJobs((list) => list?.map((j) => (j.job.id === id ? updated : j)) ?? list);
        toast(t(action === "pause" ? "tasks.paused" : "tasks.resumed", { name }), { kind: "success", testId: "tasks-toast" });
      }
      setChanges((c) => c + 1);
    } catch (err) {
      fail(t(ACTION_LABEL[action]), err);
    } finally {
      setBusy(null);
    }
  };

  const onCancel = async (run: RunView) => {
    setPending((p) => new Map(p).set(run.id, "cancel"));
    try {
      await api.cancelRun(run.id);
      setChanges((c) => c + 1);
    } catch (err) {
      settle(run.id, "cancel");
      fail(t("runs.cancel"), err);
    }
  };

  const onApprove = (run: RunView, approval: WaitingApproval, decision: ApprovalDecision) => {
    setPending((p) => new Map(p).set(run.id, "approve"));
    send({ type: "approve", session: run.session_id ?? run.id, call_id: approval.callId, decision });
    // No answer back (the connection dropped): let the user answer again.
    setTimeout(() => settle(run.id, "approve"), 10_000);
  };

  const onSaved = (saved: JobView, created: boolean) => {
    setJobs((list) => {
      if (!list) return list;
      return created ? [...list, saved] : list.map((j) => (j.job.id === saved.job.id ? saved : j));
    });
    setEditing(null);
    toast(t(created ? "tasks.created" : "tasks.saved", { name: saved.job.name }), { kind: "success", testId: "tasks-toast" });
    setChanges((c) => c + 1);
  };

  return (
    <div className="page" lang={lang}>
      <div className="page-inner page-wide tasks-page" data-testid="tasks-page">
        <header className="tasks-head">
          <div className="page-head">
            <h1>{t("tasks.title")}</h1>
            {editing === null && (
              <button type="button" className="btn btn-primary" data-testid="job-new" onClick={() => setEditing("new")}>
                <PlusIcon size={16} /> {t("tasks.new")}
              </button>
            )}
          </div>
          <p className="muted tasks-intro">{t("tasks.intro")}</p>
        </header>

        {editing !== null && (
          <JobEditor
            key={editing === "new" ? "new" : editing.job.id}
            job={editing === "new" ? null : editing}
            i18n={i18n}
            onSaved={onSaved}
            onCancel={() => setEditing(null)}
          />
        )}

        {error && (
          <div className="notice notice-error" role="alert" data-testid="tasks-load-error">
            <AlertIcon size={16} />
            <span>{t("tasks.loadError", { error })}</span>
            <button type="button" className="btn btn-sm" onClick={refetch}>
              <RefreshIcon size={14} /> {t("tasks.retry")}
            </button>
          </div>
        )}

        {active && (
          <ActiveRuns
            runs={active}
            progress={state.runProgress}
            approvals={approvals}
            i18n={i18n}
            pending={pending}
            onCancel={(run) => void onCancel(run)}
            onApprove={onApprove}
            now={now}
          />
        )}

        <section className="tasks-section" aria-labelledby="tasks-jobs-title">
          <div className="tasks-section-head">
            <h2 id="tasks-jobs-title">{t("jobs.title")}</h2>
            {jobs && jobs.length > 0 && (
              <span className="muted small" data-testid="jobs-count">
                {t("jobs.count", { n: jobs.length })}
              </span>
            )}
          </div>
          {!jobs && !error && (
            <div className="page-loading">
              <Spinner size={20} label={t("tasks.loading")} />
            </div>
          )}
          {jobs && jobs.length === 0 && (
            <div className="empty-state" data-testid="jobs-empty">
              <ClockIcon size={30} />
              <h3>{t("jobs.emptyTitle")}</h3>
              <p>{t("jobs.empty")}</p>
              {editing === null && (
                <button type="button" className="btn btn-sm" onClick={() => setEditing("new")}>
                  {t("tasks.new")}
                </button>
              )}
            </div>
          )}
          {jobs && jobs.length > 0 && (
            <JobList
              jobs={jobs}
              i18n={i18n}
              busy={busy}
              now={now}
              onEdit={setEditing}
              onAction={(job, action) => void onAction(job, action)}
            />
          )}
        </section>

        <RunHistory i18n={i18n} reloadKey={state.runsSeq + changes} />
      </div>
    </div>
  );
}
