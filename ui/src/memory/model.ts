// Pure helpers for the Memory page: words for who wrote a memory, its scope and kind, what a
// history entry did, and the toast after a change.

import type { Memory, MemoryChange, MemoryOp, Provenance } from "../generated/protocol";

export const PROVENANCES: Provenance[] = ["user", "agent", "tool", "untrusted"];

/** Who wrote it, as a person would say it. */
export const PROVENANCE_LABEL: Record<Provenance, string> = {
  user: "you",
  agent: "Pincer",
  tool: "a tool",
  untrusted: "untrusted source",
};

/** The provenance filter's options. */
export const PROVENANCE_FILTER_LABEL: Record<Provenance, string> = {
  user: "Saved by you",
  agent: "Saved by Pincer",
  tool: "Saved from a tool",
  untrusted: "From an untrusted source",
};

export function savedBy(p: Provenance): string {
  switch (p) {
    case "user":
      return "Saved by you";
    case "agent":
      return "Saved by Pincer";
    case "tool":
      return "Saved from a tool";
    case "untrusted":
      return "From an untrusted source";
  }
}

export const KINDS = ["fact", "preference"] as const;

/** `global`, `contact:<id>`, `chat:<id>` in words. */
export function scopeLabel(scope: string): string {
  if (scope === "global") return "everywhere";
  const [kind, ...rest] = scope.split(":");
  const id = rest.join(":");
  if (kind === "contact" && id) return `contact ${id}`;
  if (kind === "chat" && id) return `chat ${id}`;
  return scope;
}

/** What one history entry did, in a sentence (its texts are shown beside it). */
export function changeLabel(change: MemoryChange): string {
  switch (change.action) {
    case "create":
      return "Saved";
    case "edit":
      return "Edited";
    case "pin":
      return "Pinned";
    case "unpin":
      return "Unpinned";
    case "forget":
      return "Forgotten";
    case "restore":
      return "Restored";
    case "replace":
      return "Replaced an older memory";
    case "supersede":
      return "Replaced by a newer memory";
    default:
      return change.action.charAt(0).toUpperCase() + change.action.slice(1);
  }
}

/** A memory is current when it is neither forgotten nor replaced. */
export function isCurrent(m: Memory): boolean {
  return !m.forgotten && m.superseded_by === null;
}

/** What the toast says after a change went through. */
export function doneMessage(op: MemoryOp, changed: boolean): string {
  switch (op.action) {
    case "save":
      return changed ? "Remembered" : "Already remembered: nothing changed";
    case "edit":
      return changed ? "Memory edited" : "The text is the same: nothing changed";
    case "pin":
      return changed ? (op.pinned ? "Pinned: recalled in every chat" : "Unpinned") : op.pinned ? "Already pinned" : "Already unpinned";
    case "forget":
      return changed ? "Forgotten" : "Already forgotten";
    case "undo":
      return "Undone";
    case "import":
      return "Imported";
  }
}

/** What an undo did, told by comparing the memory before and after it. */
export function undoneMessage(before: Memory | undefined, after: Memory): string {
  if (!before) return "Undone";
  if (before.forgotten && !after.forgotten) return "Undone: it is remembered again";
  if (!before.forgotten && after.forgotten) return "Undone: it is forgotten";
  if (before.superseded_by !== null && after.superseded_by === null) return "Undone: it is back in use";
  if (before.content !== after.content) return "Undone: the text is as it was";
  if (before.pinned !== after.pinned) return after.pinned ? "Undone: pinned again" : "Undone: no longer pinned";
  return "Undone";
}

/** What failed, for the toast: "Could not pin: …". */
export function failedVerb(op: MemoryOp): string {
  switch (op.action) {
    case "save":
      return "save";
    case "edit":
      return "save the edit";
    case "pin":
      return op.pinned ? "pin" : "unpin";
    case "forget":
      return "forget";
    case "undo":
      return "undo";
    case "import":
      return "import";
  }
}
