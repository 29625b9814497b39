import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerMessage } from "../generated/protocol";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { backoffDelay, LiveSocket, newSubmissionId, type SocketStatus } from "./socket";

function setup(checkAuth: () => Promise<boolean> = async () => true) {
  const batches: ServerMessage[][] = [];
  const statuses: SocketStatus[] = [];
  const onAuthRequired = vi.fn();
  const socket = new LiveSocket({
    url: "ws://test/api/ws",
    onMessages: (m) => batches.push(m),
    onStatus: (s) => statuses.push(s),
    checkAuth,
    onAuthRequired,
    WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket,
    minDelayMs: 100,
    maxDelayMs: 1000,
  });
  return { socket, batches, statuses, onAuthRequired };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("LiveSocket", () => {
  it("reports connected and delivers messages in batches, in order", () => {
    const { socket, batches, statuses } = setup();
    socket.start();
    FakeWebSocket.last().open();
    expect(statuses.at(-1)).toBe("connected");
    FakeWebSocket.last().receive({ type: "snapshot", turns: [] });
    FakeWebSocket.last().receive({ type: "sessions_changed" });
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(batches).toEqual([[{ type: "snapshot", turns: [] }, { type: "sessions_changed" }]]);
    socket.stop();
  });

  it("makes submission ids the server accepts, never the same twice", () => {
    const ids = Array.from({ length: 50 }, () => newSubmissionId("turn"));
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
  });

  it("keeps ops sent while disconnected and sends them once open", () => {
    const { socket } = setup();
    socket.start();
    socket.send({ id: "a-1", op: { type: "user_turn", session: "s", text: "hi" } });
    const ws = FakeWebSocket.last();
    expect(ws.sent).toEqual([]);
    ws.open();
    expect(ws.sent.map((d) => JSON.parse(d))).toEqual([{ id: "a-1", op: { type: "user_turn", session: "s", text: "hi" } }]);
    socket.send({ id: "a-2", op: { type: "interrupt", session: "s" } });
    expect(ws.sent).toHaveLength(2);
    socket.stop();
  });

  it("reconnects with backoff after the connection drops, showing reconnecting", async () => {
    const { socket, statuses } = setup();
    socket.start();
    FakeWebSocket.last().open();
    FakeWebSocket.last().serverClose(1006);
    expect(statuses.at(-1)).toBe("reconnecting");
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last().open();
    expect(statuses.at(-1)).toBe("connected");
    socket.stop();
  });

  it("goes to login when the socket cannot open and the API says 401", async () => {
    const { socket, onAuthRequired, statuses } = setup(async () => false);
    socket.start();
    FakeWebSocket.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(onAuthRequired).toHaveBeenCalledTimes(1);
    expect(statuses.at(-1)).toBe("stopped");
    await vi.advanceTimersByTimeAsync(5000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it("keeps retrying when the socket cannot open but the session is valid (daemon down)", async () => {
    const checkAuth = vi.fn(async () => true);
    const { socket, onAuthRequired } = setup(checkAuth);
    socket.start();
    FakeWebSocket.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(200);
    expect(checkAuth).toHaveBeenCalled();
    expect(onAuthRequired).not.toHaveBeenCalled();
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.stop();
  });

  it("stops cleanly: no reconnect after stop", async () => {
    const { socket } = setup();
    socket.start();
    FakeWebSocket.last().open();
    socket.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe("backoff", () => {
  it("doubles up to the cap", () => {
    const mid = () => 0.5;
    expect(backoffDelay(0, 500, 10_000, mid)).toBe(500);
    expect(backoffDelay(1, 500, 10_000, mid)).toBe(1000);
    expect(backoffDelay(3, 500, 10_000, mid)).toBe(4000);
    expect(backoffDelay(10, 500, 10_000, mid)).toBe(10_000);
  });
});
