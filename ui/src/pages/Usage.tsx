// Usage: tokens, cost and latency over the last 7/30/90 days, per day and per model.

import { useEffect, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { AlertIcon, ChartIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { UsageReport } from "../generated/protocol";
import { formatCompact, formatDuration, formatInt, formatPercent, formatUsd } from "../lib/format";
import { BarChart, type Series } from "../usage/BarChart";
import { byModel, perDay, summarize } from "../usage/aggregate";

const RANGES = [7, 30, 90] as const;

function dayLabel(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return d.toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
}

function Tile({ label, value, sub, testId, title }: { label: string; value: string; sub?: string | null; testId: string; title?: string }) {
  return (
    <div className="tile" data-testid={testId} title={title}>
      <div className="tile-label">{label}</div>
      <div className="tile-value">{value}</div>
      {sub ? <div className="tile-sub">{sub}</div> : null}
    </div>
  );
}

const formatTokens = (v: number) => formatCompact(v);
const formatCost = (v: number) => formatUsd(v);

export function UsagePage() {
  const [days, setDays] = useState<number>(30);
  const [report, setReport] = useState<UsageReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let alive = true;
    setLoading(true);
    setError(null);
    api
      .usage(days)
      .then((r) => alive && setReport(r))
      .catch((err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, [days]);

  const buckets = useMemo(() => report?.buckets ?? [], [report]);
  const totals = useMemo(() => summarize(buckets), [buckets]);
  const rows = useMemo(() => byModel(buckets), [buckets]);
  const series = useMemo(() => (report ? perDay(buckets, report.since) : []), [buckets, report]);
  const labels = useMemo(() => series.map((p) => dayLabel(p.day)), [series]);
  const tokenSeries = useMemo<Series[]>(
    () => [
      { label: "Cached input", data: series.map((p) => p.cachedInput), colorVar: "--chart-cached" },
      { label: "Uncached input", data: series.map((p) => p.uncachedInput), colorVar: "--chart-input" },
      { label: "Output", data: series.map((p) => p.output), colorVar: "--chart-output" },
    ],
    [series],
  );
  const costSeries = useMemo<Series[]>(
    () => [{ label: "Cost (USD)", data: series.map((p) => p.cost), colorVar: "--chart-cost" }],
    [series],
  );

  const empty = !!report && buckets.length === 0;

  return (
    <div className="page">
      <div className="page-inner page-wide">
        <header className="page-head">
          <h1>Usage</h1>
          <div
            className="segmented"
            role="radiogroup"
            aria-label="Period"
            data-testid="usage-range"
            onKeyDown={(e) => {
              const step = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : e.key === "ArrowLeft" || e.key === "ArrowUp" ? -1 : 0;
              if (!step) return;
              e.preventDefault();
              const i = RANGES.indexOf(days as (typeof RANGES)[number]);
              const next = RANGES[(i + step + RANGES.length) % RANGES.length]!;
              setDays(next);
              e.currentTarget.querySelector<HTMLButtonElement>(`[data-days="${next}"]`)?.focus();
            }}
          >
            {RANGES.map((r) => (
              <button
                key={r}
                type="button"
                role="radio"
                aria-checked={days === r}
                tabIndex={days === r ? 0 : -1}
                data-days={r}
                className={days === r ? "on" : ""}
                onClick={() => setDays(r)}
              >
                {r} days
              </button>
            ))}
          </div>
        </header>

        {error && (
          <div className="notice notice-error" role="alert">
            Could not load usage: {error}
          </div>
        )}
        {loading && !report && (
          <div className="page-loading">
            <Spinner size={20} label="Loading usage" />
          </div>
        )}

        {report && (
          <div className={`usage-body${loading ? " reloading" : ""}`} aria-busy={loading || undefined}>
            <div className="tiles tiles-4">
              <Tile
                label="Requests"
                value={formatInt(totals.requests)}
                sub={totals.failed_requests ? `${formatInt(totals.failed_requests)} failed` : "none failed"}
                testId="usage-requests"
              />
              <Tile label="Input tokens" value={formatCompact(totals.input_tokens)} title={formatInt(totals.input_tokens)} testId="usage-input-tokens" sub={`${formatInt(totals.input_tokens)}`} />
              <Tile
                label="Cached share"
                value={formatPercent(totals.cachedShare)}
                sub={totals.cached_input_tokens ? `${formatCompact(totals.cached_input_tokens)} from cache` : "of input tokens"}
                testId="usage-cached-share"
              />
              <Tile label="Output tokens" value={formatCompact(totals.output_tokens)} title={formatInt(totals.output_tokens)} testId="usage-output-tokens" sub={`${formatInt(totals.output_tokens)}`} />
            </div>
            <div className="tiles tiles-3">
              <Tile
                label="Cost"
                value={totals.costUnknown && totals.cost === 0 ? "—" : formatUsd(totals.cost)}
                sub={totals.costUnknown ? "unknown for some models" : "estimated from list prices"}
                testId="usage-cost"
              />
              <Tile label="Time to first token" sub="average" value={formatDuration(totals.avgTtftMs)} testId="usage-ttft" />
              <Tile label="Request duration" sub="average" value={formatDuration(totals.avgDurationMs)} testId="usage-duration" />
            </div>

            {totals.estimated_requests > 0 && (
              <p className="notice notice-info" data-testid="usage-estimated">
                <AlertIcon size={16} />
                <span>
                  {formatInt(totals.estimated_requests)} request{totals.estimated_requests === 1 ? "" : "s"} estimated
                  (provider sent no counts): their token figures are Pincer's estimate of about four characters a token.
                </span>
              </p>
            )}

            {empty ? (
              <div className="empty-state">
                <ChartIcon size={32} />
                <h2>No usage in the last {days} days</h2>
                <p className="muted">Token counts, cost and latency appear here once Pincer has talked to a model.</p>
              </div>
            ) : (
              <>
                <div className="charts">
                  <figure className="card chart-card">
                    <figcaption>Tokens per day</figcaption>
                    <BarChart
                      labels={labels}
                      series={tokenSeries}
                      stacked
                      formatValue={formatTokens}
                      ariaLabel={`Tokens per day over the last ${days} days: cached input, uncached input and output`}
                      testId="usage-chart-tokens"
                    />
                  </figure>
                  <figure className="card chart-card">
                    <figcaption>
                      Cost per day{totals.costUnknown && <span className="muted"> · known prices only</span>}
                    </figcaption>
                    <BarChart
                      labels={labels}
                      series={costSeries}
                      formatValue={formatCost}
                      ariaLabel={`Cost per day in US dollars over the last ${days} days`}
                      testId="usage-chart-cost"
                    />
                  </figure>
                </div>

                <h2 className="subhead">By provider and model</h2>
                <div className="table-wrap card">
                  <table className="usage-table" data-testid="usage-table">
                    <thead>
                      <tr>
                        <th scope="col">Provider / model</th>
                        <th scope="col" className="num">Requests</th>
                        <th scope="col" className="num">Input</th>
                        <th scope="col" className="num">Cached</th>
                        <th scope="col" className="num">Output</th>
                        <th scope="col" className="num">Cost</th>
                        <th scope="col" className="num">Avg TTFT</th>
                        <th scope="col" className="num">Avg duration</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((r) => (
                        <tr key={`${r.provider}/${r.model}`}>
                          <th scope="row">
                            <span className="cell-provider">{r.provider}</span>
                            <span className="cell-model">{r.model}</span>
                          </th>
                          <td className="num">
                            {formatInt(r.requests)}
                            {r.failed_requests > 0 && <span className="cell-sub err"> {formatInt(r.failed_requests)} failed</span>}
                            {r.estimated_requests > 0 && <span className="cell-sub"> {formatInt(r.estimated_requests)} est.</span>}
                          </td>
                          <td className="num" title={formatInt(r.input_tokens)}>{formatCompact(r.input_tokens)}</td>
                          <td className="num">{formatPercent(r.cachedShare)}</td>
                          <td className="num" title={formatInt(r.output_tokens)}>{formatCompact(r.output_tokens)}</td>
                          <td className="num">
                            {r.costUnknown ? (r.cost > 0 ? `${formatUsd(r.cost)}+` : "—") : formatUsd(r.cost)}
                          </td>
                          <td className="num">{formatDuration(r.avgTtftMs)}</td>
                          <td className="num">{formatDuration(r.avgDurationMs)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {totals.costUnknown && (
                  <p className="muted small">— : no price is known for that model, so its cost is not included in the totals.</p>
                )}
              </>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
