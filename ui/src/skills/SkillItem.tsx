// One skill in the list: emoji and name (opens the detail), description, badges, why it
// cannot run, what it shadows, and the on/off button.

import { useState } from "react";
import { AlertIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { SkillDetail, SkillView } from "../generated/protocol";
import { routeHref } from "../lib/router";
import { enableNeedsConfirm, sentenceCase } from "./model";
import { EnableConfirm, FindingList, Inline, Shadows, SkillEmoji, SourceBadge, StatusBadge } from "./parts";

export interface SkillActions {
  /** The skill a request is running for. */
  busy: string | null;
  /** Turns the skill on or off; the daemon's answer, or null when it refused (a toast says why). */
  setEnabled: (skill: SkillView, enabled: boolean) => Promise<SkillDetail | null>;
}

export function Unmet({ reasons }: { reasons: string[] }) {
  if (!reasons.length) return null;
  return (
    <p className="skill-unmet" data-testid="skill-unmet">
      <AlertIcon size={14} />
      <span>
        {reasons.map((r, i) => (
          <span key={r}>
            {i > 0 && <span className="sep"> · </span>}
            <span className="reason">
              <Inline text={sentenceCase(r)} />
            </span>
          </span>
        ))}
      </span>
    </p>
  );
}

export function ToggleButton({ skill, actions, onAskConfirm }: { skill: SkillView; actions: SkillActions; onAskConfirm: () => void }) {
  const busy = actions.busy === skill.name;
  if (skill.status === "disabled") {
    return (
      <button
        type="button"
        className="btn btn-sm"
        data-testid="skill-enable"
        aria-label={`Enable ${skill.name}`}
        disabled={busy}
        onClick={() => (enableNeedsConfirm(skill) ? onAskConfirm() : void actions.setEnabled(skill, true))}
      >
        {busy && <Spinner size={12} />} Enable
      </button>
    );
  }
  return (
    <button
      type="button"
      className="btn btn-sm"
      data-testid="skill-disable"
      aria-label={`Disable ${skill.name}`}
      disabled={busy}
      onClick={() => void actions.setEnabled(skill, false)}
    >
      {busy && <Spinner size={12} />} Disable
    </button>
  );
}

export function SkillItem({ skill, actions, folder }: { skill: SkillView; actions: SkillActions; folder?: string | undefined }) {
  const [confirming, setConfirming] = useState(false);
  const reviewed = skill.approved && skill.findings.length > 0;
  return (
    <li className="skill-item" data-testid="skill-item" data-skill-name={skill.name} data-status={skill.status}>
      <div className="skill-row">
        <SkillEmoji emoji={skill.emoji} />
        <div className="skill-main">
          <div className="skill-title">
            <a className="skill-name" href={routeHref({ page: "skills", skill: skill.name })}>
              {skill.name}
            </a>
            <span className="skill-badges">
              <StatusBadge status={skill.status} />
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
          {skill.status === "unavailable" && <Unmet reasons={skill.unmet} />}
          <Shadows shadows={skill.shadows} />
        </div>
        <div className="skill-actions">
          <ToggleButton skill={skill} actions={actions} onAskConfirm={() => setConfirming(true)} />
        </div>
      </div>
      {confirming && (
        <EnableConfirm
          skill={skill}
          busy={actions.busy === skill.name}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            if (await actions.setEnabled(skill, true)) setConfirming(false);
          }}
        >
          <FindingList findings={skill.findings} />
        </EnableConfirm>
      )}
    </li>
  );
}
