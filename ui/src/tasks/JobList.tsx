// The jobs: each with its schedule in words (the engine's), its next run, whether it is
// paused or cannot run, its latest run, its next five runs, and Edit, Pause/Resume, Run
// now and Delete (asked first; its history stays).

import { useState } from "react";
import { ClockIcon, PencilIcon, TrashIcon } from "../components/Icons";
import type { JobView } from "../generated/protocol";
import type { I18n } from "../i18n";
import { formatRelative, formatWhen } from "./format";
import { StatusBadge } from "./StatusBadge";

export type JobAction = "pause" | "resume" | "run" | "delete";

export interface JobListProps {
  jobs: JobView[];
  i18n: I18n;
  /** The job an action is under way for. */
  busy: string | null;
  onEdit: (job: JobView) => void;
  onAction: (job: JobView, action: JobAction) => void;
  now?: number;
}

export function JobList({ jobs, i18n, busy, onEdit, onAction, now = Date.now() }: JobListProps) {
  const { t, locale } = i18n;
  const [confirming, setConfirming] = useState<string | null>(null);

  return (
    <ul className="card job-list" data-testid="job-list">
      {jobs.map((view) => {
        const { job } = view;
        const working = busy === job.id;
        const kind = optionsKind(job.options);
        // The heartbeat is kept in step with [heartbeat] of config.toml: paused, resumed
        // or run here, changed there.
        const heartbeat = kind === "heartbeat";
        return (
          <li
            key={job.id}
            className="job-item"
            data-testid="job-item"
            data-job-id={job.id}
            data-paused={job.paused || undefined}
            aria-busy={working || undefined}
          >
            <div className="job-main">
              <div className="job-title-row">
                <h3 className="job-name">{job.name}</h3>
                {job.paused && (
                  <span className="badge badge-warn" data-testid="job-paused">
                    {t("jobs.paused")}
                  </span>
                )}
                {kind === "reminder" && <span className="badge">{t("jobs.reminder")}</span>}
                {heartbeat && <span className="badge">{t("jobs.heartbeat")}</span>}
              </div>
              <p className="job-description" data-testid="job-description">
                {view.description}
              </p>
              {heartbeat && (
                <p className="small muted" data-testid="job-heartbeat-note">
                  {t("jobs.heartbeatNote")}
                </p>
              )}
              {view.problem && (
                <p className="job-problem" data-testid="job-problem">
                  {t("jobs.problem", { problem: view.problem })}
                </p>
              )}
              <p className="job-meta small muted">
                {view.next_run != null ? (
                  <span data-testid="job-next-run">
                    <ClockIcon size={13} />{" "}
                    {t("jobs.nextRun", {
                      when: formatWhen(view.next_run, locale),
                      relative: formatRelative(view.next_run, locale, now),
                    })}
                  </span>
                ) : (
                  <span data-testid="job-next-run">{t(job.paused ? "jobs.noNextPaused" : "jobs.noNext")}</span>
                )}
                {view.last_run && (
                  <span className="job-last">
                    {t("jobs.lastRun")} <StatusBadge status={view.last_run.status} i18n={i18n} />
                  </span>
                )}
              </p>
              {view.upcoming.length > 0 && (
                <details className="job-upcoming">
                  <summary>{t("jobs.upcoming", { n: view.upcoming.length })}</summary>
                  <ol data-testid="job-upcoming">
                    {view.upcoming.map((at) => (
                      <li key={at}>
                        <time dateTime={new Date(at * 1000).toISOString()}>{formatWhen(at, locale)}</time>
                      </li>
                    ))}
                  </ol>
                </details>
              )}
            </div>
            {confirming === job.id ? (
              <div className="job-confirm" role="group" aria-label={t("jobs.deleteConfirm", { name: job.name })}>
                <span className="small">{t("jobs.deleteConfirm", { name: job.name })}</span>
                <button
                  type="button"
                  className="btn btn-sm btn-danger"
                  data-testid="job-delete-confirm"
                  disabled={working}
                  onClick={() => {
                    setConfirming(null);
                    onAction(view, "delete");
                  }}
                >
                  {t("jobs.delete")}
                </button>
                <button type="button" className="btn btn-sm" autoFocus onClick={() => setConfirming(null)}>
                  {t("editor.cancel")}
                </button>
              </div>
            ) : (
              <div className="job-actions" role="group" aria-label={t("jobs.actionsFor", { name: job.name })}>
                <button
                  type="button"
                  className="btn btn-sm btn-primary"
                  data-testid="job-run"
                  disabled={working}
                  onClick={() => onAction(view, "run")}
                >
                  {t("jobs.runNow")}
                </button>
                <button
                  type="button"
                  className="btn btn-sm"
                  data-testid={job.paused ? "job-resume" : "job-pause"}
                  disabled={working}
                  onClick={() => onAction(view, job.paused ? "resume" : "pause")}
                >
                  {t(job.paused ? "jobs.resume" : "jobs.pause")}
                </button>
                {!heartbeat && (
                  <button type="button" className="btn btn-sm" data-testid="job-edit" disabled={working} onClick={() => onEdit(view)}>
                    <PencilIcon size={14} /> {t("jobs.edit")}
                  </button>
                )}
                {!heartbeat && (
                  <button
                    type="button"
                    className="icon-btn danger"
                    data-testid="job-delete"
                    aria-label={t("jobs.deleteNamed", { name: job.name })}
                    title={t("jobs.delete")}
                    disabled={working}
                    onClick={() => setConfirming(job.id)}
                  >
                    <TrashIcon size={16} />
                  </button>
                )}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function optionsKind(options: unknown): string | null {
  return options && typeof options === "object" && "kind" in options ? String((options as { kind: unknown }).kind) : null;
}
