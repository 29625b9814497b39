// One tool call: name, argument summary, live status, approval buttons when a person is
// asked, and the (truncated) output once it finished. A `skill` call gets its own card
// (SkillCard): the skill's name and instructions rather than JSON.

import { useId, useMemo, useState } from "react";
import type { ApprovalDecision } from "../generated/protocol";
import { formatDuration } from "../lib/format";
import { SKILL_TOOL } from "../lib/skillCall";
import { prettyArgs, summarizeArgs } from "../lib/toolArgs";
import type { ToolCallView } from "../state/types";
import { ChevronIcon } from "./Icons";
import { SkillCard } from "./SkillCard";
import { ApprovalPanel, Output, STATUS_LABEL, StatusIcon, Thumbnail } from "./ToolParts";

export { OUTPUT_PREVIEW_CHARS, OUTPUT_PREVIEW_LINES, truncateOutput } from "./ToolParts";

export interface ToolCardProps {
  tool: ToolCallView;
  onDecide?: (decision: ApprovalDecision) => void;
  autoFocusApproval?: boolean;
  /** For a `skill` call: the first block of a turn whose message is this text. */
  turnText?: string | null;
  firstInTurn?: boolean;
}

export function ToolCard(props: ToolCardProps) {
  return props.tool.name === SKILL_TOOL ? <SkillCard {...props} /> : <GenericToolCard {...props} />;
}

function GenericToolCard({ tool, onDecide, autoFocusApproval = true }: ToolCardProps) {
  const summary = useMemo(() => summarizeArgs(tool.arguments), [tool.arguments]);
  const pretty = useMemo(() => prettyArgs(tool.arguments), [tool.arguments]);
  const headId = useId();
  const bodyId = useId();
  const [open, setOpen] = useState<boolean | null>(null);
  const finished = tool.status === "ok" || tool.status === "error" || tool.status === "denied" || tool.status === "cancelled";
  // Failures show their output at once; everything else stays one line until opened.
  const isOpen = open ?? (tool.status === "error" || tool.status === "denied");
  const hasArgs = tool.arguments.trim() !== "" && tool.arguments.trim() !== "{}";

  return (
    <section
      className={`tool-card status-${tool.status}${isOpen ? " open" : ""}`}
      data-testid="tool-card"
      data-call-id={tool.callId}
      data-status={tool.status}
      aria-labelledby={headId}
    >
      <button
        type="button"
        className="tool-head"
        aria-expanded={isOpen}
        aria-controls={bodyId}
        onClick={() => setOpen(!isOpen)}
      >
        <span className="tool-icon">
          <StatusIcon status={tool.status} />
        </span>
        <span className="tool-name" id={headId}>
          {tool.name}
        </span>
        {summary && (
          <span className="tool-summary" title={summary}>
            {summary}
          </span>
        )}
        <span className="tool-meta">
          <span className="tool-status">{STATUS_LABEL[tool.status]}</span>
          {finished && tool.durationMs != null && <span> · {formatDuration(tool.durationMs)}</span>}
        </span>
        <ChevronIcon size={14} className="chev" />
      </button>

      <ApprovalPanel tool={tool} onDecide={onDecide} autoFocus={autoFocusApproval} />

      {tool.images.length > 0 && (
        <div className="tool-images">
          {tool.images.map((path) => (
            <Thumbnail key={path} path={path} />
          ))}
        </div>
      )}

      <div className="tool-body" id={bodyId} hidden={!isOpen}>
        {hasArgs && (
          <div className="tool-section">
            <div className="tool-section-label">Arguments</div>
            <pre className="tool-args">{pretty}</pre>
          </div>
        )}
        {tool.output !== null ? (
          <Output output={tool.output} />
        ) : (
          !hasArgs && <p className="muted tool-section-label">No arguments{finished ? ", no output" : ""}.</p>
        )}
      </div>
    </section>
  );
}
