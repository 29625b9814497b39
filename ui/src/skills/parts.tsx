// Small pieces the Skills list, review cards and detail share.

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import type { Finding, Shadowed, SkillSource, SkillStatus, SkillView } from "../generated/protocol";
import { ChevronIcon, SparkIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { routeHref } from "../lib/router";
import { FINDING_LABEL, SOURCE_HELP, SOURCE_LABEL, STATUS_LABEL, location } from "./model";

/** Text with `backticked` parts as inline code, as the daemon writes its reasons. */
export function Inline({ text }: { text: string }) {
  const parts = text.split("`");
  if (parts.length < 3 || parts.length % 2 === 0) return <>{text}</>;
  return <>{parts.map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}</>;
}

/** A file path in monospace that wraps after its slashes rather than mid-name. */
export function PathText({ path, className = "path" }: { path: string; className?: string }) {
  const parts = path.split("/");
  return (
    <code className={className || undefined}>
      {parts.map((part, i) => (
        <span key={i}>
          {i > 0 && (
            <>
              /<wbr />
            </>
          )}
          {part}
        </span>
      ))}
    </code>
  );
}

const STATUS_BADGE: Record<SkillStatus, string> = {
  ready: "badge-ok",
  unavailable: "badge-warn",
  needs_review: "badge-danger",
  disabled: "badge-off",
};

export function StatusBadge({ status }: { status: SkillStatus }) {
  return (
    <span className={`badge ${STATUS_BADGE[status]}`} data-testid="skill-status">
      {STATUS_LABEL[status]}
    </span>
  );
}

export function SourceBadge({ source, folder }: { source: SkillSource; folder?: string | undefined }) {
  return (
    <span className="badge badge-source" title={folder ? `${SOURCE_HELP[source]}: ${folder}` : SOURCE_HELP[source]}>
      {SOURCE_LABEL[source]}
    </span>
  );
}

export function SkillEmoji({ emoji, large = false }: { emoji: string | null; large?: boolean }) {
  return (
    <span className={`skill-emoji${large ? " skill-emoji-lg" : ""}`} aria-hidden="true">
      {emoji ? emoji : <SparkIcon size={large ? 22 : 17} />}
    </span>
  );
}

/** What vetting found: where, the line itself, and why it matters. */
export function FindingList({ findings }: { findings: Finding[] }) {
  return (
    <ul className="finding-list">
      {findings.map((f, i) => (
        <li key={`${f.file}:${f.line}:${i}`} className="finding" data-testid="skill-finding" data-line={f.line}>
          <div className="finding-head">
            <code className="finding-loc">{location(f.file, f.line)}</code>
            <span className="finding-kind">{FINDING_LABEL[f.kind] ?? f.kind}</span>
          </div>
          <pre className="finding-excerpt">
            <code>{f.excerpt}</code>
          </pre>
          <p className="finding-why">This line {f.why}.</p>
        </li>
      ))}
    </ul>
  );
}

/** The explicit second step before a flagged skill is turned on. */
export function EnableConfirm({
  skill,
  busy,
  onConfirm,
  onCancel,
  children,
}: {
  skill: SkillView;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ReactNode;
}) {
  const id = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // The safe choice has the focus; confirming takes a deliberate move.
    cancel.current?.focus();
  }, []);
  return (
    <div
      className="enable-confirm"
      role="group"
      aria-labelledby={`${id}-title`}
      data-testid="skill-enable-confirm-panel"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <p id={`${id}-title`} className="enable-confirm-title">
        Enable {skill.name} anyway?
      </p>
      {children}
      <p className="enable-confirm-text">
        Pincer will follow its instructions, these lines included, whenever a task calls for the skill. If its files
        change, it comes back here for another review.
      </p>
      <div className="enable-confirm-actions">
        <button type="button" className="btn btn-danger" data-testid="skill-enable-confirm" onClick={onConfirm} disabled={busy}>
          {busy && <Spinner size={14} />} I have read this — enable
        </button>
        <button ref={cancel} type="button" className="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** "Shadows 1 other", with the hidden skills' folders on expand. */
export function Shadows({ shadows }: { shadows: Shadowed[] }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  if (!shadows.length) return null;
  return (
    <div className="skill-shadows" data-testid="skill-shadows">
      <button
        type="button"
        className="shadows-toggle"
        aria-expanded={open}
        aria-controls={`${id}-list`}
        onClick={() => setOpen((o) => !o)}
      >
        <ChevronIcon size={13} className="shadows-chevron" />
        Shadows {shadows.length} other{shadows.length === 1 ? "" : "s"}
      </button>
      {open && (
        <ul id={`${id}-list`} className="shadows-list">
          {shadows.map((s) => (
            <li key={s.path}>
              <SourceBadge source={s.source} />
              <PathText path={s.path} className="" />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A skill's emoji, linked name, badges and description, as the list and the review cards
 * show it; `children` go under the description. */
export function SkillSummary({
  skill,
  folder,
  showStatus = true,
  children,
}: {
  skill: SkillView;
  folder?: string | undefined;
  showStatus?: boolean;
  children?: ReactNode;
}) {
  const reviewed = skill.approved && skill.findings.length > 0;
  return (
    <>
      <SkillEmoji emoji={skill.emoji} />
      <div className="skill-main">
        <div className="skill-title">
          <a className="skill-name" href={routeHref({ page: "skills", skill: skill.name })}>
            {skill.name}
          </a>
          <span className="skill-badges">
            {showStatus && <StatusBadge status={skill.status} />}
            <SourceBadge source={skill.source} folder={folder} />
            {reviewed && (
              <span className="badge" title="You enabled it after reading what vetting found">
                reviewed
              </span>
            )}
          </span>
        </div>
        <p className="skill-desc" title={skill.description}>
          {skill.description}
        </p>
        {children}
      </div>
    </>
  );
}
