// The four answers to an approval request. The first button takes the focus so a
// keyboard user can answer at once (unless they are typing a message right now).

import { useEffect, useRef, useState } from "react";
import type { ApprovalDecision } from "../generated/protocol";

const CHOICES: { decision: ApprovalDecision; label: string; testId: string; tone: string }[] = [
  { decision: "once", label: "Allow once", testId: "approve-once", tone: "primary" },
  { decision: "session", label: "Allow for this session", testId: "approve-session", tone: "" },
  { decision: "always", label: "Always allow", testId: "approve-always", tone: "" },
  { decision: "deny", label: "Deny", testId: "approve-deny", tone: "danger" },
];

function userIsTyping(): boolean {
  const el = document.activeElement;
  if (!(el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement)) return false;
  return el.value.trim().length > 0;
}

export interface ApprovalButtonsProps {
  onDecide: (decision: ApprovalDecision) => void;
  autoFocus?: boolean;
  label: string;
}

export function ApprovalButtons({ onDecide, autoFocus = true, label }: ApprovalButtonsProps) {
  const first = useRef<HTMLButtonElement>(null);
  const [sent, setSent] = useState<ApprovalDecision | null>(null);

  useEffect(() => {
    if (autoFocus && !userIsTyping()) first.current?.focus({ preventScroll: true });
  }, [autoFocus]);

  // If no approval_resolved comes back (connection lost), let the user answer again.
  useEffect(() => {
    if (!sent) return;
    const t = setTimeout(() => setSent(null), 10_000);
    return () => clearTimeout(t);
  }, [sent]);

  return (
    <div className="approval-buttons" role="group" aria-label={label}>
      {CHOICES.map((c, i) => (
        <button
          key={c.decision}
          ref={i === 0 ? first : undefined}
          type="button"
          className={`btn ${c.tone ? `btn-${c.tone}` : ""}`}
          data-testid={c.testId}
          disabled={sent !== null}
          aria-busy={sent === c.decision}
          onClick={() => {
            setSent(c.decision);
            onDecide(c.decision);
          }}
        >
          {c.label}
        </button>
      ))}
    </div>
  );
}
