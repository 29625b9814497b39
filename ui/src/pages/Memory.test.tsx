import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { ToastProvider } from "../components/Toasts";
import type { Memory, MemoryDetail, MemoryList, MemoryOp, SessionInfo } from "../generated/protocol";
import { LiveProvider } from "../state/LiveProvider";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { type Call, mockApi, ok } from "../test/mockApi";
import { hit, memory, memoryList } from "../test/memory";
import { MemoryPage } from "./Memory";

const ZH = memory("mem-zh", "我每周六去杭州西湖散步", { pinned: true });
const EN = memory("mem-en", "I prefer window seats on long train rides", {
  kind: "preference",
  provenance: "agent",
  source_session: "s1",
});
const ODD = memory("mem-odd", "Anna's number is 555-0100", { provenance: "untrusted", scope: "contact:anna" });

const trip: SessionInfo = {
  id: "s1",
  title: "Trip planning",
  created_at: "2025-01-01T10:00:00Z",
  updated_at: "2025-01-01T10:05:00Z",
  messages: 4,
  running: false,
};

function renderPage(id: string | null = null, sessions: SessionInfo[] = [trip]) {
  return render(
    <ToastProvider>
      <LiveProvider onAuthRequired={() => {}}>
        <MemoryPage memory={id} sessions={sessions} />
      </LiveProvider>
    </ToastProvider>,
  );
}

/** The query of a GET /api/memories call. */
function params(call: Call): URLSearchParams {
  return new URL(call.path, "http://localhost").searchParams;
}

const listCalls = (calls: Call[]) => calls.filter((c) => c.method === "GET" && c.path.startsWith("/api/memories") && !c.path.startsWith("/api/memories/"));
const posted = (calls: Call[]) => calls.filter((c) => c.method === "POST").map((c) => c.body as MemoryOp);

const reply = (m: Memory, changed = true) => ({ status: 200, body: { type: "memory", memory: m, changed } });

function item(text: string): HTMLElement {
  const found = screen.getAllByTestId("memory-item").find((e) => e.textContent?.includes(text));
  if (!found) throw new Error(`no memory "${text}" listed`);
  return found;
}

function marks(el: HTMLElement): string[] {
  return [...el.querySelectorAll("mark")].map((m) => m.textContent ?? "");
}

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("Memory page", () => {
  it("shows how far memories are indexed for recall by meaning, and reads the progress again until done", async () => {
    const index = (embedded: number, error: string | null = null) => ({
      ...memoryList([ZH, EN, ODD]),
      index: { endpoint: "http://127.0.0.1:8089/v1", model: "multilingual-e5-small", embedded, refused: 0, total: 3, error },
    });
    let answers = 0;
    const { calls } = mockApi({
      "GET /api/memories": () => ({ status: 200, body: answers++ === 0 ? index(1, "could not reach the embeddings endpoint") : index(3) }),
    });
    renderPage();
    const status = await screen.findByTestId("memory-index");
    expect(status).toHaveTextContent("Indexing for recall by meaning (multilingual-e5-small): 1 of 3");
    expect(within(status).getByRole("progressbar")).toHaveAttribute("value", "1");
    expect(within(status).getByRole("alert")).toHaveTextContent("could not reach the embeddings endpoint");
    await waitFor(() => expect(screen.getByTestId("memory-index")).toHaveTextContent("Recall by meaning: 3 of 3 indexed"), {
      timeout: 4000,
    });
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    const polled = listCalls(calls).length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(listCalls(calls).length).toBe(polled);
  });

  it("says nothing about indexing when no embeddings endpoint is configured", async () => {
    mockApi({ "GET /api/memories": ok(memoryList([ZH])) });
    renderPage();
    await screen.findAllByTestId("memory-item");
    expect(screen.queryByTestId("memory-index")).toBeNull();
  });

  it("lists what is remembered: text, kind, scope, who saved it, when, pinned, and where it came from", async () => {
    mockApi({ "GET /api/memories": ok(memoryList([ZH, EN, ODD])) });
    renderPage();
    await screen.findAllByTestId("memory-item");
    expect(screen.getAllByTestId("memory-item").map((e) => e.dataset.memoryId)).toEqual(["mem-zh", "mem-en", "mem-odd"]);
    expect(screen.getByTestId("memory-count")).toHaveTextContent("3 remembered");

    const zh = item("西湖");
    expect(within(zh).getByTestId("memory-pinned")).toHaveTextContent("Pinned");
    expect(within(zh).getByTestId("memory-kind")).toHaveTextContent("fact");
    expect(within(zh).getByTestId("memory-scope")).toHaveTextContent("everywhere");
    expect(within(zh).getByTestId("memory-by")).toHaveTextContent("Saved by you");
    expect(within(zh).getByRole("button", { name: /Unpin/ })).toHaveAttribute("aria-pressed", "true");
    expect(within(zh).queryByTestId("memory-source")).toBeNull();

    const en = item("window seats");
    expect(within(en).getByTestId("memory-kind")).toHaveTextContent("preference");
    expect(within(en).getByTestId("memory-by")).toHaveTextContent("Saved by Pincer");
    expect(within(en).getByRole("link", { name: "from “Trip planning”" })).toHaveAttribute("href", "#/chat/s1");
    expect(within(en).queryByTestId("memory-pinned")).toBeNull();

    const odd = item("555-0100");
    expect(within(odd).getByTestId("memory-by")).toHaveTextContent("From an untrusted source");
    expect(within(odd).getByTestId("memory-scope")).toHaveTextContent("contact anna");
    for (const name of [/Edit/, /^Pin/, /Forget/, /Undo/, /History/]) {
      expect(within(odd).getByRole("button", { name })).toBeEnabled();
    }
    // The scope filter offers the scopes the list holds, and "all".
    const scope = screen.getByRole("combobox", { name: "Scope" });
    await waitFor(() => expect([...(scope as HTMLSelectElement).options].map((o) => o.value)).toEqual(["", "global", "contact:anna"]));
  });

  it("says when nothing is remembered yet, and how to add something", async () => {
    mockApi({ "GET /api/memories": ok(memoryList([])) });
    renderPage();
    const empty = await screen.findByTestId("memory-empty");
    expect(empty).toHaveTextContent("Nothing remembered yet");
    expect(empty).toHaveTextContent("Remember that my passport is in the blue folder");
    await userEvent.click(within(empty).getByRole("button", { name: "Add a memory" }));
    expect(screen.getByRole("textbox", { name: "Remember something" })).toHaveFocus();
  });

  it("adds a memory with Enter, and the toast's Undo takes it back", async () => {
    const saved = memory("mem-new", "The spare key is under the blue pot", { kind: "preference" });
    let memories: Memory[] = [];
    const { calls } = mockApi({
      "GET /api/memories": () => ({ status: 200, body: memoryList(memories) }),
      "POST /api/memories": (call) => {
        const op = call.body as MemoryOp;
        if (op.action === "save") {
          memories = [saved];
          return reply(saved);
        }
        memories = [];
        return reply({ ...saved, forgotten: true });
      },
    });
    renderPage();
    await screen.findByTestId("memory-empty");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Kind of the new memory" }), "preference");
    const input = screen.getByRole("textbox", { name: "Remember something" });
    await userEvent.type(input, "The spare key is under the blue pot{Enter}");
    await waitFor(() => expect(posted(calls)).toEqual([{ action: "save", content: "The spare key is under the blue pot", kind: "preference" }]));
    expect(await screen.findByTestId("memory-item")).toHaveTextContent("The spare key is under the blue pot");
    expect(input).toHaveValue("");
    const toast = await screen.findByTestId("memory-toast");
    expect(toast).toHaveTextContent("Remembered");

    await userEvent.click(within(toast).getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(posted(calls).at(-1)).toEqual({ action: "undo", id: "mem-new" }));
    await waitFor(() => expect(screen.getByTestId("memory-toast")).toHaveTextContent("Undone: it is forgotten"));
    await waitFor(() => expect(screen.queryByTestId("memory-item")).toBeNull());
  });

  it("shows the daemon's refusal and keeps the text to fix", async () => {
    mockApi({
      "GET /api/memories": ok(memoryList([])),
      "POST /api/memories": () => ({ status: 400, body: { error: 'scope "planet:mars": use "global", "contact:<id>" or "chat:<id>"' } }),
    });
    renderPage();
    await screen.findByTestId("memory-empty");
    await userEvent.type(screen.getByRole("combobox", { name: "Scope of the new memory" }), "planet:mars");
    await userEvent.type(screen.getByRole("textbox", { name: "Remember something" }), "Mars is red{Enter}");
    expect(await screen.findByTestId("memory-error-toast")).toHaveTextContent('Could not save: scope "planet:mars": use "global"');
    expect(screen.getByRole("textbox", { name: "Remember something" })).toHaveValue("Mars is red");
  });

  it("searches as you type, marks every part of the query in any script, and lists matching past messages", async () => {
    const results: Record<string, MemoryList> = {
      "湖 散步": memoryList([memory("mem-zh", "我每周六去杭州西湖散步")], [
        hit(7, "s1", "记住：我每周六去杭州西湖散步"),
        hit(8, "s9", "好的，你每周六去**杭州西湖**散步。", "assistant"),
      ]),
      "WINDOW": memoryList([EN]),
    };
    const { calls } = mockApi({
      "GET /api/memories": (call) => {
        const q = params(call).get("q");
        return { status: 200, body: q ? (results[q] ?? memoryList([])) : memoryList([ZH, EN]) };
      },
    });
    renderPage();
    await screen.findAllByTestId("memory-item");
    const search = screen.getByRole("searchbox", { name: "Search memories and past chats" });
    await userEvent.type(search, "湖 散步");
    await waitFor(() => expect(screen.getAllByTestId("memory-item")).toHaveLength(1));
    // One request for the whole query, not one per key.
    expect(listCalls(calls).map((c) => params(c).get("q")).filter(Boolean)).toEqual(["湖 散步"]);
    expect(marks(screen.getByTestId("memory-item"))).toEqual(["湖", "散步"]);

    const past = screen.getByTestId("memory-messages");
    expect(within(past).getByRole("heading", { name: "In past conversations" })).toBeInTheDocument();
    const [mine, answer] = within(past).getAllByTestId("memory-message");
    expect(marks(mine!)).toEqual(["湖", "散步"]);
    expect(within(mine!).getByRole("link", { name: "Open “Trip planning”" })).toHaveAttribute("href", "#/chat/s1");
    expect(mine).toHaveTextContent("You");
    // An answer reads as text, without its Markdown; its chat's title is not known here.
    expect(answer).toHaveTextContent("好的，你每周六去杭州西湖散步。");
    expect(answer).toHaveTextContent("Pincer");
    expect(within(answer!).getByRole("link", { name: "Open the chat" })).toHaveAttribute("href", "#/chat/s9");

    await userEvent.clear(search);
    await userEvent.type(search, "WINDOW");
    await waitFor(() => expect(marks(item("window seats"))).toEqual(["window"]));
    expect(screen.queryByTestId("memory-messages")).toBeNull();

    await userEvent.clear(search);
    await waitFor(() => expect(screen.getAllByTestId("memory-item")).toHaveLength(2));
    expect(document.querySelector("mark")).toBeNull();
  });

  it("says when a search finds no memory", async () => {
    mockApi({
      "GET /api/memories": (call) => ({ status: 200, body: params(call).get("q") ? memoryList([]) : memoryList([ZH]) }),
    });
    renderPage();
    await screen.findByTestId("memory-item");
    await userEvent.type(screen.getByRole("searchbox"), "volcano");
    expect(await screen.findByTestId("memory-empty")).toHaveTextContent("No memory matches “volcano”");
    expect(screen.getByTestId("memory-empty")).toHaveTextContent("one character is enough");
  });

  it("filters by scope and by who saved it, and shows forgotten memories on request", async () => {
    const gone = memory("mem-gone", "I used to live in Lyon", { forgotten: true });
    const { calls } = mockApi({
      "GET /api/memories": (call) => {
        const p = params(call);
        if (p.get("all") === "true") return { status: 200, body: memoryList([ZH, gone], [], 1) };
        if (p.get("provenance") === "agent") return { status: 200, body: memoryList([EN]) };
        if (p.get("scope") === "contact:anna") return { status: 200, body: memoryList([ODD]) };
        return { status: 200, body: memoryList([ZH, EN, ODD]) };
      },
      "POST /api/memories": () => reply({ ...gone, forgotten: false }),
    });
    renderPage();
    await screen.findAllByTestId("memory-item");
    await screen.findByRole("option", { name: "contact:anna" });

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Scope" }), "contact:anna");
    await waitFor(() => expect(screen.getAllByTestId("memory-item").map((e) => e.dataset.memoryId)).toEqual(["mem-odd"]));
    expect(params(listCalls(calls).at(-1)!).get("scope")).toBe("contact:anna");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Scope" }), "");

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Saved by" }), "agent");
    await waitFor(() => expect(screen.getAllByTestId("memory-item").map((e) => e.dataset.memoryId)).toEqual(["mem-en"]));
    expect(params(listCalls(calls).at(-1)!).get("provenance")).toBe("agent");
    await userEvent.click(screen.getByTestId("memory-clear-filters"));

    await userEvent.click(screen.getByRole("checkbox", { name: "Show forgotten" }));
    const forgotten = await waitFor(() => item("Lyon"));
    expect(params(listCalls(calls).at(-1)!).get("all")).toBe("true");
    expect(within(forgotten).getByTestId("memory-forgotten")).toHaveTextContent("Forgotten");
    // A forgotten memory can only come back (or show its history).
    expect(within(forgotten).queryByRole("button", { name: /Edit/ })).toBeNull();
    await userEvent.click(within(forgotten).getByRole("button", { name: /Restore/ }));
    await waitFor(() => expect(posted(calls)).toEqual([{ action: "undo", id: "mem-gone" }]));
    expect(await screen.findByTestId("memory-toast")).toHaveTextContent("Undone: it is remembered again");
  });

  it("edits in place: Esc cancels, Enter saves, and the focus goes back to Edit", async () => {
    const edited = { ...EN, content: "I prefer aisle seats on long train rides" };
    let current = [ZH, EN];
    const { calls } = mockApi({
      "GET /api/memories": () => ({ status: 200, body: memoryList(current) }),
      "POST /api/memories": () => {
        current = [ZH, edited];
        return reply(edited);
      },
    });
    renderPage();
    await screen.findAllByTestId("memory-item");
    const en = item("window seats");
    const edit = within(en).getByRole("button", { name: /Edit/ });
    await userEvent.click(edit);
    const box = within(en).getByRole("textbox", { name: "Edit the memory" });
    expect(box).toHaveFocus();
    expect(box).toHaveValue(EN.content);
    await userEvent.clear(box);
    await userEvent.type(box, "something else{Escape}");
    expect(within(en).queryByRole("textbox")).toBeNull();
    expect(en).toHaveTextContent(EN.content);
    await waitFor(() => expect(within(en).getByRole("button", { name: /Edit/ })).toHaveFocus());
    expect(posted(calls)).toEqual([]);

    await userEvent.click(within(en).getByRole("button", { name: /Edit/ }));
    const again = within(en).getByRole("textbox", { name: "Edit the memory" });
    await userEvent.clear(again);
    await userEvent.type(again, "I prefer aisle seats on long train rides{Enter}");
    await waitFor(() => expect(posted(calls)).toEqual([{ action: "edit", id: "mem-en", content: "I prefer aisle seats on long train rides" }]));
    await waitFor(() => expect(item("aisle seats")).toBeInTheDocument());
    expect(await screen.findByTestId("memory-toast")).toHaveTextContent("Memory edited");
    expect(within(screen.getByTestId("memory-toast")).getByRole("button", { name: "Undo" })).toBeInTheDocument();
  });

  it("Save and Cancel work with the mouse too, and an empty text cannot be saved", async () => {
    const { calls } = mockApi({ "GET /api/memories": ok(memoryList([EN])), "POST /api/memories": () => reply(EN, false) });
    renderPage();
    const en = await screen.findByTestId("memory-item");
    await userEvent.click(within(en).getByRole("button", { name: /Edit/ }));
    await userEvent.clear(within(en).getByRole("textbox"));
    expect(within(en).getByRole("button", { name: "Save" })).toBeDisabled();
    await userEvent.click(within(en).getByRole("button", { name: "Cancel" }));
    expect(within(en).queryByRole("textbox")).toBeNull();
    await userEvent.click(within(en).getByRole("button", { name: /Edit/ }));
    await userEvent.click(within(en).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(posted(calls)).toEqual([{ action: "edit", id: "mem-en", content: EN.content }]));
    // Nothing changed: said so, and no Undo that would take back an older change.
    const toast = await screen.findByTestId("memory-toast");
    expect(toast).toHaveTextContent("nothing changed");
    expect(within(toast).queryByRole("button", { name: "Undo" })).toBeNull();
  });

  it("pins, unpins, forgets and undoes from the row", async () => {
    let state: Memory = { ...EN };
    const { calls } = mockApi({
      "GET /api/memories": () => ({ status: 200, body: memoryList(state.forgotten ? [] : [state]) }),
      "POST /api/memories": (call) => {
        const op = call.body as MemoryOp;
        if (op.action === "pin") state = { ...state, pinned: op.pinned };
        if (op.action === "forget") state = { ...state, forgotten: true };
        if (op.action === "undo") state = { ...state, pinned: !state.pinned };
        return reply(state);
      },
    });
    renderPage();
    const row = await screen.findByTestId("memory-item");
    await userEvent.click(within(row).getByRole("button", { name: /^Pin/ }));
    await waitFor(() => expect(screen.getByTestId("memory-item")).toHaveAttribute("data-pinned", "true"));
    expect(await screen.findByTestId("memory-toast")).toHaveTextContent("Pinned: recalled in every chat");
    await userEvent.click(within(screen.getByTestId("memory-item")).getByRole("button", { name: /Undo/ }));
    await waitFor(() => expect(screen.getByTestId("memory-item")).toHaveAttribute("data-pinned", "false"));
    await waitFor(() => expect(screen.getAllByTestId("memory-toast").at(-1)).toHaveTextContent("Undone: no longer pinned"));
    await userEvent.click(within(screen.getByTestId("memory-item")).getByRole("button", { name: /Forget/ }));
    await waitFor(() => expect(screen.queryByTestId("memory-item")).toBeNull());
    expect(posted(calls)).toEqual([
      { action: "pin", id: "mem-en", pinned: true },
      { action: "undo", id: "mem-en" },
      { action: "forget", id: "mem-en" },
    ]);
    await waitFor(() => expect(screen.getAllByTestId("memory-toast").at(-1)).toHaveTextContent("Forgotten"));
  });

  it("says why a change was refused", async () => {
    mockApi({
      "GET /api/memories": ok(memoryList([EN])),
      "POST /api/memories": () => ({ status: 404, body: { error: "memory mem-en has no change to undo" } }),
    });
    renderPage();
    const row = await screen.findByTestId("memory-item");
    await userEvent.click(within(row).getByRole("button", { name: /Undo/ }));
    expect(await screen.findByTestId("memory-error-toast")).toHaveTextContent("Could not undo: memory mem-en has no change to undo");
  });

  it("opens a memory's history (#/memory/ID), newest first, with the texts before and after", async () => {
    const detail: MemoryDetail = {
      memory: EN,
      history: [
        { action: "create", before: null, after: "I prefer window seats", at: "2025-01-01T10:00:00Z" },
        { action: "edit", before: "I prefer window seats", after: EN.content, at: "2025-01-02T10:00:00Z" },
        { action: "pin", before: null, after: null, at: "2025-01-03T10:00:00Z" },
      ],
    };
    mockApi({ "GET /api/memories": ok(memoryList([ZH, EN])), "GET /api/memories/mem-en": ok(detail) });
    renderPage("mem-en");
    const history = await screen.findByTestId("memory-history");
    const open = history.closest<HTMLElement>("[data-testid=memory-item]")!;
    expect(open.dataset.memoryId).toBe("mem-en");
    const changes = within(history).getAllByTestId("memory-change");
    expect(changes.map((c) => c.dataset.action)).toEqual(["pin", "edit", "create"]);
    expect(changes.map((c) => c.querySelector(".change-label")?.textContent)).toEqual(["Pinned", "Edited", "Saved"]);
    expect(changes[1]!.querySelector("del")).toHaveTextContent("I prefer window seats");
    expect(changes[1]!.querySelector("ins")).toHaveTextContent(EN.content);
    expect(within(open).getByText("never yet")).toBeInTheDocument();
    const toggle = within(open).getByRole("button", { name: /History/ });
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    await userEvent.click(toggle);
    expect(window.location.hash).toBe("#/memory");
    // Another row's History opens that one.
    await userEvent.click(within(item("西湖")).getByRole("button", { name: /History/ }));
    expect(window.location.hash).toBe("#/memory/mem-zh");
  });

  it("shows an opened memory that is not in the list, or says it does not exist", async () => {
    const gone = memory("mem-gone", "I used to live in Lyon", { forgotten: true });
    mockApi({
      "GET /api/memories": ok(memoryList([ZH])),
      "GET /api/memories/mem-gone": ok({ memory: gone, history: [] }),
      "GET /api/memories/mem-none": () => ({ status: 404, body: { error: "there is no memory mem-none" } }),
    });
    const { unmount } = renderPage("mem-gone");
    const selected = await screen.findByTestId("memory-selected");
    expect(within(selected).getByTestId("memory-item")).toHaveTextContent("I used to live in Lyon");
    expect(within(selected).getByTestId("memory-forgotten")).toBeInTheDocument();
    expect(within(selected).getByText("No changes recorded.")).toBeInTheDocument();
    unmount();
    renderPage("mem-none");
    expect(await screen.findByTestId("memory-detail-error")).toHaveTextContent("There is no memory mem-none.");
  });

  it("says when the memories cannot be loaded, and tries again", async () => {
    let fail = true;
    mockApi({
      "GET /api/memories": () => (fail ? { status: 500, body: { error: "database is locked" } } : { status: 200, body: memoryList([ZH]) }),
    });
    renderPage();
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load the memories: database is locked");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: /Try again/ }));
    expect(await screen.findByTestId("memory-item")).toHaveTextContent("西湖");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("is reached from the navigation", async () => {
    mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions": ok([trip]),
      "GET /api/memories": ok(memoryList([EN])),
    });
    render(<App />);
    await userEvent.click(await screen.findByTestId("nav-memory"));
    await waitFor(() => expect(window.location.hash).toBe("#/memory"));
    expect(screen.getByTestId("nav-memory")).toHaveAttribute("aria-current", "page");
    expect(await screen.findByRole("heading", { level: 1, name: "Memory" })).toBeInTheDocument();
    expect(document.title).toBe("Memory · Pincer");
    // Titles of chats come from the sidebar's list.
    expect(await screen.findByRole("link", { name: "from “Trip planning”" })).toHaveAttribute("href", "#/chat/s1");
  });
});

