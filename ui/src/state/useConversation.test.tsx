import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Event, HistoryMessage, ServerMessage, TurnRecord } from "../generated/protocol";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { type Handler, mockApi, ok } from "../test/mockApi";
import { LiveProvider } from "./LiveProvider";
import { type ConversationOptions, type StoredHistory, useConversation } from "./useConversation";

function message(id: number, turn_id: string, role: HistoryMessage["role"], content: string): HistoryMessage {
  return { id, turn_id, role, content, created_at: "2025-01-01T10:00:00Z" };
}

const FIRST: HistoryMessage[] = [message(1, "t1", "user", "first question"), message(2, "t1", "assistant", "first answer")];
const FIRST_DONE: TurnRecord[] = [{ turn_id: "t1", outcome: "completed", detail: null, ended_at: "2025-01-01T10:00:05Z" }];

function wrapper({ children }: { children: ReactNode }) {
  return <LiveProvider onAuthRequired={() => {}}>{children}</LiveProvider>;
}

function render(session: string | null, options: ConversationOptions = {}) {
  return renderHook(({ id, opts }) => useConversation(id, opts), {
    wrapper,
    initialProps: { id: session, opts: options },
  });
}

async function connect() {
  await waitFor(() => expect(FakeWebSocket.instances.length).toBeGreaterThan(0));
  act(() => {
    FakeWebSocket.last().open();
    FakeWebSocket.last().receive({ type: "snapshot", turns: [], paused: false } satisfies ServerMessage);
  });
}

function serverSends(session: string, ...events: Event[]) {
  act(() => {
    for (const event of events) FakeWebSocket.last().receive({ type: "event", session, submission: "sub-test", event } satisfies ServerMessage);
  });
}

function fetched(calls: { path: string }[], session: string): number {
  return calls.filter((c) => c.path === `/api/sessions/${session}/messages`).length;
}

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("useConversation", () => {
  it("shows the stored turns, then the live one, and each turn once after the reload", async () => {
    let messages = FIRST;
    let turns = FIRST_DONE;
    const routes: Record<string, Handler> = {
      "GET /api/approvals": ok([]),
      "GET /api/sessions/s/messages": () => ({ status: 200, body: messages }),
      "GET /api/sessions/s/turns": () => ({ status: 200, body: turns }),
    };
    const { calls } = mockApi(routes);
    const { result } = render("s");
    await waitFor(() => expect(result.current.loaded).toBe(true));
    expect(result.current.turns.map((t) => [t.turnId, t.userText, t.live])).toEqual([["t1", "first question", false]]);
    expect(result.current.turns[0]?.end).toEqual({ kind: "completed" });

    await connect();
    serverSends("s", { type: "turn_started", turn_id: "t2", text: "second question" }, { type: "text_delta", text: "second" });
    await waitFor(() =>
      expect(result.current.turns.map((t) => [t.turnId, t.live])).toEqual([
        ["t1", false],
        ["t2", true],
      ]),
    );

    // The turn ends; its stored messages come back with the reload but it shows once.
    messages = [...FIRST, message(3, "t2", "user", "second question"), message(4, "t2", "assistant", "second answer")];
    turns = [...FIRST_DONE, { turn_id: "t2", outcome: "completed", detail: null, ended_at: "2025-01-01T10:01:00Z" }];
    const before = fetched(calls, "s");
    serverSends("s", {
      type: "turn_completed",
      turn_id: "t2",
      text: "second answer",
      usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
      steps: 1,
    });
    await waitFor(() => expect(fetched(calls, "s")).toBe(before + 1));
    await waitFor(() => expect(result.current.turns.every((t) => !t.live)).toBe(true));
    expect(result.current.turns.map((t) => t.turnId)).toEqual(["t1", "t2"]);
  });

  it("does not fetch while told not to, nor without a session", async () => {
    const { calls } = mockApi({ "GET /api/approvals": ok([]) });
    const { result, rerender } = render("s", { load: false });
    rerender({ id: null, opts: {} });
    await connect();
    expect(calls.filter((c) => c.path.startsWith("/api/sessions"))).toEqual([]);
    expect(result.current).toEqual({ turns: [], queued: [], loaded: false });
  });

  it("shows a cached history at once, refreshes the cache and reports failures", async () => {
    const cache = new Map<string, StoredHistory>([["s", { messages: FIRST, outcomes: {} }]]);
    mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions/s/messages": ok(FIRST),
      "GET /api/sessions/s/turns": ok(FIRST_DONE),
      "GET /api/sessions/gone/messages": () => ({ status: 404, body: { error: "no such session" } }),
      "GET /api/sessions/gone/turns": () => ({ status: 404, body: { error: "no such session" } }),
    });
    const onError = vi.fn();
    const onLoaded = vi.fn();
    const { result, rerender } = render("s", { cache, onError, onLoaded });
    expect(result.current.loaded).toBe(true);
    expect(result.current.turns.map((t) => t.userText)).toEqual(["first question"]);
    await waitFor(() => expect(onLoaded).toHaveBeenCalled());
    expect(cache.get("s")?.outcomes).toEqual({ t1: { kind: "completed" } });

    rerender({ id: "gone", opts: { cache, onError, onLoaded } });
    await waitFor(() => expect(onError).toHaveBeenCalledTimes(1));
    expect(result.current).toEqual({ turns: [], queued: [], loaded: false });
  });
});
