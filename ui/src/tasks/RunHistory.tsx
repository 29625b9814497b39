// The history of ended runs, newest first: status, when it started, how long it took,
// tokens, cost, and the output or why it ended so; each opens its session in the chat.
// Searched (words of the output, the reason or the job's name; debounced) and filtered by
// status on the daemon; refetched whenever a run changes state.

import { useEffect, useId, useState } from "react";
import { api } from "../api/endpoints";
import { AlertIcon, SearchIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { RunStatus, RunView } from "../generated/protocol";
import type { I18n } from "../i18n";
import { routeHref } from "../lib/router";
import { excerpt, formatCost, formatCount, formatSecs, formatShort } from "./format";
import { STATUS_LABEL, StatusBadge } from "./StatusBadge";

export const ENDED: RunStatus[] = ["succeeded", "failed", "timed_out", "cancelled", "skipped", "missed", "lost"];
export const HISTORY_DEBOUNCE_MS = 250;
const HISTORY_LIMIT = 200;

export interface RunHistoryProps {
  i18n: I18n;
  /** Changes whenever a run changed state: refetch. */
  reloadKey: number;
  debounceMs?: number;
}

export function RunHistory({ i18n, reloadKey, debounceMs = HISTORY_DEBOUNCE_MS }: RunHistoryProps) {
  const { t, locale } = i18n;
  const id = useId();
  const [query, setQuery] = useState("");
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<RunStatus | "">("");
  const [runs, setRuns] = useState<RunView[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const trimmed = query.trim();
    const timer = setTimeout(() => setQ(trimmed), trimmed ? debounceMs : 0);
    return () => clearTimeout(timer);
  }, [query, debounceMs]);

  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    api
      .runs({ status: status ? [status] : ENDED, q, limit: HISTORY_LIMIT }, ctrl.signal)
      .then((list) => {
        setRuns(list);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!ctrl.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setLoading(false);
      });
    return () => ctrl.abort();
  }, [q, status, reloadKey]);

  const filtered = q !== "" || status !== "";

  return (
    <section className="tasks-section" aria-labelledby={`${id}-title`} data-testid="run-history">
      <div className="tasks-section-head">
        <h2 id={`${id}-title`}>{t("history.title")}</h2>
        {runs && (
          <span className="muted small" data-testid="history-count">
            {t("history.count", { n: runs.length })}
          </span>
        )}
      </div>
      <div className="history-toolbar" role="search" aria-label={t("history.title")}>
        <div className="search history-search">
          <SearchIcon size={15} className="search-icon" />
          <label htmlFor={`${id}-q`} className="visually-hidden">
            {t("history.search")}
          </label>
          <input
            id={`${id}-q`}
            type="search"
            className="search-input"
            data-testid="history-search"
            placeholder={t("history.search")}
            value={query}
            autoComplete="off"
            onChange={(e) => setQuery(e.target.value)}
          />
          {loading && runs && (
            <span className="history-busy">
              <Spinner size={14} label={t("history.searching")} />
            </span>
          )}
        </div>
        <label className="tasks-filter" htmlFor={`${id}-status`}>
          <span>{t("history.status")}</span>
          <select id={`${id}-status`} data-testid="history-status" value={status} onChange={(e) => setStatus(e.target.value as RunStatus | "")}>
            <option value="">{t("history.anyStatus")}</option>
            {ENDED.map((s) => (
              <option key={s} value={s}>
                {t(STATUS_LABEL[s])}
              </option>
            ))}
          </select>
        </label>
      </div>

      {error && (
        <div className="notice notice-error" role="alert" data-testid="history-error">
          <AlertIcon size={16} />
          <span>{t("history.error", { error })}</span>
        </div>
      )}
      {!runs && !error && (
        <div className="page-loading">
          <Spinner size={18} label={t("history.loading")} />
        </div>
      )}
      {runs && runs.length === 0 && (
        <p className="muted small" data-testid="history-empty">
          {filtered ? t("history.noMatch") : t("history.empty")}
        </p>
      )}
      {runs && runs.length > 0 && (
        <div className="table-wrap card">
          <table className="history-table" data-testid="history-table" aria-busy={loading || undefined}>
            <thead>
              <tr>
                <th scope="col">{t("history.colStatus")}</th>
                <th scope="col">{t("history.colTask")}</th>
                <th scope="col">{t("history.colStarted")}</th>
                <th scope="col">{t("history.colDuration")}</th>
                <th scope="col" className="num">
                  {t("history.colTokens")}
                </th>
                <th scope="col" className="num">
                  {t("history.colCost")}
                </th>
                <th scope="col">{t("history.colResult")}</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => {
                const started = run.started_at ?? run.scheduled_for ?? run.queued_at;
                const duration = run.started_at != null && run.ended_at != null ? run.ended_at - run.started_at : null;
                const result = run.status === "succeeded" ? run.output : (run.reason ?? run.output);
                return (
                  <tr key={run.id} data-testid="history-row" data-run-id={run.id} data-status={run.status}>
                    <td>
                      <StatusBadge status={run.status} i18n={i18n} />
                    </td>
                    <td className="history-task">
                      {run.session_id ? (
                        <a href={routeHref({ page: "chat", session: run.session_id })} data-testid="history-open" title={t("runs.open")}>
                          {run.job_name}
                        </a>
                      ) : (
                        run.job_name
                      )}
                    </td>
                    <td className="nowrap">
                      <time dateTime={new Date(started * 1000).toISOString()}>{formatShort(started, locale)}</time>
                    </td>
                    <td className="nowrap">{duration != null ? formatSecs(duration, i18n) : "—"}</td>
                    <td className="num nowrap" data-testid="history-tokens">
                      {run.input_tokens + run.output_tokens > 0
                        ? t("history.tokens", { input: formatCount(run.input_tokens, locale), output: formatCount(run.output_tokens, locale) })
                        : "—"}
                    </td>
                    <td className="num nowrap" data-testid="history-cost">
                      {formatCost(run.cost_usd)}
                    </td>
                    <td className={`history-result${run.status === "succeeded" ? "" : " history-reason"}`} data-testid="history-result" title={result ?? undefined}>
                      {excerpt(result)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
