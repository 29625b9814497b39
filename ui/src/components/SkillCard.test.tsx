import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadSkillCommands, resetSkillCommands } from "../skills/commands";
import { newTool } from "../state/turn";
import type { ToolCallView, TurnView } from "../state/types";
import { mockApi, ok } from "../test/mockApi";
import { skillView, skillsReport } from "../test/skillView";
import { ToolCard } from "./ToolCard";
import { TurnBlock } from "./TurnBlock";

const INSTRUCTIONS = [
  '<skill name="web-research" folder="/data/bundled-skills/web-research">',
  "Tools this skill expects to use: web_fetch, write_file",
  "# Web research",
  "",
  "Read **several** sources, then cite them.",
  "</skill>",
].join("\n");

function skillCall(patch: Partial<ToolCallView> = {}): ToolCallView {
  return { ...newTool("skill_1", "skill", '{"name":"web-research"}'), status: "ok", output: INSTRUCTIONS, durationMs: 0, ...patch };
}

beforeEach(() => {
  resetSkillCommands();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("skill card", () => {
  it("reads Skill · name, links the name to the skill, and keeps the instructions folded", async () => {
    render(<ToolCard tool={skillCall()} />);
    const card = screen.getByTestId("tool-card");
    expect(card).toHaveAttribute("data-skill-name", "web-research");
    expect(screen.getByTestId("skill-card-title")).toHaveTextContent(/^Skill · web-research$/);
    expect(screen.getByRole("region", { name: "Skill · web-research" })).toBe(card);
    // Not the raw JSON call.
    expect(card).not.toHaveTextContent('"name"');
    expect(card).not.toHaveTextContent("{");
    expect(screen.getByTestId("skill-card-link")).toHaveAttribute("href", "#/skills/web-research");
    expect(card).toHaveTextContent("done");
    expect(card).not.toHaveTextContent("started by you");

    const toggle = screen.getByRole("button", { name: "Instructions of web-research" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByTestId("skill-instructions")).toBeNull();
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const body = screen.getByTestId("skill-instructions");
    expect(body).toBeVisible();
    // Markdown, without the wrapper lines.
    expect(within(body).getByRole("heading", { name: "Web research" })).toBeInTheDocument();
    expect(within(body).getByText("several").tagName).toBe("STRONG");
    expect(body).not.toHaveTextContent("<skill");
    expect(body).not.toHaveTextContent("</skill>");
    expect(card).toHaveTextContent("/data/bundled-skills/web-research");
    // The engine's own lines are set apart, not run into the skill's first paragraph.
    expect(screen.getByTestId("skill-meta")).toHaveTextContent("Tools this skill expects to use: web_fetch, write_file");
    expect(body).not.toHaveTextContent("Tools this skill expects");
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "false");
  });

  it("shows the skill's emoji once the page knows the skills", async () => {
    mockApi({ "GET /api/skills": ok(skillsReport([skillView("web-research", { emoji: "🔎" })])) });
    render(<ToolCard tool={skillCall()} />);
    expect(screen.getByTestId("skill-card-link")).toHaveTextContent(/^web-research$/);
    loadSkillCommands(0);
    await waitFor(() => expect(screen.getByTestId("skill-card-link")).toHaveTextContent("🔎web-research"));
    expect(screen.getByRole("region", { name: "Skill · web-research" })).toBeInTheDocument();
  });

  it("says “started by you” when the output ends with what the user typed after /name", () => {
    render(<ToolCard tool={skillCall({ output: `${INSTRUCTIONS}\n\nThe user started this skill with: rust 2024` })} />);
    expect(screen.getByTestId("tool-card")).toHaveAttribute("data-started-by", "user");
    expect(screen.getByTestId("skill-started-by-user")).toHaveTextContent("started by you");
  });

  it("says “started by you” for a bare /name that opened the turn, not for the model's own call", () => {
    const { unmount } = render(<ToolCard tool={skillCall()} firstInTurn turnText="/web-research" />);
    expect(screen.getByTestId("skill-started-by-user")).toBeInTheDocument();
    unmount();
    // The model loaded it later in a turn that did not start with /web-research.
    render(<ToolCard tool={skillCall()} firstInTurn turnText="find me sources on rust" />);
    expect(screen.queryByTestId("skill-started-by-user")).toBeNull();
    expect(screen.getByTestId("tool-card")).toHaveAttribute("data-started-by", "model");
  });

  it("in a turn: the first block of a /name message is the user's start", () => {
    const turn: TurnView = {
      turnId: "t1",
      submission: null,
      userText: "/web-research",
      blocks: [
        { kind: "tool", tool: skillCall() },
        { kind: "tool", tool: skillCall({ callId: "call_2", arguments: '{"name":"web-research"}' }) },
        { kind: "text", text: "Here is what I found." },
      ],
      end: { kind: "completed" },
      live: false,
    };
    render(<TurnBlock turn={turn} />);
    const cards = screen.getAllByTestId("tool-card");
    expect(cards.map((c) => c.dataset.startedBy)).toEqual(["user", "model"]);
  });

  it("shows a skill that could not load as a failed call, opened", () => {
    render(
      <ToolCard
        tool={skillCall({
          status: "error",
          arguments: '{"name":"github"}',
          output: "error: the skill `github` cannot run here: needs the `gh` binary",
        })}
        firstInTurn
        turnText="/github list my PRs"
      />,
    );
    const card = screen.getByTestId("tool-card");
    expect(card).toHaveClass("status-error");
    expect(card).toHaveAttribute("data-status", "error");
    expect(screen.getByTestId("skill-card-title")).toHaveTextContent("Skill · github");
    expect(card).toHaveTextContent("failed");
    expect(screen.getByTestId("tool-output")).toBeVisible();
    expect(screen.getByTestId("tool-output")).toHaveTextContent("cannot run here: needs the `gh` binary");
    expect(screen.getByRole("button", { name: "Why it failed" })).toHaveAttribute("aria-expanded", "true");
  });

  it("treats an `error:` output as a failure even when the call is marked done", () => {
    render(<ToolCard tool={skillCall({ arguments: '{"name":"nope"}', output: "error: there is no skill named `nope`" })} />);
    expect(screen.getByTestId("tool-card")).toHaveAttribute("data-status", "error");
    expect(screen.getByTestId("tool-output")).toBeVisible();
  });

  it("while loading, names the skill from its arguments", () => {
    render(<ToolCard tool={skillCall({ status: "running", output: null })} />);
    expect(screen.getByTestId("skill-card-title")).toHaveTextContent("Skill · web-research");
    expect(screen.getByTestId("tool-card")).toHaveTextContent("running");
  });

  it("asks for approval like any call when the rules say so", async () => {
    const onDecide = vi.fn();
    render(
      <ToolCard
        tool={skillCall({ status: "approval", output: null, approval: { summary: "load the skill web-research", pattern: "skill:web-research" } })}
        onDecide={onDecide}
      />,
    );
    expect(screen.getByTestId("tool-card")).toHaveTextContent("Allow? load the skill web-research");
    await userEvent.click(screen.getByTestId("approve-once"));
    expect(onDecide).toHaveBeenCalledWith("once");
  });

  it("other tools keep the generic card", () => {
    render(<ToolCard tool={{ ...newTool("c", "exec", '{"command":"ls"}'), status: "ok", output: "a" }} />);
    expect(screen.queryByTestId("skill-card-title")).toBeNull();
    expect(screen.getByTestId("tool-card")).toHaveTextContent("exec");
  });
});
