// Runs not ended: the ones waiting for an approval first (what they want to do, answered
// here), then the ones running or queued, with live progress from their sessions' events
// (the step, tool calls, the tool running now, tokens) and what they cost so far (priced
// by the daemon). Each can be cancelled and opened in the chat.

import type { ApprovalDecision, RunView } from "../generated/protocol";
import type { I18n } from "../i18n";
import { routeHref } from "../lib/router";
import { formatCost, formatCount, formatSecs } from "./format";
import { NO_PROGRESS, type RunProgress } from "./progress";
import { StatusBadge } from "./StatusBadge";

/** An approval a run waits for, as the live stream or the daemon reported it. */
export interface WaitingApproval {
  callId: string;
  tool: string;
  summary: string;
}

/** What was asked of a run and not yet seen done: a cancel, or an answer to its approval. */
export type PendingWhat = "cancel" | "approve";
export type Pending = Map<string, PendingWhat>;

export interface ActiveRunsProps {
  runs: RunView[];
  progress: Record<string, RunProgress>;
  /** Approvals waiting in the runs' sessions, from the live stream. */
  approvals: Record<string, WaitingApproval>;
  i18n: I18n;
  /** Runs whose cancel or answer is on its way. */
  pending: Pending;
  onCancel: (run: RunView) => void;
  onApprove: (run: RunView, approval: WaitingApproval, decision: ApprovalDecision) => void;
  /** Unix milliseconds, ticking while something runs. */
  now: number;
}

function sessionOf(run: RunView): string {
  return run.session_id ?? run.id;
}

export function approvalOf(run: RunView, live: Record<string, WaitingApproval>): WaitingApproval | null {
  const fromLive = live[sessionOf(run)];
  if (fromLive) return fromLive;
  if (run.approval) return { callId: run.approval.call_id, tool: run.approval.tool, summary: run.approval.summary };
  return null;
}

function Progress({ run, progress, i18n, now }: { run: RunView; progress: RunProgress; i18n: I18n; now: number }) {
  const { t, locale } = i18n;
  // Tokens: the live events, or what the daemon counted when the page came in late.
  const input = Math.max(progress.inputTokens, run.spend?.input_tokens ?? 0);
  const output = Math.max(progress.outputTokens, run.spend?.output_tokens ?? 0);
  const parts: string[] = [];
  if (run.started_at != null) parts.push(t("runs.elapsed", { time: formatSecs(now / 1000 - run.started_at, i18n) }));
  if (progress.step > 0) parts.push(t("runs.step", { n: progress.step }));
  parts.push(t(progress.toolCalls === 1 ? "runs.toolCall" : "runs.toolCalls", { n: progress.toolCalls }));
  parts.push(t("runs.tokens", { input: formatCount(input, locale), output: formatCount(output, locale) }));
  parts.push(t("runs.costSoFar", { cost: formatCost(run.spend?.cost_usd) }));
  return (
    <p className="run-progress small" data-testid="run-progress" data-step={progress.step} data-tool-calls={progress.toolCalls}>
      {parts.map((p, i) => (
        // The space separates the parts for screen readers and copied text; the flex gap, on screen.
        <span key={i}>{p} </span>
      ))}
      {progress.tool && run.status === "running" && <span data-testid="run-tool">{t("runs.usingTool", { tool: progress.tool })}</span>}
    </p>
  );
}

function RunCard({
  run,
  props,
  approval,
}: {
  run: RunView;
  props: ActiveRunsProps;
  approval: WaitingApproval | null;
}) {
  const { i18n, pending, onCancel, onApprove, now } = props;
  const { t } = i18n;
  const cancelling = pending.get(run.id) === "cancel";
  const answering = pending.has(run.id);
  const progress = props.progress[sessionOf(run)] ?? NO_PROGRESS;
  const decide = (decision: ApprovalDecision) => approval && onApprove(run, approval, decision);
  return (
    <li className="run-card" data-testid="active-run" data-run-id={run.id} data-status={run.status} aria-busy={answering || undefined}>
      <div className="run-card-head">
        <h3 className="run-job">{run.job_name}</h3>
        <StatusBadge status={run.status} i18n={i18n} />
        <span className="spacer" />
        {run.status !== "queued" && (
          <a className="small" href={routeHref({ page: "chat", session: sessionOf(run) })} data-testid="run-open">
            {t("runs.open")}
          </a>
        )}
        <button type="button" className="btn btn-sm btn-danger-outline" data-testid="run-cancel" disabled={cancelling} onClick={() => onCancel(run)}>
          {t("runs.cancel")}
        </button>
      </div>
      {run.status === "queued" ? (
        <p className="small muted">{t("runs.queued")}</p>
      ) : (
        <Progress run={run} progress={progress} i18n={i18n} now={now} />
      )}
      {run.status === "waiting_approval" && (
        <div className="run-approval" data-testid="run-approval">
          {approval ? (
            <>
              <p>
                {t("runs.wantsTo", { tool: approval.tool })} <code data-testid="run-approval-summary">{approval.summary}</code>
              </p>
              <div className="approval-buttons" role="group" aria-label={t("runs.approvalFor", { name: run.job_name })}>
                <button type="button" className="btn btn-sm btn-primary" data-testid="run-approve-once" disabled={answering} onClick={() => decide("once")}>
                  {t("runs.allowOnce")}
                </button>
                <button type="button" className="btn btn-sm" data-testid="run-approve-session" disabled={answering} onClick={() => decide("session")}>
                  {t("runs.allowRun")}
                </button>
                <button type="button" className="btn btn-sm btn-danger" data-testid="run-approve-deny" disabled={answering} onClick={() => decide("deny")}>
                  {t("runs.deny")}
                </button>
              </div>
            </>
          ) : (
            <p className="small muted">{t("runs.waitingUnknown")}</p>
          )}
        </div>
      )}
    </li>
  );
}

export function ActiveRuns(props: ActiveRunsProps) {
  const { runs, approvals, i18n } = props;
  const { t } = i18n;
  const waiting = runs.filter((r) => r.status === "waiting_approval");
  const running = runs.filter((r) => r.status !== "waiting_approval");
  return (
    <>
      {waiting.length > 0 && (
        <section className="tasks-section" aria-labelledby="tasks-waiting-title" data-testid="runs-waiting">
          <h2 id="tasks-waiting-title">{t("runs.waitingTitle")}</h2>
          <ul className="card run-list">
            {waiting.map((run) => (
              <RunCard key={run.id} run={run} props={props} approval={approvalOf(run, approvals)} />
            ))}
          </ul>
        </section>
      )}
      <section className="tasks-section" aria-labelledby="tasks-running-title" data-testid="runs-running">
        <h2 id="tasks-running-title">{t("runs.runningTitle")}</h2>
        {running.length > 0 ? (
          <ul className="card run-list">
            {running.map((run) => (
              <RunCard key={run.id} run={run} props={props} approval={null} />
            ))}
          </ul>
        ) : (
          <p className="muted small" data-testid="runs-none">
            {t("runs.none")}
          </p>
        )}
      </section>
    </>
  );
}
