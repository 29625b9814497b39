// The Skills page's data: the report, refetched whenever the live stream says skills
// changed (hot reload, or enabled/disabled in another tab or the CLI).

import { useCallback, useEffect, useState } from "react";
import { api } from "../api/endpoints";
import type { SkillsReport } from "../generated/protocol";

export function useSkillsReport(reloadKey: number) {
  const [report, setReport] = useState<SkillsReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  const refetch = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    // A newer fetch aborts an older one, so an old answer never lands last.
    const ctrl = new AbortController();
    api
      .skills(ctrl.signal)
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch((err: unknown) => {
        if (ctrl.signal.aborted) return;
        setError(err instanceof Error ? err.message : String(err));
      });
    return () => ctrl.abort();
  }, [reloadKey, tick]);

  return { report, setReport, error, refetch };
}
