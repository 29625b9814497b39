// One function per backend endpoint, typed with the generated wire types.

import type {
  ConnectionTest,
  DesktopInfo,
  DesktopStatus,
  DesktopUpdate,
  EffectiveView,
  Health,
  HistoryMessage,
  JobChange,
  JobView,
  LoggedOut,
  LoginCode,
  LoginRequest,
  LoginResult,
  LocalModelsView,
  MemoryDetail,
  MemoryList,
  MemoryOp,
  Provenance,
  Recalled,
  Reply,
  NewJobRequest,
  NewSession,
  OpenSession,
  PendingApproval,
  PolicyConfig,
  ProviderInput,
  RenameSession,
  Run,
  RunStatus,
  RunView,
  SchedulePreview,
  SessionInfo,
  SetDefaultModel,
  SettingsView,
  SkillDetail,
  SkillsReport,
  TurnRecord,
  UsageReport,
} from "../generated/protocol";
import { authHeaders, clearLoginKey, setLoginKey } from "./loginKey";
import { request } from "./rest";

const enc = encodeURIComponent;

export const api = {
  health: () => request<Health>("/api/health"),

  /** Logs in and keeps the login's key (see loginKey.ts). */
  login: async (body: LoginRequest) => {
    const result = await request<LoginResult>("/api/login", { method: "POST", body, quietAuth: true });
    setLoginKey(result.key);
  },
  loginCode: () => request<LoginCode>("/api/login-codes", { method: "POST" }),
  logout: async () => {
    try {
      await request<void>("/api/logout", { method: "POST", quietAuth: true });
    } finally {
      clearLoginKey();
    }
  },
  /** Ends every browser login, this one included. */
  logoutEverywhere: async () => {
    const result = await request<LoggedOut>("/api/logout-all", { method: "POST", quietAuth: true });
    clearLoginKey();
    return result;
  },

  sessions: (q: string, signal?: AbortSignal) => {
    const query = q.trim() ? `?q=${enc(q.trim())}` : "";
    return request<SessionInfo[]>(`/api/sessions${query}`, signal ? { signal } : {});
  },
  createSession: (body: NewSession) =>
    request<SessionInfo>("/api/sessions", { method: "POST", body }),
  renameSession: (id: string, body: RenameSession) =>
    request<SessionInfo>(`/api/sessions/${enc(id)}`, { method: "PATCH", body }),
  deleteSession: (id: string) => request<void>(`/api/sessions/${enc(id)}`, { method: "DELETE" }),
  messages: (id: string, signal?: AbortSignal) =>
    request<HistoryMessage[]>(`/api/sessions/${enc(id)}/messages`, signal ? { signal } : {}),

  turns: (id: string, signal?: AbortSignal) =>
    request<TurnRecord[]>(`/api/sessions/${enc(id)}/turns`, signal ? { signal } : {}),

  /** What recall added to each turn of the session (its `turn_id` says which). */
  recalls: (id: string, signal?: AbortSignal) =>
    request<Recalled[]>(`/api/sessions/${enc(id)}/recalls`, signal ? { signal } : {}),

  /** A search (`q`: memories and matching past messages) or, without `q`, a listing. */
  memories: (query: MemoryQuery, signal?: AbortSignal) =>
    request<MemoryList>(`/api/memories${memoryQueryString(query)}`, signal ? { signal } : {}),
  memory: (id: string, signal?: AbortSignal) =>
    request<MemoryDetail>(`/api/memories/${enc(id)}`, signal ? { signal } : {}),
  /** Any change (save, edit, pin, forget, undo); the engine answers `{type: "memory", …}`. */
  changeMemory: (body: MemoryOp) => request<Reply>("/api/memories", { method: "POST", body }),

  approvals: () => request<PendingApproval[]>("/api/approvals"),

  /** Background jobs, each with its schedule in words, next five runs and last run. */
  jobs: (signal?: AbortSignal) => request<JobView[]>("/api/jobs", signal ? { signal } : {}),
  createJob: (body: NewJobRequest) => request<JobView>("/api/jobs", { method: "POST", body }),
  updateJob: (id: string, body: JobChange) => request<JobView>(`/api/jobs/${enc(id)}`, { method: "PATCH", body }),
  deleteJob: (id: string) => request<void>(`/api/jobs/${enc(id)}`, { method: "DELETE" }),
  pauseJob: (id: string) => request<JobView>(`/api/jobs/${enc(id)}/pause`, { method: "POST" }),
  resumeJob: (id: string) => request<JobView>(`/api/jobs/${enc(id)}/resume`, { method: "POST" }),
  runJobNow: (id: string) => request<Run>(`/api/jobs/${enc(id)}/run`, { method: "POST" }),
  /** The run ledger, newest first. */
  runs: (query: RunQuery, signal?: AbortSignal) =>
    request<RunView[]>(`/api/runs${runQueryString(query)}`, signal ? { signal } : {}),
  cancelRun: (id: string) => request<void>(`/api/runs/${enc(id)}/cancel`, { method: "POST" }),
  /** How a schedule reads and its next five runs; a 400 says what to write instead. */
  schedulePreview: (schedule: string, signal?: AbortSignal) =>
    request<SchedulePreview>("/api/schedule-preview", { method: "POST", body: { schedule }, ...(signal ? { signal } : {}) }),

  settings: () => request<SettingsView>("/api/settings"),
  saveProviders: (body: ProviderInput[]) =>
    request<SettingsView>("/api/settings/providers", { method: "PUT", body }),
  savePolicy: (body: PolicyConfig) =>
    request<SettingsView>("/api/settings/policy", { method: "PUT", body }),
  testProvider: (body: ProviderInput) =>
    request<ConnectionTest>("/api/settings/test", { method: "POST", body }),
  /** Who answers now; cheap enough for every empty chat. */
  effectiveProvider: (signal?: AbortSignal) =>
    request<EffectiveView>("/api/settings/effective", signal ? { signal } : {}),

  localModels: () => request<LocalModelsView>("/api/local-models"),
  setDefaultLocalModel: (body: SetDefaultModel) =>
    request<LocalModelsView>("/api/local-models/default", { method: "POST", body }),

  skills: (signal?: AbortSignal) => request<SkillsReport>("/api/skills", signal ? { signal } : {}),
  skill: (name: string, signal?: AbortSignal) =>
    request<SkillDetail>(`/api/skills/${enc(name)}`, signal ? { signal } : {}),
  /** On a skill waiting for review this records its current content as reviewed. */
  enableSkill: (name: string) => request<SkillDetail>(`/api/skills/${enc(name)}/enable`, { method: "POST" }),
  disableSkill: (name: string) => request<SkillDetail>(`/api/skills/${enc(name)}/disable`, { method: "POST" }),
  reloadSkills: () => request<SkillsReport>("/api/skills/reload", { method: "POST" }),

  usage: (days: number) => request<UsageReport>(`/api/usage?days=${days}`),

  desktop: () => request<DesktopInfo>("/api/desktop"),
  updateDesktop: (body: DesktopUpdate) => request<DesktopStatus>("/api/desktop", { method: "PUT", body }),
  openInApp: (body: OpenSession) => request<void>("/api/desktop/open", { method: "POST", body }),
};

export interface MemoryQuery {
  q?: string;
  scope?: string;
  provenance?: Provenance | "";
  /** Also forgotten and replaced memories (listing only). */
  all?: boolean;
  limit?: number;
}

export function memoryQueryString({ q, scope, provenance, all, limit }: MemoryQuery): string {
  const params = new URLSearchParams();
  if (q?.trim()) params.set("q", q.trim());
  if (scope) params.set("scope", scope);
  if (provenance) params.set("provenance", provenance);
  if (all) params.set("all", "true");
  if (limit) params.set("limit", String(limit));
  const text = params.toString();
  return text ? `?${text}` : "";
}

export interface RunQuery {
  job?: string;
  status?: RunStatus[];
  /** Words of the output, the reason or the job's name. */
  q?: string;
  limit?: number;
}

export function runQueryString({ job, status, q, limit }: RunQuery): string {
  const params = new URLSearchParams();
  if (job) params.set("job", job);
  if (status?.length) params.set("status", status.join(","));
  if (q?.trim()) params.set("q", q.trim());
  if (limit) params.set("limit", String(limit));
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Where the page loads an image the agent produced (absolute path on the daemon's machine). */
export function imageUrl(path: string): string {
  return `/api/images?path=${enc(path)}`;
}

/**
 * An image the agent produced, fetched with this page's login (an `<img src>` cannot send
 * the key header) and handed out as a `blob:` URL; the caller revokes it.
 */
export async function fetchImage(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(imageUrl(path), { credentials: "same-origin", headers: authHeaders(), signal: signal ?? null });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return URL.createObjectURL(await res.blob());
}
