// Turning stored messages into the same TurnView shape live turns use, and merging the
// two without showing any turn twice.

import type { HistoryMessage, TurnRecord } from "../generated/protocol";
import { newTool } from "./turn";
import type { Block, QueuedMessage, SessionLive, ToolStatus, TurnEnd, TurnView } from "./types";

/** The model is told "denied: …" when a person or the policy refused a call. */
function looksDenied(output: string): boolean {
  return /^\s*(error:\s*)?denied\b/i.test(output);
}

function toolStatus(msg: HistoryMessage): ToolStatus {
  switch (msg.tool_outcome) {
    case "ok":
      return "ok";
    case "denied":
      return "denied";
    case "error":
      return "error";
    case "cancelled":
      return "cancelled";
    default:
      // Older history without an audit row: judge by the result text.
      if (!msg.is_error) return "ok";
      return looksDenied(msg.content) ? "denied" : "error";
  }
}

/** How stored turns ended, as the daemon recorded it, keyed by turn id. */
export function outcomesFromRecords(records: TurnRecord[]): Record<string, TurnEnd> {
  const out: Record<string, TurnEnd> = {};
  for (const r of records) {
    switch (r.outcome) {
      case "completed":
        out[r.turn_id] = { kind: "completed" };
        break;
      case "cancelled":
        out[r.turn_id] = { kind: "cancelled" };
        break;
      case "step_limit":
        out[r.turn_id] = { kind: "step_limit", limit: Number(r.detail ?? 0) };
        break;
      case "failed":
        out[r.turn_id] = { kind: "failed", error: r.detail ?? "the turn failed", failureKind: r.failure_kind ?? null };
        break;
    }
  }
  return out;
}

export function groupHistory(
  messages: HistoryMessage[],
  outcomes: Record<string, TurnEnd> = {},
  lastMayRun = false,
): TurnView[] {
  const turns: TurnView[] = [];
  let current: TurnView | null = null;
  for (const msg of messages) {
    if (!current || current.turnId !== msg.turn_id) {
      current = {
        turnId: msg.turn_id,
        submission: null,
        userText: null,
        blocks: [],
        end: outcomes[msg.turn_id] ?? null,
        live: false,
      };
      turns.push(current);
    }
    const turn: TurnView = current;
    if (msg.role === "user") {
      if (turn.userText === null) turn.userText = msg.content;
      else turn.blocks.push({ kind: "text", text: msg.content });
    } else if (msg.role === "assistant") {
      if (msg.content.trim()) turn.blocks.push({ kind: "text", text: msg.content });
      for (const call of msg.tool_calls ?? []) {
        // A call with no stored result did not run to the end (interrupted turn).
        turn.blocks.push({ kind: "tool", tool: { ...newTool(call.id, call.name, call.arguments), status: "cancelled" } });
      }
    } else if (msg.role === "tool") {
      const block = turn.blocks.find(
        (b): b is Extract<Block, { kind: "tool" }> =>
          b.kind === "tool" && b.tool.callId === msg.tool_call_id,
      );
      const patch = {
        status: toolStatus(msg),
        output: msg.content,
        durationMs: msg.duration_ms ?? null,
        images: (msg.images ?? []).map((image) => image.path),
      };
      if (block) block.tool = { ...block.tool, ...patch };
      else
        turn.blocks.push({
          kind: "tool",
          tool: { ...newTool(msg.tool_call_id ?? `orphan-${msg.id}`, "tool", ""), ...patch },
        });
    }
  }
  // A question without an answer: the turn failed or was stopped before answering
  // (history does not record which). The last one may simply still be running.
  turns.forEach((t, i) => {
    const mayRun = lastMayRun && i === turns.length - 1;
    if (t.userText !== null && t.blocks.length === 0 && t.end === null && !mayRun) t.end = { kind: "incomplete" };
  });
  return turns;
}

export interface Conversation {
  turns: TurnView[];
  queued: QueuedMessage[];
}

/**
 * Stored turns, leaving out the turns that live events render (`liveIds`).
 *
 * `pending`: this tab sent messages whose turns have not started as far as the live stream
 * knows. The stored history can then already hold the newest of them (a reload raced the
 * stream's `turn_started`): an unfinished last stored turn the stream does not show is
 * left to the stream, which shows it in a moment, so no message is on screen twice. No
 * text is compared: the stream's `turn_started` names the submission, history does not.
 */
export function storedTurns(
  history: HistoryMessage[] | null,
  liveIds: ReadonlySet<string>,
  outcomes: Record<string, TurnEnd>,
  mayRun = false,
  pending = false,
): TurnView[] {
  const stored = (history ?? []).filter((m) => !liveIds.has(m.turn_id));
  const turns = groupHistory(stored, outcomes, mayRun || pending);
  const last = turns[turns.length - 1];
  return pending && last && last.end === null ? turns.slice(0, -1) : turns;
}

export function liveTurnIds(live: SessionLive | undefined): Set<string> {
  return new Set((live?.turns ?? []).flatMap((t) => (t.turnId ? [t.turnId] : [])));
}

/**
 * Stored turns first, then the live ones. Stored messages of a turn that is still (or
 * was just) live are dropped: the live events render that turn, so nothing shows twice.
 */
export function buildConversation(
  history: HistoryMessage[] | null,
  live: SessionLive | undefined,
  outcomes: Record<string, TurnEnd>,
  /** The session may have a running turn the live stream has not shown yet. */
  mayRun = false,
): Conversation {
  const queued = live?.queued ?? [];
  const stored = storedTurns(history, liveTurnIds(live), outcomes, mayRun, queued.length > 0);
  return { turns: [...stored, ...(live?.turns ?? [])], queued };
}
