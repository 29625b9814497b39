import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { HistoryMessage, ServerMessage, SessionInfo, TurnRecord } from "../generated/protocol";
import { emptyTurn } from "../state/turn";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { mockApi, ok } from "../test/mockApi";
import { recalled } from "../test/memory";
import { RecalledChip } from "./RecalledChip";
import { TurnBlock } from "./TurnBlock";

const ITEMS = [
  recalled("t2", "memory", "mem-lake", "我每周六去杭州西湖散步"),
  recalled("t2", "message", "s0/17", "记住：我每周六去**杭州西湖**散步"),
];

const session: SessionInfo = {
  id: "s1",
  title: "Weekend",
  created_at: "2025-01-01T10:00:00Z",
  updated_at: "2025-01-01T10:05:00Z",
  messages: 4,
  running: false,
};

function message(id: number, turn_id: string, role: HistoryMessage["role"], content: string): HistoryMessage {
  return { id, turn_id, role, content, created_at: "2025-01-01T10:00:00Z" };
}

const HISTORY: HistoryMessage[] = [
  message(1, "t1", "user", "hello"),
  message(2, "t1", "assistant", "Hi! What can I do?"),
  message(3, "t2", "user", "这个周六我去哪里散步？"),
  message(4, "t2", "assistant", "去西湖。"),
];
const DONE: TurnRecord[] = [
  { turn_id: "t1", outcome: "completed", detail: null, ended_at: "2025-01-01T10:00:05Z" },
  { turn_id: "t2", outcome: "completed", detail: null, ended_at: "2025-01-01T10:01:05Z" },
];

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("Remembered chip", () => {
  it("is folded to a count, and opens to each memory and past message with a link to it", async () => {
    render(<RecalledChip items={ITEMS} />);
    const toggle = screen.getByRole("button", { name: "Remembered 2" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByText("我每周六去杭州西湖散步")).not.toBeVisible();

    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const [lake, past] = screen.getAllByTestId("recalled-item");
    expect(lake).toHaveTextContent("我每周六去杭州西湖散步");
    expect(within(lake!).getByRole("link", { name: "Open memory" })).toHaveAttribute("href", "#/memory/mem-lake");
    // A past message: its snippet as text, linked to its chat.
    expect(past).toHaveTextContent("From a past chat: 记住：我每周六去杭州西湖散步");
    expect(within(past!).getByRole("link", { name: "Open chat" })).toHaveAttribute("href", "#/chat/s0");

    // The keyboard folds it again.
    toggle.focus();
    await userEvent.keyboard("{Enter}");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
  });

  it("shows nothing for a turn without recall, and sits between the message and the answer", () => {
    const plain = { ...emptyTurn("t1", "hello"), blocks: [{ kind: "text" as const, text: "Hi!" }], end: { kind: "completed" as const } };
    const { rerender } = render(<TurnBlock turn={plain} />);
    expect(screen.queryByTestId("recalled")).toBeNull();
    rerender(<TurnBlock turn={{ ...plain, recalled: ITEMS }} />);
    const chip = screen.getByTestId("recalled");
    const answer = screen.getByTestId("message-assistant");
    expect(screen.getByTestId("message-user").compareDocumentPosition(chip) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(chip.compareDocumentPosition(answer) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("is filled from the daemon's record for stored turns, matched by turn id", async () => {
    const { calls } = mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions": ok([session]),
      "GET /api/sessions/s1/messages": ok(HISTORY),
      "GET /api/sessions/s1/turns": ok(DONE),
      "GET /api/sessions/s1/recalls": ok(ITEMS),
    });
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    const chip = await screen.findByTestId("recalled");
    expect(calls.some((c) => c.path === "/api/sessions/s1/recalls")).toBe(true);
    // On the second turn only.
    expect(screen.getAllByTestId("recalled")).toHaveLength(1);
    expect(chip.closest("article")).toHaveAttribute("data-turn-id", "t2");
    await userEvent.click(within(chip).getByRole("button", { name: "Remembered 2" }));
    expect(within(chip).getByRole("link", { name: "Open memory" })).toHaveAttribute("href", "#/memory/mem-lake");
    // The link leads to that memory on the Memory page.
    mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions": ok([session]),
      "GET /api/memories": ok({ memories: [], messages: [], total: 0 }),
      "GET /api/memories/mem-lake": () => ({ status: 404, body: { error: "there is no memory mem-lake" } }),
    });
    await userEvent.click(within(chip).getByRole("link", { name: "Open memory" }));
    await waitFor(() => expect(window.location.hash).toBe("#/memory/mem-lake"));
    expect(await screen.findByTestId("memory-detail-error")).toHaveTextContent("There is no memory mem-lake.");
  });

  it("appears live from the recalled event, before the answer streams", async () => {
    mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions": ok([session]),
      "GET /api/sessions/s1/messages": ok([]),
      "GET /api/sessions/s1/turns": ok([]),
      "GET /api/sessions/s1/recalls": ok([]),
    });
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    await waitFor(() => expect(FakeWebSocket.instances.length).toBeGreaterThan(0));
    const socket = FakeWebSocket.last();
    const send = (...messages: ServerMessage[]) => act(() => messages.forEach((m) => socket.receive(m)));
    act(() => socket.open());
    send({ type: "snapshot", turns: [], paused: false });
    await screen.findByTestId("composer");
    send(
      { type: "event", session: "s1", submission: "sub-1", event: { type: "turn_started", turn_id: "t9", text: "这个周六我去哪里散步？" } },
      { type: "event", session: "s1", submission: "sub-1", event: { type: "recalled", turn_id: "t9", items: ITEMS.map((i) => ({ ...i, turn_id: "t9" })) } },
    );
    const chip = await screen.findByTestId("recalled");
    expect(chip).toHaveTextContent("Remembered 2");
    expect(screen.queryByTestId("message-assistant")).toBeNull();
    send({ type: "event", session: "s1", submission: "sub-1", event: { type: "text_delta", text: "去西湖。" } });
    const answer = await screen.findByTestId("message-assistant");
    expect(chip.compareDocumentPosition(answer) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("says when what was remembered cannot be loaded, and still shows the chat", async () => {
    mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions": ok([session]),
      "GET /api/sessions/s1/messages": ok(HISTORY),
      "GET /api/sessions/s1/turns": ok(DONE),
      "GET /api/sessions/s1/recalls": () => ({ status: 500, body: { error: "database is locked" } }),
    });
    window.history.replaceState(null, "", "/#/chat/s1");
    render(<App />);
    expect(await screen.findByText("去西湖。")).toBeInTheDocument();
    expect(await screen.findByText(/Could not load what Pincer remembered in this chat: database is locked/)).toBeInTheDocument();
    expect(screen.queryByTestId("recalled")).toBeNull();
  });
});
