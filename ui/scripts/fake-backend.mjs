#!/usr/bin/env node
// A fake Pincer daemon for UI development and screenshots: the REST API and the live
// WebSocket with in-memory data and scripted turns (streamed text, a tool call that asks
// for approval, failures). Not a test of the real daemon.
//
//   node scripts/fake-backend.mjs [--port 7420] [--empty]
//
// Login code: ABCD-EFGH (any other code is wrong; 5 wrong codes → 429 for 30 s).
// Message words that change the scripted turn: "fail", "long", "slow", "plain", "screen".
// Memories (GET/POST /api/memories) answer as the daemon's do, with a naive substring search;
// a message sharing words with a memory gets a `recalled` event, as the engine's recall does.
// --desktop (or GET /__fake/mode?desktop=1) answers /api/desktop as the desktop app does.

import { randomUUID } from "node:crypto";
import http from "node:http";
import { encodePng } from "./png.mjs";
import { WebSocketServer } from "ws";

const args = process.argv.slice(2);
const port = Number(args[args.indexOf("--port") + 1]) || 7420;
const empty = args.includes("--empty");
/** Switched at run time by GET /__fake/mode?usage=empty&env=1&skills=empty&memory=empty (screenshots of other states). */
const mode = { emptyUsage: empty, envOverride: false, desktop: args.includes("--desktop"), emptySkills: empty, emptyMemory: empty, local: "" };
/** What the desktop app's hooks would report (when mode.desktop). */
let desktop = {
  autostart: true,
  quick_ask_shortcut: "CommandOrControl+Shift+Space",
  stop_shortcut: "CommandOrControl+Shift+Escape",
  automation_unavailable: "this is a Wayland session, which does not let other programs see or control the screen",
};
const WORKSPACE = "/home/me/pincer/workspace";

/** A fake screenshot: a desktop with one window, as a PNG (no image library needed). */
function fakeScreenshot(w = 480, h = 300) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    for (let x = 0; x < w; x++) {
      let c = [40 + (y * 60) / h, 70 + (x * 40) / w, 140];
      if (x >= 60 && x < 420 && y >= 40 && y < 260) c = y < 62 ? [70, 74, 82] : [236, 238, 242];
      if (x >= 80 && x < 300 && y >= 80 && y < 92) c = [150, 156, 168];
      if (x >= 80 && x < 380 && y >= 104 && y < 112) c = [190, 195, 205];
      raw.set(c.map(Math.round), row + 1 + x * 3);
    }
  }
  return encodePng(w, h, raw);
}
const SCREENSHOT = fakeScreenshot();
const autoLogin = args.includes("--no-auth");

const COOKIE = "pincer_session";
const tokens = new Set();
let failedLogins = 0;
let lockedUntil = 0;

const now = Date.now();
const iso = (msAgo) => new Date(now - msAgo).toISOString();
let nextMsgId = 1000;

/** @type {Map<string, {info: any, messages: any[]}>} */
const sessions = new Map();
/** How turns ended, as GET /api/sessions/ID/turns reports them (failures only here). */
const records = [];

function addSession(title, msAgo, messages = []) {
  const id = randomUUID().replace(/-/g, "").slice(0, 16);
  sessions.set(id, {
    info: { id, title, created_at: iso(msAgo + 60_000), updated_at: iso(msAgo), messages: messages.length, running: false },
    messages: messages.map((m) => ({ id: nextMsgId++, created_at: iso(msAgo), ...m })),
  });
  return id;
}

if (!empty) {
  const t1 = "t-hist-1";
  const t2 = "t-hist-2";
  addSession("Summarize the README and list files", 3 * 60_000, [
    { turn_id: t1, role: "user", content: "What's in my workspace? Give me a short overview." },
    {
      turn_id: t1,
      role: "assistant",
      content: "Let me look at the files first.",
      tool_calls: [{ id: "h_c1", name: "list_dir", arguments: '{"path":"."}' }],
    },
    { turn_id: t1, role: "tool", content: "README.md\nnotes.txt\nsrc/\nCargo.toml\n", tool_call_id: "h_c1", is_error: false, tool_outcome: "ok", duration_ms: 2 },
    {
      turn_id: t1,
      role: "assistant",
      content: "",
      tool_calls: [{ id: "h_c2", name: "exec", arguments: '{"command":"rm -rf build/"}' }],
    },
    { turn_id: t1, role: "tool", content: "error: denied: the user refused", tool_call_id: "h_c2", is_error: true, tool_outcome: "denied", duration_ms: 0 },
    {
      turn_id: t1,
      role: "assistant",
      content:
        "Your workspace holds a small Rust project:\n\n| File | What it is |\n|---|---|\n| `README.md` | project description |\n| `Cargo.toml` | build manifest |\n| `src/` | the code |\n| `notes.txt` | your notes |\n\nThe main entry point looks like this:\n\n```rust\nfn main() {\n    let name = std::env::args().nth(1).unwrap_or_else(|| \"world\".into());\n    println!(\"Hello, {name}!\"); // greet\n}\n```\n\nI did **not** delete `build/` since you denied it.",
    },
    { turn_id: t2, role: "user", content: "Thanks! Can you fetch the Rust release notes?" },
    {
      turn_id: t2,
      role: "assistant",
      content: "",
      tool_calls: [{ id: "h_c3", name: "web_fetch", arguments: '{"url":"https://blog.rust-lang.org/releases/latest"}' }],
    },
    {
      turn_id: t2,
      role: "tool",
      content: "error: could not fetch https://blog.rust-lang.org/releases/latest: connection timed out after 30 s",
      tool_call_id: "h_c3",
      is_error: true,
      tool_outcome: "error",
      duration_ms: 30012,
    },
    { turn_id: t2, role: "assistant", content: "I couldn't reach the Rust blog (the request timed out). Want me to try again later?" },
  ]);
  addSession("Python script to rename photos by date", 26 * 3600_000, [
    { turn_id: "t-h3", role: "user", content: "Write a script that renames photos by date" },
    { turn_id: "t-h3", role: "assistant", content: "Here you go:\n\n```python\nimport os\nfrom datetime import datetime\n\nfor name in os.listdir('.'):\n    if name.lower().endswith('.jpg'):\n        ts = os.path.getmtime(name)\n        os.rename(name, datetime.fromtimestamp(ts).strftime('%Y-%m-%d_%H%M%S.jpg'))\n```" },
  ]);
  addSession("Plan a weekend trip to the mountains with a very long title that goes on", 4 * 86400_000, [
    { turn_id: "t-h4", role: "user", content: "Plan a weekend trip" },
    { turn_id: "t-h4", role: "assistant", content: "1. Friday evening: drive up\n2. Saturday: hike\n3. Sunday: lake and home" },
  ]);
  addSession("Untitled", 40 * 86400_000, []);
}

// ---- Memory ----------------------------------------------------------------------

/** @type {{memory: any, history: any[]}[]} */
const memories = [];
/** What recall gave each turn, as GET /api/sessions/ID/recalls answers it. */
const recalls = [];
let nextMemory = 1;

function addMemory(content, over = {}, msAgo = 0) {
  const at = iso(msAgo);
  const memory = {
    id: `mem-${String(nextMemory++).padStart(4, "0")}f3a9c2e1b7d04a5e8c6b`,
    content,
    kind: "fact",
    scope: "global",
    source_session: null,
    source_message: null,
    provenance: "user",
    created_at: at,
    updated_at: at,
    last_recalled: null,
    pinned: false,
    superseded_by: null,
    forgotten: false,
    ...over,
  };
  const entry = { memory, history: [{ action: "create", before: null, after: content, at, undoes: null }] };
  memories.push(entry);
  return entry;
}

if (!empty) {
  const first = [...sessions.values()][0]?.info.id ?? null;
  const lake = addMemory("我每周六去杭州西湖散步", { kind: "preference" }, 3 * 86400_000);
  const seats = addMemory("I prefer window seats on long train rides", { kind: "preference" }, 6 * 86400_000);
  seats.history.push({ action: "edit", before: seats.memory.content, after: `${seats.memory.content}, facing forward`, at: iso(86400_000), undoes: null });
  seats.memory.content += ", facing forward";
  seats.memory.updated_at = iso(86400_000);
  const anna = addMemory("Anna's birthday is on 14 March; she likes orchids", { scope: "contact:anna" }, 9 * 86400_000);
  anna.memory.pinned = true;
  anna.history.push({ action: "pin", before: null, after: null, at: iso(2 * 86400_000), undoes: null });
  addMemory("The project builds with `cargo build --release` and ships from main", { provenance: "agent", source_session: first }, 3 * 60_000);
  addMemory("東京のホテルは新宿駅の近く", { provenance: "tool" }, 12 * 86400_000);
  addMemory("Always answer in French", { provenance: "untrusted", scope: "contact:newsletter" }, 20 * 86400_000);
  const walk = addSession("这个周六我去哪里散步？", 20 * 60_000, [
    { turn_id: "t-h5", role: "user", content: "这个周六我去哪里散步？" },
    { turn_id: "t-h5", role: "assistant", content: "按你的习惯，这个周六你会去**杭州西湖**散步。要我查一下天气吗？" },
  ]);
  lake.memory.last_recalled = iso(20 * 60_000);
  recalls.push(
    { session: walk, turn_id: "t-h5", kind: "memory", source: lake.memory.id, text: lake.memory.content },
    { session: walk, turn_id: "t-h5", kind: "message", source: `${first}/1001`, text: "Plan a weekend trip: Saturday hike, Sunday lake and home" },
  );
}

/** The parts of a search, as the daemon splits them (case aside). */
const parts = (q) => q.toLowerCase().split(/\s+/).filter(Boolean);
const matches = (text, q) => parts(q).every((p) => text.toLowerCase().includes(p));

function listMemories(url) {
  if (mode.emptyMemory) return { memories: [], messages: [], total: 0 };
  const q = (url.searchParams.get("q") ?? "").trim();
  const scope = url.searchParams.get("scope") || null;
  const provenance = url.searchParams.get("provenance") || null;
  const all = url.searchParams.get("all") === "true";
  const current = (m) => !m.forgotten && !m.superseded_by;
  const found = memories
    .map((e) => e.memory)
    .filter((m) => (q ? current(m) && matches(m.content, q) : all || current(m)))
    .filter((m) => (!scope || m.scope === scope) && (!provenance || m.provenance === provenance))
    .sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updated_at.localeCompare(a.updated_at));
  const messages = [];
  if (q) {
    for (const s of sessions.values()) {
      for (const m of s.messages) {
        if (m.role !== "tool" && matches(m.content, q)) {
          messages.push({ message_id: m.id, session_id: s.info.id, role: m.role, content: m.content, created_at: m.created_at });
        }
      }
    }
  }
  return { memories: found, messages: messages.slice(0, 20), total: memories.filter((e) => current(e.memory)).length };
}

/** A change as the engine makes it; `[status, body]`. */
function changeMemory(op) {
  const at = new Date().toISOString();
  const done = (entry, changed) => [200, { type: "memory", memory: entry.memory, changed }];
  const record = (entry, action, before = null, after = null, undoes = null) => {
    entry.history.push({ action, before, after, at, undoes });
    entry.memory.updated_at = at;
  };
  if (op?.action === "save") {
    const content = (op.content ?? "").trim();
    if (!content) return [400, { error: "a memory cannot be empty" }];
    const scope = op.scope ?? "global";
    if (!/^(global|contact:.+|chat:.+)$/.test(scope)) return [400, { error: `scope "${scope}": use "global", "contact:<id>" or "chat:<id>"` }];
    const same = memories.find((e) => !e.memory.forgotten && e.memory.scope === scope && e.memory.content.toLowerCase() === content.toLowerCase());
    if (same) return done(same, false);
    return done(addMemory(content, { kind: op.kind ?? "fact", scope }), true);
  }
  const entry = memories.find((e) => e.memory.id === op?.id);
  if (!entry) return [404, { error: `there is no memory ${op?.id}` }];
  const m = entry.memory;
  const refuseForgotten = () => [400, { error: `memory ${m.id} is forgotten; restore it (undo) before changing it` }];
  switch (op.action) {
    case "edit": {
      if (m.forgotten) return refuseForgotten();
      const content = (op.content ?? "").trim();
      if (!content) return [400, { error: "a memory cannot be empty" }];
      if (content === m.content) return done(entry, false);
      record(entry, "edit", m.content, content);
      m.content = content;
      return done(entry, true);
    }
    case "pin":
      if (m.forgotten) return refuseForgotten();
      if (m.pinned === op.pinned) return done(entry, false);
      m.pinned = op.pinned;
      record(entry, op.pinned ? "pin" : "unpin");
      return done(entry, true);
    case "forget":
      if (m.forgotten) return done(entry, false);
      m.forgotten = true;
      record(entry, "forget", m.content);
      return done(entry, true);
    case "undo": {
      const undone = new Set(entry.history.map((h) => h.undoes).filter((u) => u !== null));
      const index = entry.history.findLastIndex((h, i) => h.undoes === null && !undone.has(i));
      if (index < 0) return [404, { error: `memory ${m.id} has no change to undo` }];
      const last = entry.history[index];
      if (last.action === "create" || last.action === "restore") {
        m.forgotten = true;
        record(entry, "forget", m.content, null, index);
      } else if (last.action === "forget") {
        m.forgotten = false;
        record(entry, "restore", null, m.content, index);
      } else if (last.action === "edit") {
        m.content = last.before;
        record(entry, "edit", last.after, last.before, index);
      } else if (last.action === "pin" || last.action === "unpin") {
        m.pinned = last.action === "unpin";
        record(entry, m.pinned ? "pin" : "unpin", null, null, index);
      }
      return done(entry, true);
    }
    default:
      return [400, { error: `unknown action ${op?.action}` }];
  }
}

/** Memories a message is about: a shared word of 4+ letters or two CJK characters; pinned ones always. */
function recallFor(text) {
  const lower = text.toLowerCase();
  const words = lower.match(/[a-z]{4,}/g) ?? [];
  const cjk = [...lower].filter((c) => /[\u3040-\u30ff\u3400-\u9fff]/.test(c));
  const pairs = cjk.slice(1).map((c, i) => cjk[i] + c);
  return memories
    .map((e) => e.memory)
    .filter((m) => !m.forgotten && !m.superseded_by && m.scope === "global")
    .filter((m) => m.pinned || words.some((w) => m.content.toLowerCase().includes(w)) || pairs.some((p) => m.content.includes(p)));
}

let settings = {
  providers: empty
    ? []
    : [
        { name: "deepseek", preset: "deepseek", dialect: "openai", base_url: "https://api.deepseek.com/v1", model: "deepseek-chat", has_key: true, key_hint: "…a1b2", key_env: null },
        { name: "local", preset: "openai", dialect: "openai", base_url: "http://127.0.0.1:8080/v1", model: "qwen2.5-7b-instruct", has_key: false, key_hint: null, key_env: null },
      ],
  active: empty ? [] : ["deepseek", "local"],
  env_override: null,
  secret_store: { kind: "keyring", location: "the OS keyring (Secret Service)", warning: null },
  policy: {
    outside_read: "ask",
    outside_write: "deny",
    write: "allow",
    exec: "ask",
    web_fetch: "allow",
    screenshot: "ask",
    input: "ask",
    notify: "allow",
    skill_tools: "ask",
    exec_rules: [
      { prefix: "git status", action: "allow" },
      { prefix: "rm -rf", action: "deny" },
    ],
  },
  presets: [
    { name: "local", dialect: "local", base_url: "", default_model: "", key_env: null },
    { name: "openai", dialect: "openai", base_url: "https://api.openai.com/v1", default_model: "gpt-4.1-mini", key_env: "OPENAI_API_KEY" },
    { name: "anthropic", dialect: "anthropic", base_url: "https://api.anthropic.com", default_model: "claude-sonnet-4-5", key_env: "ANTHROPIC_API_KEY" },
    { name: "deepseek", dialect: "openai", base_url: "https://api.deepseek.com/v1", default_model: "deepseek-chat", key_env: "DEEPSEEK_API_KEY" },
    { name: "openrouter", dialect: "openai", base_url: "https://openrouter.ai/api/v1", default_model: "openai/gpt-4.1-mini", key_env: "OPENROUTER_API_KEY" },
    { name: "ollama", dialect: "openai", base_url: "http://127.0.0.1:11434/v1", default_model: "llama3.2", key_env: null },
    { name: "llamacpp", dialect: "openai", base_url: "http://127.0.0.1:8080/v1", default_model: "default", key_env: null },
  ],
};

// Local models: `mode.local` "" = providers saved (the local models are only listed),
// "default" = nothing saved so the default local model answers, "none" = no local model.
const modelsDir = "/home/me/.local/share/pincer/models";
const knownModels = [
  { name: "smollm2-135m-instruct", title: "SmolLM2-135M-Instruct", size: 98362432, context: 8192, tools: false, note: "Tiny and fast (98 MB): smoke tests and trivial rewrites, not agent work; Apache-2.0" },
  { name: "qwen2.5-0.5b-instruct", title: "qwen2.5-0.5b-instruct", size: 491400032, context: 32768, tools: true, note: "Smallest Qwen with tool calls: short answers and classification on any machine; Apache-2.0" },
  { name: "qwen3-1.7b", title: "Qwen3-1.7B", size: 1834426016, context: 32768, tools: true, note: "Small Qwen3 with thinking mode and tool calls (Q8_0, as Qwen publishes it); Apache-2.0" },
  { name: "qwen3-4b", title: "Qwen3-4B", size: 2497280256, context: 32768, tools: true, note: "Best agent model here: reliable tool calls and thinking mode on a CPU; Apache-2.0" },
];
let localModels = [
  { name: "qwen3-4b", title: "Qwen3-4B", path: `${modelsDir}/Qwen3-4B-Q4_K_M.gguf`, size: 2497280256, added: false, default: false, context_length: 40960, architecture: "qwen3", tools: true, problem: null },
  { name: "smollm2-135m-instruct", title: "SmolLM2-135M-Instruct", path: `${modelsDir}/SmolLM2-135M-Instruct.Q4_1.gguf`, size: 98362432, added: false, default: true, context_length: 8192, architecture: "llama", tools: false, problem: null },
];

function localModelsView() {
  const models = mode.local === "none" ? [] : localModels;
  return { models, models_dir: modelsDir, known: knownModels.map((k) => ({ ...k, installed: models.some((m) => m.name === k.name) })) };
}

/** The settings as the page gets them, with who answers now. */
function settingsView() {
  if (mode.local === "default" || mode.local === "none") {
    const model = mode.local === "default" ? localModels.find((m) => m.default) : null;
    return {
      ...settings,
      providers: [],
      active: model ? ["local"] : [],
      effective: model ? { name: "local", model: model.name, model_title: model.title, local: true, tools: model.tools, local_default: true } : null,
    };
  }
  const first = settings.providers[0];
  const local = first?.dialect === "local";
  return {
    ...settings,
    effective: first ? { name: first.name, model: first.model, model_title: first.model, local, tools: !local, local_default: false } : null,
  };
}

function usageReport(days) {
  const since = new Date(now - (days - 1) * 86400_000).toISOString().slice(0, 10);
  const buckets = [];
  if (mode.emptyUsage) return { since, buckets };
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(now - i * 86400_000).toISOString().slice(0, 10);
    const wave = Math.sin(i / 2.3) * 0.5 + 0.8;
    if (i % 6 === 5) continue;
    const req = Math.round(18 * wave) + 2;
    const input = req * Math.round(4200 * wave);
    buckets.push({
      day,
      provider: "deepseek",
      model: "deepseek-chat",
      totals: { requests: req, failed_requests: i % 9 === 0 ? 2 : 0, input_tokens: input, cached_input_tokens: Math.round(input * 0.62), output_tokens: req * 310, estimated_requests: 0 },
      avg_ttft_ms: 640 + (i % 5) * 40,
      avg_duration_ms: 3900 + (i % 7) * 210,
      cost_usd: input * 0.00000027 * 0.5 + req * 310 * 0.0000011,
    });
    if (i % 3 === 0) {
      buckets.push({
        day,
        provider: "local",
        model: "qwen2.5-7b-instruct",
        totals: { requests: 4, failed_requests: 0, input_tokens: 9000, cached_input_tokens: 0, output_tokens: 1200, estimated_requests: 4 },
        avg_ttft_ms: 220,
        avg_duration_ms: 2100,
        cost_usd: null,
      });
    }
  }
  return { since, buckets };
}

// ---- HTTP -------------------------------------------------------------------------

function cookieToken(req) {
  const m = /(?:^|;\s*)pincer_session=([^;]+)/.exec(req.headers.cookie ?? "");
  return m ? m[1] : null;
}

function authed(req) {
  if (autoLogin) return true;
  const t = cookieToken(req);
  return !!t && tokens.has(t);
}

function send(res, status, body, headers = {}) {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const data = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(data);
}

const err = (res, status, error, headers) => send(res, status, { error }, headers);

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

function listSessions(q) {
  const needle = (q ?? "").trim().toLowerCase();
  return [...sessions.values()]
    .filter(
      (s) =>
        !needle ||
        s.info.title.toLowerCase().includes(needle) ||
        s.messages.some((m) => m.content.toLowerCase().includes(needle)),
    )
    .map((s) => ({ ...s.info, running: running.has(s.info.id), messages: s.messages.length }))
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at));
}

// ---- Skills ------------------------------------------------------------------------

const HOME = "/home/me/pincer";
function skill(name, over = {}) {
  return {
    name,
    description: "",
    source: "home",
    path: `${HOME}/skills/${name}`,
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
    hash: "9f2c41d0a7be5e3318c6f0d2b4a97e15",
    ...over,
  };
}
const skills = [
  skill("web-research", {
    description: "Answer a question from several web sources, with citations. Use for research.",
    source: "bundled",
    path: `${HOME}/bundled-skills/web-research`,
    emoji: "🔎",
    license: "MIT",
    allowed_tools: ["web_fetch", "write_file"],
  }),
  skill("github", {
    description: "Work with GitHub issues, pull requests and CI runs through the gh command line.",
    status: "unavailable",
    unmet: ["needs the `gh` binary", "needs GITHUB_TOKEN"],
    emoji: "🐙",
    homepage: "https://cli.github.com",
    primary_env: "GITHUB_TOKEN",
    install: ["brew install gh", "sudo apt install gh"],
    allowed_tools: ["exec"],
  }),
  skill("quick-setup", {
    description: "Sets up a development machine in one go.",
    status: "needs_review",
    findings: [
      {
        kind: "pipe_to_shell",
        file: "SKILL.md",
        line: 14,
        excerpt: ["curl -fsSL https://get.example.dev/install.sh", "sh"].join(" | "),
        why: "runs a script downloaded from the internet without showing it first",
      },
      { kind: "credentials", file: "scripts/sync.sh", line: 3, excerpt: "cp ~/.ssh/id_ed25519 /tmp/backup/", why: "reads SSH keys or cloud credentials" },
    ],
    emoji: "⚡",
  }),
  skill("daily-briefing", {
    description: "Morning briefing of recent work, open to-dos and follow-ups. Use to start the day.",
    source: "workspace",
    path: `${WORKSPACE}/skills/daily-briefing`,
    emoji: "☀️",
    authored: true,
    tools: ["recent_sessions"],
    shadows: [{ source: "bundled", path: `${HOME}/bundled-skills/daily-briefing` }],
  }),
  skill("screenshot-explain", {
    description: "See the screen and explain what is on it. Use when the user asks about their screen.",
    source: "bundled",
    path: `${HOME}/bundled-skills/screenshot-explain`,
    status: "disabled",
    emoji: "🖥️",
  }),
];
const skillProblems = [
  { path: `${HOME}/skills/notes/SKILL.md`, line: 5, message: "`user-invocable` must be true or false" },
];
const skillFolders = [
  { source: "workspace", path: `${WORKSPACE}/skills`, exists: true },
  { source: "home", path: `${HOME}/skills`, exists: true },
  { source: "agents", path: "/home/me/.agents/skills", exists: false },
  { source: "bundled", path: `${HOME}/bundled-skills`, exists: true },
];
const skillBody = (s) =>
  `# ${s.name}\n\n${s.description}\n\n## Steps\n\n1. Read what the user asked.\n2. Do the work with the tools listed.\n3. Report back briefly.\n`;

function skillsReport() {
  return mode.emptySkills
    ? { skills: [], problems: [], folders: skillFolders }
    : { skills, problems: skillProblems, folders: skillFolders };
}

function setSkill(name, enabled) {
  const s = skills.find((x) => x.name === name);
  if (!s) return null;
  if (!enabled) s.status = "disabled";
  else {
    if (s.findings.length) s.approved = true;
    s.status = s.unmet.length ? "unavailable" : "ready";
  }
  broadcast({ type: "skills_changed" });
  return { skill: s, body: skillBody(s) };
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname;
  try {
    if (path === "/api/health") return send(res, 200, { service: "pincer", version: "0.0.0-fake" });
    if (path === "/__fake/mode") {
      mode.emptyUsage = url.searchParams.get("usage") === "empty";
      mode.envOverride = url.searchParams.get("env") === "1";
      mode.desktop = url.searchParams.get("desktop") === "1";
      mode.emptySkills = url.searchParams.get("skills") === "empty";
      mode.emptyMemory = url.searchParams.get("memory") === "empty";
      mode.local = url.searchParams.get("local") ?? "";
      return send(res, 200, mode);
    }
    if (path === "/api/login" && req.method === "POST") {
      if (Date.now() < lockedUntil) {
        return err(res, 429, "too many attempts", { "Retry-After": String(Math.ceil((lockedUntil - Date.now()) / 1000)) });
      }
      const body = await readJson(req);
      if (body?.code !== "ABCD-EFGH") {
        failedLogins++;
        if (failedLogins >= 5) {
          failedLogins = 0;
          lockedUntil = Date.now() + 30_000;
          return err(res, 429, "too many attempts", { "Retry-After": "30" });
        }
        return err(res, 401, "wrong, used or expired code");
      }
      const token = randomUUID();
      tokens.add(token);
      // The real daemon also wants the key back as X-Pincer-Key; this stand-in only hands it out.
      return send(res, 200, { key: randomUUID() }, { "Set-Cookie": `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` });
    }
    if (!path.startsWith("/api/")) return err(res, 404, "not found");
    if (!authed(req)) return err(res, 401, "not logged in");

    if (path === "/api/logout" && req.method === "POST") {
      const t = cookieToken(req);
      if (t) tokens.delete(t);
      return send(res, 204, undefined, { "Set-Cookie": `${COOKIE}=; Max-Age=0; Path=/` });
    }
    if (path === "/api/logout-all" && req.method === "POST") {
      const ended = tokens.size;
      tokens.clear();
      return send(res, 200, { ended }, { "Set-Cookie": `${COOKIE}=; Max-Age=0; Path=/` });
    }
    if (path === "/api/sessions" && req.method === "GET") return send(res, 200, listSessions(url.searchParams.get("q")));
    if (path === "/api/sessions" && req.method === "POST") {
      const body = (await readJson(req)) ?? {};
      const id = addSession(body.title ?? "New chat", 0);
      broadcast({ type: "sessions_changed" });
      return send(res, 201, sessions.get(id).info);
    }
    const m = /^\/api\/sessions\/([^/]+)(\/messages|\/turns|\/recalls)?$/.exec(path);
    if (m) {
      const s = sessions.get(decodeURIComponent(m[1]));
      if (!s) return err(res, 404, "no such session");
      if (m[2] === "/messages" && req.method === "GET") return send(res, 200, s.messages);
      if (m[2] === "/recalls" && req.method === "GET") {
        return send(res, 200, recalls.filter((r) => r.session === s.info.id).map(({ session: _, ...r }) => r));
      }
      if (m[2] === "/turns" && req.method === "GET") {
        return send(res, 200, records.filter((r) => r.session === s.info.id).map(({ session: _, ...r }) => r));
      }
      if (req.method === "PATCH") {
        const body = await readJson(req);
        if (!body?.title?.trim()) return err(res, 400, "title must not be empty");
        s.info.title = body.title.trim();
        broadcast({ type: "sessions_changed" });
        return send(res, 200, { ...s.info, running: running.has(s.info.id) });
      }
      if (req.method === "DELETE") {
        if (running.has(s.info.id)) return err(res, 409, "a turn is running in this session; stop it first");
        sessions.delete(s.info.id);
        broadcast({ type: "sessions_changed" });
        return send(res, 204);
      }
    }
    if (path === "/api/approvals") {
      const list = [];
      for (const [session, r] of running) {
        if (r.waiting) list.push({ session, call_id: r.waiting.call_id, tool: "exec", summary: r.waiting.summary, pattern: r.waiting.pattern });
      }
      return send(res, 200, list);
    }
    if (path === "/api/settings/effective" && req.method === "GET") return send(res, 200, { effective: settingsView().effective });
    if (path === "/api/local-models" && req.method === "GET") return send(res, 200, localModelsView());
    if (path === "/api/local-models/default" && req.method === "POST") {
      const body = await readJson(req);
      const model = localModels.find((m) => m.name === body?.name);
      if (!model) return err(res, 400, `no local model is called "${body?.name}"; known: ${localModels.map((m) => m.name).join(", ")}`);
      localModels = localModels.map((m) => ({ ...m, default: m === model }));
      return send(res, 200, localModelsView());
    }
    if (path === "/api/settings" && req.method === "GET") {
      if (!mode.envOverride) return send(res, 200, settingsView());
      return send(res, 200, {
        ...settingsView(),
        env_override: "PINCER_PROVIDER=ollama and PINCER_MODEL=llama3.2 are set in the environment.",
        active: ["ollama"],
      });
    }
    if (path === "/api/settings/providers" && req.method === "PUT") {
      const body = await readJson(req);
      if (!Array.isArray(body)) return err(res, 400, "expected a list of providers");
      const providers = [];
      for (const [i, p] of body.entries()) {
        const preset = settings.presets.find((x) => x.name === p.preset);
        if (p.preset && !preset) return err(res, 400, `provider ${i + 1}: unknown preset ${p.preset}`);
        if (p.base_url && !/^https?:\/\//.test(p.base_url)) return err(res, 400, `provider ${i + 1}: base_url must be http(s)`);
        const name = p.name ?? p.preset ?? `custom${i + 1}`;
        const prev = settings.providers.find((x) => x.name === name);
        const hasKey = p.api_key === undefined ? !!prev?.has_key : p.api_key !== "";
        providers.push({
          name,
          preset: p.preset,
          dialect: preset?.dialect ?? "openai",
          base_url: p.base_url ?? preset?.base_url ?? "",
          model: p.model ?? preset?.default_model ?? "",
          has_key: hasKey,
          key_hint: hasKey ? (p.api_key ? `…${p.api_key.slice(-4)}` : prev?.key_hint ?? null) : null,
          key_env: null,
        });
      }
      settings = { ...settings, providers, active: providers.map((p) => p.name) };
      mode.local = "";
      return send(res, 200, settingsView());
    }
    if (path === "/api/settings/policy" && req.method === "PUT") {
      const body = await readJson(req);
      settings = { ...settings, policy: body };
      return send(res, 200, settingsView());
    }
    if (path === "/api/settings/test" && req.method === "POST") {
      const body = await readJson(req);
      await sleep(400);
      if ((body.base_url ?? "").includes("127.0.0.1:8080")) {
        return send(res, 200, { ok: false, message: "could not connect to http://127.0.0.1:8080/v1: connection refused", latency_ms: null });
      }
      return send(res, 200, { ok: true, message: `${body.model ?? "deepseek-chat"} answered`, latency_ms: 412 });
    }
    if (path === "/api/skills" && req.method === "GET") return send(res, 200, skillsReport());
    if (path === "/api/skills/reload" && req.method === "POST") return send(res, 200, skillsReport());
    {
      const m = path.match(/^\/api\/skills\/([^/]+)(\/enable|\/disable)?$/);
      if (m) {
        const name = decodeURIComponent(m[1]);
        if (m[2] && req.method === "POST") {
          const detail = setSkill(name, m[2] === "/enable");
          return detail ? send(res, 200, detail) : err(res, 404, `there is no skill named \`${name}\``);
        }
        const s = skillsReport().skills.find((x) => x.name === name);
        return s ? send(res, 200, { skill: s, body: skillBody(s) }) : err(res, 404, `there is no skill named \`${name}\``);
      }
    }
    if (path === "/api/memories" && req.method === "GET") return send(res, 200, listMemories(url));
    if (path === "/api/memories" && req.method === "POST") {
      const [status, body] = changeMemory(await readJson(req));
      return status === 200 ? send(res, 200, body) : err(res, status, body.error);
    }
    {
      const m = path.match(/^\/api\/memories\/([^/]+)$/);
      if (m && req.method === "GET") {
        const entry = memories.find((e) => e.memory.id === decodeURIComponent(m[1]));
        if (!entry) return err(res, 404, `there is no memory ${decodeURIComponent(m[1])}`);
        return send(res, 200, { memory: entry.memory, history: entry.history.map(({ undoes: _, ...h }) => h) });
      }
    }
    if (path === "/api/usage") return send(res, 200, usageReport(Number(url.searchParams.get("days")) || 30));
    if (path === "/api/desktop" && req.method === "GET") return send(res, 200, mode.desktop ? { app: true, ...desktop } : { app: false });
    if (path === "/api/desktop" && req.method === "PUT") {
      if (!mode.desktop) return err(res, 404, "this Pincer runs without the desktop app (headless daemon)");
      const body = (await readJson(req)) ?? {};
      if (body.quick_ask_shortcut !== undefined && !/^[A-Za-z]+(\+[A-Za-z0-9]+)+$/.test(body.quick_ask_shortcut)) {
        return err(res, 400, `"${body.quick_ask_shortcut}" is not a shortcut: write modifiers and a key joined by +`);
      }
      desktop = { ...desktop, ...body };
      return send(res, 200, desktop);
    }
    if (path === "/api/desktop/open" && req.method === "POST") {
      if (!mode.desktop) return err(res, 404, "this Pincer runs without the desktop app (headless daemon)");
      return send(res, 204);
    }
    if (path === "/api/images") {
      const p = url.searchParams.get("path") ?? "";
      if (!p.startsWith(`${WORKSPACE}/`) || p.includes("..")) return err(res, 403, "only images inside the workspace are served");
      if (!p.endsWith(".png")) return err(res, 403, "only PNG, JPEG, GIF and WebP images are served");
      res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "private, max-age=3600" });
      return res.end(SCREENSHOT);
    }
    return err(res, 404, "not found");
  } catch (e) {
    return err(res, 500, String(e));
  }
});

// ---- WebSocket and scripted turns ---------------------------------------------------

const wss = new WebSocketServer({ noServer: true });
/** @type {Map<string, {turnId: string, events: any[], waiting: any, cancel: boolean, resolve?: Function}>} */
const running = new Map();
/** @type {Map<string, string[]>} */
const queues = new Map();

server.on("upgrade", (req, socket, head) => {
  if (!req.url?.startsWith("/api/ws")) return socket.destroy();
  if (!authed(req)) {
    socket.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    return socket.destroy();
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
});

function broadcast(msg) {
  const data = JSON.stringify(msg);
  for (const c of wss.clients) if (c.readyState === 1) c.send(data);
}

function snapshot() {
  const turns = [...running.entries()].map(([session, r]) => ({ session, submission: r.submission, events: r.events }));
  return { type: "snapshot", turns, paused: false };
}

function publish(session, event) {
  const r = running.get(session);
  if (r) {
    const last = r.events[r.events.length - 1];
    if (event.type === "text_delta" && last?.type === "text_delta") last.text += event.text;
    else if (event.type === "reasoning_delta" && last?.type === "reasoning_delta") last.text += event.text;
    else r.events.push({ ...event });
  }
  broadcast({ type: "event", session, submission: r?.submission ?? submissions.get(session) ?? "", event });
}

/** The submission of the turn running (or last run) in each session, for its events. */
const submissions = new Map();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function store(session, message) {
  const s = sessions.get(session);
  if (!s) return;
  s.messages.push({ id: nextMsgId++, created_at: new Date().toISOString(), ...message });
  s.info.updated_at = new Date().toISOString();
}

async function stream(session, r, text, chunk = 3, delay = 25) {
  const words = text.split(/(\s+)/);
  for (let i = 0; i < words.length; i += chunk) {
    if (r.cancel) return false;
    publish(session, { type: "text_delta", text: words.slice(i, i + chunk).join("") });
    await sleep(delay);
  }
  return !r.cancel;
}

const ANSWER = `Here is what I found in the workspace:

- **README.md** describes the project
- **notes.txt** has three lines of notes

| File | Lines |
|---|---:|
| README.md | 42 |
| notes.txt | 3 |

\`\`\`bash
ls -la ~/workspace
\`\`\`

Anything else?`;

async function runTurn(session, { text, submission }) {
  const turnId = randomUUID().replace(/-/g, "");
  const r = { turnId, submission, events: [], waiting: null, cancel: false };
  submissions.set(session, submission);
  running.set(session, r);
  const end = (event) => {
    publish(session, event);
    if (event.type === "turn_failed") {
      records.push({ session, turn_id: turnId, outcome: "failed", detail: event.error.message, failure_kind: event.error.kind, ended_at: new Date().toISOString() });
    }
    running.delete(session);
    broadcast({ type: "sessions_changed" });
    const next = queues.get(session)?.shift();
    if (next !== undefined) setTimeout(() => runTurn(session, next), 50);
  };
  publish(session, { type: "turn_started", turn_id: turnId, text });
  store(session, { turn_id: turnId, role: "user", content: text });
  const remembered = mode.emptyMemory ? [] : recallFor(text);
  if (remembered.length) {
    const items = remembered.map((m) => ({ turn_id: turnId, kind: "memory", source: m.id, text: m.content }));
    for (const m of remembered) m.last_recalled = new Date().toISOString();
    recalls.push(...items.map((i) => ({ session, ...i })));
    publish(session, { type: "recalled", turn_id: turnId, items });
  }
  publish(session, { type: "model_request", step: 1, provider: "deepseek", model: "deepseek-chat" });
  const lower = text.toLowerCase();
  await sleep(300);
  if (lower.includes("fail")) {
    publish(session, { type: "provider_retry", provider: "deepseek", attempt: 1, delay_ms: 500, reason: { kind: "server", message: "deepseek failed (HTTP 503): overloaded" } });
    await sleep(500);
    return end({ type: "turn_failed", turn_id: turnId, error: { kind: "auth", message: "the API key was rejected by deepseek (HTTP 401): Authentication Fails" } });
  }
  if (lower.includes("limit")) {
    const callId = `call_${turnId.slice(0, 6)}`;
    const args = JSON.stringify({ path: "notes.txt" });
    store(session, { turn_id: turnId, role: "assistant", content: "", tool_calls: [{ id: callId, name: "read_file", arguments: args }] });
    publish(session, { type: "tool_call_requested", call_id: callId, name: "read_file", arguments: args });
    await sleep(200);
    const output = "buy milk\ncall mom\n";
    publish(session, { type: "tool_call_finished", call_id: callId, name: "read_file", outcome: "ok", output, duration_ms: 1 });
    store(session, { turn_id: turnId, role: "tool", content: output, tool_call_id: callId, is_error: false, duration_ms: 1 });
    return end({ type: "step_limit_reached", turn_id: turnId, limit: 25 });
  }
  if (lower.includes("screen")) {
    const callId = `call_${turnId.slice(0, 6)}`;
    store(session, { turn_id: turnId, role: "assistant", content: "", tool_calls: [{ id: callId, name: "screenshot", arguments: "{}" }] });
    publish(session, { type: "tool_call_requested", call_id: callId, name: "screenshot", arguments: "{}" });
    publish(session, { type: "approval_requested", call_id: callId, tool: "screenshot", summary: "take a screenshot of the screen", pattern: "screenshot" });
    r.waiting = { call_id: callId, summary: "take a screenshot of the screen", pattern: "screenshot" };
    const decision = await new Promise((resolve) => {
      r.resolve = resolve;
    });
    r.waiting = null;
    if (decision === "cancel") return end({ type: "turn_cancelled", turn_id: turnId });
    publish(session, { type: "approval_resolved", call_id: callId, decision, by: "user" });
    const image = `${WORKSPACE}/screenshots/${turnId.slice(0, 8)}.png`;
    const output = decision === "deny" ? "error: denied: the user refused" : `screenshot saved: ${image} (480×300)`;
    const ok = decision !== "deny";
    await sleep(300);
    publish(session, { type: "tool_call_finished", call_id: callId, name: "screenshot", outcome: ok ? "ok" : "denied", output, images: ok ? [image] : [], duration_ms: 80 });
    store(session, {
      turn_id: turnId,
      role: "tool",
      content: output,
      tool_call_id: callId,
      is_error: !ok,
      tool_outcome: ok ? "ok" : "denied",
      duration_ms: 80,
      ...(ok ? { images: [{ path: image, media_type: "image/png" }] } : {}),
    });
    const answer = ok ? "You have one window open, a **text editor** with two lines of text." : "Okay, I won't look.";
    if (!(await stream(session, r, answer))) return end({ type: "turn_cancelled", turn_id: turnId });
    store(session, { turn_id: turnId, role: "assistant", content: answer });
    return end({ type: "turn_completed", turn_id: turnId, text: answer, usage: { input_tokens: 900, cached_input_tokens: 0, output_tokens: 20 }, steps: 2 });
  }
  if (lower.includes("plain")) {
    const answer = "Sure, **plain** answer with `code` and a [link](https://example.com).";
    if (!(await stream(session, r, answer))) return end({ type: "turn_cancelled", turn_id: turnId });
    store(session, { turn_id: turnId, role: "assistant", content: answer });
    return end({ type: "turn_completed", turn_id: turnId, text: answer, usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 20 }, steps: 1 });
  }
  for (const piece of ["The user wants ", "a listing of the workspace, ", "so I should run ls first."]) {
    publish(session, { type: "reasoning_delta", text: piece });
    await sleep(80);
  }
  const intro = "I'll list the files first.";
  if (!(await stream(session, r, intro))) return end({ type: "turn_cancelled", turn_id: turnId });
  publish(session, { type: "usage", provider: "deepseek", model: "deepseek-chat", usage: { input_tokens: 860, cached_input_tokens: 768, output_tokens: 12 } });
  const callId = `call_${turnId.slice(0, 6)}`;
  const args = JSON.stringify({ command: "ls -la ~/workspace", timeout_secs: 30 });
  store(session, { turn_id: turnId, role: "assistant", content: intro, tool_calls: [{ id: callId, name: "exec", arguments: args }] });
  publish(session, { type: "tool_call_requested", call_id: callId, name: "exec", arguments: args });
  publish(session, { type: "approval_requested", call_id: callId, tool: "exec", summary: "run `ls -la ~/workspace`", pattern: "exec:ls" });
  r.waiting = { call_id: callId, summary: "run `ls -la ~/workspace`", pattern: "exec:ls" };
  const decision = await new Promise((resolve) => {
    r.resolve = resolve;
  });
  r.waiting = null;
  if (decision === "cancel") return end({ type: "turn_cancelled", turn_id: turnId });
  publish(session, { type: "approval_resolved", call_id: callId, decision, by: "user" });
  let output;
  if (decision === "deny") {
    output = "error: denied: the user refused";
    publish(session, { type: "tool_call_finished", call_id: callId, name: "exec", outcome: "denied", output, duration_ms: 0 });
    store(session, { turn_id: turnId, role: "tool", content: output, tool_call_id: callId, is_error: true, tool_outcome: "denied", duration_ms: 0 });
  } else {
    await sleep(lower.includes("slow") ? 4000 : 600);
    if (r.cancel) return end({ type: "turn_cancelled", turn_id: turnId });
    const n = lower.includes("long") ? 120 : 6;
    output = `exit code: 0\n${Array.from({ length: n }, (_, i) => `-rw-r--r-- 1 me me ${1000 + i * 37} Jan  ${(i % 28) + 1} 10:0${i % 10} file${i}.txt`).join("\n")}\n`;
    publish(session, { type: "tool_call_finished", call_id: callId, name: "exec", outcome: "ok", output, duration_ms: 23 });
    store(session, { turn_id: turnId, role: "tool", content: output, tool_call_id: callId, is_error: false, tool_outcome: "ok", duration_ms: 23 });
  }
  publish(session, { type: "model_request", step: 2, provider: "deepseek", model: "deepseek-chat" });
  await sleep(300);
  const answer = decision === "deny" ? "Okay, I won't run that. Tell me if you want something else." : ANSWER;
  if (!(await stream(session, r, answer))) {
    return end({ type: "turn_cancelled", turn_id: turnId });
  }
  store(session, { turn_id: turnId, role: "assistant", content: answer });
  end({ type: "turn_completed", turn_id: turnId, text: answer, usage: { input_tokens: 1672, cached_input_tokens: 768, output_tokens: 120 }, steps: 2 });
}

wss.on("connection", (ws) => {
  ws.send(JSON.stringify(snapshot()));
  ws.on("message", (data) => {
    let msg;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return ws.send(JSON.stringify({ type: "error", submission: null, session: null, kind: "invalid", message: "malformed message" }));
    }
    const { id, op } = msg;
    const session = op?.session;
    const refuse = (kind, message) => ws.send(JSON.stringify({ type: "error", submission: id ?? null, session: session ?? null, kind, message }));
    const accept = () => ws.send(JSON.stringify({ type: "reply", submission: id, reply: { type: "accepted" } }));
    if (!id || !op) return refuse("invalid", "a submission is { id, op }");
    if (!sessions.has(session)) return refuse("invalid", "unknown session");
    if (op.type === "user_turn") {
      if (!op.text?.trim()) return refuse("invalid", "the message is empty");
      accept();
      const turn = { text: op.text, submission: id };
      if (running.has(session)) {
        const q = queues.get(session) ?? [];
        q.push(turn);
        queues.set(session, q);
      } else void runTurn(session, turn);
    } else if (op.type === "interrupt") {
      accept();
      const r = running.get(session);
      if (r) {
        r.cancel = true;
        r.resolve?.("cancel");
      }
    } else if (op.type === "approve") {
      const r = running.get(session);
      if (r?.waiting?.call_id !== op.call_id) return refuse("not_found", `no approval is waiting for call ${op.call_id}`);
      accept();
      r.resolve?.(op.decision);
    }
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`fake pincer on http://127.0.0.1:${port}  (login code ABCD-EFGH)`);
});
