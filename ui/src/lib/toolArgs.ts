// Presenting a tool call's JSON arguments: a one-line summary and a pretty form.

const PREFERRED = ["command", "path", "url", "query", "pattern", "file", "dir"];

export function parseArgs(raw: string): unknown {
  if (!raw.trim()) return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function short(value: unknown, max = 80): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  const one = (s ?? "").replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** `{"command":"ls -la"}` → `ls -la`; `{"path":"a","content":"…"}` → `a · content: …`. */
export function summarizeArgs(raw: string, max = 120): string {
  const parsed = parseArgs(raw);
  if (parsed === undefined) return short(raw, max);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return short(parsed, max);
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return "";
  const lead = entries.find(([k, v]) => PREFERRED.includes(k) && typeof v === "string");
  const rest = entries.filter((e) => e !== lead);
  const parts = [
    ...(lead ? [short(lead[1])] : []),
    ...rest.map(([k, v]) => `${k}: ${short(v, 40)}`),
  ];
  return short(parts.join(" · "), max);
}

export function prettyArgs(raw: string): string {
  const parsed = parseArgs(raw);
  if (parsed === undefined) return raw;
  return JSON.stringify(parsed, null, 2);
}
