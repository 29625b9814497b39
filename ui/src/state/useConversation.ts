// One session's conversation as a page shows it: the stored history (with what recall gave
// each turn), (re)loaded after each turn end and reconnect, merged with the live turns so no
// turn shows twice. Pages only say when loading makes sense and what to do with failures;
// they never see the protocol.

import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { HttpError } from "../api/rest";
import type { HistoryMessage, Recalled } from "../generated/protocol";
import { liveTurnIds, outcomesFromRecords, storedTurns } from "./history";
import { useLive } from "./LiveProvider";
import type { QueuedMessage, TurnEnd, TurnView } from "./types";

/** A session's stored messages and how its stored turns ended. */
export interface StoredHistory {
  messages: HistoryMessage[];
  /** How the stored turns ended, as the daemon recorded it. */
  outcomes: Record<string, TurnEnd>;
  /** What recall added to stored turns, by turn id (turns without recall are absent). */
  recalls?: Record<string, Recalled[]>;
}

/** Recalled items grouped by their turn, in the order they came. */
export function recallsByTurn(items: Recalled[]): Record<string, Recalled[]> {
  const out: Record<string, Recalled[]> = {};
  for (const item of items) (out[item.turn_id] ??= []).push(item);
  return out;
}

export interface ConversationOptions {
  /** False while the session cannot have anything stored worth fetching (default true). */
  load?: boolean;
  /**
   * The session may run a turn the live stream has not shown yet, so its last stored
   * question is not "incomplete". Messages this tab queued count without being said.
   */
  mayRun?: boolean;
  /** Histories kept across visits: shown at once, refreshed by every load. */
  cache?: Map<string, StoredHistory>;
  /** A load failed (not called when the page moved on before it answered). */
  onError?: (err: unknown) => void;
  /** A load succeeded. */
  onLoaded?: () => void;
  /** What recall gave the stored turns could not be loaded (the history itself was). */
  onRecallsError?: (err: unknown) => void;
}

export interface ConversationView {
  turns: TurnView[];
  /** Messages sent from this tab whose turn has not started. */
  queued: QueuedMessage[];
  /** Whether stored messages of this session are at hand (loaded or cached). */
  loaded: boolean;
}

type Held = { id: string } & StoredHistory;

export function useConversation(session: string | null, options: ConversationOptions = {}): ConversationView {
  const { load = true, mayRun = false, cache } = options;
  const { state, dispatch } = useLive();
  const [history, setHistory] = useState<Held | null>(() => {
    const cached = session ? cache?.get(session) : undefined;
    return session && cached ? { id: session, ...cached } : null;
  });
  // The latest callbacks, so a page passing new closures does not trigger a refetch.
  const onError = useRef(options.onError);
  onError.current = options.onError;
  const onLoaded = useRef(options.onLoaded);
  onLoaded.current = options.onLoaded;
  const onRecallsError = useRef(options.onRecallsError);
  onRecallsError.current = options.onRecallsError;

  const endSeq = session ? (state.endSeq[session] ?? 0) : 0;
  const live = session ? state.sessions[session] : undefined;

  // Load (and reload after each turn end or reconnect) the stored messages.
  useEffect(() => {
    if (!session || !load) return;
    const cached = cache?.get(session);
    setHistory((h) => (h?.id === session ? h : cached ? { id: session, ...cached } : null));
    const ctrl = new AbortController();
    // The chip is extra: a conversation whose recalls fail to load still shows (and says so).
    // A 404 names a session that is gone, which the messages' own 404 reports.
    const recalls = api.recalls(session, ctrl.signal).then(
      (items) => recallsByTurn(items),
      (err: unknown) => {
        if (!ctrl.signal.aborted && !(err instanceof HttpError && err.status === 404)) onRecallsError.current?.(err);
        return {};
      },
    );
    Promise.all([api.messages(session, ctrl.signal), api.turns(session, ctrl.signal), recalls])
      .then(([messages, turns, recalled]) => {
        const stored = { messages, outcomes: outcomesFromRecords(turns), recalls: recalled };
        cache?.set(session, stored);
        setHistory({ id: session, ...stored });
        onLoaded.current?.();
        dispatch({ type: "history_loaded", session, turnIds: [...new Set(messages.map((m) => m.turn_id))] });
      })
      .catch((err: unknown) => {
        if (!ctrl.signal.aborted) onError.current?.(err);
      });
    return () => ctrl.abort();
  }, [session, load, endSeq, state.snapshotSeq, cache, dispatch]);

  const messages = history && history.id === session ? history.messages : null;
  const storedOutcomes = history && history.id === session ? history.outcomes : null;
  const storedRecalls = history && history.id === session ? history.recalls : undefined;

  // Stored turns are rebuilt only when the history or the set of live turns changes, not
  // on every streamed delta, so their components keep their identity and skip rendering.
  // A queued message may already be the last stored turn, started but not yet seen live.
  // A queued message whose turn is already in the stored history (the reply named its
  // turn id; the history reload won the race with turn_started) shows there, once.
  const storedIdsKey = messages ? [...new Set(messages.map((m) => m.turn_id))].join("\u0000") : "";
  const queued = useMemo(() => {
    const storedIds = new Set(storedIdsKey ? storedIdsKey.split("\u0000") : []);
    return (live?.queued ?? []).filter((q) => !(q.turnId && storedIds.has(q.turnId)));
  }, [live?.queued, storedIdsKey]);
  const pending = queued.length > 0;
  const lastMayRun = mayRun || pending;
  const liveIdsKey = [...liveTurnIds(live)].join("\u0000");
  const stored = useMemo(
    () =>
      session
        ? withRecalls(
            storedTurns(
              messages,
              new Set(liveIdsKey ? liveIdsKey.split("\u0000") : []),
              { ...storedOutcomes, ...state.outcomes },
              lastMayRun,
              pending,
            ),
            storedRecalls,
          )
        : [],
    [session, messages, liveIdsKey, storedOutcomes, storedRecalls, state.outcomes, lastMayRun, pending],
  );
  return useMemo(
    () => ({
      turns: [...stored, ...(live?.turns ?? [])],
      // Paired with their turns by ids, never by text: a queued message leaves when its
      // turn_started (or a refusal) names it, or its turn id shows up in the history.
      queued,
      loaded: messages !== null,
    }),
    [stored, live, messages, queued],
  );
}

/** Stored turns with what recall gave them, matched by turn id. */
function withRecalls(turns: TurnView[], recalls: Record<string, Recalled[]> | undefined): TurnView[] {
  if (!recalls) return turns;
  return turns.map((t) => {
    const items = t.turnId ? recalls[t.turnId] : undefined;
    return items?.length ? { ...t, recalled: items } : t;
  });
}
