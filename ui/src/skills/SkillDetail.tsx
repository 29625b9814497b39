// One skill in full (#/skills/NAME): status and why, what vetting found, how to start it,
// every field the skill sets, install hints (shown, never run) and its instructions.

import { useEffect, useState, type ReactNode } from "react";
import { api } from "../api/endpoints";
import { HttpError } from "../api/rest";
import { AlertIcon, BackIcon, ExternalIcon, ShieldIcon } from "../components/Icons";
import { Markdown } from "../components/Markdown";
import { Spinner } from "../components/Spinner";
import type { SkillDetail, SkillView } from "../generated/protocol";
import { routeHref } from "../lib/router";
import { SOURCE_HELP, enableNeedsConfirm, sentenceCase } from "./model";
import { EnableConfirm, FindingList, Inline, PathText, SkillEmoji, SourceBadge, StatusBadge } from "./parts";
import type { SkillActions } from "./SkillItem";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function CodeList({ items }: { items: string[] }) {
  return (
    <span className="code-list">
      {items.map((t) => (
        <code key={t}>{t}</code>
      ))}
    </span>
  );
}

function invocation(skill: SkillView): string {
  if (skill.always) return "Always: its instructions are part of every conversation";
  if (skill.model_invocable) return "When a task calls for it, Pincer reads its instructions";
  return skill.user_invocable ? "Only when you start it with /" + skill.name : "Never on its own";
}

function StatusNotice({ skill }: { skill: SkillView }) {
  switch (skill.status) {
    case "ready":
      return null;
    case "unavailable":
      return (
        <div className="notice notice-warn" data-testid="skill-unmet">
          <AlertIcon size={16} />
          <span>
            <strong>It cannot run here yet.</strong>
            <ul className="unmet-list">
              {skill.unmet.map((r) => (
                <li key={r}>
                  <Inline text={sentenceCase(r)} />
                </li>
              ))}
            </ul>
          </span>
        </div>
      );
    case "needs_review":
      return (
        <div className="notice notice-error">
          <ShieldIcon size={16} />
          <span>
            <strong>Off until you review it.</strong> Vetting found {skill.findings.length === 1 ? "a line" : `${skill.findings.length} lines`}{" "}
            that look like what malicious skills do. Read {skill.findings.length === 1 ? "it" : "them"} below, and the
            instructions, before you enable it.
          </span>
        </div>
      );
    case "disabled":
      return (
        <div className="notice notice-info">
          <AlertIcon size={16} />
          <span>You turned this skill off: Pincer does not list it or use its tools until you enable it again.</span>
        </div>
      );
  }
}

export function SkillDetailView({ name, seq, actions, folders }: { name: string; seq: number; actions: SkillActions; folders: Record<string, string> }) {
  const [detail, setDetail] = useState<SkillDetail | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    const ctrl = new AbortController();
    api
      .skill(name, ctrl.signal)
      .then((d) => {
        setDetail(d);
        setError(null);
      })
      .catch((err: unknown) => {
        if (ctrl.signal.aborted) return;
        setError({ status: err instanceof HttpError ? err.status : 0, message: err instanceof Error ? err.message : String(err) });
      });
    return () => ctrl.abort();
  }, [name, seq]);

  useEffect(() => {
    setDetail(null);
    setError(null);
    setConfirming(false);
  }, [name]);

  const back = (
    <a className="back-link" href={routeHref({ page: "skills", skill: null })} data-testid="skill-back">
      <BackIcon size={16} /> All skills
    </a>
  );

  if (!detail) {
    return (
      <div className="page">
        <div className="page-inner">
          {back}
          {error ? (
            <div className="notice notice-error" role="alert" data-testid="skill-detail-error">
              <AlertIcon size={16} />
              <span>{error.status === 404 ? `There is no skill named “${name}”: it may have been removed or renamed.` : `Could not load the skill: ${error.message}`}</span>
            </div>
          ) : (
            <div className="page-loading">
              <Spinner size={20} label="Loading the skill" />
            </div>
          )}
        </div>
      </div>
    );
  }

  const skill = detail.skill;
  const busy = actions.busy === skill.name;
  const set = async (enabled: boolean) => {
    const d = await actions.setEnabled(skill, enabled);
    if (d) {
      setDetail(d);
      setConfirming(false);
    }
  };
  const homepage = skill.homepage && /^https?:\/\//i.test(skill.homepage) ? skill.homepage : null;

  return (
    <div className="page">
      <div className="page-inner skill-detail" data-testid="skill-detail" data-skill-name={skill.name} data-status={skill.status}>
        {back}
        <header className="skill-detail-head">
          <SkillEmoji emoji={skill.emoji} large />
          <div className="skill-detail-title">
            <h1>{skill.name}</h1>
            <div className="skill-badges">
              <StatusBadge status={skill.status} />
              <SourceBadge source={skill.source} folder={folders[skill.source]} />
              {skill.authored && <span className="badge">written by you</span>}
            </div>
          </div>
          <div className="skill-detail-actions">
            {skill.status === "disabled" || skill.status === "needs_review" ? (
              <button
                type="button"
                className={`btn${skill.status === "disabled" && !enableNeedsConfirm(skill) ? " btn-primary" : ""}`}
                data-testid="skill-enable"
                disabled={busy || confirming}
                onClick={() => (enableNeedsConfirm(skill) ? setConfirming(true) : void set(true))}
              >
                {busy && !confirming && <Spinner size={14} />} {enableNeedsConfirm(skill) ? "Enable anyway…" : "Enable"}
              </button>
            ) : (
              <button type="button" className="btn" data-testid="skill-disable" disabled={busy} onClick={() => void set(false)}>
                {busy && <Spinner size={14} />} Disable
              </button>
            )}
          </div>
          <p className="skill-detail-desc">{skill.description}</p>
        </header>

        <StatusNotice skill={skill} />

        {skill.findings.length > 0 && (
          <section className="skill-section" aria-labelledby="findings-title">
            <h2 id="findings-title" className="subhead">
              What vetting found
            </h2>
            {skill.approved && (
              <p className="muted small">
                You enabled this skill after reading these lines. If its files change, it asks for another review.
              </p>
            )}
            <FindingList findings={skill.findings} />
            {confirming && (
              <EnableConfirm skill={skill} busy={busy} onCancel={() => setConfirming(false)} onConfirm={() => void set(true)} />
            )}
          </section>
        )}

        {skill.user_invocable && (
          <p className="skill-slash" data-testid="skill-slash">
            Start it in a chat by typing <code>/{skill.name}</code>, with what you want after it.
          </p>
        )}

        {skill.warnings.length > 0 && (
          <div className="notice notice-warn" data-testid="skill-warnings">
            <AlertIcon size={16} />
            <span>
              <strong>Loaded, but worth a look:</strong>
              <ul className="unmet-list">
                {skill.warnings.map((w) => (
                  <li key={w}>
                    <Inline text={sentenceCase(w)} />
                  </li>
                ))}
              </ul>
            </span>
          </div>
        )}

        {skill.install.length > 0 && (
          <section className="skill-section" aria-labelledby="install-title" data-testid="skill-install">
            <h2 id="install-title" className="subhead">
              Install hints
            </h2>
            <p className="muted small">
              Suggested by the skill. Pincer never runs these: check them, then run them yourself if you want what they
              install.
            </p>
            <pre className="install-hints">
              <code>{skill.install.join("\n")}</code>
            </pre>
          </section>
        )}

        <dl className="card skill-facts">
          <Fact label="Folder">
            <PathText path={skill.path} />
          </Fact>
          <Fact label="Source">{SOURCE_HELP[skill.source]}</Fact>
          <Fact label="Used">{invocation(skill)}</Fact>
          {skill.tools.length > 0 && (
            <Fact label="Tools it adds">
              <CodeList items={skill.tools} />
              <span className="fact-note">
                {skill.source === "bundled" || skill.authored
                  ? "They run without asking unless “Tools added by skills you did not write” is Deny."
                  : "They follow the approval rule “Tools added by skills you did not write”."}{" "}
                <a href={routeHref({ page: "settings" })}>Approval rules</a>
              </span>
            </Fact>
          )}
          {skill.allowed_tools.length > 0 && (
            <Fact label="Tools it uses">
              <CodeList items={skill.allowed_tools} />
              <span className="fact-note">What it expects to call. It grants nothing: your approval rules still apply.</span>
            </Fact>
          )}
          {skill.primary_env && (
            <Fact label="Credential">
              <code>{skill.primary_env}</code>
            </Fact>
          )}
          {homepage ? (
            <Fact label="Homepage">
              <a href={homepage} target="_blank" rel="noopener noreferrer" className="ext-link">
                {homepage} <ExternalIcon size={13} />
              </a>
            </Fact>
          ) : (
            skill.homepage && <Fact label="Homepage">{skill.homepage}</Fact>
          )}
          {skill.license && <Fact label="License">{skill.license}</Fact>}
          {skill.compatibility && <Fact label="Compatibility">{skill.compatibility}</Fact>}
          {skill.shadows.length > 0 && (
            <Fact label="Shadows">
              <ul className="shadows-list" data-testid="skill-shadows">
                {skill.shadows.map((s) => (
                  <li key={s.path}>
                    <SourceBadge source={s.source} />
                    <PathText path={s.path} className="" />
                  </li>
                ))}
              </ul>
              <span className="fact-note">Skills of the same name in lower folders, hidden by this one.</span>
            </Fact>
          )}
          <Fact label="Content hash">
            <code className="hash" title={skill.hash}>
              {skill.hash.slice(0, 12)}
            </code>
          </Fact>
        </dl>

        <section className="skill-section" aria-labelledby="body-title">
          <h2 id="body-title" className="subhead">
            Instructions
          </h2>
          <div className="card skill-body">
            {detail.body.trim() ? (
              <Markdown text={detail.body} testId="skill-body" />
            ) : (
              <p className="muted" data-testid="skill-body">
                This skill has no instructions after its frontmatter.
              </p>
            )}
          </div>
        </section>
      </div>
    </div>
  );
}
