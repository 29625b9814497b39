// What the chat view renders: a conversation is a list of turns, each a user message
// followed by blocks (text segments, reasoning, tool cards, notes) in arrival order.
// Stored history and live events are both turned into these shapes.

import type { ApprovalDecision, DecidedBy, Failure, FailureKind, OpErrorKind, Recalled } from "../generated/protocol";
import type { RunProgress } from "../tasks/progress";

/** A call's state on its card; the last four are the engine's ToolOutcome. */
export type ToolStatus = "approval" | "running" | "ok" | "error" | "denied" | "cancelled";

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
  /** A provider retried or fell back; `failure` says why, so a hint can say what to do. */
  | { kind: "note"; tone: "retry" | "fallback" | "compacted"; text: string; failure: Failure | null };

export type TurnEnd =
  | { kind: "completed" }
  | { kind: "cancelled" }
  | { kind: "step_limit"; limit: number }
  /** `failureKind` is null for turns stored before kinds were recorded. */
  | { kind: "failed"; error: string; failureKind: FailureKind | null }
  /** Stored history has the user's message but no answer, and nothing says why. */
  | { kind: "incomplete" };

export interface TurnView {
  /** Null only for a live turn whose `turn_started` was never seen. */
  turnId: string | null;
  /** The user_turn submission that started it (live turns only; history has none). */
  submission: string | null;
  userText: string | null;
  blocks: Block[];
  /** Null while the turn runs (live) or when history does not say how it ended. */
  end: TurnEnd | null;
  live: boolean;
  /**
   * What recall added to the turn's request (memories, past messages): live from the
   * `recalled` event, stored from `GET /api/sessions/{id}/recalls`. Absent: nothing.
   */
  recalled?: Recalled[];
}

export interface QueuedMessage {
  /** The submission id this tab sent it with; its turn's events name it. */
  id: string;
  text: string;
  /** The server answered `accepted`: it waits in the session's queue (or starts now). */
  accepted: boolean;
  /** The turn id the server's reply named: its stored messages carry it. */
  turnId?: string;
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
  /** The submission the server refused, when it named one. */
  submission: string | null;
  kind: OpErrorKind;
  message: string;
  /** The text of the message this tab queued under that submission, if it was one. */
  text: string | null;
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
  /** Whether work is paused: no new turn starts until it is resumed. */
  paused: boolean;
  /** Counts snapshots: each may hide turns that ended while disconnected. */
  snapshotSeq: number;
  /** Counts changes that reorder or retitle the session list (reload it). */
  listSeq: number;
  /** Counts `skills_changed` messages and snapshots: a change means "refetch the skills". */
  skillsSeq: number;
  /** Counts `run_updated` events and snapshots: a change means "refetch the Tasks page". */
  runsSeq: number;
  /** Background runs' progress, by session (`run-…`), from their turns' events. */
  runProgress: Record<string, RunProgress>;
}
