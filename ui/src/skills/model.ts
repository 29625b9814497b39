// Pure helpers for the Skills page: which section a skill goes in, the counts, labels.

import type { FindingKind, SkillSource, SkillStatus, SkillView } from "../generated/protocol";

export const STATUSES: SkillStatus[] = ["ready", "unavailable", "needs_review", "disabled"];

export const STATUS_LABEL: Record<SkillStatus, string> = {
  ready: "Ready",
  unavailable: "Unavailable",
  needs_review: "Needs review",
  disabled: "Disabled",
};

/** The counts in the page header (lower case, after a number). */
export const STATUS_COUNT_LABEL: Record<SkillStatus, string> = {
  ready: "ready",
  unavailable: "unavailable",
  needs_review: "needs review",
  disabled: "disabled",
};

export const SOURCE_LABEL: Record<SkillSource, string> = {
  workspace: "workspace",
  home: "home",
  agents: "~/.agents",
  extra: "extra",
  bundled: "bundled",
};

export const SOURCE_HELP: Record<SkillSource, string> = {
  workspace: "In the workspace's skills folder",
  home: "In the data home's skills folder",
  agents: "In ~/.agents/skills, shared with other agents",
  extra: "In a folder listed under [skills] extra_dirs in config.toml",
  bundled: "Ships with Pincer",
};

export const FINDING_LABEL: Record<FindingKind, string> = {
  pipe_to_shell: "runs a download",
  base64_exec: "runs hidden code",
  credentials: "reads credentials",
  env_dump: "dumps the environment",
  shell_startup: "changes shell start-up",
  runtime_code: "runs code built at run time",
  unvetted: "could not be checked",
};

export interface Sections {
  /** Waiting for the user to read what vetting found, first. */
  review: SkillView[];
  /** Everything else, in name order. */
  list: SkillView[];
}

export function sections(skills: SkillView[]): Sections {
  const byName = [...skills].sort((a, b) => a.name.localeCompare(b.name));
  return {
    review: byName.filter((s) => s.status === "needs_review"),
    list: byName.filter((s) => s.status !== "needs_review"),
  };
}

export function countByStatus(skills: SkillView[]): Record<SkillStatus, number> {
  const counts: Record<SkillStatus, number> = { ready: 0, unavailable: 0, needs_review: 0, disabled: 0 };
  for (const s of skills) counts[s.status] += 1;
  return counts;
}

/**
 * Enabling records the skill's current content as reviewed, so a skill whose findings the
 * user has not accepted yet (waiting for review, or turned off before that) asks first.
 */
export function enableNeedsConfirm(skill: SkillView): boolean {
  return skill.findings.length > 0 && !skill.approved;
}

/** "needs the `gh` binary" → "Needs the `gh` binary". */
export function sentenceCase(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1) : text;
}

/** `path:line` of a problem or finding. */
export function location(path: string, line: number | null): string {
  return line == null ? path : `${path}:${line}`;
}
