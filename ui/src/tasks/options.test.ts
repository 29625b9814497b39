import { describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS, optionsDraftOf, optionsOf } from "./options";

describe("a job's options in the editor", () => {
  it("writes the engine's options JSON and keeps keys the editor has no field for", () => {
    expect(optionsOf(DEFAULT_OPTIONS)).toEqual({
      kind: "agent",
      missed: { policy: "once" },
      delivery: "notify",
      approvals: { mode: "ask" },
    });
    const stored = { lateness_secs: 600, timeout_secs: 60, spend_cap_usd: 0.5, skill: "brief" };
    const draft = {
      ...optionsDraftOf(stored),
      missed: "each" as const,
      upTo: "4",
      timeoutMin: "2.5",
      spendCap: "",
      delivery: "none" as const,
      approvals: "deny" as const,
      allow: "web_fetch\n  exec:git *  \n\n",
      skill: "",
      model: "cheap",
    };
    expect(optionsOf(draft, stored)).toEqual({
      lateness_secs: 600,
      kind: "agent",
      missed: { policy: "each", up_to: 4 },
      timeout_secs: 150,
      delivery: "none",
      approvals: { mode: "deny", allow: ["web_fetch", "exec:git *"] },
      model: "cheap",
    });
  });

  it("reads stored options, anything unreadable as the default", () => {
    expect(
      optionsDraftOf({
        kind: "reminder",
        missed: { policy: "skip" },
        timeout_secs: 90,
        spend_cap_usd: 1.25,
        delivery: "none",
        approvals: { mode: "deny", allow: ["web_fetch", 3] },
      }),
    ).toEqual({
      ...DEFAULT_OPTIONS,
      kind: "reminder",
      missed: "skip",
      timeoutMin: "1.5",
      spendCap: "1.25",
      delivery: "none",
      approvals: "deny",
      allow: "web_fetch",
    });
    expect(optionsDraftOf(null)).toEqual(DEFAULT_OPTIONS);
    // A kind the editor has no choice for stays as it is.
    expect(optionsOf(DEFAULT_OPTIONS, { kind: "heartbeat" }).kind).toBe("heartbeat");
    expect(optionsOf({ ...DEFAULT_OPTIONS, kind: "reminder" }, { kind: "agent" }).kind).toBe("reminder");
    expect(optionsDraftOf({ kind: "cron", missed: "once" })).toEqual(DEFAULT_OPTIONS);
  });
});
