// A run's status as a badge, in the page's language.

import type { RunStatus } from "../generated/protocol";
import type { I18n, StringKey } from "../i18n";
import { statusTone } from "./format";

export const STATUS_LABEL: Record<RunStatus, StringKey> = {
  queued: "status.queued",
  running: "status.running",
  waiting_approval: "status.waiting_approval",
  succeeded: "status.succeeded",
  failed: "status.failed",
  timed_out: "status.timed_out",
  cancelled: "status.cancelled",
  skipped: "status.skipped",
  missed: "status.missed",
  lost: "status.lost",
};

export function StatusBadge({ status, i18n }: { status: RunStatus; i18n: I18n }) {
  return (
    <span className={`badge run-status run-status-${statusTone(status)}`} data-testid="run-status" data-status={status}>
      {i18n.t(STATUS_LABEL[status])}
    </span>
  );
}
