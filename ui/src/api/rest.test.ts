import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./endpoints";
import { HttpError, onAuthRequired, request } from "./rest";

function respond(status: number, body?: unknown, headers: Record<string, string> = {}) {
  const fetchMock = vi.fn(async () =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } }),
  );
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("request", () => {
  it("returns parsed JSON and sends JSON bodies", async () => {
    const fetchMock = respond(201, { id: "s1", title: "t" });
    const s = await api.createSession({ title: "t" });
    expect(s).toEqual({ id: "s1", title: "t" });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/sessions");
    expect(init.method).toBe("POST");
    expect(init.body).toBe('{"title":"t"}');
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("returns nothing for 204", async () => {
    respond(204);
    await expect(api.deleteSession("s1")).resolves.toBeUndefined();
  });

  it("raises the server's error text with the status", async () => {
    respond(409, { error: "a turn is running in this session" });
    const err = await api.deleteSession("s1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(409);
    expect((err as HttpError).message).toBe("a turn is running in this session");
  });

  it("announces 401 so the app can show the login page", async () => {
    respond(401, { error: "not logged in" });
    const listener = vi.fn();
    const off = onAuthRequired(listener);
    await expect(api.sessions("")).rejects.toBeInstanceOf(HttpError);
    expect(listener).toHaveBeenCalledTimes(1);
    off();
  });

  it("does not announce 401 for a wrong login code", async () => {
    respond(401, { error: "wrong code" });
    const listener = vi.fn();
    const off = onAuthRequired(listener);
    await expect(api.login({ code: "X" })).rejects.toMatchObject({ status: 401 });
    expect(listener).not.toHaveBeenCalled();
    off();
  });

  it("keeps the login's key and sends it on every call; logging out forgets it", async () => {
    const fetchMock = respond(200, { key: "k-42" });
    await api.login({ code: "ABCDE-FGHJ-KMNP" });
    expect(window.localStorage.getItem("pincer.loginKey")).toBe("k-42");
    respond(200, []);
    const calls = (globalThis.fetch as unknown as typeof fetchMock).mock.calls;
    await api.sessions("");
    const [, init] = calls[0] as unknown as [string, RequestInit];
    expect((init.headers as Record<string, string>)["X-Pincer-Key"]).toBe("k-42");
    respond(204);
    await api.logout();
    expect(window.localStorage.getItem("pincer.loginKey")).toBeNull();
  });

  it("tries once more when another tab logged in while a call was under way", async () => {
    window.localStorage.setItem("pincer.loginKey", "old");
    const seen: (string | undefined)[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        const key = (init.headers as Record<string, string>)["X-Pincer-Key"];
        seen.push(key);
        // The other tab's login lands while the first request is on its way.
        window.localStorage.setItem("pincer.loginKey", "new");
        return key === "new"
          ? new Response("[]", { status: 200 })
          : new Response('{"error":"not logged in"}', { status: 401 });
      }),
    );
    const listener = vi.fn();
    const off = onAuthRequired(listener);
    await expect(api.sessions("")).resolves.toEqual([]);
    expect(seen).toEqual(["old", "new"]);
    expect(listener).not.toHaveBeenCalled();
    off();
  });

  it("reads Retry-After on 429", async () => {
    respond(429, { error: "too many attempts" }, { "Retry-After": "17" });
    await expect(api.login({ code: "X" })).rejects.toMatchObject({ status: 429, retryAfter: 17 });
  });

  it("encodes the search query", async () => {
    const fetchMock = respond(200, []);
    await api.sessions("a&b c");
    expect((fetchMock.mock.calls[0] as unknown[] | undefined)?.[0]).toBe("/api/sessions?q=a%26b%20c");
  });

  it("reports an unreachable daemon", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(request("/api/health")).rejects.toMatchObject({ status: 0 });
  });
});
