// The schedule builder's model: quick choices that write the engine's schedule spec
// (docs/scheduler.md, "Writing a schedule"), and the way back from a stored spec to the
// choice that wrote it. Pure: the engine alone decides whether a spec can run.

export type ScheduleMode =
  | "minutes"
  | "hours"
  | "daily"
  | "weekdays"
  | "weekly"
  | "once"
  | "startup"
  | "cron"
  | "spec";

export const MODES: ScheduleMode[] = ["minutes", "hours", "daily", "weekdays", "weekly", "once", "startup", "cron", "spec"];

/** Cron's day names, Sunday first (cron's 0). */
export const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

export interface ScheduleDraft {
  mode: ScheduleMode;
  /** Minutes or hours between runs. */
  every: string;
  /** `HH:MM`, local to `zone`. */
  time: string;
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
  /** `YYYY-MM-DD`, local to `zone`. */
  date: string;
  /** A cron expression (5 or 6 fields). */
  cron: string;
  /** An IANA zone: `Europe/Lisbon`, `UTC`. */
  zone: string;
  /** A spec as written (anything the builder does not offer). */
  spec: string;
}

/** Whether the mode's spec names a zone (the others run by elapsed time, or at start-up). */
export function usesZone(mode: ScheduleMode): boolean {
  return mode === "daily" || mode === "weekdays" || mode === "weekly" || mode === "once" || mode === "cron";
}

/** The browser's IANA zone, or UTC when it does not say. */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Every IANA zone the browser knows, for the zone field's suggestions. */
export function knownZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Tomorrow's date, `YYYY-MM-DD`, by the browser's clock. */
function tomorrow(now: Date): string {
  const d = new Date(now.getTime() + 86_400_000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function defaultDraft(zone: string = browserZone(), now: Date = new Date()): ScheduleDraft {
  return {
    mode: "daily",
    every: "30",
    time: "09:00",
    day: 1,
    date: tomorrow(now),
    cron: "0 9 * * 1-5",
    zone,
    spec: "",
  };
}

/** `HH:MM` as cron's minute and hour fields ("09:05" → "5 9"); what does not read stays. */
function cronTime(time: string): string {
  const m = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!m) return `${time.trim() || "?"} ?`;
  return `${Number(m[2])} ${Number(m[1])}`;
}

/** The spec the draft writes. The engine checks it; nothing is fixed up here. */
export function specOf(d: ScheduleDraft): string {
  const zone = d.zone.trim();
  const every = d.every.trim();
  switch (d.mode) {
    case "minutes":
      return `every ${every}m`;
    case "hours":
      return `every ${every}h`;
    case "daily":
      return `cron "${cronTime(d.time)} * * *" ${zone}`.trim();
    case "weekdays":
      return `cron "${cronTime(d.time)} * * 1-5" ${zone}`.trim();
    case "weekly":
      return `cron "${cronTime(d.time)} * * ${DAYS[d.day] ?? "MON"}" ${zone}`.trim();
    case "once":
      return `at ${d.date.trim()}T${d.time.trim()} ${zone}`.trim();
    case "startup":
      return "at startup";
    case "cron":
      return `cron "${d.cron.trim()}" ${zone}`.trim();
    case "spec":
      return d.spec.trim();
  }
}

const DAY_NUMBERS: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6, "7": 0 };

function dayNumber(field: string): number | null {
  const upper = field.toUpperCase();
  if (/^[0-7]$/.test(upper)) return Number(upper) % 7;
  return DAY_NUMBERS[upper] ?? null;
}

/** A cron spec's expression and zone: `cron "EXPR" ZONE` or `cron EXPR ZONE`. */
function splitCron(rest: string): { expr: string; zone: string } | null {
  const quoted = /^"([^"]*)"\s+(\S+)$/.exec(rest);
  if (quoted) return { expr: quoted[1]!.trim(), zone: quoted[2]! };
  const words = rest.split(/\s+/);
  if (words.length < 2) return null;
  const zone = words.pop()!;
  return { expr: words.join(" "), zone };
}

/**
 * The builder's choice that writes `spec` (a job being edited), or the spec as written
 * when no quick choice does. `base` fills what the spec does not say.
 */
export function draftOf(spec: string, base: ScheduleDraft = defaultDraft()): ScheduleDraft {
  const text = spec.trim();
  const asWritten: ScheduleDraft = { ...base, mode: "spec", spec: text };
  if (!text) return base;
  const every = /^every\s+(\d+)\s*(m|min|mins|minute|minutes|h|hr|hrs|hour|hours)$/i.exec(text);
  if (every) {
    const hours = every[2]!.toLowerCase().startsWith("h");
    return { ...base, mode: hours ? "hours" : "minutes", every: every[1]! };
  }
  if (/^(at|on)\s+start-?up$/i.test(text)) return { ...base, mode: "startup" };
  const once = /^at\s+(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::00)?\s+([A-Za-z][\w+\-/]*)$/.exec(text);
  if (once) return { ...base, mode: "once", date: once[1]!, time: `${once[2]}:${once[3]}`, zone: once[4]! };
  const cron = /^cron\s+(.+)$/i.exec(text);
  if (!cron) return asWritten;
  const parts = splitCron(cron[1]!.trim());
  if (!parts) return asWritten;
  const { expr, zone } = parts;
  const fields = expr.split(/\s+/);
  const timed = fields.length === 5 && /^\d{1,2}$/.test(fields[0]!) && /^\d{1,2}$/.test(fields[1]!);
  if (timed && fields[2] === "*" && fields[3] === "*") {
    const minute = Number(fields[0]);
    const hour = Number(fields[1]);
    if (minute < 60 && hour < 24) {
      const time = `${pad(hour)}:${pad(minute)}`;
      const dow = fields[4]!.toUpperCase();
      if (dow === "*") return { ...base, mode: "daily", time, zone };
      if (dow === "1-5" || dow === "MON-FRI") return { ...base, mode: "weekdays", time, zone };
      const day = dayNumber(dow);
      if (day !== null) return { ...base, mode: "weekly", time, day, zone };
    }
  }
  return { ...base, mode: "cron", cron: expr, zone };
}
