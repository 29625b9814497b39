// Folding one turn's events into a TurnView. Pure: every function returns new objects.

import type { Event, ToolOutcome } from "../generated/protocol";
import type { Block, ToolCallView, ToolStatus, TurnEnd, TurnView } from "./types";

export function emptyTurn(turnId: string | null, userText: string | null, submission: string | null = null): TurnView {
  return { turnId, submission, userText, blocks: [], end: null, live: true };
}

/** The card status of a finished call: exactly the outcome the engine reported. */
export function statusOfOutcome(outcome: ToolOutcome): ToolStatus {
  return outcome;
}

export function isTurnEnd(event: Event): boolean {
  return (
    event.type === "turn_completed" ||
    event.type === "turn_cancelled" ||
    event.type === "step_limit_reached" ||
    event.type === "turn_failed"
  );
}

export function endOf(event: Event): TurnEnd | null {
  switch (event.type) {
    case "turn_completed":
      return { kind: "completed" };
    case "turn_cancelled":
      return { kind: "cancelled" };
    case "step_limit_reached":
      return { kind: "step_limit", limit: event.limit };
    case "turn_failed":
      return { kind: "failed", error: event.error.message, failureKind: event.error.kind };
    default:
      return null;
  }
}

function appendText(blocks: Block[], kind: "text" | "reasoning", text: string): Block[] {
  if (!text) return blocks;
  const last = blocks[blocks.length - 1];
  if (last && last.kind === kind) {
    return [...blocks.slice(0, -1), { kind, text: last.text + text }];
  }
  return [...blocks, { kind, text }];
}

function updateTool(
  blocks: Block[],
  callId: string,
  update: (tool: ToolCallView) => ToolCallView,
): Block[] {
  let found = false;
  const next = blocks.map((b) => {
    if (b.kind !== "tool" || b.tool.callId !== callId) return b;
    found = true;
    return { kind: "tool" as const, tool: update(b.tool) };
  });
  return found ? next : blocks;
}

export function newTool(callId: string, name: string, args: string): ToolCallView {
  return {
    callId,
    name,
    arguments: args,
    status: "running",
    approval: null,
    decision: null,
    decidedBy: null,
    output: null,
    durationMs: null,
    images: [],
  };
}

function ensureTool(blocks: Block[], callId: string, name: string): Block[] {
  const exists = blocks.some((b) => b.kind === "tool" && b.tool.callId === callId);
  return exists ? blocks : [...blocks, { kind: "tool", tool: newTool(callId, name, "") }];
}

/**
 * Applies one event to a live turn. Events after the turn's end are ignored. Tool events
 * find their card by the engine's call id, unique across turns and sessions.
 */
export function applyEvent(turn: TurnView, event: Event): TurnView {
  if (turn.end && event.type !== "turn_started") return turn;
  switch (event.type) {
    case "turn_started":
      return { ...emptyTurn(event.turn_id, event.text, turn.submission) };
    case "recalled":
      // Once per turn, before its first model request.
      return event.items.length ? { ...turn, recalled: event.items } : turn;
    case "compacted": {
      const facts =
        event.facts_saved > 0
          ? ` (${event.facts_saved} fact${event.facts_saved === 1 ? "" : "s"} saved to memory first)`
          : "";
      const text = `Compacted ${event.messages} earlier message${event.messages === 1 ? "" : "s"} to make room${facts}; the model can still read them.`;
      return { ...turn, blocks: [...turn.blocks, { kind: "note", tone: "compacted", text, failure: null }] };
    }
    case "text_delta":
      return { ...turn, blocks: appendText(turn.blocks, "text", event.text) };
    case "reasoning_delta":
      return { ...turn, blocks: appendText(turn.blocks, "reasoning", event.text) };
    case "tool_call_requested": {
      const exists = turn.blocks.some((b) => b.kind === "tool" && b.tool.callId === event.call_id);
      if (exists) return turn;
      const tool = newTool(event.call_id, event.name, event.arguments);
      return { ...turn, blocks: [...turn.blocks, { kind: "tool", tool }] };
    }
    case "approval_requested": {
      const blocks = ensureTool(turn.blocks, event.call_id, event.tool);
      return {
        ...turn,
        blocks: updateTool(blocks, event.call_id, (t) => ({
          ...t,
          status: "approval",
          approval: { summary: event.summary, pattern: event.pattern },
        })),
      };
    }
    case "approval_resolved":
      return {
        ...turn,
        blocks: updateTool(turn.blocks, event.call_id, (t) => ({
          ...t,
          status: event.decision === "deny" ? "denied" : "running",
          decision: event.decision,
          decidedBy: event.by,
        })),
      };
    case "tool_call_finished": {
      const blocks = ensureTool(turn.blocks, event.call_id, event.name);
      return {
        ...turn,
        blocks: updateTool(blocks, event.call_id, (t) => ({
          ...t,
          status: statusOfOutcome(event.outcome),
          output: event.output,
          durationMs: event.duration_ms,
          images: event.images ?? [],
        })),
      };
    }
    case "provider_retry":
      return {
        ...turn,
        blocks: [
          ...turn.blocks,
          {
            kind: "note",
            tone: "retry",
            text: `${event.provider}: retrying (attempt ${event.attempt})… ${event.reason.message}`,
            failure: event.reason,
          },
        ],
      };
    case "provider_fallback":
      return {
        ...turn,
        blocks: [
          ...turn.blocks,
          {
            kind: "note",
            tone: "fallback",
            text: `${event.from} gave up, switched to ${event.to}: ${event.reason.message}`,
            failure: event.reason,
          },
        ],
      };
    case "turn_completed":
    case "turn_cancelled":
    case "step_limit_reached":
    case "turn_failed": {
      const end = endOf(event);
      // Tools still shown as waiting or running did not finish: they were stopped.
      const blocks = turn.blocks.map((b) =>
        b.kind === "tool" && (b.tool.status === "running" || b.tool.status === "approval")
          ? { kind: "tool" as const, tool: { ...b.tool, status: "cancelled" as const } }
          : b,
      );
      return {
        ...turn,
        turnId: turn.turnId ?? event.turn_id,
        blocks,
        end,
      };
    }
    default:
      // model_request, usage and event types added later change nothing visible.
      return turn;
  }
}

export function foldEvents(events: Event[]): TurnView[] {
  const turns: TurnView[] = [];
  for (const event of events) {
    const current = turns[turns.length - 1];
    if (event.type === "turn_started" || !current || current.end) {
      turns.push(applyEvent(emptyTurn(null, null), event));
    } else {
      turns[turns.length - 1] = applyEvent(current, event);
    }
  }
  return turns;
}
