import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EffectiveProvider } from "../generated/protocol";
import { mockApi, ok } from "../test/mockApi";
import { CHAT_ONLY_PROMPTS, ChatEmpty, EXAMPLE_PROMPTS } from "./ChatEmpty";

const smol: EffectiveProvider = {
  name: "local",
  model: "smollm2-135m-instruct",
  model_title: "SmolLM2-135M-Instruct",
  local: true,
  tools: false,
  local_default: true,
};

afterEach(() => vi.unstubAllGlobals());

describe("ChatEmpty", () => {
  it("says which local model answers, that it stays on this computer, and links to Settings", async () => {
    const { calls } = mockApi({ "GET /api/settings/effective": ok({ effective: smol }) });
    render(<ChatEmpty onPick={() => {}} />);
    const notice = await screen.findByTestId("local-model-notice");
    expect(notice).toHaveTextContent(
      "SmolLM2-135M-Instruct answers here. It runs offline on this computer, so nothing you write leaves it.",
    );
    expect(notice).toHaveTextContent("It can chat, but not use files, commands or the web.");
    const link = screen.getByRole("link", { name: "add a provider in Settings" });
    expect(link).toHaveAttribute("href", "#/settings");
    // Without tools, the greeting does not promise files and commands.
    expect(screen.queryByText(/can read and edit files/)).toBeNull();
    // The examples offered need no tools: nothing the model cannot do.
    const offered = screen.getAllByRole("button").map((b) => b.textContent);
    expect(offered).toEqual(CHAT_ONLY_PROMPTS);
    expect(calls).toHaveLength(1);
  });

  it("keeps the greeting for a local default that can use tools", async () => {
    mockApi({
      "GET /api/settings/effective": ok({ effective: { ...smol, model: "qwen3-4b", model_title: "Qwen3-4B", tools: true } }),
    });
    render(<ChatEmpty onPick={() => {}} />);
    const notice = await screen.findByTestId("local-model-notice");
    expect(notice).toHaveTextContent("Qwen3-4B answers here.");
    expect(notice).toHaveTextContent("For stronger answers, add a provider in Settings.");
    expect(notice).not.toHaveTextContent("not use files");
    expect(screen.getByText(/can read and edit files/)).toBeInTheDocument();
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(EXAMPLE_PROMPTS);
  });

  it("says nothing about models when a provider is configured, or when the daemon cannot tell", async () => {
    const { calls } = mockApi({
      "GET /api/settings/effective": ok({ effective: { ...smol, name: "local", local_default: false } }),
    });
    const { unmount } = render(<ChatEmpty onPick={() => {}} />);
    await waitFor(() => expect(calls).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId("local-model-notice")).toBeNull();
    unmount();

    const older = mockApi({});
    render(<ChatEmpty onPick={() => {}} />);
    await waitFor(() => expect(older.calls).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId("local-model-notice")).toBeNull();
    expect(screen.getByText(/can read and edit files/)).toBeInTheDocument();
  });

  it("shows a model name in Chinese as it is, and a picked example still goes to the composer", async () => {
    mockApi({ "GET /api/settings/effective": ok({ effective: { ...smol, model: "通义千问-小", model_title: "通义千问-小" } }) });
    const onPick = vi.fn();
    render(<ChatEmpty onPick={onPick} />);
    expect(await screen.findByTestId("local-model-notice")).toHaveTextContent("通义千问-小 answers here.");
    await userEvent.click(screen.getByRole("button", { name: CHAT_ONLY_PROMPTS[0]! }));
    expect(onPick).toHaveBeenCalledWith(CHAT_ONLY_PROMPTS[0]);
  });
});
