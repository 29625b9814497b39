import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi, ok } from "../test/mockApi";
import { newTool } from "../state/turn";
import type { ToolCallView } from "../state/types";
import { OUTPUT_PREVIEW_LINES, ToolCard, truncateOutput } from "./ToolCard";

function tool(patch: Partial<ToolCallView> = {}): ToolCallView {
  return { ...newTool("call_1", "exec", '{"command":"ls -la","timeout":5}'), ...patch };
}

describe("ToolCard", () => {
  it("shows the tool, a one-line argument summary and the status", () => {
    render(<ToolCard tool={tool()} />);
    const card = screen.getByTestId("tool-card");
    expect(card).toHaveAttribute("data-call-id", "call_1");
    expect(card).toHaveAttribute("data-status", "running");
    expect(card).toHaveTextContent("exec");
    expect(card).toHaveTextContent("ls -la · timeout: 5");
    expect(card).toHaveTextContent("running");
  });

  it("says a call stopped by an interrupt was stopped, not that it failed", () => {
    render(<ToolCard tool={tool({ status: "cancelled", output: "cancelled", durationMs: 1500 })} />);
    const card = screen.getByTestId("tool-card");
    expect(card).toHaveAttribute("data-status", "cancelled");
    expect(card).toHaveTextContent("stopped · 1.50 s");
    expect(card).not.toHaveTextContent("failed");
  });

  it("pretty-prints the arguments", () => {
    const { container } = render(<ToolCard tool={tool()} />);
    expect(container.querySelector(".tool-args")?.textContent).toBe('{\n  "command": "ls -la",\n  "timeout": 5\n}');
  });

  it("asks for approval with four answers, the first focused, and reports the choice", async () => {
    const onDecide = vi.fn();
    render(
      <ToolCard
        tool={tool({ status: "approval", approval: { summary: "run `ls -la`", pattern: "exec:ls" } })}
        onDecide={onDecide}
      />,
    );
    expect(screen.getByTestId("tool-card")).toHaveAttribute("data-status", "approval");
    expect(screen.getByText(/run `ls -la`/)).toBeInTheDocument();
    expect(screen.getByTestId("approve-once")).toHaveFocus();
    expect(screen.getByTestId("approve-once")).toHaveTextContent("Allow once");
    expect(screen.getByTestId("approve-session")).toHaveTextContent("Allow for this session");
    expect(screen.getByTestId("approve-always")).toHaveTextContent("Always allow");
    expect(screen.getByTestId("approve-deny")).toHaveTextContent("Deny");
    await userEvent.click(screen.getByTestId("approve-session"));
    expect(onDecide).toHaveBeenCalledWith("session");
    // One answer per request: the buttons lock until the server settles it.
    expect(screen.getByTestId("approve-deny")).toBeDisabled();
  });

  it.each([
    ["approve-once", "once"],
    ["approve-always", "always"],
    ["approve-deny", "deny"],
  ])("%s answers %s", async (testId, decision) => {
    const onDecide = vi.fn();
    render(<ToolCard tool={tool({ status: "approval", approval: { summary: "s", pattern: "p" } })} onDecide={onDecide} />);
    await userEvent.click(screen.getByTestId(testId));
    expect(onDecide).toHaveBeenCalledExactlyOnceWith(decision);
  });

  it("answers with the keyboard: Enter on the focused first button allows once", async () => {
    const onDecide = vi.fn();
    render(<ToolCard tool={tool({ status: "approval", approval: { summary: "s", pattern: "p" } })} onDecide={onDecide} />);
    await userEvent.keyboard("{Enter}");
    expect(onDecide).toHaveBeenCalledWith("once");
  });

  it("shows no approval buttons once the call is running, done, failed or denied", () => {
    for (const status of ["running", "ok", "error", "denied"] as const) {
      const { unmount } = render(<ToolCard tool={tool({ status, output: status === "running" ? null : "x" })} onDecide={vi.fn()} />);
      expect(screen.queryByTestId("approve-once")).toBeNull();
      expect(screen.getByTestId("tool-card")).toHaveAttribute("data-status", status);
      unmount();
    }
  });

  it("shows the duration and output of a finished call", () => {
    render(<ToolCard tool={tool({ status: "ok", output: "a.txt\nb.txt", durationMs: 1234 })} />);
    expect(screen.getByTestId("tool-card")).toHaveTextContent("1.23 s");
    expect(screen.getByTestId("tool-output")).toHaveTextContent("a.txt b.txt");
  });

  it("truncates long output and shows all on request", async () => {
    const output = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join("\n");
    render(<ToolCard tool={tool({ status: "error", output })} />);
    const pre = screen.getByTestId("tool-output");
    expect(pre.textContent).toContain(`line ${OUTPUT_PREVIEW_LINES}`);
    expect(pre.textContent).not.toContain("line 100");
    await userEvent.click(screen.getByRole("button", { name: /Show all \(60 more lines\)/ }));
    expect(screen.getByTestId("tool-output").textContent).toBe(output);
  });

  it("truncates one very long line by characters", () => {
    const r = truncateOutput("x".repeat(10_000));
    expect(r.truncated).toBe(true);
    expect(r.text.length).toBeLessThan(10_000);
    expect(truncateOutput("short").truncated).toBe(false);
  });

  it("opens the output of a failed call, keeps a successful one folded until clicked", async () => {
    const { unmount } = render(<ToolCard tool={tool({ status: "error", output: "exit code 2" })} />);
    expect(screen.getByTestId("tool-output")).toBeVisible();
    expect(screen.getByTestId("tool-output")).toHaveTextContent("exit code 2");
    unmount();
    render(<ToolCard tool={tool({ status: "ok", output: "fine" })} />);
    expect(screen.getByTestId("tool-output")).not.toBeVisible();
    await userEvent.click(screen.getByRole("button", { expanded: false }));
    expect(screen.getByTestId("tool-output")).toBeVisible();
    expect(screen.getByRole("button", { expanded: true })).toBeInTheDocument();
  });
});

describe("ToolCard decisions", () => {
  it("says who settled an approval once it is settled", () => {
    const { unmount } = render(<ToolCard tool={tool({ status: "running", decision: "session", decidedBy: "user" })} />);
    expect(screen.getByTestId("tool-card")).toHaveTextContent("You allowed this for the session.");
    unmount();
    render(<ToolCard tool={tool({ status: "ok", output: "", decision: "once", decidedBy: "remembered" })} />);
    expect(screen.getByTestId("tool-card")).toHaveTextContent("Allowed by a remembered answer.");
  });
});

describe("ToolCard images", () => {
  const shot = "/home/me/pincer/workspace/screenshots/shot 1.png";
  afterEach(() => vi.unstubAllGlobals());

  it("fetches a finished call's screenshots with the login key and shows them, visible while the card is folded", async () => {
    window.localStorage.setItem("pincer.loginKey", "key-9");
    const { calls } = mockApi({ "GET /api/images": ok("png") });
    render(<ToolCard tool={tool({ name: "screenshot", status: "ok", output: "took a screenshot", images: [shot, "/w/screenshots/b.png"] })} />);
    const images = await screen.findAllByTestId("tool-image");
    expect(images).toHaveLength(2);
    expect(images[0]).toBeVisible();
    expect(images[0]).toHaveAttribute("src", expect.stringMatching(/^blob:/));
    expect(images[0]).toHaveAttribute("alt", "Screenshot shot 1.png");
    expect(screen.getByTestId("tool-output")).not.toBeVisible();
    const fetched = calls.find((c) => c.path === `/api/images?path=${encodeURIComponent(shot)}`);
    expect(fetched?.headers["x-pincer-key"]).toBe("key-9");
  });

  it("opens the full image in a new tab", async () => {
    mockApi({ "GET /api/images": ok("png") });
    render(<ToolCard tool={tool({ status: "ok", output: "", images: [shot] })} />);
    const image = await screen.findByTestId("tool-image");
    const link = image.closest("a");
    expect(link).toHaveAttribute("href", image.getAttribute("src"));
    expect(link).toHaveAttribute("target", "_blank");
    expect(link?.getAttribute("rel")).toContain("noopener");
  });

  it("says so when an image can no longer be loaded", async () => {
    mockApi({ "GET /api/images": () => ({ status: 404, body: { error: "gone" } }) });
    render(<ToolCard tool={tool({ status: "ok", output: "", images: [shot] })} />);
    expect(await screen.findByTestId("tool-image-missing")).toHaveTextContent("shot 1.png: the image is no longer available");
    expect(screen.queryByTestId("tool-image")).toBeNull();
  });

  it("shows no image area for calls without images", () => {
    const { container } = render(<ToolCard tool={tool({ status: "ok", output: "x" })} />);
    expect(container.querySelector(".tool-images")).toBeNull();
  });
});
