// Owns the WebSocket and the live reducer while the user is logged in, and hands both to
// the pages through context.

import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from "react";
import { api } from "../api/endpoints";
import { HttpError } from "../api/rest";
import { LiveSocket, newSubmissionId, type SocketStatus } from "../api/socket";
import type { Op } from "../generated/protocol";
import { initialLiveState, liveReducer, type LiveAction } from "./live";
import type { LiveState } from "./types";

export interface LiveContextValue {
  state: LiveState;
  status: SocketStatus;
  dispatch: (action: LiveAction) => void;
  /** Sends an op under a fresh submission id and returns that id. */
  send: (op: Op) => string;
  /**
   * Sends a user message to a session and shows it as queued until the turn of its
   * submission starts (or the server refuses it). Returns the submission id.
   */
  sendTurn: (session: string, text: string) => string;
}

const LiveContext = createContext<LiveContextValue | null>(null);

export function useLive(): LiveContextValue {
  const ctx = useContext(LiveContext);
  if (!ctx) throw new Error("useLive outside <LiveProvider>");
  return ctx;
}

/** The same, or null outside <LiveProvider> (for parts that also work on their own). */
export function useLiveOptional(): LiveContextValue | null {
  return useContext(LiveContext);
}

async function stillLoggedIn(): Promise<boolean> {
  try {
    await api.approvals();
    return true;
  } catch (err) {
    // Unreachable server: keep trying to reconnect; 401: logged out.
    return !(err instanceof HttpError && err.status === 401);
  }
}

export function LiveProvider({ children, onAuthRequired }: { children: ReactNode; onAuthRequired: () => void }) {
  const [state, dispatch] = useReducer(liveReducer, initialLiveState);
  const [status, setStatus] = useState<SocketStatus>("connecting");
  const socket = useRef<LiveSocket | null>(null);
  const authRef = useRef(onAuthRequired);
  authRef.current = onAuthRequired;

  useEffect(() => {
    const s = new LiveSocket({
      onMessages: (messages) => dispatch({ type: "batch", messages }),
      onStatus: setStatus,
      checkAuth: stillLoggedIn,
      onAuthRequired: () => authRef.current(),
    });
    socket.current = s;
    s.start();
    return () => {
      s.stop();
      socket.current = null;
    };
  }, []);

  const send = useCallback((op: Op) => {
    const id = newSubmissionId();
    socket.current?.send({ id, op });
    return id;
  }, []);

  const sendTurn = useCallback((session: string, text: string) => {
    const id = newSubmissionId("turn");
    // Queued first, so the turn_started naming this id always finds it.
    dispatch({ type: "local_send", session, id, text });
    socket.current?.send({ id, op: { type: "user_turn", session, text } });
    return id;
  }, []);

  const value = useMemo(() => ({ state, status, dispatch, send, sendTurn }), [state, status, send, sendTurn]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
