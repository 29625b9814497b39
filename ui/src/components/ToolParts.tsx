// What every tool card shows the same way: the status icon and label, the (truncated)
// output, the approval question, who decided, and images the tool made.

import { useEffect, useMemo, useState } from "react";
import { fetchImage } from "../api/endpoints";
import type { ApprovalDecision, DecidedBy } from "../generated/protocol";
import type { ToolCallView, ToolStatus } from "../state/types";
import { ApprovalButtons } from "./ApprovalButtons";
import { BanIcon, CheckIcon, CrossIcon, HandIcon } from "./Icons";
import { Spinner } from "./Spinner";

export const OUTPUT_PREVIEW_CHARS = 2000;
export const OUTPUT_PREVIEW_LINES = 40;

export const STATUS_LABEL: Record<ToolStatus, string> = {
  approval: "waiting for approval",
  running: "running",
  ok: "done",
  error: "failed",
  denied: "denied",
  cancelled: "stopped",
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

export function StatusIcon({ status }: { status: ToolStatus }) {
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
    case "cancelled":
      return <CrossIcon size={16} />;
  }
}

export function Output({ output }: { output: string }) {
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
export function Thumbnail({ path }: { path: string }) {
  const [broken, setBroken] = useState(false);
  const [url, setUrl] = useState<string | null>(null);
  const name = fileName(path);
  // Fetched with the login key (an <img src> could not send it), shown from a blob: URL.
  useEffect(() => {
    const abort = new AbortController();
    let made: string | null = null;
    setBroken(false);
    fetchImage(path, abort.signal)
      .then((blobUrl) => {
        made = blobUrl;
        setUrl(blobUrl);
      })
      .catch(() => {
        if (!abort.signal.aborted) setBroken(true);
      });
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [path]);
  if (broken) {
    return (
      <span className="tool-image-missing muted" data-testid="tool-image-missing">
        {name}: the image is no longer available
      </span>
    );
  }
  if (!url) return <span className="tool-image tool-image-loading" data-testid="tool-image-loading" aria-busy="true" />;
  return (
    <a className="tool-image-link" href={url} target="_blank" rel="noopener noreferrer" title={`Open ${name}`}>
      <img
        className="tool-image"
        data-testid="tool-image"
        src={url}
        alt={`Screenshot ${name}`}
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

export function decisionNote(decision: ApprovalDecision, by: DecidedBy): string {
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

/** The question while a person is asked, and who settled it afterwards. */
export function ApprovalPanel({
  tool,
  onDecide,
  autoFocus,
}: {
  tool: ToolCallView;
  onDecide?: ((decision: ApprovalDecision) => void) | undefined;
  autoFocus: boolean;
}) {
  return (
    <>
      {tool.status === "approval" && tool.approval && (
        <div className="approval">
          <p className="approval-summary">
            <strong>Allow?</strong> {tool.approval.summary}
          </p>
          {onDecide ? <ApprovalButtons onDecide={onDecide} autoFocus={autoFocus} label={`Answer for ${tool.name}`} /> : null}
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
    </>
  );
}
