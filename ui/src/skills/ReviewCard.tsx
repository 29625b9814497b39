// A skill vetting flagged: what it found, line by line, and "Enable anyway" behind an
// explicit confirmation.

import { useState } from "react";
import { Spinner } from "../components/Spinner";
import { routeHref } from "../lib/router";
import type { SkillView } from "../generated/protocol";
import { EnableConfirm, FindingList, SkillSummary } from "./parts";
import type { SkillActions } from "./SkillItem";

export function ReviewCard({ skill, actions, folder }: { skill: SkillView; actions: SkillActions; folder?: string | undefined }) {
  const [confirming, setConfirming] = useState(false);
  const busy = actions.busy === skill.name;
  return (
    <li className="card review-card" data-testid="skill-review" data-skill-name={skill.name} data-status={skill.status}>
      <div className="review-head">
        <SkillSummary skill={skill} folder={folder} showStatus={false} />
      </div>
      <FindingList findings={skill.findings} />
      {confirming ? (
        <EnableConfirm
          skill={skill}
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            if (await actions.setEnabled(skill, true)) setConfirming(false);
          }}
        />
      ) : (
        <div className="review-actions">
          <button type="button" className="btn" data-testid="skill-enable" onClick={() => setConfirming(true)} disabled={busy}>
            Enable anyway…
          </button>
          <button
            type="button"
            className="btn btn-ghost"
            data-testid="skill-disable"
            title="Turn it off for good: it leaves this list and stops asking"
            onClick={() => void actions.setEnabled(skill, false)}
            disabled={busy}
          >
            {busy && <Spinner size={14} />} Keep it off
          </button>
          <span className="spacer" />
          <a className="review-read" href={routeHref({ page: "skills", skill: skill.name })}>
            Read the instructions
          </a>
        </div>
      )}
    </li>
  );
}
