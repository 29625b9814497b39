// The live-state reducer: folds WebSocket messages and local actions into per-session
// live turns. Pure and synchronous; React's useReducer drives it.

import type { Event, ServerMessage } from "../generated/protocol";
import { applyEvent, emptyTurn, endOf } from "./turn";
import type { LiveState, SessionLive, TurnEnd, TurnView } from "./types";

export type LiveAction =
  | { type: "server"; message: ServerMessage }
  | { type: "batch"; messages: ServerMessage[] }
  /** This tab sent a user_turn: show it as queued until its turn starts. */
  | { type: "local_send"; session: string; id: string; text: string }
  /** The session's stored messages were (re)loaded: ended live turns they contain go. */
  | { type: "history_loaded"; session: string; turnIds: string[] }
  | { type: "dismiss_error"; id: number }
  | { type: "reset" };

export const initialLiveState: LiveState = {
  synced: false,
  sessions: {},
  outcomes: {},
  errors: [],
  nextErrorId: 1,
  endSeq: {},
  snapshotSeq: 0,
  listSeq: 0,
  skillsSeq: 0,
};

const EMPTY_SESSION: SessionLive = { turns: [], queued: [] };

function sameText(a: string, b: string): boolean {
  return a.trim() === b.trim();
}

/** Applies one event to one session's live state, recording how ended turns ended. */
function applySessionEvent(
  session: SessionLive,
  event: Event,
  outcomes: Record<string, TurnEnd>,
): { session: SessionLive; outcomes: Record<string, TurnEnd> } {
  let { turns, queued } = session;
  const current = turns[turns.length - 1];
  if (event.type === "turn_started") {
    turns = [...turns, applyEvent(emptyTurn(null, null), event)];
    const idx = queued.findIndex((q) => sameText(q.text, event.text));
    if (idx >= 0) queued = [...queued.slice(0, idx), ...queued.slice(idx + 1)];
  } else if (!current || current.end) {
    // An event without a running turn (a lone turn_failed, or a missed turn_started).
    turns = [...turns, applyEvent(emptyTurn(null, null), event)];
  } else {
    turns = [...turns.slice(0, -1), applyEvent(current, event)];
  }
  const end = endOf(event);
  const ended = turns[turns.length - 1];
  if (end && ended?.turnId) outcomes = { ...outcomes, [ended.turnId]: end };
  return { session: { turns, queued }, outcomes };
}

function applySnapshot(state: LiveState, turns: { session: string; events: Event[] }[]): LiveState {
  const sessions: Record<string, SessionLive> = {};
  let outcomes = state.outcomes;
  const fresh = new Map<string, Event[]>();
  for (const t of turns) fresh.set(t.session, [...(fresh.get(t.session) ?? []), ...t.events]);

  const ids = new Set([...Object.keys(state.sessions), ...fresh.keys()]);
  for (const id of ids) {
    const prev = state.sessions[id] ?? EMPTY_SESSION;
    const events = fresh.get(id) ?? [];
    const startedIds = new Set(
      events.flatMap((e) => (e.type === "turn_started" ? [e.turn_id] : [])),
    );
    // Ended turns already seen are facts; keep them until history replaces them.
    const kept: TurnView[] = prev.turns.filter(
      (t) => t.end !== null && !(t.turnId && startedIds.has(t.turnId)),
    );
    // Without a running turn, whatever this tab queued has run or is gone.
    let live: SessionLive = { turns: kept, queued: events.length ? prev.queued : [] };
    for (const event of events) {
      const r = applySessionEvent(live, event, outcomes);
      live = r.session;
      outcomes = r.outcomes;
    }
    if (live.turns.length || live.queued.length) sessions[id] = live;
  }
  return {
    ...state,
    synced: true,
    sessions,
    outcomes,
    snapshotSeq: state.snapshotSeq + 1,
    listSeq: state.listSeq + 1,
    // Skills may have changed while the socket was down.
    skillsSeq: state.skillsSeq + 1,
  };
}

function applyServer(state: LiveState, message: ServerMessage): LiveState {
  switch (message.type) {
    case "snapshot":
      return applySnapshot(state, message.turns);
    case "event": {
      const prev = state.sessions[message.session] ?? EMPTY_SESSION;
      const r = applySessionEvent(prev, message.event, state.outcomes);
      const endSeq = endOf(message.event)
        ? { ...state.endSeq, [message.session]: (state.endSeq[message.session] ?? 0) + 1 }
        : state.endSeq;
      return {
        ...state,
        sessions: { ...state.sessions, [message.session]: r.session },
        outcomes: r.outcomes,
        endSeq,
        // A turn starting or ending changes the list's order, times and markers.
        listSeq:
          message.event.type === "turn_started" || endOf(message.event) ? state.listSeq + 1 : state.listSeq,
      };
    }
    case "error": {
      const errors = [
        ...state.errors,
        { id: state.nextErrorId, session: message.session, message: message.message },
      ].slice(-20);
      let sessions = state.sessions;
      const s = message.session ? sessions[message.session] : undefined;
      if (message.session && s && s.queued.length && !isRunningIn(s)) {
        // The op this tab sent was refused: it will never start.
        sessions = { ...sessions, [message.session]: { ...s, queued: [] } };
      }
      return { ...state, sessions, errors, nextErrorId: state.nextErrorId + 1 };
    }
    case "sessions_changed":
      return { ...state, listSeq: state.listSeq + 1 };
    case "skills_changed":
      return { ...state, skillsSeq: state.skillsSeq + 1 };
    default:
      // Message types added later carry no live state.
      return state;
  }
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.type) {
    case "server":
      return applyServer(state, action.message);
    case "batch":
      return action.messages.reduce(applyServer, state);
    case "local_send": {
      const prev = state.sessions[action.session] ?? EMPTY_SESSION;
      const queued = [...prev.queued, { id: action.id, text: action.text }];
      return { ...state, sessions: { ...state.sessions, [action.session]: { ...prev, queued } } };
    }
    case "history_loaded": {
      const prev = state.sessions[action.session];
      if (!prev) return state;
      const stored = new Set(action.turnIds);
      const turns = prev.turns.filter((t) => !(t.end && t.turnId && stored.has(t.turnId)));
      if (turns.length === prev.turns.length) return state;
      return { ...state, sessions: { ...state.sessions, [action.session]: { ...prev, turns } } };
    }
    case "dismiss_error":
      return { ...state, errors: state.errors.filter((e) => e.id !== action.id) };
    case "reset":
      return initialLiveState;
  }
}

function isRunningIn(session: SessionLive): boolean {
  const last = session.turns[session.turns.length - 1];
  return !!last && last.end === null;
}

/** Whether a turn runs in the session now, as far as the live stream knows. */
export function isRunning(state: LiveState, session: string): boolean {
  const s = state.sessions[session];
  return !!s && isRunningIn(s);
}

/** The running turn's id in a session, if any. */
export function runningTurnId(state: LiveState, session: string): string | null {
  const s = state.sessions[session];
  const last = s?.turns[s.turns.length - 1];
  return last && last.end === null ? last.turnId : null;
}

/** Tool calls waiting for a person, across sessions. */
export function waitingApprovals(state: LiveState): { session: string; callId: string }[] {
  const out: { session: string; callId: string }[] = [];
  for (const [session, s] of Object.entries(state.sessions)) {
    for (const turn of s.turns) {
      for (const b of turn.blocks) {
        if (b.kind === "tool" && b.tool.status === "approval") out.push({ session, callId: b.tool.callId });
      }
    }
  }
  return out;
}
