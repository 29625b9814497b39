import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PricedBucket, UsageReport } from "../generated/protocol";
import { mockApi } from "../test/mockApi";
import { UsagePage } from "./Usage";

// jsdom has no canvas: record what the charts were given instead.
const charts: { testId?: string; labels: string[]; series: { label: string; data: (number | null)[] }[] }[] = [];
vi.mock("../usage/BarChart", () => ({
  BarChart: (props: { testId?: string; labels: string[]; series: { label: string; data: (number | null)[] }[] }) => {
    charts.push(props);
    return <div data-testid={props.testId} />;
  },
}));

function bucket(p: Partial<PricedBucket>, totals: Partial<PricedBucket["totals"]>): PricedBucket {
  return {
    day: "2025-01-02",
    provider: "deepseek",
    model: "deepseek-chat",
    cost_usd: 1.5,
    avg_ttft_ms: 500,
    avg_duration_ms: 2000,
    ...p,
    totals: { requests: 10, failed_requests: 0, input_tokens: 1000, cached_input_tokens: 250, output_tokens: 100, estimated_requests: 0, ...totals },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  charts.length = 0;
});

function serve(report: UsageReport) {
  return mockApi({ "GET /api/usage": () => ({ status: 200, body: report }) });
}

describe("Usage page", () => {
  it("shows totals, cached share, unknown costs and estimates", async () => {
    serve({
      since: "2025-01-01",
      buckets: [
        bucket({}, { requests: 10, failed_requests: 2, input_tokens: 3000, cached_input_tokens: 1500 }),
        bucket({ provider: "local", model: "qwen", cost_usd: null, avg_ttft_ms: 100 }, { requests: 4, input_tokens: 1000, cached_input_tokens: 0, estimated_requests: 4 }),
      ],
    });
    render(<UsagePage />);
    expect(await screen.findByTestId("usage-requests")).toHaveTextContent("14");
    expect(screen.getByTestId("usage-requests")).toHaveTextContent("2 failed");
    expect(screen.getByTestId("usage-input-tokens")).toHaveTextContent("4k");
    expect(screen.getByTestId("usage-cached-share")).toHaveTextContent("38%");
    expect(screen.getByTestId("usage-cost")).toHaveTextContent("$1.50");
    expect(screen.getByTestId("usage-cost")).toHaveTextContent("unknown for some models");
    expect(screen.getByTestId("usage-estimated")).toHaveTextContent("4 requests estimated (provider sent no counts)");
    const table = screen.getByTestId("usage-table");
    const local = within(table).getByText("qwen").closest("tr")!;
    expect(local).toHaveTextContent("—");
    expect(screen.getByTestId("usage-chart-tokens")).toBeInTheDocument();
    const tokens = charts.filter((c) => c.testId === "usage-chart-tokens").at(-1)!;
    expect(tokens.series.map((s) => s.label)).toEqual(["Cached input", "Uncached input", "Output"]);
    expect(tokens.series[0]?.data.length).toBeGreaterThanOrEqual(2);
  });

  it("asks the server for the chosen range", async () => {
    const { calls } = serve({ since: "2025-01-01", buckets: [bucket({}, {})] });
    render(<UsagePage />);
    await screen.findByTestId("usage-table");
    expect(calls.at(-1)?.path).toBe("/api/usage?days=30");
    await userEvent.click(within(screen.getByTestId("usage-range")).getByRole("radio", { name: "7 days" }));
    await waitFor(() => expect(calls.at(-1)?.path).toBe("/api/usage?days=7"));
    expect(within(screen.getByTestId("usage-range")).getByRole("radio", { name: "7 days" })).toHaveAttribute("aria-checked", "true");
  });

  it("shows an empty state without usage", async () => {
    serve({ since: "2025-01-01", buckets: [] });
    render(<UsagePage />);
    expect(await screen.findByText("No usage in the last 30 days")).toBeInTheDocument();
    expect(screen.getByTestId("usage-cost")).toHaveTextContent("$0.00");
    expect(screen.queryByTestId("usage-table")).toBeNull();
  });
});
