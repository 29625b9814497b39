// The Memory page's data: the list (or a search's results) for the current filters, and the
// open memory with its history. Both refetch when `reloadKey` changes (after every change
// the page makes, and whenever a turn starts or ends: the model may have saved something).

import { useCallback, useEffect, useState } from "react";
import { api, type MemoryQuery } from "../api/endpoints";
import { HttpError } from "../api/rest";
import type { MemoryDetail, MemoryList } from "../generated/protocol";

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function useMemoryList(query: MemoryQuery, reloadKey: number) {
  const [list, setList] = useState<MemoryList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const refetch = useCallback(() => setTick((t) => t + 1), []);
  const { q = "", scope = "", provenance = "", all = false } = query;

  useEffect(() => {
    // A newer fetch aborts an older one, so an old answer never lands last.
    const ctrl = new AbortController();
    setLoading(true);
    api
      .memories({ q, scope, provenance, all }, ctrl.signal)
      .then((l) => {
        setList(l);
        setError(null);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (ctrl.signal.aborted) return;
        setError(errorText(err));
        setLoading(false);
      });
    return () => ctrl.abort();
  }, [q, scope, provenance, all, reloadKey, tick]);

  return { list, setList, error, loading, refetch };
}

export function useMemoryDetail(id: string | null, reloadKey: number) {
  const [detail, setDetail] = useState<MemoryDetail | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);

  useEffect(() => {
    setDetail((d) => (d && d.memory.id === id ? d : null));
    setError(null);
    if (!id) return;
    const ctrl = new AbortController();
    api
      .memory(id, ctrl.signal)
      .then((d) => {
        setDetail(d);
        setError(null);
      })
      .catch((err: unknown) => {
        if (ctrl.signal.aborted) return;
        setError({ status: err instanceof HttpError ? err.status : 0, message: errorText(err) });
      });
    return () => ctrl.abort();
  }, [id, reloadKey]);

  return { detail: detail && detail.memory.id === id ? detail : null, error };
}
