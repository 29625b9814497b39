// The Tasks page's data: the jobs and the runs not ended yet, refetched whenever
// `reloadKey` moves (a run changed state, a model request of a run reported its usage, a
// change was made here) and every minute (next runs move on).

import { useCallback, useEffect, useState } from "react";
import { api } from "../api/endpoints";
import type { JobView, RunStatus, RunView } from "../generated/protocol";

export const ACTIVE: RunStatus[] = ["queued", "running", "waiting_approval"];
const REFRESH_MS = 60_000;

export function useTasks(reloadKey: string) {
  const [jobs, setJobs] = useState<JobView[] | null>(null);
  const [active, setActive] = useState<RunView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  const refetch = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const t = setInterval(refetch, REFRESH_MS);
    return () => clearInterval(t);
  }, [refetch]);

  useEffect(() => {
    const ctrl = new AbortController();
    Promise.all([api.jobs(ctrl.signal), api.runs({ status: ACTIVE, limit: 100 }, ctrl.signal)])
      .then(([jobs, runs]) => {
        setJobs(jobs);
        // Oldest first: the order they started in.
        setActive([...runs].reverse());
        setError(null);
      })
      .catch((err: unknown) => {
        if (!ctrl.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      });
    return () => ctrl.abort();
  }, [reloadKey, tick]);

  return { jobs, setJobs, active, error, refetch };
}
