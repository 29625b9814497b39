// Aggregating UsageReport buckets (one per day, provider and model) for the Usage page.
// Unknown prices (cost_usd null) are never counted as zero silently: every total that
// skips one says so with `costUnknown`.

import type { PricedBucket, UsageTotals } from "../generated/protocol";

export interface Totals extends UsageTotals {
  /** Sum of the known costs. */
  cost: number;
  /** Some bucket in this total has no known price. */
  costUnknown: boolean;
  /** Share of input tokens served from the provider's cache, null without input. */
  cachedShare: number | null;
  avgTtftMs: number | null;
  avgDurationMs: number | null;
}

export interface DayPoint {
  day: string;
  cachedInput: number;
  uncachedInput: number;
  output: number;
  /** Known cost of the day; null when the day has usage but no known price at all. */
  cost: number | null;
  costUnknown: boolean;
}

export interface ModelRow extends Totals {
  provider: string;
  model: string;
}

interface Acc {
  t: UsageTotals;
  cost: number;
  costUnknown: boolean;
  ttftSum: number;
  ttftWeight: number;
  durSum: number;
  durWeight: number;
}

function emptyAcc(): Acc {
  return {
    t: {
      requests: 0,
      failed_requests: 0,
      input_tokens: 0,
      cached_input_tokens: 0,
      output_tokens: 0,
      estimated_requests: 0,
    },
    cost: 0,
    costUnknown: false,
    ttftSum: 0,
    ttftWeight: 0,
    durSum: 0,
    durWeight: 0,
  };
}

/**
 * The buckets' averages are means over their requests; weighting by successful
 * requests is the closest the report allows (it does not say how many requests had a
 * first token).
 */
function weightOf(b: PricedBucket): number {
  const ok = b.totals.requests - b.totals.failed_requests;
  return ok > 0 ? ok : b.totals.requests;
}

function add(acc: Acc, b: PricedBucket): void {
  const t = acc.t;
  t.requests += b.totals.requests;
  t.failed_requests += b.totals.failed_requests;
  t.input_tokens += b.totals.input_tokens;
  t.cached_input_tokens += b.totals.cached_input_tokens;
  t.output_tokens += b.totals.output_tokens;
  t.estimated_requests += b.totals.estimated_requests;
  if (b.cost_usd == null) acc.costUnknown = true;
  else acc.cost += b.cost_usd;
  const w = weightOf(b);
  if (b.avg_ttft_ms != null && w > 0) {
    acc.ttftSum += b.avg_ttft_ms * w;
    acc.ttftWeight += w;
  }
  if (b.avg_duration_ms != null && w > 0) {
    acc.durSum += b.avg_duration_ms * w;
    acc.durWeight += w;
  }
}

function finish(acc: Acc): Totals {
  return {
    ...acc.t,
    cost: acc.cost,
    costUnknown: acc.costUnknown,
    cachedShare: cachedShare(acc.t),
    avgTtftMs: acc.ttftWeight ? acc.ttftSum / acc.ttftWeight : null,
    avgDurationMs: acc.durWeight ? acc.durSum / acc.durWeight : null,
  };
}

export function cachedShare(t: Pick<UsageTotals, "input_tokens" | "cached_input_tokens">): number | null {
  if (t.input_tokens <= 0) return null;
  return Math.min(1, t.cached_input_tokens / t.input_tokens);
}

export function summarize(buckets: PricedBucket[]): Totals {
  const acc = emptyAcc();
  for (const b of buckets) add(acc, b);
  return finish(acc);
}

export function byModel(buckets: PricedBucket[]): ModelRow[] {
  const groups = new Map<string, { provider: string; model: string; acc: Acc }>();
  for (const b of buckets) {
    const key = `${b.provider}\u0000${b.model}`;
    let g = groups.get(key);
    if (!g) {
      g = { provider: b.provider, model: b.model, acc: emptyAcc() };
      groups.set(key, g);
    }
    add(g.acc, b);
  }
  return [...groups.values()]
    .map((g) => ({ provider: g.provider, model: g.model, ...finish(g.acc) }))
    .sort((a, b) => b.requests - a.requests || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
}

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** One point per day from `since` to `today` (UTC), days without usage at zero. */
export function perDay(buckets: PricedBucket[], since: string, today: string = todayUtc()): DayPoint[] {
  const last = buckets.reduce((max, b) => (b.day > max ? b.day : max), today);
  const points = new Map<string, DayPoint & { known: boolean }>();
  for (let day = since, i = 0; day <= last && i < 3660; day = addDays(day, 1), i++) {
    points.set(day, { day, cachedInput: 0, uncachedInput: 0, output: 0, cost: null, costUnknown: false, known: false });
  }
  for (const b of buckets) {
    let p = points.get(b.day);
    if (!p) {
      // A bucket before `since` should not happen; show it rather than lose it.
      p = { day: b.day, cachedInput: 0, uncachedInput: 0, output: 0, cost: null, costUnknown: false, known: false };
      points.set(b.day, p);
    }
    p.cachedInput += b.totals.cached_input_tokens;
    p.uncachedInput += Math.max(0, b.totals.input_tokens - b.totals.cached_input_tokens);
    p.output += b.totals.output_tokens;
    if (b.cost_usd == null) p.costUnknown = true;
    else {
      p.cost = (p.cost ?? 0) + b.cost_usd;
      p.known = true;
    }
  }
  return [...points.values()]
    .sort((a, b) => a.day.localeCompare(b.day))
    .map(({ known, ...p }) => ({ ...p, cost: known ? p.cost : p.costUnknown ? null : 0 }));
}
