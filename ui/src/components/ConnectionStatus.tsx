import type { SocketStatus } from "../api/socket";

const LABEL: Record<SocketStatus, string> = {
  connecting: "connecting",
  connected: "connected",
  reconnecting: "reconnecting",
  stopped: "offline",
};

export function ConnectionStatus({ status }: { status: SocketStatus }) {
  return (
    <span
      className={`conn conn-${status}`}
      data-testid="connection-status"
      data-status={status}
      role="status"
      title={status === "connected" ? "Live updates connected" : "Live updates interrupted: reconnecting"}
    >
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{LABEL[status]}{status === "reconnecting" || status === "connecting" ? "…" : ""}</span>
    </span>
  );
}
