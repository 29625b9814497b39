// What the chat view renders: a conversation is a list of turns, each a user message
// followed by blocks (text segments, reasoning, tool cards, notes) in arrival order.
// Stored history and live events are both turned into these shapes.

import type { ApprovalDecision, DecidedBy } from "../generated/protocol";

export type ToolStatus = "approval" | "running" | "ok" | "error" | "denied";

export interface ToolCallView {
  callId: string;
  name: string;
  /** The raw JSON text the model produced. */
  arguments: string;
  status: ToolStatus;
  approval: { summary: string; pattern: string } | null;
  decision: ApprovalDecision | null;
  decidedBy: DecidedBy | null;
  output: string | null;
  durationMs: number | null;
  /** Absolute paths of images the tool produced (screenshots), shown as thumbnails. */
  images: string[];
}

export type Block =
  | { kind: "text"; text: string }
  | { kind: "reasoning"; text: string }
  | { kind: "tool"; tool: ToolCallView }
  | { kind: "note"; tone: "retry" | "fallback"; text: string };

export type TurnEnd =
  | { kind: "completed" }
  | { kind: "cancelled" }
  | { kind: "step_limit"; limit: number }
  | { kind: "failed"; error: string }
  /** Stored history has the user's message but no answer, and nothing says why. */
  | { kind: "incomplete" };

export interface TurnView {
  /** Null only for a live turn whose `turn_started` was never seen. */
  turnId: string | null;
  userText: string | null;
  blocks: Block[];
  /** Null while the turn runs (live) or when history does not say how it ended. */
  end: TurnEnd | null;
  live: boolean;
}

export interface QueuedMessage {
  id: string;
  text: string;
}

export interface SessionLive {
  /** Live turns not yet replaced by stored history: ended ones wait for a refetch. */
  turns: TurnView[];
  /** Messages this tab sent that have not started yet. */
  queued: QueuedMessage[];
}

export interface LiveError {
  id: number;
  session: string | null;
  message: string;
}

export interface LiveState {
  /** True once a snapshot arrived: live state is then authoritative for "running". */
  synced: boolean;
  sessions: Record<string, SessionLive>;
  /** How turns ended, by turn id, for turns seen live (history does not store it). */
  outcomes: Record<string, TurnEnd>;
  errors: LiveError[];
  nextErrorId: number;
  /** Counts turn ends per session: a change means "refetch that session's history". */
  endSeq: Record<string, number>;
  /** Counts snapshots: each may hide turns that ended while disconnected. */
  snapshotSeq: number;
  /** Counts changes that reorder or retitle the session list (reload it). */
  listSeq: number;
  /** Counts `skills_changed` messages and snapshots: a change means "refetch the skills". */
  skillsSeq: number;
}
