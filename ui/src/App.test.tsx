import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { HistoryMessage, Op, ServerMessage, SessionInfo, Submission, TurnRecord } from "./generated/protocol";
import { FakeWebSocket } from "./test/fakeWebSocket";
import { mockApi, ok } from "./test/mockApi";

const session: SessionInfo = {
  id: "s1",
  title: "Workspace tour",
  created_at: "2025-01-01T10:00:00Z",
  updated_at: "2025-01-01T10:05:00Z",
  messages: 3,
  running: false,
};

function loggedInRoutes(history: HistoryMessage[] = [], turns: TurnRecord[] = []) {
  return {
    "GET /api/approvals": ok([]),
    "GET /api/sessions": ok([session]),
    "GET /api/sessions/s1/messages": ok(history),
    "GET /api/sessions/s1/turns": ok(turns),
  };
}

function socket() {
  return FakeWebSocket.last();
}

async function connect(snapshot: ServerMessage = { type: "snapshot", turns: [], paused: false }) {
  await waitFor(() => expect(FakeWebSocket.instances.length).toBeGreaterThan(0));
  act(() => {
    socket().open();
    socket().receive(snapshot);
  });
  await waitFor(() => expect(screen.getByTestId("connection-status")).toHaveTextContent("connected"));
}

function sent(): Submission[] {
  return socket().sent.map((d) => JSON.parse(d) as Submission);
}

function lastOp(): Op | undefined {
  return sent().at(-1)?.op;
}

function serverSends(...messages: ServerMessage[]) {
  act(() => {
    for (const m of messages) socket().receive(m);
  });
}

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("login", () => {
  it("logs in with the code from the link, removing it from the URL at once", async () => {
    let release!: () => void;
    const { calls } = mockApi({
      ...loggedInRoutes(),
      "POST /api/login": () => new Promise((r) => (release = () => r({ status: 200, body: { key: "key-1" } }))),
    });
    window.history.replaceState(null, "", "/#login=abcd-efgh");
    render(<App />);
    // Gone from the address bar before the server even answered.
    expect(window.location.hash).toBe("");
    expect(window.location.href).not.toMatch(/abcd/i);
    await waitFor(() => expect(calls.some((c) => c.path === "/api/login")).toBe(true));
    expect(calls.find((c) => c.path === "/api/login")?.body).toEqual({ code: "ABCD-EFGH" });
    release();
    expect(await screen.findByTestId("new-chat")).toBeInTheDocument();
    // The login's key is kept for this origin and proves the login on every call and on
    // the socket; the cookie alone would not.
    expect(window.localStorage.getItem("pincer.loginKey")).toBe("key-1");
    await waitFor(() => expect(calls.some((c) => c.path === "/api/sessions")).toBe(true));
    const after = calls.filter((c) => c.path !== "/api/login" && c.path !== "/api/approvals");
    expect(after.length).toBeGreaterThan(0);
    for (const call of after) expect(call.headers["x-pincer-key"], call.path).toBe("key-1");
    await waitFor(() => expect(FakeWebSocket.instances.length).toBeGreaterThan(0));
    expect(socket().protocols).toEqual(["pincer.v1", "pincer.key.key-1"]);
  });

  it("shows the login page when not logged in and sends the typed code trimmed and upper-cased", async () => {
    const { calls } = mockApi({
      "GET /api/approvals": () => ({ status: 401, body: { error: "not logged in" } }),
      "POST /api/login": () => ({ status: 200, body: { key: "key-2" } }),
      "GET /api/sessions": ok([]),
    });
    render(<App />);
    const input = await screen.findByTestId("login-code");
    expect(screen.getByLabelText("Login code")).toBe(input);
    expect(screen.getByText(/pincer login/)).toBeInTheDocument();
    await userEvent.type(input, "  wxyz-1234 ");
    await userEvent.click(screen.getByTestId("login-submit"));
    await waitFor(() => expect(calls.find((c) => c.path === "/api/login")?.body).toEqual({ code: "WXYZ-1234" }));
    expect(await screen.findByTestId("new-chat")).toBeInTheDocument();
  });

  it("says when a code is wrong and when to wait after too many attempts", async () => {
    let attempts = 0;
    mockApi({
      "GET /api/approvals": () => ({ status: 401, body: { error: "not logged in" } }),
      "POST /api/login": () =>
        ++attempts < 2
          ? { status: 401, body: { error: "bad code" } }
          : { status: 429, body: { error: "slow down" }, headers: { "Retry-After": "30" } },
    });
    render(<App />);
    const input = await screen.findByTestId("login-code");
    await userEvent.type(input, "AAAA-BBBB{Enter}");
    expect(await screen.findByTestId("login-error")).toHaveTextContent(/wrong, already used or expired/);
    await userEvent.click(screen.getByTestId("login-submit"));
    await waitFor(() => expect(screen.getByTestId("login-error")).toHaveTextContent("Too many attempts, wait 30 s"));
    expect(screen.getByTestId("login-submit")).toBeDisabled();
  });

  it("returns to the login page when a call answers 401", async () => {
    mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions": () => ({ status: 401, body: { error: "expired" } }),
    });
    render(<App />);
    expect(await screen.findByTestId("login-code")).toBeInTheDocument();
  });
});

describe("chat", () => {
  const history: HistoryMessage[] = [
    { id: 1, turn_id: "t0", created_at: "", role: "user", content: "earlier question" },
    { id: 2, turn_id: "t0", created_at: "", role: "assistant", content: "earlier **answer**" },
    { id: 3, turn_id: "t1", created_at: "", role: "user", content: "list my files" },
  ];

  it("shows history and the live turn without duplicating it, streams, and answers approvals", async () => {
    const { calls } = mockApi(loggedInRoutes(history));
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    await connect({
      type: "snapshot",
      turns: [{ session: "s1", submission: "sub-1", events: [{ type: "turn_started", turn_id: "t1", text: "list my files" }, { type: "text_delta", text: "Let me " }] }],
      paused: false,
    });
    await screen.findByText("earlier question");
    await waitFor(() => expect(screen.getAllByTestId("message-user").map((m) => m.textContent)).toEqual(["earlier question", "list my files"]));
    expect(screen.getAllByTestId("message-assistant")[0]?.querySelector("strong")?.textContent).toBe("answer");

    serverSends({ type: "event", session: "s1", submission: "sub-1", event: { type: "text_delta", text: "look." } });
    await waitFor(() => expect(screen.getAllByTestId("message-assistant")[1]).toHaveTextContent("Let me look."));
    // Running: Stop instead of Send, and the sidebar marks the chat.
    expect(screen.getByTestId("stop")).toBeInTheDocument();
    expect(screen.queryByTestId("send")).toBeNull();

    serverSends(
      { type: "event", session: "s1", submission: "sub-1", event: { type: "tool_call_requested", call_id: "c1", name: "exec", arguments: '{"command":"ls"}' } },
      { type: "event", session: "s1", submission: "sub-1", event: { type: "approval_requested", call_id: "c1", tool: "exec", summary: "run `ls`", pattern: "exec:ls" } },
    );
    const card = await screen.findByTestId("tool-card");
    await waitFor(() => expect(card).toHaveAttribute("data-status", "approval"));
    await userEvent.click(within(card).getByTestId("approve-always"));
    expect(lastOp()).toEqual({ type: "approve", session: "s1", call_id: "c1", decision: "always" });

    serverSends({ type: "event", session: "s1", submission: "sub-1", event: { type: "approval_resolved", call_id: "c1", decision: "always", by: "user" } });
    await waitFor(() => expect(screen.getByTestId("tool-card")).toHaveAttribute("data-status", "running"));
    expect(screen.queryByTestId("approve-once")).toBeNull();

    serverSends(
      { type: "event", session: "s1", submission: "sub-1", event: { type: "tool_call_finished", call_id: "c1", name: "exec", outcome: "ok", output: "a.txt", duration_ms: 4 } },
      { type: "event", session: "s1", submission: "sub-1", event: { type: "text_delta", text: "One file." } },
    );
    await waitFor(() => expect(screen.getByTestId("tool-card")).toHaveAttribute("data-status", "ok"));

    // Esc in the composer stops the turn.
    await userEvent.type(screen.getByTestId("composer"), "{Escape}");
    expect(lastOp()).toEqual({ type: "interrupt", session: "s1" });

    const before = calls.filter((c) => c.path === "/api/sessions/s1/messages").length;
    serverSends({ type: "event", session: "s1", submission: "sub-1", event: { type: "turn_cancelled", turn_id: "t1" } });
    expect(await screen.findByTestId("turn-stopped")).toHaveTextContent("stopped");
    // The end of a turn reloads the stored messages.
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/sessions/s1/messages").length).toBeGreaterThan(before));
    expect(await screen.findByTestId("send")).toBeInTheDocument();
  });

  it("shows a failed turn with the hint its kind calls for, and retry notes with theirs", async () => {
    mockApi(loggedInRoutes([]));
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    await connect();
    serverSends(
      { type: "event", session: "s1", submission: "sub-1", event: { type: "turn_started", turn_id: "t9", text: "hi" } },
      {
        type: "event",
        session: "s1",
        submission: "sub-1",
        event: { type: "provider_retry", provider: "p", attempt: 1, delay_ms: 100, reason: { kind: "rate_limit", message: "slow down" } },
      },
    );
    const note = await screen.findByTestId("turn-note");
    expect(note).toHaveTextContent(/retrying \(attempt 1\)… slow down/);
    expect(within(note).getByTestId("failure-hint")).toHaveTextContent("The provider is limiting requests; Pincer waits and tries again.");
    serverSends({
      type: "event",
      session: "s1",
      submission: "sub-1",
      event: { type: "turn_failed", turn_id: "t9", error: { kind: "auth", message: "the API key was rejected by p (HTTP 401)" } },
    });
    const error = await screen.findByTestId("turn-error");
    expect(error).toHaveTextContent("the API key was rejected by p (HTTP 401)");
    expect(within(error).getByTestId("failure-hint")).toHaveTextContent("The API key was refused.");
    // Screen readers hear the error with its hint.
    await waitFor(() =>
      expect(document.querySelector(".chat .visually-hidden[aria-live]")).toHaveTextContent(
        "Error: the API key was rejected by p (HTTP 401) The API key was refused. Replace it in Settings.",
      ),
    );
    // The hint's action opens Settings, where the key is replaced.
    await userEvent.click(within(error).getByTestId("hint-settings"));
    await waitFor(() => expect(window.location.hash).toBe("#/settings"));
  });

  it("shows a stored failure with its hint after a reload, from the turn record's kind", async () => {
    mockApi(
      loggedInRoutes(
        [{ id: 1, turn_id: "t1", created_at: "", role: "user", content: "a very long chat" }],
        [{ turn_id: "t1", outcome: "failed", detail: "the conversation is too long", failure_kind: "context_too_long", ended_at: "" }],
      ),
    );
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    await connect();
    const error = await screen.findByTestId("turn-error");
    expect(error).toHaveAttribute("data-kind", "context_too_long");
    expect(error).toHaveTextContent("the conversation is too long");
    await userEvent.click(within(error).getByTestId("hint-new-chat"));
    await waitFor(() => expect(window.location.hash).toBe("#/chat"));
  });

  it("removes exactly the refused message and says which one was not sent", async () => {
    mockApi(loggedInRoutes([]));
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    await connect();
    await userEvent.type(screen.getByTestId("composer"), "first{Enter}");
    await userEvent.type(screen.getByTestId("composer"), "second{Enter}");
    await waitFor(() => expect(screen.getAllByTestId("message-user")).toHaveLength(2));
    const [one, two] = sent();
    expect(one?.op).toEqual({ type: "user_turn", session: "s1", text: "first" });
    expect(two?.op).toEqual({ type: "user_turn", session: "s1", text: "second" });
    expect(one?.id).not.toBe(two?.id);
    // Accepted (the engine is paused, say): no longer "sending…" but waiting its turn.
    expect(screen.getAllByTestId("message-user")[0]).toHaveTextContent("sending…");
    serverSends({ type: "reply", submission: one!.id, reply: { type: "accepted" } });
    await waitFor(() => expect(screen.getAllByTestId("message-user")[0]).toHaveTextContent("firstqueued"));
    serverSends({ type: "error", submission: two!.id, session: "s1", kind: "internal", message: "the session stopped" });
    const error = await screen.findByTestId("op-error");
    expect(error).toHaveTextContent("Not sent: “second” — the session stopped");
    expect(screen.getAllByTestId("message-user").map((m) => m.textContent)).toEqual([expect.stringContaining("first")]);
    // The first one starts: paired by its submission id.
    serverSends({ type: "event", session: "s1", submission: one!.id, event: { type: "turn_started", turn_id: "t1", text: "first" } });
    await waitFor(() => expect(screen.getByTestId("message-user")).not.toHaveAttribute("data-queued"));
  });

  it("creates a session for the first message of a new chat, then sends it over the socket", async () => {
    const created: SessionInfo = { ...session, id: "new1", title: "Hello there" };
    const { calls } = mockApi({
      ...loggedInRoutes(),
      "POST /api/sessions": () => ({ status: 201, body: created }),
      "GET /api/sessions/new1/messages": ok([]),
      "GET /api/sessions/new1/turns": ok([]),
    });
    window.history.replaceState(null, "", "/#/chat");
    render(<App />);
    await connect();
    expect(screen.getByText("What can I do for you?")).toBeInTheDocument();
    await userEvent.type(screen.getByTestId("composer"), "Hello there{Enter}");
    await waitFor(() => expect(window.location.hash).toBe("#/chat/new1"));
    // The daemon titles it from the first message; the page does not make up a second title.
    expect(calls.find((c) => c.method === "POST" && c.path === "/api/sessions")?.body).toEqual({});
    expect(lastOp()).toEqual({ type: "user_turn", session: "new1", text: "Hello there" });
    const bubble = await screen.findByTestId("message-user");
    expect(bubble).toHaveTextContent("Hello there");
    expect(bubble).toHaveAttribute("data-queued", "true");
    serverSends({ type: "event", session: "new1", submission: sent().at(-1)!.id, event: { type: "turn_started", turn_id: "tn", text: "Hello there" } });
    await waitFor(() => expect(screen.getByTestId("message-user")).not.toHaveAttribute("data-queued"));
    expect(screen.getAllByTestId("message-user")).toHaveLength(1);
  });

  it("shows 'reconnecting' when the socket drops and restores state from the next snapshot", async () => {
    mockApi(loggedInRoutes([]));
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    await connect();
    act(() => socket().serverClose(1006));
    await waitFor(() => expect(screen.getByTestId("connection-status")).toHaveTextContent("reconnecting"));
    await waitFor(() => expect(FakeWebSocket.instances.length).toBe(2), { timeout: 3000 });
    act(() => {
      socket().open();
      socket().receive({
        type: "snapshot",
        turns: [{ session: "s1", submission: "sub-5", events: [{ type: "turn_started", turn_id: "t5", text: "resumed" }, { type: "text_delta", text: "partial" }] }],
        paused: false,
      });
    });
    await waitFor(() => expect(screen.getByTestId("connection-status")).toHaveTextContent("connected"));
    expect(await screen.findByText("partial")).toBeInTheDocument();
  });
});

describe("sidebar", () => {
  it("renames inline: Enter saves, Esc cancels", async () => {
    const { calls } = mockApi({
      ...loggedInRoutes(),
      "PATCH /api/sessions/s1": (c) => ({ status: 200, body: { ...session, title: (c.body as { title: string }).title } }),
    });
    render(<App />);
    await connect();
    const item = await screen.findByTestId("session-item");
    expect(item).toHaveAttribute("data-session-id", "s1");
    await userEvent.click(within(item).getByTestId("session-rename"));
    await userEvent.keyboard("{Control>}a{/Control}ignored{Escape}");
    expect(calls.some((c) => c.method === "PATCH")).toBe(false);
    expect(within(screen.getByTestId("session-item")).getByText("Workspace tour")).toBeInTheDocument();

    await userEvent.click(within(screen.getByTestId("session-item")).getByTestId("session-rename"));
    const input = screen.getByTestId("session-rename-input");
    await userEvent.clear(input);
    await userEvent.type(input, "Renamed{Enter}");
    await waitFor(() => expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ title: "Renamed" }));
    expect(await within(screen.getByTestId("session-item")).findByText("Renamed")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(1);
  });

  it("deletes after confirmation and shows the server's refusal", async () => {
    let refuse = true;
    const { calls } = mockApi({
      ...loggedInRoutes(),
      "DELETE /api/sessions/s1": () => (refuse ? { status: 409, body: { error: "a turn is running there" } } : { status: 204 }),
    });
    render(<App />);
    await connect();
    await userEvent.click(within(await screen.findByTestId("session-item")).getByTestId("session-delete"));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await userEvent.click(screen.getByTestId("session-delete-confirm"));
    expect(await screen.findByText(/a turn is running there/)).toBeInTheDocument();
    expect(screen.getByTestId("session-item")).toBeInTheDocument();
    refuse = false;
    await userEvent.click(within(screen.getByTestId("session-item")).getByTestId("session-delete"));
    await userEvent.click(screen.getByTestId("session-delete-confirm"));
    await waitFor(() => expect(screen.queryByTestId("session-item")).toBeNull());
  });

  it("searches on the server after typing stops", async () => {
    const { calls } = mockApi(loggedInRoutes());
    render(<App />);
    await connect();
    await userEvent.type(screen.getByTestId("session-search"), "rust");
    await waitFor(() => expect(calls.some((c) => c.path === "/api/sessions?q=rust")).toBe(true));
    // Debounced: no request per keystroke.
    expect(calls.some((c) => c.path === "/api/sessions?q=r")).toBe(false);
  });
});

describe("stored history", () => {
  it("says how stored turns and tool calls ended, also after a reload", async () => {
    const history: HistoryMessage[] = [
      { id: 1, turn_id: "t1", created_at: "", role: "user", content: "run it" },
      { id: 2, turn_id: "t1", created_at: "", role: "assistant", content: "", tool_calls: [{ id: "c1", name: "exec", arguments: '{"command":"ls"}' }] },
      // The result text does not say "denied"; the audit outcome does.
      { id: 3, turn_id: "t1", created_at: "", role: "tool", content: "error: refused", tool_call_id: "c1", is_error: true, tool_outcome: "denied" },
      { id: 4, turn_id: "t1", created_at: "", role: "assistant", content: "Fine." },
      { id: 5, turn_id: "t2", created_at: "", role: "user", content: "again" },
    ];
    const turns: TurnRecord[] = [
      { turn_id: "t1", outcome: "completed", detail: null, ended_at: "" },
      { turn_id: "t2", outcome: "failed", detail: "the API key was rejected by openai (HTTP 401)", ended_at: "" },
    ];
    mockApi(loggedInRoutes(history, turns));
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    await connect();
    expect(await screen.findByTestId("turn-error")).toHaveTextContent("HTTP 401");
    expect(screen.getByTestId("tool-card")).toHaveAttribute("data-status", "denied");
    expect(screen.queryByTestId("turn-incomplete")).not.toBeInTheDocument();
  });
});

