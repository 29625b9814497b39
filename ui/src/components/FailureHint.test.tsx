import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { FailureKind } from "../generated/protocol";
import { TurnEndNotice } from "./TurnEndNotice";
import { hintFor } from "./FailureHint";

function failed(failureKind: FailureKind | null, error = "it went wrong") {
  render(<TurnEndNotice end={{ kind: "failed", error, failureKind }} />);
  return screen.getByTestId("turn-error");
}

describe("failure hints", () => {
  it("a refused key: says so and links to Settings to replace it", () => {
    const notice = failed("auth", "the API key was rejected by openai (HTTP 401): bad key");
    expect(notice).toHaveAttribute("data-kind", "auth");
    expect(notice).toHaveTextContent("the API key was rejected by openai (HTTP 401): bad key");
    expect(notice).toHaveTextContent("The API key was refused.");
    expect(screen.getByTestId("hint-settings")).toHaveAttribute("href", "#/settings");
    expect(screen.getByTestId("hint-settings")).toHaveTextContent("Replace the key in Settings");
  });

  it("a conversation too long for the model: links to a new chat", () => {
    failed("context_too_long");
    expect(screen.getByTestId("failure-hint")).toHaveTextContent("Start a new chat to go on.");
    expect(screen.getByTestId("hint-new-chat")).toHaveAttribute("href", "#/chat");
  });

  it.each<[FailureKind, RegExp, string | null]>([
    ["rate_limit", /Wait a minute, then send your message again/, null],
    ["quota", /out of credit/, "hint-settings"],
    ["not_found", /Check the model name in Settings/, "hint-settings"],
    ["network", /Check your connection and the provider's server address/, "hint-settings"],
    ["no_provider", /No model provider is set up/, "hint-settings"],
    ["server", /Try again later/, null],
    ["bad_request", /refused the request/, null],
  ])("%s: the hint for it, with its action where Pincer has one", (kind, text, action) => {
    const notice = failed(kind);
    expect(screen.getByTestId("failure-hint")).toHaveTextContent(text);
    if (action) expect(screen.getByTestId(action)).toHaveAttribute("href", "#/settings");
    else expect(notice.querySelector("a")).toBeNull();
  });

  it("while retrying, says what Pincer does instead of asking to send again", () => {
    expect(hintFor("rate_limit", true)?.text).toBe("The provider is limiting requests; Pincer waits and tries again.");
    expect(hintFor("server", true)?.text).toBe("The provider had a problem on its side; Pincer tries again.");
    expect(hintFor("network", true)?.action?.href).toBe("#/settings");
    // A fallback after a refused key still points at the key.
    expect(hintFor("auth", true)?.text).toBe("The API key was refused. Replace it in Settings.");
  });

  it("adds nothing for a cancelled or internal failure, or one stored before kinds", () => {
    expect(hintFor("cancelled")).toBeNull();
    expect(hintFor("internal")).toBeNull();
    const notice = failed(null, "an old failure");
    expect(notice).toHaveTextContent("an old failure");
    expect(screen.queryByTestId("failure-hint")).toBeNull();
  });
});
