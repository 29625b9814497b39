// A SkillView for tests: ready, user-invocable, with the fields overridden as given.

import type { SkillView, SkillsReport } from "../generated/protocol";

export function skillView(name: string, over: Partial<SkillView> = {}): SkillView {
  return {
    name,
    description: `What ${name} does.`,
    source: "home",
    path: `/data/skills/${name}`,
    status: "ready",
    unmet: [],
    findings: [],
    approved: false,
    shadows: [],
    emoji: null,
    homepage: null,
    license: null,
    compatibility: null,
    allowed_tools: [],
    user_invocable: true,
    model_invocable: true,
    always: false,
    primary_env: null,
    install: [],
    tools: [],
    warnings: [],
    authored: false,
    hash: "0123456789abcdef0123",
    ...over,
  };
}

export function skillsReport(skills: SkillView[]): SkillsReport {
  return { skills, problems: [], folders: [] };
}
