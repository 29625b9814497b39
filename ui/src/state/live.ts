// The live-state reducer: folds WebSocket messages and local actions into per-session
// live turns. Pure and synchronous; React's useReducer drives it.

import type { Event, LiveTurn, ServerMessage } from "../generated/protocol";
import { foldProgress, isRunSession, NO_PROGRESS, type RunProgress } from "../tasks/progress";
import { applyEvent, emptyTurn, endOf } from "./turn";
import type { LiveError, LiveState, QueuedMessage, SessionLive, TurnEnd, TurnView } from "./types";

export type LiveAction =
  | { type: "server"; message: ServerMessage }
  | { type: "batch"; messages: ServerMessage[] }
  /**
   * This tab sent a user_turn with submission id `id`: show it as queued until the
   * `turn_started` naming that submission arrives (or an `error` naming it).
   */
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
  paused: false,
  snapshotSeq: 0,
  listSeq: 0,
  skillsSeq: 0,
  runsSeq: 0,
  runProgress: {},
};

const EMPTY_SESSION: SessionLive = { turns: [], queued: [] };

/**
 * Applies one event of submission `submission` to one session's live state, recording how
 * ended turns ended. A `turn_started` takes this tab's queued message with the same
 * submission id off the queue: pairing is by id, never by text.
 */
function applySessionEvent(
  session: SessionLive,
  submission: string,
  event: Event,
  outcomes: Record<string, TurnEnd>,
): { session: SessionLive; outcomes: Record<string, TurnEnd> } {
  let { turns, queued } = session;
  // The running turn of this submission; a turn runs alone in its session, so this is
  // the last one whenever it exists.
  const current = turns[turns.length - 1];
  if (event.type === "turn_started") {
    turns = [...turns, applyEvent(emptyTurn(null, null, submission), event)];
    queued = queued.filter((q) => q.id !== submission);
  } else if (!current || current.end || (current.submission !== null && current.submission !== submission)) {
    // An event without its running turn (a lone turn_failed, or a missed turn_started).
    turns = [...turns, applyEvent(emptyTurn(null, null, submission), event)];
    queued = queued.filter((q) => q.id !== submission);
  } else {
    turns = [...turns.slice(0, -1), applyEvent(current, event)];
  }
  const end = endOf(event);
  const ended = turns[turns.length - 1];
  if (end && ended?.turnId) outcomes = { ...outcomes, [ended.turnId]: end };
  return { session: { turns, queued }, outcomes };
}

function applySnapshot(state: LiveState, turns: LiveTurn[], paused: boolean): LiveState {
  const sessions: Record<string, SessionLive> = {};
  let outcomes = state.outcomes;
  const fresh = new Map<string, LiveTurn[]>();
  for (const t of turns) fresh.set(t.session, [...(fresh.get(t.session) ?? []), t]);

  const ids = new Set([...Object.keys(state.sessions), ...fresh.keys()]);
  for (const id of ids) {
    const prev = state.sessions[id] ?? EMPTY_SESSION;
    const running = fresh.get(id) ?? [];
    const startedIds = new Set(
      running.flatMap((t) => t.events.flatMap((e) => (e.type === "turn_started" ? [e.turn_id] : []))),
    );
    // Ended turns already seen are facts; keep them until history replaces them.
    const kept: TurnView[] = prev.turns.filter(
      (t) => t.end !== null && !(t.turnId && startedIds.has(t.turnId)),
    );
    // A message the server accepted has run (or runs now) unless the session still has a
    // running turn it can wait behind. One not yet accepted is still on its way (sent
    // from the outbox after this snapshot): its reply or error will come.
    const queued = running.length ? prev.queued : prev.queued.filter((q) => !q.accepted);
    let live: SessionLive = { turns: kept, queued };
    for (const turn of running) {
      for (const event of turn.events) {
        // A run's state changes are not part of its turn (the Tasks page reads them).
        if (event.type === "run_updated") continue;
        const r = applySessionEvent(live, turn.submission, event, outcomes);
        live = r.session;
        outcomes = r.outcomes;
      }
    }
    if (live.turns.length || live.queued.length) sessions[id] = live;
  }
  // A running run's progress so far is in its turn's events; an ended one keeps its last.
  const runProgress: Record<string, RunProgress> = { ...state.runProgress };
  for (const turn of turns) {
    if (isRunSession(turn.session)) runProgress[turn.session] = turn.events.reduce(foldProgress, NO_PROGRESS);
  }
  return {
    ...state,
    synced: true,
    runProgress,
    // Runs may have started or ended while the socket was down.
    runsSeq: state.runsSeq + 1,
    sessions,
    outcomes,
    paused,
    snapshotSeq: state.snapshotSeq + 1,
    listSeq: state.listSeq + 1,
    // Skills may have changed while the socket was down.
    skillsSeq: state.skillsSeq + 1,
  };
}

/** The session whose queue holds `submission`, if this tab queued it. */
function queuedIn(state: LiveState, submission: string): { session: string; message: QueuedMessage } | null {
  for (const [session, s] of Object.entries(state.sessions)) {
    const message = s.queued.find((q) => q.id === submission);
    if (message) return { session, message };
  }
  return null;
}

function withQueue(
  state: LiveState,
  session: string,
  update: (queued: QueuedMessage[]) => QueuedMessage[],
): Record<string, SessionLive> {
  const prev = state.sessions[session] ?? EMPTY_SESSION;
  return { ...state.sessions, [session]: { ...prev, queued: update(prev.queued) } };
}

function applyServer(state: LiveState, message: ServerMessage): LiveState {
  switch (message.type) {
    case "snapshot":
      return applySnapshot(state, message.turns, message.paused);
    case "event": {
      // A background run changed state: not an event of its turn (it comes before the
      // turn starts and after it ends), but a reason to refetch the Tasks page.
      if (message.event.type === "run_updated") return { ...state, runsSeq: state.runsSeq + 1 };
      const runProgress = isRunSession(message.session)
        ? {
            ...state.runProgress,
            [message.session]: foldProgress(state.runProgress[message.session] ?? NO_PROGRESS, message.event),
          }
        : state.runProgress;
      const prev = state.sessions[message.session] ?? EMPTY_SESSION;
      const r = applySessionEvent(prev, message.submission, message.event, state.outcomes);
      const endSeq = endOf(message.event)
        ? { ...state.endSeq, [message.session]: (state.endSeq[message.session] ?? 0) + 1 }
        : state.endSeq;
      return {
        ...state,
        sessions: { ...state.sessions, [message.session]: r.session },
        outcomes: r.outcomes,
        runProgress,
        endSeq,
        // A turn starting or ending changes the list's order, times and markers.
        listSeq:
          message.event.type === "turn_started" || endOf(message.event) ? state.listSeq + 1 : state.listSeq,
      };
    }
    case "reply": {
      // The server took the message: it waits for its turn (or starts now).
      const found = queuedIn(state, message.submission);
      if (!found || found.message.accepted) return state;
      const turnId = message.reply.type === "turn_queued" ? message.reply.turn_id : undefined;
      return {
        ...state,
        sessions: withQueue(state, found.session, (queued) =>
          queued.map((q) => (q.id === message.submission ? { ...q, accepted: true, turnId } : q)),
        ),
      };
    }
    case "error": {
      // A refused user_turn never starts: exactly that queued message goes, and the error
      // carries its text so the page can say which message was not sent.
      const found = message.submission ? queuedIn(state, message.submission) : null;
      const session = found?.session ?? message.session;
      const error: LiveError = {
        id: state.nextErrorId,
        session,
        submission: message.submission,
        kind: message.kind,
        message: message.message,
        text: found?.message.text ?? null,
      };
      const sessions = found
        ? withQueue(state, found.session, (queued) => queued.filter((q) => q.id !== message.submission))
        : state.sessions;
      return { ...state, sessions, errors: [...state.errors, error].slice(-20), nextErrorId: state.nextErrorId + 1 };
    }
    case "paused":
      return { ...state, paused: message.paused };
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
    case "local_send":
      return {
        ...state,
        sessions: withQueue(state, action.session, (queued) => [
          ...queued,
          { id: action.id, text: action.text, accepted: false },
        ]),
      };
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
