import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Event, Op, ServerMessage, SessionInfo, Submission } from "../generated/protocol";
import { parseRoute, routeHref } from "../lib/router";
import { resetSkillCommands } from "../skills/commands";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { type Handler, mockApi, ok } from "../test/mockApi";
import { skillView, skillsReport } from "../test/skillView";

function info(id: string): SessionInfo {
  return { id, title: "", created_at: "2025-01-01T10:00:00Z", updated_at: "2025-01-01T10:00:00Z", messages: 0, running: false };
}

/** A daemon where every POST /api/sessions makes q1, q2, … */
function routes(extra: Record<string, Handler> = {}): Record<string, Handler> {
  let made = 0;
  return {
    "GET /api/approvals": ok([]),
    "GET /api/sessions": ok([]),
    "POST /api/sessions": () => ({ status: 201, body: info(`q${++made}`) }),
    "GET /api/sessions/q1/messages": ok([]),
    "GET /api/sessions/q1/turns": ok([]),
    "GET /api/sessions/q2/messages": ok([]),
    "GET /api/sessions/q2/turns": ok([]),
    "GET /api/images": ok("png"),
    ...extra,
  };
}

function socket() {
  return FakeWebSocket.last();
}

function sent(): Submission[] {
  return socket().sent.map((s) => JSON.parse(s) as Submission);
}

/** The op of the last submission sent; its id is checked apart (the page picks it). */
function lastOp(): Op | undefined {
  return sent().at(-1)?.op;
}

/** The submission id of the last user_turn sent to `session`: its turn's events name it. */
function turnSubmission(session: string): string {
  const s = sent().filter((m) => m.op.type === "user_turn" && m.op.session === session).at(-1);
  if (!s) throw new Error(`no user_turn sent to ${session}`);
  return s.id;
}

async function connect() {
  await waitFor(() => expect(FakeWebSocket.instances.length).toBeGreaterThan(0));
  act(() => {
    socket().open();
    socket().receive({ type: "snapshot", turns: [], paused: false } satisfies ServerMessage);
  });
}

function serverSends(session: string, ...events: Event[]) {
  act(() => {
    const submission = turnSubmission(session);
    for (const event of events) socket().receive({ type: "event", session, submission, event } satisfies ServerMessage);
  });
}

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
  resetSkillCommands();
});

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("quick-ask route", () => {
  it("is #/quick, also when a login code follows it", () => {
    expect(parseRoute("#/quick")).toEqual({ page: "quick" });
    expect(parseRoute("#/quick&login=ABCD-EFGH")).toEqual({ page: "quick" });
    expect(parseRoute("#/chat/abc&login=X")).toEqual({ page: "chat", session: "abc" });
    expect(routeHref({ page: "quick" })).toBe("#/quick");
  });
});

describe("quick-ask window", () => {
  it("logs in with the code the app put after the route, then shows only the question box, focused", async () => {
    const { calls } = mockApi({ ...routes(), "POST /api/login": () => ({ status: 200, body: { key: "k" } }) });
    window.history.replaceState(null, "", "/#/quick&login=abcd-efgh");
    render(<App />);
    expect(window.location.hash).toBe("#/quick");
    await waitFor(() => expect(calls.find((c) => c.path === "/api/login")?.body).toEqual({ code: "ABCD-EFGH" }));
    const input = await screen.findByTestId("quick-input");
    await waitFor(() => expect(input).toHaveFocus());
    // No app chrome: no header, navigation or chat list.
    expect(screen.queryByTestId("nav-chat")).toBeNull();
    expect(screen.queryByTestId("new-chat")).toBeNull();
    expect(screen.queryByRole("banner")).toBeNull();
    expect(screen.queryByTestId("quick-open")).toBeNull();
    expect(document.title).toBe("Ask Pincer");
  });

  it("asks in a new chat, streams the answer with approvals and screenshots, opens it in Pincer, and Esc starts over", async () => {
    const { calls } = mockApi(routes({ "POST /api/desktop/open": () => ({ status: 204 }) }));
    window.history.replaceState(null, "", "/#/quick");
    render(<App />);
    await connect();
    const input = await screen.findByTestId("quick-input");
    await userEvent.type(input, "what is on my screen?{Enter}");

    await waitFor(() => expect(lastOp()).toEqual({ type: "user_turn", session: "q1", text: "what is on my screen?" }));
    expect(calls.find((c) => c.method === "POST" && c.path === "/api/sessions")?.body).toEqual({});
    expect(screen.getByTestId("quick-input")).toHaveValue("");
    expect(await screen.findByTestId("message-user")).toHaveAttribute("data-queued", "true");

    serverSends(
      "q1",
      { type: "turn_started", turn_id: "t1", text: "what is on my screen?" },
      { type: "tool_call_requested", call_id: "c1", name: "screenshot", arguments: "{}" },
      { type: "approval_requested", call_id: "c1", tool: "screenshot", summary: "take a screenshot", pattern: "screenshot" },
    );
    const card = await screen.findByTestId("tool-card");
    expect(card).toHaveAttribute("data-status", "approval");
    expect(screen.getByTestId("message-user")).not.toHaveAttribute("data-queued");
    await userEvent.click(within(card).getByTestId("approve-once"));
    expect(lastOp()).toEqual({ type: "approve", session: "q1", call_id: "c1", decision: "once" });

    serverSends(
      "q1",
      { type: "approval_resolved", call_id: "c1", decision: "once", by: "user" },
      { type: "tool_call_finished", call_id: "c1", name: "screenshot", outcome: "ok", output: "1920x1080", images: ["/w/screenshots/s1.png"], duration_ms: 40 },
      { type: "text_delta", text: "A **terminal** and a browser." },
    );
    expect(await screen.findByTestId("tool-image")).toHaveAttribute("src", expect.stringMatching(/^blob:/));
    expect(calls.map((c) => c.path)).toContain(`/api/images?path=${encodeURIComponent("/w/screenshots/s1.png")}`);
    expect(screen.getByTestId("message-assistant")).toHaveTextContent("A terminal and a browser.");
    expect(screen.getByTestId("quick-stop")).toBeInTheDocument();

    const before = calls.filter((c) => c.path === "/api/sessions/q1/messages").length;
    serverSends("q1", {
      type: "turn_completed",
      turn_id: "t1",
      text: "A terminal and a browser.",
      usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
      steps: 2,
    });
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/sessions/q1/messages").length).toBeGreaterThan(before));
    expect(screen.queryByTestId("quick-stop")).toBeNull();
    // The answer stays (the stored history was empty in this fake, the live turn remains).
    expect(screen.getByTestId("message-assistant")).toHaveTextContent("A terminal and a browser.");

    await userEvent.click(screen.getByTestId("quick-open"));
    await waitFor(() => expect(calls.find((c) => c.path === "/api/desktop/open")?.body).toEqual({ session: "q1" }));
    expect(window.location.hash).toBe("#/quick");

    await userEvent.keyboard("{Escape}");
    expect(screen.queryByTestId("message-assistant")).toBeNull();
    expect(screen.queryByTestId("quick-open")).toBeNull();
    expect(screen.getByTestId("quick-input")).toHaveFocus();

    // The next question is a new chat.
    await userEvent.type(screen.getByTestId("quick-input"), "and now?{Enter}");
    await waitFor(() => expect(lastOp()).toEqual({ type: "user_turn", session: "q2", text: "and now?" }));
  });

  it("asks follow-ups in the same chat until cleared", async () => {
    const { calls } = mockApi(routes());
    window.history.replaceState(null, "", "/#/quick");
    render(<App />);
    await connect();
    await userEvent.type(await screen.findByTestId("quick-input"), "first{Enter}");
    await waitFor(() => expect(lastOp()).toEqual({ type: "user_turn", session: "q1", text: "first" }));
    await userEvent.type(screen.getByTestId("quick-input"), "second{Enter}");
    expect(lastOp()).toEqual({ type: "user_turn", session: "q1", text: "second" });
    expect(calls.filter((c) => c.method === "POST" && c.path === "/api/sessions")).toHaveLength(1);
    expect(screen.getAllByTestId("message-user").map((m) => m.textContent)).toEqual(["firstsending…", "secondqueued"]);
    // Shift+Enter is a new line, not a question.
    await userEvent.type(screen.getByTestId("quick-input"), "a{Shift>}{Enter}{/Shift}b");
    expect(screen.getByTestId("quick-input")).toHaveValue("a\nb");
  });

  it("opens the chat in this tab when there is no desktop app to show it", async () => {
    mockApi(routes({ "POST /api/desktop/open": () => ({ status: 404, body: { error: "this Pincer runs without the desktop app" } }) }));
    window.history.replaceState(null, "", "/#/quick");
    render(<App />);
    await connect();
    await userEvent.type(await screen.findByTestId("quick-input"), "hello{Enter}");
    await userEvent.click(await screen.findByTestId("quick-open"));
    await waitFor(() => expect(window.location.hash).toBe("#/chat/q1"));
    expect(await screen.findByTestId("new-chat")).toBeInTheDocument();
  });

  it("keeps the question and says why when the chat cannot be created", async () => {
    mockApi(routes({ "POST /api/sessions": () => ({ status: 500, body: { error: "database is locked" } }) }));
    window.history.replaceState(null, "", "/#/quick");
    render(<App />);
    await connect();
    await userEvent.type(await screen.findByTestId("quick-input"), "hello{Enter}");
    expect(await screen.findByTestId("quick-error")).toHaveTextContent("Could not ask: database is locked");
    expect(screen.getByTestId("quick-input")).toHaveValue("hello");
    expect(socket().sent).toEqual([]);
  });

  it("offers skills after a slash below the box; Esc closes the list first, then clears", async () => {
    mockApi(routes({ "GET /api/skills": ok(skillsReport([skillView("web-research", { emoji: "🔎" }), skillView("notes")])) }));
    window.history.replaceState(null, "", "/#/quick");
    render(<App />);
    await connect();
    const input = await screen.findByTestId("quick-input");
    await waitFor(() => expect(screen.getByText(/· \/ for skills/)).toBeInTheDocument());
    await userEvent.type(input, "/web");
    const list = await screen.findByTestId("slash-suggestions");
    expect(list).toHaveClass("slash-below");
    expect(within(list).getAllByRole("option").map((o) => o.dataset.skillName)).toEqual(["web-research"]);
    expect(input).toHaveAttribute("aria-expanded", "true");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    expect(input).toHaveValue("/web");
    await userEvent.keyboard("{Escape}");
    expect(input).toHaveValue("");

    await userEvent.type(input, "/no");
    await screen.findByTestId("slash-suggestions");
    await userEvent.keyboard("{Tab}");
    expect(input).toHaveValue("/notes ");
    await userEvent.type(input, "today{Enter}");
    await waitFor(() => expect(lastOp()).toEqual({ type: "user_turn", session: "q1", text: "/notes today" }));
  });
});
