// A call of the `skill` tool: "Skill · name" (with its emoji, the name linking to the skill
// in Skills), "started by you" when it came from a `/name` message, and the instructions it
// loaded, folded until opened and shown as Markdown without the `<skill …>` wrapper.
// A skill that could not load (output `error: …`) looks like any failed call.

import { useId, useMemo, useState } from "react";
import type { ApprovalDecision } from "../generated/protocol";
import { routeHref } from "../lib/router";
import { parseSkillOutput, skillNameOf, startedByUser } from "../lib/skillCall";
import { useKnownSkills } from "../skills/commands";
import type { ToolCallView, ToolStatus } from "../state/types";
import { ChevronIcon } from "./Icons";
import { Markdown } from "./Markdown";
import { ApprovalPanel, Output, STATUS_LABEL, StatusIcon } from "./ToolParts";

export interface SkillCardProps {
  tool: ToolCallView;
  onDecide?: (decision: ApprovalDecision) => void;
  autoFocusApproval?: boolean;
  /** The message of the turn the call is in. */
  turnText?: string | null;
  /** The call is the turn's first block (where the engine puts a `/name` start). */
  firstInTurn?: boolean;
}

export function SkillCard({ tool, onDecide, autoFocusApproval = true, turnText = null, firstInTurn = false }: SkillCardProps) {
  const headId = useId();
  const bodyId = useId();
  const [open, setOpen] = useState<boolean | null>(null);
  const name = useMemo(() => skillNameOf(tool.arguments, tool.output), [tool.arguments, tool.output]);
  const loaded = useMemo(() => (tool.output === null ? null : parseSkillOutput(tool.output)), [tool.output]);
  // The emoji is known once the page has the skills list (the composer asks for it).
  const known = useKnownSkills();
  const emoji = (name && known?.all.find((s) => s.name === name)?.emoji) || null;
  const failed = tool.status === "error" || /^error:/.test(tool.output ?? "");
  const status: ToolStatus = failed && tool.status === "ok" ? "error" : tool.status;
  const byUser = startedByUser({ skill: name, output: tool.output, firstInTurn, turnText });
  // A failure shows why at once; the instructions stay folded until asked for.
  const isOpen = open ?? (status === "error" || status === "denied");

  return (
    <section
      className={`tool-card skill-card status-${status}${isOpen ? " open" : ""}`}
      data-testid="tool-card"
      data-call-id={tool.callId}
      data-status={status}
      data-skill-name={name ?? undefined}
      data-started-by={byUser ? "user" : "model"}
      aria-labelledby={headId}
    >
      <div className="tool-head skill-card-head">
        {/* Stretched over the whole row (CSS), under the link: a click anywhere else toggles. */}
        <button
          type="button"
          className="skill-card-toggle"
          aria-expanded={isOpen}
          aria-controls={bodyId}
          aria-label={loaded ? `Instructions of ${name ?? "the skill"}` : failed ? "Why it failed" : "Details"}
          onClick={() => setOpen(!isOpen)}
        />
        <span className="tool-icon">
          <StatusIcon status={status} />
        </span>
        <span className="skill-card-title" id={headId} data-testid="skill-card-title">
          <span className="skill-card-label">Skill</span>
          {" · "}
          {name ? (
            <a className="skill-card-link" href={routeHref({ page: "skills", skill: name })} data-testid="skill-card-link">
              {emoji && (
                <span className="skill-card-emoji" aria-hidden="true">
                  {emoji}
                </span>
              )}
              {name}
            </a>
          ) : (
            <span className="muted">unknown</span>
          )}
        </span>
        <span className="tool-meta">
          {byUser && (
            <span className="skill-card-by" data-testid="skill-started-by-user">
              started by you ·{" "}
            </span>
          )}
          <span className="tool-status">{STATUS_LABEL[status]}</span>
        </span>
        <ChevronIcon size={14} className="chev" />
      </div>

      <ApprovalPanel tool={tool} onDecide={onDecide} autoFocus={autoFocusApproval} />

      <div className="tool-body" id={bodyId} hidden={!isOpen}>
        {loaded ? (
          <div className="tool-section">
            <div className="tool-section-label">
              Instructions{loaded.folder && <span className="muted skill-card-folder"> · {loaded.folder}</span>}
            </div>
            {loaded.meta.length > 0 && (
              <ul className="skill-card-meta" data-testid="skill-meta">
                {loaded.meta.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
            {/* Rendered only when open: a long chat has many folded cards. */}
            {isOpen && (
              <div className="skill-card-instructions">
                <Markdown text={loaded.instructions} testId="skill-instructions" />
              </div>
            )}
          </div>
        ) : tool.output !== null ? (
          <Output output={tool.output} />
        ) : (
          <p className="muted tool-section-label">{status === "running" ? "Loading the instructions…" : "Not loaded."}</p>
        )}
      </div>
    </section>
  );
}
