// A job's options as the editor's fields hold them, and back to the options JSON the
// engine checks (`JobOptions`, docs/scheduler.md). Keys the editor has no field for are
// kept as they were.

import type { Delivery, JobKind, JobOptions, UnattendedMode } from "../generated/protocol";

export type MissedPolicy = "skip" | "once" | "each";

export interface OptionsDraft {
  kind: JobKind;
  missed: MissedPolicy;
  /** `each`: how many missed runs at most. */
  upTo: string;
  /** Minutes; empty = the default (10). */
  timeoutMin: string;
  /** US dollars per run; empty = none. */
  spendCap: string;
  delivery: Delivery;
  approvals: UnattendedMode;
  /** Allowed tools or patterns, one a line. */
  allow: string;
  skill: string;
  model: string;
}

export const DEFAULT_OPTIONS: OptionsDraft = {
  kind: "agent",
  missed: "once",
  upTo: "3",
  timeoutMin: "",
  spendCap: "",
  delivery: "notify",
  approvals: "ask",
  allow: "",
  skill: "",
  model: "",
};

function object(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The fields for stored options (anything unreadable is the default). */
export function optionsDraftOf(stored: unknown): OptionsDraft {
  const o = object(stored) as Partial<JobOptions>;
  const missed = object(o.missed);
  const approvals = object(o.approvals);
  const policy = missed.policy;
  return {
    kind: o.kind === "reminder" ? "reminder" : "agent",
    missed: policy === "skip" || policy === "each" ? policy : "once",
    upTo: typeof missed.up_to === "number" ? String(missed.up_to) : DEFAULT_OPTIONS.upTo,
    timeoutMin: typeof o.timeout_secs === "number" ? String(Math.round((o.timeout_secs / 60) * 100) / 100) : "",
    spendCap: typeof o.spend_cap_usd === "number" ? String(o.spend_cap_usd) : "",
    delivery: o.delivery === "none" ? "none" : "notify",
    approvals: approvals.mode === "deny" ? "deny" : "ask",
    allow: Array.isArray(approvals.allow) ? approvals.allow.filter((a) => typeof a === "string").join("\n") : "",
    skill: text(o.skill),
    model: text(o.model),
  };
}

/** A number the user typed, or `null` when the field is empty or not a number. */
function number(value: string): number | null {
  const trimmed = value.trim();
  const n = Number(trimmed);
  return trimmed === "" || !Number.isFinite(n) ? null : n;
}

/** The options JSON for the fields, over `base` (the stored options) so unknown keys stay. */
export function optionsOf(draft: OptionsDraft, base: unknown = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...object(base) };
  // A kind the editor has no choice for (the heartbeat's) is not the editor's to change.
  const stored = out.kind;
  out.kind = stored === undefined || stored === "agent" || stored === "reminder" ? draft.kind : stored;
  out.missed = draft.missed === "each" ? { policy: "each", up_to: number(draft.upTo) ?? 1 } : { policy: draft.missed };
  out.delivery = draft.delivery;
  const allow = draft.allow
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  out.approvals = allow.length ? { mode: draft.approvals, allow } : { mode: draft.approvals };
  const timeout = number(draft.timeoutMin);
  if (timeout === null) delete out.timeout_secs;
  else out.timeout_secs = Math.round(timeout * 60);
  const cap = number(draft.spendCap);
  if (cap === null) delete out.spend_cap_usd;
  else out.spend_cap_usd = cap;
  for (const key of ["skill", "model"] as const) {
    const value = draft[key].trim();
    if (value) out[key] = value;
    else delete out[key];
  }
  return out;
}
