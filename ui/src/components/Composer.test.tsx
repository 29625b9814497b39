import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SkillsReport } from "../generated/protocol";
import { resetSkillCommands } from "../skills/commands";
import { LiveProvider } from "../state/LiveProvider";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { type Handler, mockApi, ok } from "../test/mockApi";
import { skillView, skillsReport } from "../test/skillView";
import { Composer } from "./Composer";

beforeEach(() => {
  resetSkillCommands();
  // The box asks for the skills the first time it is used.
  mockApi({ "GET /api/skills": ok(skillsReport([])) });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function setup(running = false) {
  const onSend = vi.fn();
  const onStop = vi.fn();
  render(<Composer running={running} onSend={onSend} onStop={onStop} />);
  const box = screen.getByTestId("composer") as HTMLTextAreaElement;
  return { onSend, onStop, box };
}

describe("Composer", () => {
  it("sends the trimmed text on Enter and clears the box", async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, "  hello there  {Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith("hello there");
    expect(box.value).toBe("");
  });

  it("adds a new line on Shift+Enter without sending", async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, "one{Shift>}{Enter}{/Shift}two");
    expect(onSend).not.toHaveBeenCalled();
    expect(box.value).toBe("one\ntwo");
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("one\ntwo");
  });

  it("does not send an empty message", async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, "   {Enter}");
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByTestId("send")).toBeDisabled();
  });

  it("sends with the Send button", async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, "hi");
    await userEvent.click(screen.getByTestId("send"));
    expect(onSend).toHaveBeenCalledWith("hi");
  });

  it("shows Stop instead of Send while a turn runs; Esc and the button stop it", async () => {
    const { onStop, box } = setup(true);
    expect(screen.queryByTestId("send")).toBeNull();
    await userEvent.type(box, "{Escape}");
    expect(onStop).toHaveBeenCalledTimes(1);
    await userEvent.click(screen.getByTestId("stop"));
    expect(onStop).toHaveBeenCalledTimes(2);
  });

  it("ignores Esc when nothing runs", async () => {
    const { onStop, box } = setup(false);
    await userEvent.type(box, "{Escape}");
    expect(onStop).not.toHaveBeenCalled();
  });

  it("still queues a message with Enter while a turn runs", async () => {
    const { onSend, box } = setup(true);
    await userEvent.type(box, "next{Enter}");
    expect(onSend).toHaveBeenCalledWith("next");
  });
});

describe("Composer drafts", () => {
  it("starts from a kept draft and reports edits", async () => {
    const onTextChange = vi.fn();
    render(<Composer running={false} onSend={vi.fn()} onStop={vi.fn()} initialText="half-written" onTextChange={onTextChange} />);
    const box = screen.getByTestId("composer") as HTMLTextAreaElement;
    expect(box.value).toBe("half-written");
    await userEvent.type(box, "!");
    expect(onTextChange).toHaveBeenLastCalledWith("half-written!");
  });
});

const skills: SkillsReport = skillsReport([
  skillView("web-research", {
    emoji: "🔎",
    description: "Answer a question from several web sources, with citations. Use for research.",
  }),
  skillView("weather", { description: "Today's forecast for a place." }),
  skillView("say-web-hello", { description: "Greets the web." }),
  skillView("github", { status: "unavailable", unmet: ["needs the `gh` binary"] }),
  skillView("webhooks", { status: "disabled" }),
  skillView("web-admin", { status: "needs_review" }),
  skillView("web-private", { user_invocable: false }),
]);

function setupSlash({ running = false, routes = { "GET /api/skills": ok(skills) } as Record<string, Handler> } = {}) {
  const api = mockApi(routes);
  const onSend = vi.fn();
  const onStop = vi.fn();
  render(<Composer running={running} onSend={onSend} onStop={onStop} />);
  const box = screen.getByTestId("composer") as HTMLTextAreaElement;
  const skillCalls = () => api.calls.filter((c) => c.path === "/api/skills").length;
  return { onSend, onStop, box, skillCalls };
}

const names = () => screen.getAllByTestId("slash-option").map((o) => o.dataset.skillName);

describe("Composer slash suggestions", () => {
  it("offers the ready skills a user can start whose name holds what was typed, prefix matches first", async () => {
    const { box } = setupSlash();
    await userEvent.type(box, "/we");
    const list = await screen.findByTestId("slash-suggestions");
    // Unavailable, disabled, waiting for review and model-only skills are not offered.
    expect(names()).toEqual(["weather", "web-research", "say-web-hello"]);
    expect(list).toHaveAttribute("role", "listbox");
    const first = within(list).getAllByRole("option")[0]!;
    expect(first).toHaveAttribute("aria-selected", "true");
    expect(box).toHaveAttribute("aria-expanded", "true");
    expect(box).toHaveAttribute("aria-controls", list.id);
    expect(box).toHaveAttribute("aria-activedescendant", first.id);

    await userEvent.type(box, "b");
    expect(names()).toEqual(["web-research", "say-web-hello"]);
    const option = screen.getAllByTestId("slash-option")[0]!;
    expect(option).toHaveTextContent("🔎");
    expect(option).toHaveTextContent("/web-research");
    // The first sentence of the description.
    expect(option).toHaveTextContent("Answer a question from several web sources, with citations.");
    expect(option).not.toHaveTextContent("Use for research.");
    // A bare slash offers them all.
    await userEvent.clear(box);
    await userEvent.type(box, "/");
    expect(names()).toEqual(["say-web-hello", "weather", "web-research"]);
  });

  it("moves with the arrows and completes with Enter to `/name ` without sending", async () => {
    const { box, onSend } = setupSlash();
    await userEvent.type(box, "/web");
    await screen.findByTestId("slash-suggestions");
    const options = () => screen.getAllByTestId("slash-option");
    await userEvent.keyboard("{ArrowDown}");
    expect(options()[1]).toHaveAttribute("aria-selected", "true");
    expect(options()[0]).toHaveAttribute("aria-selected", "false");
    expect(box).toHaveAttribute("aria-activedescendant", options()[1]!.id);
    await userEvent.keyboard("{ArrowDown}");
    expect(options()[0]).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{ArrowUp}");
    expect(options()[1]).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{Enter}");
    expect(box.value).toBe("/say-web-hello ");
    expect(box.selectionStart).toBe(box.value.length);
    expect(box.selectionEnd).toBe(box.value.length);
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    expect(box).toHaveAttribute("aria-expanded", "false");
    expect(box).not.toHaveAttribute("aria-activedescendant");
    // Then Enter sends as always.
    await userEvent.type(box, "hi{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith("/say-web-hello hi");
  });

  it("completes with Tab, and the text typed after it is sent with the command", async () => {
    const { box, onSend } = setupSlash();
    await userEvent.type(box, "/web");
    await screen.findByTestId("slash-suggestions");
    await userEvent.keyboard("{Tab}");
    expect(box.value).toBe("/web-research ");
    expect(box).toHaveFocus();
    await userEvent.type(box, "what is new in Rust?{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith("/web-research what is new in Rust?");
  });

  it("completes on a click and keeps the focus in the box", async () => {
    const { box } = setupSlash();
    await userEvent.type(box, "/wea");
    await screen.findByTestId("slash-suggestions");
    await userEvent.click(screen.getByRole("option", { name: /weather/ }));
    expect(box.value).toBe("/weather ");
    expect(box).toHaveFocus();
  });

  it("closes with Esc without stopping the running answer; the next Esc stops it", async () => {
    const { box, onStop } = setupSlash({ running: true });
    await userEvent.type(box, "/web");
    await screen.findByTestId("slash-suggestions");
    expect(screen.getByTestId("composer-hint")).toHaveTextContent("Tab or Enter to complete");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    expect(onStop).not.toHaveBeenCalled();
    expect(box.value).toBe("/web");
    await userEvent.keyboard("{Escape}");
    expect(onStop).toHaveBeenCalledTimes(1);
    // Typing on asks again.
    await userEvent.type(box, "-r");
    expect(names()).toEqual(["web-research"]);
  });

  it("shows nothing for a path, a text that does not start with a slash, or once a space follows", async () => {
    const { box, onSend } = setupSlash();
    await userEvent.type(box, "/etc/hosts");
    await waitFor(() => expect(box).toHaveAttribute("aria-expanded", "false"));
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("/etc/hosts");
    await userEvent.type(box, "see /web");
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    await userEvent.clear(box);
    await userEvent.type(box, "/web ");
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
  });

  it("says “/ for skills” only when there is a skill to start", async () => {
    const { box } = setupSlash();
    await userEvent.click(box);
    await waitFor(() => expect(screen.getByTestId("composer-hint")).toHaveTextContent("Enter to send · Shift+Enter for a new line · / for skills"));
  });

  it("says nothing of skills when none can be started", async () => {
    const { box, skillCalls } = setupSlash({ routes: { "GET /api/skills": ok(skillsReport([skillView("off", { status: "disabled" })])) } });
    await userEvent.type(box, "/");
    await waitFor(() => expect(skillCalls()).toBe(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    expect(box).not.toHaveAttribute("aria-expanded");
    expect(screen.getByTestId("composer-hint")).toHaveTextContent(/^Enter to send · Shift\+Enter for a new line$/);
  });

  it("asks for the skills only once the box is used, and shows nothing when that fails", async () => {
    const { box, skillCalls } = setupSlash({
      routes: { "GET /api/skills": () => ({ status: 500, body: { error: "boom" } }) },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(skillCalls()).toBe(0);
    await userEvent.type(box, "/web");
    await waitFor(() => expect(skillCalls()).toBeGreaterThan(0));
    // Not once per key: it tries again the next time a slash starts the text.
    const asked = skillCalls();
    await userEvent.type(box, "-research");
    await new Promise((r) => setTimeout(r, 20));
    expect(skillCalls()).toBe(asked);
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    await userEvent.keyboard("{Enter}");
    expect(box.value).toBe("");
  });

  it("asks again when the live stream says skills changed", async () => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
    let current = skills;
    const api = mockApi({ "GET /api/skills": () => ({ status: 200, body: current }) });
    render(
      <LiveProvider onAuthRequired={() => {}}>
        <Composer running={false} onSend={vi.fn()} onStop={vi.fn()} />
      </LiveProvider>,
    );
    const box = screen.getByTestId("composer");
    await userEvent.type(box, "/fr");
    await waitFor(() => expect(api.calls.filter((c) => c.path === "/api/skills")).toHaveLength(1));
    expect(screen.queryByTestId("slash-suggestions")).toBeNull();
    current = skillsReport([...skills.skills, skillView("fresh", { description: "Made a moment ago." })]);
    act(() => {
      FakeWebSocket.last().open();
      FakeWebSocket.last().receive({ type: "skills_changed" });
    });
    expect(await screen.findByTestId("slash-option")).toHaveTextContent("/fresh");
    expect(api.calls.filter((c) => c.path === "/api/skills")).toHaveLength(2);
  });
});
