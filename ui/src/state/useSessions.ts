// The sidebar's session list: searched on the server (debounced), reloaded whenever the
// live stream says the list changed.

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/endpoints";
import type { SessionInfo } from "../generated/protocol";

export function useSessions(reloadKey: number, debounceMs = 250) {
  const [query, setQuery] = useState("");
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const firstLoad = useRef(true);

  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const ctrl = new AbortController();
    const delay = firstLoad.current ? 0 : debounceMs;
    firstLoad.current = false;
    const timer = setTimeout(() => {
      api
        .sessions(query, ctrl.signal)
        .then((list) => {
          setSessions(list);
          setError(null);
        })
        .catch((err: unknown) => {
          if (ctrl.signal.aborted) return;
          setError(err instanceof Error ? err.message : String(err));
        });
    }, delay);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [query, reloadKey, tick, debounceMs]);

  return { sessions, setSessions, error, query, setQuery, reload };
}
