// One skill in the list: emoji and name (opens the detail), description, badges, why it
// cannot run, what it shadows, and the on/off button.

import { useState } from "react";
import { AlertIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { SkillDetail, SkillView } from "../generated/protocol";
import { enableNeedsConfirm, sentenceCase } from "./model";
import { EnableConfirm, FindingList, Inline, Shadows, SkillSummary } from "./parts";

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
  return (
    <li className="skill-item" data-testid="skill-item" data-skill-name={skill.name} data-status={skill.status}>
      <div className="skill-row">
        <SkillSummary skill={skill} folder={folder}>
          {skill.status === "unavailable" && <Unmet reasons={skill.unmet} />}
          <Shadows shadows={skill.shadows} />
        </SkillSummary>
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
