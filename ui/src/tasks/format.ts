// Times, durations, tokens and costs as the Tasks page shows them, in the page's language.

import type { I18n } from "../i18n";
import type { RunStatus } from "../generated/protocol";

/** A unix time as a date and time, in `zone` when given (and known to the browser). */
export function formatWhen(unixSecs: number, locale: string, zone?: string): string {
  const options: Intl.DateTimeFormatOptions = {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  };
  const date = new Date(unixSecs * 1000);
  if (zone) {
    try {
      return new Intl.DateTimeFormat(locale, { ...options, timeZone: zone }).format(date);
    } catch {
      // Not a zone this browser knows: the browser's own.
    }
  }
  return new Intl.DateTimeFormat(locale, options).format(date);
}

/** A unix time without the weekday and zone, for tables. */
export function formatShort(unixSecs: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(
    new Date(unixSecs * 1000),
  );
}

/** "in 2 hours", "3 minutes ago" (in the page's language). */
export function formatRelative(unixSecs: number, locale: string, nowMs: number = Date.now()): string {
  const secs = Math.round(unixSecs - nowMs / 1000);
  const abs = Math.abs(secs);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  if (abs < 60) return rtf.format(secs, "second");
  if (abs < 3600) return rtf.format(Math.round(secs / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(secs / 3600), "hour");
  return rtf.format(Math.round(secs / 86_400), "day");
}

/** Seconds as "4 s", "2 min 5 s", "1 h 3 min" (or their Chinese). */
export function formatSecs(secs: number, { t }: Pick<I18n, "t">): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return t("duration.s", { s });
  if (s < 3600) return t("duration.ms", { m: Math.floor(s / 60), s: s % 60 });
  return t("duration.hm", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

export function formatCount(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}

/** US dollars as the Usage page writes them; "—" when unknown (no price for the model). */
export function formatCost(x: number | null | undefined): string {
  if (x == null || !Number.isFinite(x)) return "—";
  if (x === 0) return "$0.00";
  if (Math.abs(x) < 0.01) return `$${x.toFixed(4)}`;
  return `$${x.toFixed(2)}`;
}

/** The first line (or so) of a run's output or reason, for a table cell. */
export function excerpt(text: string | null | undefined, max = 140): string {
  if (!text) return "";
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** How a run's status reads, and the badge tone it gets. */
export function statusTone(status: RunStatus): "ok" | "warn" | "err" | "info" | "muted" {
  switch (status) {
    case "succeeded":
      return "ok";
    case "running":
    case "queued":
      return "info";
    case "waiting_approval":
      return "warn";
    case "failed":
    case "timed_out":
    case "lost":
      return "err";
    case "cancelled":
    case "skipped":
    case "missed":
      return "muted";
  }
}
