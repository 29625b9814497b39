// One tool call: name, argument summary, live status, approval buttons when a person is
// asked, and the (truncated) output once it finished.

import { useId, useMemo, useState } from "react";
import { imageUrl } from "../api/endpoints";
import type { ApprovalDecision, DecidedBy } from "../generated/protocol";
import { formatDuration } from "../lib/format";
import { prettyArgs, summarizeArgs } from "../lib/toolArgs";
import type { ToolCallView, ToolStatus } from "../state/types";
import { ApprovalButtons } from "./ApprovalButtons";
import { BanIcon, CheckIcon, ChevronIcon, CrossIcon, HandIcon } from "./Icons";
import { Spinner } from "./Spinner";

export const OUTPUT_PREVIEW_CHARS = 2000;
export const OUTPUT_PREVIEW_LINES = 40;

const STATUS_LABEL: Record<ToolStatus, string> = {
  approval: "waiting for approval",
  running: "running",
  ok: "done",
  error: "failed",
  denied: "denied",
};

/** The first part of a long output, cut at a line end where possible. */
export function truncateOutput(output: string): { text: string; truncated: boolean; hiddenLines: number } {
  const lines = output.split("\n");
  let text = output;
  if (lines.length > OUTPUT_PREVIEW_LINES) text = lines.slice(0, OUTPUT_PREVIEW_LINES).join("\n");
  if (text.length > OUTPUT_PREVIEW_CHARS) text = text.slice(0, OUTPUT_PREVIEW_CHARS);
  const truncated = text.length < output.length;
  const shownLines = text.split("\n").length;
  return { text, truncated, hiddenLines: truncated ? Math.max(0, lines.length - shownLines) : 0 };
}

function StatusIcon({ status }: { status: ToolStatus }) {
  switch (status) {
    case "running":
      return <Spinner label="running" />;
    case "approval":
      return <HandIcon size={16} />;
    case "ok":
      return <CheckIcon size={16} />;
    case "error":
      return <CrossIcon size={16} />;
    case "denied":
      return <BanIcon size={16} />;
  }
}

function Output({ output }: { output: string }) {
  const [all, setAll] = useState(false);
  const preview = useMemo(() => truncateOutput(output), [output]);
  const lineCount = output ? output.replace(/\n$/, "").split("\n").length : 0;
  return (
    <div className="tool-section">
      <div className="tool-section-label">
        Output <span className="muted">· {output ? `${lineCount} line${lineCount === 1 ? "" : "s"}` : "empty"}</span>
      </div>
      <pre className="tool-output" data-testid="tool-output">
        {all || !preview.truncated ? output : preview.text}
      </pre>
      {preview.truncated && (
        <button type="button" className="btn btn-link" onClick={() => setAll((v) => !v)}>
          {all
            ? "Show less"
            : `Show all (${preview.hiddenLines > 0 ? `${preview.hiddenLines} more lines` : `${output.length - preview.text.length} more characters`})`}
        </button>
      )}
    </div>
  );
}

/** The file name of an absolute path (either separator). */
function fileName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

/** One image the tool made: a thumbnail that opens the full image in a new tab. */
function Thumbnail({ path }: { path: string }) {
  const [broken, setBroken] = useState(false);
  const name = fileName(path);
  const url = imageUrl(path);
  if (broken) {
    return (
      <span className="tool-image-missing muted" data-testid="tool-image-missing">
        {name}: the image is no longer available
      </span>
    );
  }
  return (
    <a className="tool-image-link" href={url} target="_blank" rel="noopener noreferrer" title={`Open ${name}`}>
      <img
        className="tool-image"
        data-testid="tool-image"
        src={url}
        alt={`Screenshot ${name}`}
        loading="lazy"
        decoding="async"
        onError={() => setBroken(true)}
      />
    </a>
  );
}

const USER_DECISION: Record<ApprovalDecision, string> = {
  once: "You allowed this once.",
  session: "You allowed this for the session.",
  always: "You allowed this for good.",
  deny: "You denied this.",
};

function decisionNote(decision: ApprovalDecision, by: DecidedBy): string {
  switch (by) {
    case "user":
      return USER_DECISION[decision];
    case "remembered":
      return decision === "deny" ? "Denied by a remembered answer." : "Allowed by a remembered answer.";
    case "mode":
      return decision === "deny" ? "Denied by the approval mode." : "Allowed by the approval mode.";
    case "policy":
      return decision === "deny" ? "Denied by the approval rules." : "Allowed by the approval rules.";
  }
}

export interface ToolCardProps {
  tool: ToolCallView;
  onDecide?: (decision: ApprovalDecision) => void;
  autoFocusApproval?: boolean;
}

export function ToolCard({ tool, onDecide, autoFocusApproval = true }: ToolCardProps) {
  const summary = useMemo(() => summarizeArgs(tool.arguments), [tool.arguments]);
  const pretty = useMemo(() => prettyArgs(tool.arguments), [tool.arguments]);
  const headId = useId();
  const bodyId = useId();
  const [open, setOpen] = useState<boolean | null>(null);
  const finished = tool.status === "ok" || tool.status === "error" || tool.status === "denied";
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

      {tool.status === "approval" && tool.approval && (
        <div className="approval">
          <p className="approval-summary">
            <strong>Allow?</strong> {tool.approval.summary}
          </p>
          {onDecide ? (
            <ApprovalButtons onDecide={onDecide} autoFocus={autoFocusApproval} label={`Answer for ${tool.name}`} />
          ) : null}
          {tool.approval.pattern && (
            <p className="approval-pattern muted">
              “This session” and “Always” cover <code>{tool.approval.pattern}</code>
            </p>
          )}
        </div>
      )}

      {tool.decision && tool.decidedBy && tool.status !== "approval" && (
        <p className="tool-note muted">{decisionNote(tool.decision, tool.decidedBy)}</p>
      )}

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
