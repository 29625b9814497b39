import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { i18nFor } from "../i18n";
import { type Call, mockApi } from "../test/mockApi";
import { ScheduleBuilder } from "./ScheduleBuilder";

// Mon 7 Dec 2026 09:00 UTC and each Monday after.
const MONDAYS = [0, 1, 2, 3, 4].map((k) => 1_796_634_000 + k * 7 * 86_400);
const REFUSED = 'Mars/Olympus is not a time zone: write an IANA name such as Europe/Lisbon or UTC (names are case-sensitive)';

function daemon() {
  return mockApi({
    "POST /api/schedule-preview": (call: Call) => {
      const { schedule } = call.body as { schedule: string };
      if (schedule.includes("Mars")) return { status: 400, body: { error: REFUSED } };
      return { status: 200, body: { description: `words for ${schedule}`, upcoming: MONDAYS } };
    },
  });
}

function previews(calls: Call[]): string[] {
  return calls.filter((c) => c.path === "/api/schedule-preview").map((c) => (c.body as { schedule: string }).schedule);
}

afterEach(() => vi.unstubAllGlobals());

describe("the schedule builder", () => {
  it("writes the spec of each choice and shows the engine's words and the next five runs", async () => {
    const { calls } = daemon();
    const onChange = vi.fn();
    const user = userEvent.setup();
    render(<ScheduleBuilder initial='cron "0 9 * * MON" UTC' onChange={onChange} i18n={i18nFor("en")} debounceMs={0} />);

    // A stored spec comes back as its choice.
    expect(screen.getByTestId("schedule-mode")).toHaveValue("weekly");
    expect(screen.getByTestId("schedule-day")).toHaveValue("1");
    expect(screen.getByTestId("schedule-spec")).toHaveTextContent('cron "0 9 * * MON" UTC');
    await waitFor(() => expect(screen.getByTestId("schedule-description")).toHaveTextContent('words for cron "0 9 * * MON" UTC'));
    const runs = screen.getByTestId("schedule-upcoming").querySelectorAll("li");
    expect(runs).toHaveLength(5);
    expect(runs[0]).toHaveTextContent(/Mon, Dec 7, 2026/);
    expect(runs[0]).toHaveTextContent(/09:00/);
    expect(onChange).toHaveBeenLastCalledWith('cron "0 9 * * MON" UTC');

    await user.selectOptions(screen.getByTestId("schedule-mode"), "weekdays");
    const time = screen.getByTestId("schedule-time");
    await user.clear(time);
    await user.type(time, "07:45");
    const zone = screen.getByTestId("schedule-zone");
    await user.clear(zone);
    await user.type(zone, "Asia/Shanghai");
    expect(onChange).toHaveBeenLastCalledWith('cron "45 7 * * 1-5" Asia/Shanghai');
    await waitFor(() => expect(previews(calls).at(-1)).toBe('cron "45 7 * * 1-5" Asia/Shanghai'));

    await user.selectOptions(screen.getByTestId("schedule-mode"), "minutes");
    await user.clear(screen.getByTestId("schedule-every"));
    await user.type(screen.getByTestId("schedule-every"), "20");
    expect(onChange).toHaveBeenLastCalledWith("every 20m");
    expect(screen.queryByTestId("schedule-zone")).toBeNull();

    await user.selectOptions(screen.getByTestId("schedule-mode"), "startup");
    expect(onChange).toHaveBeenLastCalledWith("at startup");

    await user.selectOptions(screen.getByTestId("schedule-mode"), "cron");
    await user.clear(screen.getByTestId("schedule-cron"));
    await user.type(screen.getByTestId("schedule-cron"), "*/10 * * * *");
    expect(onChange).toHaveBeenLastCalledWith('cron "*/10 * * * *" Asia/Shanghai');
  });

  it("shows the engine's refusal verbatim under the fields, and clears it once the spec is fixed", async () => {
    daemon();
    const user = userEvent.setup();
    render(<ScheduleBuilder initial='cron "0 9 * * *" UTC' onChange={() => {}} i18n={i18nFor("en")} debounceMs={0} />);
    await screen.findByTestId("schedule-description");
    const zone = screen.getByTestId("schedule-zone");
    await user.clear(zone);
    await user.type(zone, "Mars/Olympus");
    const error = await screen.findByTestId("schedule-error");
    expect(error).toHaveTextContent(REFUSED);
    expect(zone).toHaveAttribute("aria-invalid", "true");
    expect(zone).toHaveAccessibleDescription(REFUSED);
    expect(screen.queryByTestId("schedule-upcoming")).toBeNull();

    await user.clear(zone);
    await user.type(zone, "Europe/Lisbon");
    await screen.findByTestId("schedule-description");
    expect(screen.queryByTestId("schedule-error")).toBeNull();
    expect(zone).not.toHaveAttribute("aria-invalid");
  });

  it("asks for one preview once typing pauses", async () => {
    const { calls } = daemon();
    const user = userEvent.setup();
    render(<ScheduleBuilder initial="every 5m" onChange={() => {}} i18n={i18nFor("en")} debounceMs={150} />);
    await waitFor(() => expect(previews(calls)).toEqual(["every 5m"]));
    await user.type(screen.getByTestId("schedule-every"), "55");
    await waitFor(() => expect(previews(calls).at(-1)).toBe("every 555m"));
    expect(previews(calls)).toEqual(["every 5m", "every 555m"]);
  });

  it("speaks Chinese, and says when a schedule has no run ahead", async () => {
    mockApi({ "POST /api/schedule-preview": () => ({ status: 200, body: { description: "at start-up", upcoming: [] } }) });
    render(<ScheduleBuilder initial="at startup" onChange={() => {}} i18n={i18nFor("zh")} debounceMs={0} />);
    expect(await screen.findByTestId("schedule-no-runs")).toHaveTextContent("每次 Pincer 启动时运行。");
    expect(screen.getByRole("group", { name: "计划" })).toBeInTheDocument();
    expect(screen.getByLabelText("运行")).toHaveValue("startup");
  });
});
