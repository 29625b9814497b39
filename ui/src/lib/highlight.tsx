// Marking what a search matched: every whitespace-separated part of the query, wherever it
// occurs, ignoring case. Works for any script (a single 湖 marks the 湖 in 西湖), since it
// compares characters rather than words.

import { Fragment } from "react";

/** Quotes and brackets the daemon drops around a search word. */
const WRAPPERS = /^["'“”‘’«»「」『』()[\]{}（）【】<>]+|["'“”‘’«»「」『』()[\]{}（）【】<>]+$/gu;

/** The parts of a search to mark, longest first (so `西湖` wins over `西` where both match). */
export function searchTerms(query: string): string[] {
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const raw of query.split(/\s+/)) {
    const term = raw.replace(WRAPPERS, "");
    const key = term.toLowerCase();
    if (!term || seen.has(key)) continue;
    seen.add(key);
    terms.push(term);
  }
  return terms.sort((a, b) => b.length - a.length);
}

function pattern(terms: string[]): RegExp | null {
  if (!terms.length) return null;
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(escaped.join("|"), "giu");
}

export interface Segment {
  text: string;
  mark: boolean;
}

/** `text` cut into plain and matching pieces, in order; joined they are `text` again. */
export function segments(text: string, terms: string[]): Segment[] {
  const re = pattern(terms);
  if (!re) return [{ text, mark: false }];
  const out: Segment[] = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index;
    if (!m[0]) continue;
    if (start > at) out.push({ text: text.slice(at, start), mark: false });
    out.push({ text: m[0], mark: true });
    at = start + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: false });
  return out.length ? out : [{ text, mark: false }];
}

/** Text with every match of `terms` in a `<mark>`. */
export function Highlight({ text, terms }: { text: string; terms: string[] }) {
  if (!terms.length) return <>{text}</>;
  return (
    <>
      {segments(text, terms).map((s, i) => (s.mark ? <mark key={i}>{s.text}</mark> : <Fragment key={i}>{s.text}</Fragment>))}
    </>
  );
}

/**
 * At most `max` characters of `text` on one line, around its first match when it is
 * longer, with an ellipsis where it was cut.
 */
export function snippetAround(text: string, terms: string[], max = 220): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  if (chars.length <= max) return flat;
  const re = pattern(terms);
  const found = re ? re.exec(flat) : null;
  const first = found ? Array.from(flat.slice(0, found.index)).length : 0;
  const start = Math.max(0, Math.min(first - Math.floor(max / 4), chars.length - max));
  const end = Math.min(chars.length, start + max);
  return `${start > 0 ? "…" : ""}${chars.slice(start, end).join("").trim()}${end < chars.length ? "…" : ""}`;
}

/**
 * An answer's Markdown as the words it shows, for one-line snippets: emphasis, code marks,
 * headings, quotes, list markers and link targets go; the text stays.
 */
export function plainText(markdown: string): string {
  return markdown
    .replace(/```[^\n]*\n?/g, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__|~~)(?=\S)([\s\S]*?\S)\1/g, "$2")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/^[ \t]*(#{1,6}|>|[-*+]|\d+\.)[ \t]+/gm, "");
}
