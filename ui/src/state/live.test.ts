import { describe, expect, it } from "vitest";
import type { Event, HistoryMessage, ServerMessage } from "../generated/protocol";
import { buildConversation, groupHistory, outcomesFromRecords } from "./history";
import { initialLiveState, isRunning, liveReducer, runningTurnId, waitingApprovals, type LiveAction } from "./live";
import type { LiveState, ToolCallView } from "./types";

const S = "s1";

/** An event of submission `submission` (the user_turn whose turn it is). */
function ev(event: Event, session = S, submission = "sub-1"): LiveAction {
  return { type: "server", message: { type: "event", session, submission, event } };
}

function run(actions: LiveAction[], state: LiveState = initialLiveState): LiveState {
  return actions.reduce(liveReducer, state);
}

function turnsOf(state: LiveState, session = S) {
  return state.sessions[session]?.turns ?? [];
}

function lastTurn(state: LiveState, session = S) {
  const turns = turnsOf(state, session);
  const t = turns[turns.length - 1];
  if (!t) throw new Error("no turn");
  return t;
}

function tool(state: LiveState, callId: string, session = S): ToolCallView {
  for (const t of turnsOf(state, session)) {
    for (const b of t.blocks) if (b.kind === "tool" && b.tool.callId === callId) return b.tool;
  }
  throw new Error(`no tool ${callId}`);
}

const started = (turn_id: string, text = "hi"): Event => ({ type: "turn_started", turn_id, text });
const delta = (text: string): Event => ({ type: "text_delta", text });
const usage = { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 };

describe("text deltas", () => {
  it("merges consecutive deltas into one text segment", () => {
    const s = run([ev(started("t1", "hello")), ev(delta("Hel")), ev(delta("lo ")), ev(delta("world"))]);
    const t = lastTurn(s);
    expect(t.userText).toBe("hello");
    expect(t.blocks).toEqual([{ kind: "text", text: "Hello world" }]);
    expect(isRunning(s, S)).toBe(true);
    expect(runningTurnId(s, S)).toBe("t1");
  });

  it("keeps text, tool cards and the next step's text in arrival order", () => {
    const s = run([
      ev(started("t1")),
      ev({ type: "reasoning_delta", text: "let me " }),
      ev({ type: "reasoning_delta", text: "look" }),
      ev(delta("Looking.")),
      ev({ type: "tool_call_requested", call_id: "c1", name: "list_dir", arguments: "{}" }),
      ev({ type: "tool_call_finished", call_id: "c1", name: "list_dir", outcome: "ok", output: "a.txt", duration_ms: 3 }),
      ev({ type: "model_request", step: 2, provider: "p", model: "m" }),
      ev(delta("Found ")),
      ev(delta("a.txt.")),
    ]);
    expect(lastTurn(s).blocks.map((b) => b.kind)).toEqual(["reasoning", "text", "tool", "text"]);
    const [r, t1, , t2] = lastTurn(s).blocks;
    expect(r).toEqual({ kind: "reasoning", text: "let me look" });
    expect(t1).toEqual({ kind: "text", text: "Looking." });
    expect(t2).toEqual({ kind: "text", text: "Found a.txt." });
  });

  it("says when older turns were compacted, before the answer", () => {
    const s = run([
      ev(started("t1", "next")),
      ev({ type: "compacted", turn_id: "t1", messages: 42, facts_saved: 2 }),
      ev(delta("Done.")),
    ]);
    expect(lastTurn(s).blocks).toEqual([
      {
        kind: "note",
        tone: "compacted",
        text: "Compacted 42 earlier messages to make room (2 facts saved to memory first); the model can still read them.",
        failure: null,
      },
      { kind: "text", text: "Done." },
    ]);
  });

  it("keeps sessions apart", () => {
    const s = run([ev(started("a"), "s1"), ev(started("b"), "s2"), ev(delta("one"), "s1"), ev(delta("two"), "s2")]);
    expect(lastTurn(s, "s1").blocks).toEqual([{ kind: "text", text: "one" }]);
    expect(lastTurn(s, "s2").blocks).toEqual([{ kind: "text", text: "two" }]);
  });

  it("applies a batch in order", () => {
    const messages: ServerMessage[] = [
      { type: "event", session: S, submission: "sub-1", event: started("t1") },
      { type: "event", session: S, submission: "sub-1", event: delta("a") },
      { type: "event", session: S, submission: "sub-1", event: delta("b") },
    ];
    const s = liveReducer(initialLiveState, { type: "batch", messages });
    expect(lastTurn(s).blocks).toEqual([{ kind: "text", text: "ab" }]);
  });
});

describe("tool card lifecycle", () => {
  const requested: Event = { type: "tool_call_requested", call_id: "c1", name: "exec", arguments: '{"command":"ls"}' };
  const asked: Event = { type: "approval_requested", call_id: "c1", tool: "exec", summary: "run `ls`", pattern: "exec:ls" };

  it("goes running → approval → running → ok", () => {
    let s = run([ev(started("t1")), ev(requested)]);
    expect(tool(s, "c1").status).toBe("running");
    s = run([ev(asked)], s);
    expect(tool(s, "c1").status).toBe("approval");
    expect(tool(s, "c1").approval).toEqual({ summary: "run `ls`", pattern: "exec:ls" });
    expect(waitingApprovals(s)).toEqual([{ session: S, callId: "c1" }]);
    s = run([ev({ type: "approval_resolved", call_id: "c1", decision: "session", by: "user" })], s);
    expect(tool(s, "c1").status).toBe("running");
    expect(tool(s, "c1").decision).toBe("session");
    expect(waitingApprovals(s)).toEqual([]);
    s = run([ev({ type: "tool_call_finished", call_id: "c1", name: "exec", outcome: "ok", output: "x", duration_ms: 12 })], s);
    expect(tool(s, "c1")).toMatchObject({ status: "ok", output: "x", durationMs: 12 });
  });

  it("carries the images a finished call produced", () => {
    const s = run([
      ev(started("t1")),
      ev({ type: "tool_call_requested", call_id: "c2", name: "screenshot", arguments: "{}" }),
      ev({ type: "tool_call_finished", call_id: "c2", name: "screenshot", outcome: "ok", output: "1920x1080", images: ["/w/screenshots/a.png"], duration_ms: 30 }),
    ]);
    expect(tool(s, "c2")).toMatchObject({ status: "ok", images: ["/w/screenshots/a.png"] });
    // Events without the field (most tools) leave an empty list.
    const plain = run([ev(started("t1")), ev(requested), ev({ type: "tool_call_finished", call_id: "c1", name: "exec", outcome: "ok", output: "x", duration_ms: 1 })]);
    expect(tool(plain, "c1").images).toEqual([]);
  });

  it("carries images from a snapshot after a reconnect", () => {
    const s = run([
      {
        type: "server",
        message: {
          type: "snapshot",
          turns: [
            {
              session: S,
              submission: "sub-1",
              events: [
                started("t1"),
                { type: "tool_call_requested", call_id: "c2", name: "screenshot", arguments: "{}" },
                { type: "tool_call_finished", call_id: "c2", name: "screenshot", outcome: "ok", output: "", images: ["/w/s.png"], duration_ms: 3 },
              ],
            },
          ],
          paused: false,
        },
      },
    ]);
    expect(tool(s, "c2").images).toEqual(["/w/s.png"]);
  });

  it("shows the denied outcome the engine reports for a refused call", () => {
    const s = run([
      ev(started("t1")),
      ev(requested),
      ev(asked),
      ev({ type: "approval_resolved", call_id: "c1", decision: "deny", by: "user" }),
      ev({ type: "tool_call_finished", call_id: "c1", name: "exec", outcome: "denied", output: "error: denied", duration_ms: 0 }),
    ]);
    expect(tool(s, "c1").status).toBe("denied");
    expect(tool(s, "c1").output).toBe("error: denied");
  });

  it("marks a failed call as error", () => {
    const s = run([
      ev(started("t1")),
      ev(requested),
      ev({ type: "tool_call_finished", call_id: "c1", name: "exec", outcome: "error", output: "boom", duration_ms: 5 }),
    ]);
    expect(tool(s, "c1").status).toBe("error");
  });

  it("shows a call stopped by an interrupt as stopped, not failed", () => {
    const s = run([
      ev(started("t1")),
      ev(requested),
      ev({ type: "tool_call_finished", call_id: "c1", name: "exec", outcome: "cancelled", output: "cancelled", duration_ms: 5 }),
    ]);
    expect(tool(s, "c1").status).toBe("cancelled");
  });

  it("keeps each turn's cards apart: every call id is the engine's own", () => {
    const finished = (call_id: string, outcome: "ok" | "denied", duration_ms: number): Event => ({
      type: "tool_call_finished",
      call_id,
      name: "write_file",
      outcome,
      output: outcome,
      duration_ms,
    });
    const s = run([
      ev(started("t1"), S, "a"),
      ev({ type: "tool_call_requested", call_id: "tc-1", name: "write_file", arguments: "{}" }, S, "a"),
      ev(finished("tc-1", "ok", 11), S, "a"),
      ev({ type: "turn_completed", turn_id: "t1", text: "", usage, steps: 2 }, S, "a"),
      ev(started("t2"), S, "b"),
      ev({ type: "tool_call_requested", call_id: "tc-2", name: "write_file", arguments: "{}" }, S, "b"),
      ev(finished("tc-2", "denied", 22), S, "b"),
    ]);
    expect(tool(s, "tc-1")).toMatchObject({ status: "ok", durationMs: 11 });
    expect(tool(s, "tc-2")).toMatchObject({ status: "denied", durationMs: 22 });
  });

  it("does not duplicate a card when tool_call_requested repeats", () => {
    const s = run([ev(started("t1")), ev(requested), ev(requested)]);
    expect(lastTurn(s).blocks).toHaveLength(1);
  });
});

describe("turn end", () => {
  it("records cancellation and stops running; an unanswered approval is no longer waiting", () => {
    const s = run([
      ev(started("t1")),
      ev({ type: "tool_call_requested", call_id: "c1", name: "exec", arguments: "{}" }),
      ev({ type: "approval_requested", call_id: "c1", tool: "exec", summary: "x", pattern: "p" }),
      ev({ type: "turn_cancelled", turn_id: "t1" }),
    ]);
    expect(lastTurn(s).end).toEqual({ kind: "cancelled" });
    expect(isRunning(s, S)).toBe(false);
    expect(waitingApprovals(s)).toEqual([]);
    expect(tool(s, "c1").status).toBe("cancelled");
    expect(s.outcomes.t1).toEqual({ kind: "cancelled" });
    expect(s.endSeq[S]).toBe(1);
  });

  it("records failures, step limits and completions", () => {
    const failed = run([
      ev(started("t1")),
      ev({ type: "turn_failed", turn_id: "t1", error: { kind: "auth", message: "key rejected" } }),
    ]);
    expect(lastTurn(failed).end).toEqual({ kind: "failed", error: "key rejected", failureKind: "auth" });
    const limited = run([ev(started("t1")), ev({ type: "step_limit_reached", turn_id: "t1", limit: 25 })]);
    expect(lastTurn(limited).end).toEqual({ kind: "step_limit", limit: 25 });
    const done = run([ev(started("t1")), ev(delta("ok")), ev({ type: "turn_completed", turn_id: "t1", text: "ok", usage, steps: 1 })]);
    expect(lastTurn(done).end).toEqual({ kind: "completed" });
    expect(lastTurn(done).blocks).toEqual([{ kind: "text", text: "ok" }]);
  });

  it("shows a lone turn_failed (no turn_started) as its own failed turn", () => {
    const s = run([ev({ type: "turn_failed", turn_id: "tx", error: { kind: "internal", message: "history unreadable" } })]);
    expect(lastTurn(s)).toMatchObject({
      turnId: "tx",
      end: { kind: "failed", error: "history unreadable", failureKind: "internal" },
    });
  });

  it("ignores events after the end of a turn until the next one starts", () => {
    const s = run([
      ev(started("t1")),
      ev({ type: "turn_cancelled", turn_id: "t1" }),
      ev(started("t2", "next")),
      ev(delta("second")),
    ]);
    expect(turnsOf(s).map((t) => t.turnId)).toEqual(["t1", "t2"]);
    expect(lastTurn(s).blocks).toEqual([{ kind: "text", text: "second" }]);
    expect(isRunning(s, S)).toBe(true);
  });

  it("notes retries and fallbacks", () => {
    const s = run([
      ev(started("t1")),
      ev({ type: "provider_retry", provider: "p", attempt: 2, delay_ms: 400, reason: { kind: "rate_limit", message: "slow down" } }),
      ev({ type: "provider_fallback", from: "p", to: "q", reason: { kind: "network", message: "connection refused" } }),
    ]);
    const notes = lastTurn(s).blocks;
    expect(notes[0]).toMatchObject({ kind: "note", tone: "retry", failure: { kind: "rate_limit" } });
    expect(notes[0]?.kind === "note" && notes[0].text).toContain("retrying (attempt 2)… slow down");
    expect(notes[1]).toMatchObject({ kind: "note", tone: "fallback", failure: { kind: "network" } });
  });
});

describe("queued messages", () => {
  const send = (id: string, text: string, session = S): LiveAction => ({ type: "local_send", session, id, text });
  const reply = (submission: string): LiveAction => ({
    type: "server",
    message: { type: "reply", submission, reply: { type: "accepted" } },
  });

  it("shows a sent message as queued until the turn of its submission starts", () => {
    let s = run([send("q1", "first")]);
    expect(s.sessions[S]?.queued).toEqual([{ id: "q1", text: "first", accepted: false }]);
    s = run([reply("q1")], s);
    expect(s.sessions[S]?.queued).toEqual([{ id: "q1", text: "first", accepted: true }]);
    s = run([ev(started("t1", "first"), S, "q1")], s);
    expect(s.sessions[S]?.queued).toEqual([]);
    expect(lastTurn(s)).toMatchObject({ userText: "first", submission: "q1" });
  });

  it("remembers the turn id a user turn's reply names, to find it in the stored history", () => {
    const queuedAs: LiveAction = {
      type: "server",
      message: { type: "reply", submission: "q1", reply: { type: "turn_queued", turn_id: "t9" } },
    };
    const s = run([send("q1", "first"), queuedAs]);
    expect(s.sessions[S]?.queued).toEqual([{ id: "q1", text: "first", accepted: true, turnId: "t9" }]);
  });

  it("pairs by submission id, not by text: two equal messages, the second still waits", () => {
    const s = run([send("q1", "again"), send("q2", "again"), ev(started("t1", "again"), S, "q1")]);
    expect(s.sessions[S]?.queued.map((q) => q.id)).toEqual(["q2"]);
  });

  it("takes a message off the queue even when its turn starts with other text", () => {
    // e.g. a /skill command the engine expanded.
    const s = run([send("q1", "/weather Lisbon"), ev(started("t1", "Use the weather skill: Lisbon"), S, "q1")]);
    expect(s.sessions[S]?.queued).toEqual([]);
  });

  it("leaves queued messages alone when another tab's turn starts, even with the same text", () => {
    const s = run([send("q1", "same"), ev(started("t1", "same"), S, "other-tab-7")]);
    expect(s.sessions[S]?.queued.map((q) => q.text)).toEqual(["same"]);
  });

  it("drops exactly the message the server refused and keeps its text with the error", () => {
    const s = run([
      send("q1", "one"),
      send("q2", "two"),
      {
        type: "server",
        message: { type: "error", submission: "q2", session: S, kind: "invalid", message: "the message is empty" },
      },
    ]);
    expect(s.sessions[S]?.queued.map((q) => q.id)).toEqual(["q1"]);
    expect(s.errors).toEqual([
      expect.objectContaining({ session: S, submission: "q2", kind: "invalid", message: "the message is empty", text: "two" }),
    ]);
  });

  it("finds the refused message's session when the error names none", () => {
    const s = run([
      send("q1", "x", "s9"),
      { type: "server", message: { type: "error", submission: "q1", session: null, kind: "internal", message: "the session stopped" } },
    ]);
    expect(s.sessions.s9?.queued).toEqual([]);
    expect(s.errors[0]).toMatchObject({ session: "s9", text: "x" });
  });

  it("keeps the queue when an error names another submission (an approval, say)", () => {
    const s = run([
      send("q1", "x"),
      { type: "server", message: { type: "error", submission: "ap-3", session: S, kind: "not_found", message: "no approval is waiting" } },
    ]);
    expect(s.sessions[S]?.queued.map((q) => q.id)).toEqual(["q1"]);
    expect(s.errors[0]).toMatchObject({ submission: "ap-3", text: null });
  });

  it("after a reconnect, forgets accepted messages that ran and keeps ones still on their way", () => {
    const s = run([
      send("q1", "ran while away"),
      reply("q1"),
      send("q2", "sent from the outbox"),
      { type: "server", message: { type: "snapshot", turns: [], paused: false } },
    ]);
    expect(s.sessions[S]?.queued.map((q) => q.id)).toEqual(["q2"]);
  });

  it("takes a message off the queue when the snapshot shows its turn running", () => {
    const s = run([
      send("q1", "go"),
      reply("q1"),
      send("q2", "after"),
      reply("q2"),
      { type: "server", message: { type: "snapshot", turns: [{ session: S, submission: "q1", events: [started("t1", "go")] }], paused: false } },
    ]);
    expect(s.sessions[S]?.queued.map((q) => q.id)).toEqual(["q2"]);
    expect(lastTurn(s).submission).toBe("q1");
  });
});

describe("pause", () => {
  it("follows the snapshot and paused messages", () => {
    let s = run([{ type: "server", message: { type: "snapshot", turns: [], paused: true } }]);
    expect(s.paused).toBe(true);
    s = run([{ type: "server", message: { type: "paused", paused: false } }], s);
    expect(s.paused).toBe(false);
  });
});

describe("snapshot", () => {
  it("replaces running turns with the snapshot's events", () => {
    let s = run([ev(started("t1")), ev(delta("stale partial"))]);
    s = liveReducer(s, {
      type: "server",
      message: {
        type: "snapshot",
        turns: [{ session: S, submission: "sub-1", events: [started("t1"), delta("fresh "), delta("text")] }],
        paused: false,
      },
    });
    expect(turnsOf(s)).toHaveLength(1);
    expect(lastTurn(s).blocks).toEqual([{ kind: "text", text: "fresh text" }]);
    expect(s.synced).toBe(true);
    expect(s.snapshotSeq).toBe(1);
  });

  it("drops running turns the snapshot no longer lists", () => {
    let s = run([ev(started("t1"), "s1"), ev(started("t2"), "s2")]);
    s = liveReducer(s, { type: "server", message: { type: "snapshot", turns: [{ session: "s2", submission: "sub-2", events: [started("t2")] }], paused: false } });
    expect(isRunning(s, "s1")).toBe(false);
    expect(s.sessions.s1).toBeUndefined();
    expect(isRunning(s, "s2")).toBe(true);
  });

  it("restores a pending approval from the snapshot", () => {
    const s = liveReducer(initialLiveState, {
      type: "server",
      message: {
        type: "snapshot",
        turns: [
          {
            session: S,
            submission: "sub-1",
            events: [
              started("t1"),
              { type: "tool_call_requested", call_id: "c9", name: "write_file", arguments: "{}" },
              { type: "approval_requested", call_id: "c9", tool: "write_file", summary: "write a", pattern: "write:a" },
            ],
          },
        ],
        paused: false,
      },
    });
    expect(tool(s, "c9").status).toBe("approval");
    expect(waitingApprovals(s)).toEqual([{ session: S, callId: "c9" }]);
  });

  it("keeps ended turns waiting for their history", () => {
    let s = run([ev(started("t1")), ev(delta("done")), ev({ type: "turn_completed", turn_id: "t1", text: "done", usage, steps: 1 })]);
    s = liveReducer(s, { type: "server", message: { type: "snapshot", turns: [], paused: false } });
    expect(lastTurn(s)).toMatchObject({ turnId: "t1", end: { kind: "completed" } });
  });
});

describe("history and live turns", () => {
  const history: HistoryMessage[] = [
    { id: 1, turn_id: "t0", created_at: "", role: "user", content: "earlier question" },
    { id: 2, turn_id: "t0", created_at: "", role: "assistant", content: "earlier answer" },
    { id: 3, turn_id: "t1", created_at: "", role: "user", content: "current question" },
    {
      id: 4,
      turn_id: "t1",
      created_at: "",
      role: "assistant",
      content: "",
      tool_calls: [{ id: "c1", name: "exec", arguments: '{"command":"ls"}' }],
    },
    { id: 5, turn_id: "t1", created_at: "", role: "tool", content: "a.txt", tool_call_id: "c1", is_error: false, duration_ms: 7 },
  ];

  it("groups stored messages into turns with tool results on their cards", () => {
    const turns = groupHistory(history);
    expect(turns.map((t) => t.userText)).toEqual(["earlier question", "current question"]);
    expect(turns[1]?.blocks).toEqual([
      {
        kind: "tool",
        tool: expect.objectContaining({ callId: "c1", name: "exec", status: "ok", output: "a.txt", durationMs: 7 }),
      },
    ]);
  });

  it("puts stored images on their tool's card", () => {
    const turns = groupHistory([
      { id: 1, turn_id: "t1", created_at: "", role: "user", content: "look at my screen" },
      { id: 2, turn_id: "t1", created_at: "", role: "assistant", content: "", tool_calls: [{ id: "c9", name: "screenshot", arguments: "{}" }] },
      {
        id: 3,
        turn_id: "t1",
        created_at: "",
        role: "tool",
        content: "took a screenshot",
        tool_call_id: "c9",
        images: [{ path: "/w/screenshots/x.png", media_type: "image/png" }],
      },
    ]);
    expect(turns[0]?.blocks).toEqual([
      { kind: "tool", tool: expect.objectContaining({ callId: "c9", status: "ok", images: ["/w/screenshots/x.png"] }) },
    ]);
    expect(groupHistory(history)[1]?.blocks[0]).toMatchObject({ tool: { images: [] } });
  });

  it("shows stored denials and failures", () => {
    const turns = groupHistory([
      { id: 1, turn_id: "t", created_at: "", role: "assistant", content: "", tool_calls: [{ id: "a", name: "exec", arguments: "{}" }, { id: "b", name: "exec", arguments: "{}" }] },
      { id: 2, turn_id: "t", created_at: "", role: "tool", content: "error: denied: by the user", tool_call_id: "a", is_error: true },
      { id: 3, turn_id: "t", created_at: "", role: "tool", content: "exit code 1", tool_call_id: "b", is_error: true },
    ]);
    const statuses = turns[0]?.blocks.map((b) => (b.kind === "tool" ? b.tool.status : null));
    expect(statuses).toEqual(["denied", "error"]);
  });

  it("drops the stored messages of a live turn so nothing shows twice", () => {
    const s = run([ev(started("t1", "current question")), ev(delta("live answer"))]);
    const conv = buildConversation(history, s.sessions[S], s.outcomes);
    expect(conv.turns.map((t) => [t.turnId, t.live])).toEqual([
      ["t0", false],
      ["t1", true],
    ]);
    const userTexts = conv.turns.map((t) => t.userText);
    expect(userTexts.filter((t) => t === "current question")).toHaveLength(1);
    expect(conv.turns[1]?.blocks).toEqual([{ kind: "text", text: "live answer" }]);
  });

  it("lets history take over once it holds an ended turn, keeping how it ended", () => {
    let s = run([ev(started("t1", "current question")), ev({ type: "turn_cancelled", turn_id: "t1" })]);
    expect(buildConversation(history, s.sessions[S], s.outcomes).turns[1]?.live).toBe(true);
    s = liveReducer(s, { type: "history_loaded", session: S, turnIds: ["t0", "t1"] });
    const conv = buildConversation(history, s.sessions[S], s.outcomes);
    expect(conv.turns.map((t) => [t.turnId, t.live])).toEqual([
      ["t0", false],
      ["t1", false],
    ]);
    expect(conv.turns[1]?.end).toEqual({ kind: "cancelled" });
  });

  it("keeps a running turn even when history already stored part of it", () => {
    let s = run([ev(started("t1", "current question"))]);
    s = liveReducer(s, { type: "history_loaded", session: S, turnIds: ["t0", "t1"] });
    expect(isRunning(s, S)).toBe(true);
    expect(buildConversation(history, s.sessions[S], s.outcomes).turns.map((t) => t.turnId)).toEqual(["t0", "t1"]);
  });

  it("marks a stored question without an answer, unless it may still be running", () => {
    const unanswered: HistoryMessage[] = [
      { id: 1, turn_id: "a", created_at: "", role: "user", content: "first" },
      { id: 2, turn_id: "b", created_at: "", role: "user", content: "second" },
    ];
    expect(groupHistory(unanswered).map((t) => t.end)).toEqual([{ kind: "incomplete" }, { kind: "incomplete" }]);
    expect(groupHistory(unanswered, {}, true).map((t) => t.end)).toEqual([{ kind: "incomplete" }, null]);
    const failed = { kind: "failed", error: "boom", failureKind: "network" } as const;
    expect(groupHistory(unanswered, { a: failed })[0]?.end).toEqual(failed);
  });

  it("takes each stored tool result's outcome from the server, one per call", () => {
    const turns = groupHistory([
      { id: 1, turn_id: "t", created_at: "", role: "user", content: "go" },
      {
        id: 2,
        turn_id: "t",
        created_at: "",
        role: "assistant",
        content: "",
        tool_calls: [
          { id: "tc-a", provider_id: "call_0", name: "exec", arguments: "{}" },
          { id: "tc-b", provider_id: "call_0", name: "exec", arguments: "{}" },
          { id: "tc-c", provider_id: "call_0", name: "exec", arguments: "{}" },
        ],
      },
      { id: 3, turn_id: "t", created_at: "", role: "tool", content: "fine", tool_call_id: "tc-a", tool_outcome: "ok", duration_ms: 4 },
      // The outcome wins over the text, whatever the text says.
      { id: 4, turn_id: "t", created_at: "", role: "tool", content: "denied", tool_call_id: "tc-b", is_error: true, tool_outcome: "error", duration_ms: 5 },
      { id: 5, turn_id: "t", created_at: "", role: "tool", content: "stopped", tool_call_id: "tc-c", is_error: true, tool_outcome: "cancelled", duration_ms: 6 },
    ]);
    const cards = turns[0]?.blocks.map((b) => (b.kind === "tool" ? [b.tool.callId, b.tool.status, b.tool.durationMs] : null));
    expect(cards).toEqual([
      ["tc-a", "ok", 4],
      ["tc-b", "error", 5],
      ["tc-c", "cancelled", 6],
    ]);
  });

  it("reads failure kinds from the stored turn records", () => {
    const outcomes = outcomesFromRecords([
      { turn_id: "a", outcome: "failed", detail: "the key was rejected", failure_kind: "auth", ended_at: "" },
      { turn_id: "b", outcome: "failed", detail: "old failure", ended_at: "" },
      { turn_id: "c", outcome: "step_limit", detail: "25", ended_at: "" },
    ]);
    expect(outcomes).toEqual({
      a: { kind: "failed", error: "the key was rejected", failureKind: "auth" },
      b: { kind: "failed", error: "old failure", failureKind: null },
      c: { kind: "step_limit", limit: 25 },
    });
  });

  it("shows a queued message once when the stored history has its turn before the live stream", () => {
    // The reload read the new turn's question before the stream's turn_started came in.
    const s = run([{ type: "local_send", session: S, id: "q", text: "Plan a trip" }]);
    const reloaded: HistoryMessage[] = [
      ...history,
      { id: 9, turn_id: "t9", created_at: "", role: "user", content: "the engine's expansion of it" },
    ];
    const conv = buildConversation(reloaded, s.sessions[S], s.outcomes);
    expect(conv.turns.map((t) => t.turnId)).toEqual(["t0", "t1"]);
    expect(conv.queued.map((q) => q.id)).toEqual(["q"]);
    // Then the stream starts it: shown once, live, paired by the submission id.
    const started_ = run([ev(started("t9", "the engine's expansion of it"), S, "q")], s);
    const after = buildConversation(reloaded, started_.sessions[S], started_.outcomes);
    expect(after.turns.map((t) => [t.turnId, t.live])).toEqual([
      ["t0", false],
      ["t1", false],
      ["t9", true],
    ]);
    expect(after.queued).toEqual([]);
  });

  it("lists queued messages after the turns", () => {
    const s = run([{ type: "local_send", session: S, id: "q", text: "later" }]);
    expect(buildConversation(history, s.sessions[S], s.outcomes).queued).toEqual([{ id: "q", text: "later", accepted: false }]);
  });
});

describe("reset", () => {
  it("forgets everything on logout", () => {
    const s = run([ev(started("t1")), { type: "reset" }]);
    expect(s).toEqual(initialLiveState);
  });
});

describe("session list reloads", () => {
  it("asks for a reload on sessions_changed, turn start and turn end, not on deltas", () => {
    let s = run([{ type: "server", message: { type: "sessions_changed" } }]);
    expect(s.listSeq).toBe(1);
    s = run([ev(started("t1")), ev(delta("x")), ev(delta("y"))], s);
    expect(s.listSeq).toBe(2);
    s = run([ev({ type: "turn_completed", turn_id: "t1", text: "xy", usage, steps: 1 })], s);
    expect(s.listSeq).toBe(3);
  });
});

describe("skills reloads", () => {
  it("asks for a skills refetch on skills_changed and on every snapshot, nothing else", () => {
    let s = run([{ type: "server", message: { type: "skills_changed" } }]);
    expect(s.skillsSeq).toBe(1);
    expect(s.listSeq).toBe(0);
    s = run([ev(started("t1")), ev(delta("x")), { type: "server", message: { type: "sessions_changed" } }], s);
    expect(s.skillsSeq).toBe(1);
    // A reconnect may have missed changes.
    s = run([{ type: "server", message: { type: "snapshot", turns: [], paused: false } }], s);
    expect(s.skillsSeq).toBe(2);
  });
});
