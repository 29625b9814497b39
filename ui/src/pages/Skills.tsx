// Skills: what each skill is, whether it can run, what vetting found in the ones that wait
// for review, files that did not load, and the folders skills come from. #/skills/NAME
// shows one skill. Refetched whenever the live stream says skills changed.

import { useCallback, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { AlertIcon, FolderIcon, RefreshIcon, ShieldIcon, SparkIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { SkillDetail, SkillFolder, SkillStatus, SkillView, SkillsReport } from "../generated/protocol";
import { SOURCE_LABEL, STATUSES, STATUS_COUNT_LABEL, countByStatus, location, sections } from "../skills/model";
import { Inline, PathText } from "../skills/parts";
import { ReviewCard } from "../skills/ReviewCard";
import { SkillDetailView } from "../skills/SkillDetail";
import { SkillItem, type SkillActions } from "../skills/SkillItem";
import { useLive } from "../state/LiveProvider";
import { useSkillsReport } from "../state/useSkills";

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function Counts({ skills }: { skills: SkillView[] }) {
  const counts = countByStatus(skills);
  return (
    <ul className="skill-counts" data-testid="skills-counts" aria-label="Skills by status">
      {STATUSES.map((s: SkillStatus) => (
        <li key={s} className={`skill-count count-${s}${counts[s] ? "" : " zero"}`} data-testid={`skills-count-${s}`}>
          <span className="count-dot" aria-hidden="true" />
          <strong>{counts[s]}</strong> {STATUS_COUNT_LABEL[s]}
        </li>
      ))}
    </ul>
  );
}

function Folders({ folders }: { folders: SkillFolder[] }) {
  if (!folders.length) return null;
  return (
    <footer className="skills-folders" aria-labelledby="skills-folders-title" data-testid="skills-folders">
      <h2 id="skills-folders-title" className="subhead">
        <FolderIcon size={16} /> Folders
      </h2>
      <p className="muted small">
        Pincer reads skills from these folders and notices changes within a second. When two folders have a skill of the
        same name, the one higher in this list wins. A folder created later is picked up too.
      </p>
      <ol className="folder-list">
        {folders.map((f) => (
          <li key={f.path} data-testid="skill-folder" data-exists={f.exists}>
            <span className="badge badge-source">{SOURCE_LABEL[f.source]}</span>
            <PathText path={f.path} />
            {!f.exists && (
              <span className="folder-missing" title="Pincer watches it once it exists: after creating it, press Reload">
                does not exist yet
              </span>
            )}
          </li>
        ))}
      </ol>
    </footer>
  );
}

function Empty({ folder }: { folder: string | null }) {
  return (
    <div className="empty-state skills-empty" data-testid="skills-empty">
      <SparkIcon size={32} />
      <h2>No skills yet</h2>
      <p>
        A skill is a folder with a <code>SKILL.md</code>: a short description and step-by-step instructions Pincer reads
        when a task calls for them.
      </p>
      <p>
        {folder ? (
          <>
            Drop one into <code>{folder}</code> and it shows up here,
          </>
        ) : (
          <>Drop one into a skills folder and it shows up here,</>
        )}{" "}
        or start one from a template with <code>pincer skills new NAME</code>.
      </p>
    </div>
  );
}

export function SkillsPage({ skill }: { skill: string | null }) {
  const { state } = useLive();
  const toast = useToast();
  const { report, setReport, error, refetch } = useSkillsReport(state.skillsSeq);
  const [busy, setBusy] = useState<string | null>(null);
  const [reloading, setReloading] = useState(false);

  const setEnabled = useCallback(
    async (s: SkillView, enabled: boolean): Promise<SkillDetail | null> => {
      setBusy(s.name);
      try {
        const detail = enabled ? await api.enableSkill(s.name) : await api.disableSkill(s.name);
        const next = detail.skill;
        setReport((r) => r && { ...r, skills: r.skills.map((x) => (x.name === next.name ? next : x)) });
        if (!enabled) toast(`${next.name} is off`, { kind: "success", testId: "skill-toast" });
        else if (next.status === "unavailable")
          toast(`${next.name} is on, but cannot run here yet: ${next.unmet.join("; ")}`, { kind: "info", testId: "skill-toast" });
        else toast(`${next.name} is on`, { kind: "success", testId: "skill-toast" });
        refetch();
        return detail;
      } catch (err) {
        toast(`Could not ${enabled ? "enable" : "disable"} ${s.name}: ${errorText(err)}`, { kind: "error" });
        return null;
      } finally {
        setBusy(null);
      }
    },
    [setReport, toast, refetch],
  );

  const actions: SkillActions = useMemo(() => ({ busy, setEnabled }), [busy, setEnabled]);

  const reload = async () => {
    setReloading(true);
    try {
      const r: SkillsReport = await api.reloadSkills();
      setReport(r);
      toast(`Read ${r.skills.length} skill${r.skills.length === 1 ? "" : "s"} again`, { kind: "success", testId: "skills-reloaded" });
    } catch (err) {
      toast(`Could not reload the skills: ${errorText(err)}`, { kind: "error" });
    } finally {
      setReloading(false);
    }
  };

  const folderOf = useMemo(() => {
    const map: Record<string, string> = {};
    for (const f of report?.folders ?? []) map[f.source] ??= f.path;
    return map;
  }, [report]);

  if (skill) return <SkillDetailView name={skill} seq={state.skillsSeq} actions={actions} folders={folderOf} />;

  const { review, list } = sections(report?.skills ?? []);
  const problems = report?.problems ?? [];

  return (
    <div className="page">
      <div className="page-inner skills-page">
        <header className="page-head skills-head">
          <h1>Skills</h1>
          <button type="button" className="btn" data-testid="skills-reload" onClick={reload} disabled={reloading}>
            {reloading ? <Spinner size={14} /> : <RefreshIcon size={16} />} Reload
          </button>
          {report && <Counts skills={report.skills} />}
        </header>

        {error && (
          <div className="notice notice-error" role="alert" data-testid="skills-error">
            <AlertIcon size={16} />
            <span>Could not load the skills: {error}</span>
          </div>
        )}
        {!report && !error && (
          <div className="page-loading">
            <Spinner size={20} label="Loading skills" />
          </div>
        )}

        {report && (
          <>
            {review.length > 0 && (
              <section className="skills-section" aria-labelledby="skills-review-title" data-testid="skills-review">
                <div className="section-head">
                  <h2 id="skills-review-title" className="review-title">
                    <ShieldIcon size={18} /> Needs your review
                  </h2>
                  <p className="muted">
                    Vetting found lines in {review.length === 1 ? "this skill" : "these skills"} that look like what
                    malicious skills do. {review.length === 1 ? "It stays" : "They stay"} off until you have read them.
                  </p>
                </div>
                <ul className="review-list">
                  {review.map((s) => (
                    <ReviewCard key={s.name} skill={s} actions={actions} folder={folderOf[s.source]} />
                  ))}
                </ul>
              </section>
            )}

            {report.skills.length === 0 ? (
              // The first folder that exists (the data home's is always there) is where to drop one.
              <Empty folder={(report.folders.find((f) => f.exists) ?? report.folders[0])?.path ?? null} />
            ) : (
              list.length > 0 && (
                <section className="skills-section" aria-labelledby="skills-list-title">
                  <div className="section-head">
                    <h2 id="skills-list-title">{review.length ? "Other skills" : "All skills"}</h2>
                    <p className="muted">
                      Pincer keeps a one-line index of the ready ones and reads a skill's instructions when a task calls
                      for it.
                    </p>
                  </div>
                  <ul className="card skill-list" data-testid="skills-list">
                    {list.map((s) => (
                      <SkillItem key={s.name} skill={s} actions={actions} folder={folderOf[s.source]} />
                    ))}
                  </ul>
                </section>
              )
            )}

            {problems.length > 0 && (
              <section className="skills-section" aria-labelledby="skills-problems-title" data-testid="skills-problems">
                <div className="section-head">
                  <h2 id="skills-problems-title">Could not load</h2>
                  <p className="muted">Fix these files: Pincer reads them again as soon as they change.</p>
                </div>
                <ul className="card problem-list">
                  {problems.map((p, i) => (
                    <li key={`${p.path}:${p.line ?? ""}:${i}`} className="problem" data-testid="skill-problem">
                      <AlertIcon size={15} />
                      <span>
                        <PathText path={location(p.path, p.line)} />
                        <span className="problem-sep"> — </span>
                        <Inline text={p.message} />
                      </span>
                    </li>
                  ))}
                </ul>
              </section>
            )}

            <Folders folders={report.folders} />
          </>
        )}
      </div>
    </div>
  );
}
