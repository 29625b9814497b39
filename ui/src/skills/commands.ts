// The skills a user can start with `/name`, for the composers' suggestions and the skill
// cards' emoji. One list for the whole page, fetched the first time a composer is used
// (focused or a `/` typed: not at start-up, not by pages without one) and again after
// `skills_changed`; a failed fetch leaves the list empty (or as it was), so the
// suggestions show nothing, and the next `/` tries again.

import { useEffect, useSyncExternalStore } from "react";
import { api } from "../api/endpoints";
import type { SkillView } from "../generated/protocol";
import { useLiveOptional } from "../state/LiveProvider";

interface Loaded {
  /** Every skill in the report (the cards want emoji of skills that cannot run now too). */
  all: SkillView[];
  /** Ready and user-invocable, by name. */
  startable: SkillView[];
}

let loaded: Loaded | null = null;
/** The `skillsSeq` the list was fetched for. */
let loadedSeq: number | null = null;
let inflight: { seq: number; ctrl: AbortController } | null = null;
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of [...listeners]) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function snapshot(): Loaded | null {
  return loaded;
}

/** Fetches the list for `seq` unless it is there or on its way. */
export function loadSkillCommands(seq: number): void {
  if (loadedSeq === seq || inflight?.seq === seq) return;
  // A newer fetch replaces an older one, so an old answer never lands last.
  inflight?.ctrl.abort();
  const ctrl = new AbortController();
  inflight = { seq, ctrl };
  api
    .skills(ctrl.signal)
    .then((report) => {
      const startable = report.skills
        .filter((s) => s.status === "ready" && s.user_invocable)
        .sort((a, b) => a.name.localeCompare(b.name));
      loaded = { all: report.skills, startable };
      loadedSeq = seq;
      emit();
    })
    .catch(() => {
      // Nothing to show; the next `/` tries again.
    })
    .finally(() => {
      if (inflight?.ctrl === ctrl) inflight = null;
    });
}

/** Forgets the list (tests; a new login). */
export function resetSkillCommands(): void {
  inflight?.ctrl.abort();
  inflight = null;
  loaded = null;
  loadedSeq = null;
  emit();
}

/** The current list without asking for it: null until a composer asked. */
export function useKnownSkills(): Loaded | null {
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

/**
 * The list, fetched once `wanted` (and again when the live stream says skills changed,
 * or `retry` changes while wanted: a failed fetch is tried again the next time).
 */
export function useSkillCommands(wanted: boolean, retry: unknown = null): Loaded | null {
  const seq = useLiveOptional()?.state.skillsSeq ?? 0;
  useEffect(() => {
    if (wanted) loadSkillCommands(seq);
  }, [wanted, seq, retry]);
  return useKnownSkills();
}

/** Skills whose name contains `query` (any case), the ones starting with it first. */
export function matchSkills(skills: SkillView[], query: string): SkillView[] {
  const q = query.toLowerCase();
  const rank = (s: SkillView) => (s.name.toLowerCase().startsWith(q) ? 0 : 1);
  return skills
    .filter((s) => s.name.toLowerCase().includes(q))
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/**
 * What the user typed after the slash, while the whole text is `/` and a name being typed
 * (no whitespace yet); null otherwise.
 */
export function slashQuery(text: string): string | null {
  const m = /^\/(\S*)$/.exec(text);
  return m ? m[1]! : null;
}

/** A description's first sentence, cut at a word to about `max` characters. */
export function firstSentence(description: string, max = 90): string {
  const flat = description.replace(/\s+/g, " ").trim();
  // A sentence ends at . ! or ? before a capital letter or the end ("e.g. this" goes on).
  const m = /^(.+?[.!?])(?=\s+\p{Lu}|$)/u.exec(flat);
  const first = m ? m[1]! : flat;
  if (first.length <= max) return first;
  const cut = first.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, "")}…`;
}
