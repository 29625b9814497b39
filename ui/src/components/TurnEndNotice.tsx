import type { TurnEnd } from "../state/types";
import { FailureHint } from "./FailureHint";
import { AlertIcon } from "./Icons";

export function TurnEndNotice({ end }: { end: TurnEnd }) {
  switch (end.kind) {
    case "completed":
      return null;
    case "cancelled":
      return (
        <p className="turn-stopped" data-testid="turn-stopped">
          stopped
        </p>
      );
    case "step_limit":
      return (
        <div className="notice notice-warn" data-testid="turn-step-limit">
          <AlertIcon size={16} />
          <span>
            Stopped after {end.limit} model steps (the step limit). Send “continue” to let it go on.
          </span>
        </div>
      );
    case "incomplete":
      return (
        <p className="turn-incomplete" data-testid="turn-incomplete">
          No answer was saved for this message: the turn failed or was stopped.
        </p>
      );
    case "failed":
      return (
        <div
          className="notice notice-error"
          data-testid="turn-error"
          data-kind={end.failureKind ?? undefined}
          role="alert"
        >
          <AlertIcon size={16} />
          <span>
            <span className="turn-error-message">{end.error}</span>
            <FailureHint kind={end.failureKind} />
          </span>
        </div>
      );
  }
}
