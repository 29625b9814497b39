import { describe, expect, it } from "vitest";
import type { PricedBucket } from "../generated/protocol";
import { byModel, cachedShare, perDay, summarize } from "./aggregate";

function bucket(p: Partial<PricedBucket> & { day: string }, totals: Partial<PricedBucket["totals"]> = {}): PricedBucket {
  return {
    provider: "deepseek",
    model: "deepseek-chat",
    cost_usd: 0.1,
    avg_ttft_ms: null,
    avg_duration_ms: null,
    ...p,
    totals: {
      requests: 1,
      failed_requests: 0,
      input_tokens: 0,
      cached_input_tokens: 0,
      output_tokens: 0,
      estimated_requests: 0,
      ...totals,
    },
  };
}

describe("cached share", () => {
  it("is the share of input tokens served from cache", () => {
    expect(cachedShare({ input_tokens: 1000, cached_input_tokens: 250 })).toBe(0.25);
  });
  it("is unknown without input tokens", () => {
    expect(cachedShare({ input_tokens: 0, cached_input_tokens: 0 })).toBeNull();
  });
  it("is computed over all buckets, not averaged per bucket", () => {
    const s = summarize([
      bucket({ day: "2025-01-01" }, { input_tokens: 900, cached_input_tokens: 900 }),
      bucket({ day: "2025-01-02" }, { input_tokens: 100, cached_input_tokens: 0 }),
    ]);
    expect(s.cachedShare).toBe(0.9);
  });
});

describe("summary", () => {
  it("adds up requests, failures, tokens and estimates", () => {
    const s = summarize([
      bucket({ day: "2025-01-01" }, { requests: 3, failed_requests: 1, input_tokens: 100, cached_input_tokens: 40, output_tokens: 7, estimated_requests: 2 }),
      bucket({ day: "2025-01-02", provider: "openai", model: "gpt" }, { requests: 2, input_tokens: 50, output_tokens: 5 }),
    ]);
    expect(s).toMatchObject({ requests: 5, failed_requests: 1, input_tokens: 150, cached_input_tokens: 40, output_tokens: 12, estimated_requests: 2 });
  });

  it("sums known costs and flags unknown prices instead of counting them as zero", () => {
    const s = summarize([
      bucket({ day: "2025-01-01", cost_usd: 0.25 }),
      bucket({ day: "2025-01-01", model: "local", cost_usd: null }),
      bucket({ day: "2025-01-02", cost_usd: 0.5 }),
    ]);
    expect(s.cost).toBeCloseTo(0.75);
    expect(s.costUnknown).toBe(true);
    expect(summarize([bucket({ day: "2025-01-01", cost_usd: 0.25 })]).costUnknown).toBe(false);
  });

  it("weights average latencies by successful requests", () => {
    const s = summarize([
      bucket({ day: "2025-01-01", avg_ttft_ms: 100, avg_duration_ms: 1000 }, { requests: 3 }),
      bucket({ day: "2025-01-02", avg_ttft_ms: 500, avg_duration_ms: null }, { requests: 2, failed_requests: 1 }),
    ]);
    expect(s.avgTtftMs).toBe((100 * 3 + 500 * 1) / 4);
    expect(s.avgDurationMs).toBe(1000);
    expect(summarize([]).avgTtftMs).toBeNull();
  });
});

describe("per day series", () => {
  it("has one point per day from since to today, empty days at zero", () => {
    const days = perDay([bucket({ day: "2025-01-02" }, { input_tokens: 100, cached_input_tokens: 30, output_tokens: 10 })], "2025-01-01", "2025-01-04");
    expect(days.map((d) => d.day)).toEqual(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]);
    expect(days[1]).toMatchObject({ cachedInput: 30, uncachedInput: 70, output: 10, cost: 0.1, costUnknown: false });
    expect(days[0]).toMatchObject({ cachedInput: 0, uncachedInput: 0, output: 0, cost: 0 });
  });

  it("crosses month ends", () => {
    const days = perDay([], "2024-02-28", "2024-03-01");
    expect(days.map((d) => d.day)).toEqual(["2024-02-28", "2024-02-29", "2024-03-01"]);
  });

  it("merges models of one day and keeps unknown costs visible", () => {
    const days = perDay(
      [
        bucket({ day: "2025-01-01", cost_usd: 0.2 }, { output_tokens: 1 }),
        bucket({ day: "2025-01-01", model: "local", cost_usd: null }, { output_tokens: 2 }),
        bucket({ day: "2025-01-02", model: "local", cost_usd: null }, { output_tokens: 4 }),
      ],
      "2025-01-01",
      "2025-01-02",
    );
    expect(days[0]).toMatchObject({ output: 3, cost: 0.2, costUnknown: true });
    expect(days[1]).toMatchObject({ output: 4, cost: null, costUnknown: true });
  });
});

describe("by model", () => {
  it("groups days per provider and model, busiest first", () => {
    const rows = byModel([
      bucket({ day: "2025-01-01", provider: "a", model: "x" }, { requests: 1, input_tokens: 10, cached_input_tokens: 5 }),
      bucket({ day: "2025-01-01", provider: "b", model: "y" }, { requests: 5 }),
      bucket({ day: "2025-01-02", provider: "a", model: "x", cost_usd: null }, { requests: 1, input_tokens: 10 }),
    ]);
    expect(rows.map((r) => `${r.provider}/${r.model}`)).toEqual(["b/y", "a/x"]);
    expect(rows[1]).toMatchObject({ requests: 2, input_tokens: 20, cachedShare: 0.25, costUnknown: true, cost: 0.1 });
  });
});
