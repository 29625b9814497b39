import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Composer } from "./Composer";

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
