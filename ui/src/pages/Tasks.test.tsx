import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Sidebar } from "../components/Sidebar";
import { ToastProvider } from "../components/Toasts";
import type { Event, JobView, NewJobRequest, Run, RunView, ServerMessage, SessionInfo, Submission } from "../generated/protocol";
import { LiveProvider } from "../state/LiveProvider";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { type Call, mockApi } from "../test/mockApi";
import { TasksPage } from "./Tasks";

const NOW = Math.floor(Date.now() / 1000);

function job(id: string, name: string, extra: Partial<JobView> = {}): JobView {
  return {
    job: {
      id,
      name,
      prompt: `prompt of ${name}`,
      schedule: "every 2h",
      anchor: NOW - 60,
      options: { kind: "agent", delivery: "notify" },
      paused: false,
      checked_until: NOW,
      created_at: NOW - 60,
      updated_at: NOW - 60,
    },
    description: "every 2 hours, next run soon",
    next_run: NOW + 7200,
    upcoming: [1, 2, 3, 4, 5].map((k) => NOW + k * 7200),
    problem: null,
    last_run: null,
    ...extra,
  };
}

function run(id: string, status: Run["status"], extra: Partial<RunView> = {}): RunView {
  return {
    id,
    job_id: "job-1",
    scheduled_for: null,
    trigger: "manual",
    status,
    reason: null,
    session_id: status === "queued" ? null : id,
    queued_at: NOW - 30,
    started_at: status === "queued" ? null : NOW - 20,
    ended_at: null,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: null,
    output: null,
    job_name: "Kettle price",
    spend: null,
    approval: null,
    ...extra,
  };
}

const KETTLE = job("job-1", "Kettle price");
const WAITING = run("run-wait", "waiting_approval", {
  spend: { requests: 1, input_tokens: 1000, output_tokens: 200, cost_usd: 0.0014 },
  approval: { session: "run-wait", call_id: "tc-9", tool: "write_file", summary: "write kettle/notes.txt (9 bytes)", pattern: "write:kettle/notes.txt" },
});
const RUNNING = run("run-live", "running", { spend: { requests: 1, input_tokens: 900, output_tokens: 100, cost_usd: 0.0011 } });
const DONE = run("run-done", "succeeded", {
  ended_at: NOW - 5,
  input_tokens: 1500,
  output_tokens: 300,
  cost_usd: 0.0021,
  output: "The kettle costs 27 euros today.",
});
const STOPPED = run("run-stop", "cancelled", { ended_at: NOW - 2, reason: "stopped by the user" });

function params(call: Call): URLSearchParams {
  return new URL(call.path, "http://localhost").searchParams;
}

/** A daemon whose jobs change as the page changes them. */
function daemon(initial: JobView[] = [KETTLE]) {
  let jobs = initial;
  const api = mockApi({
    "GET /api/jobs": () => ({ status: 200, body: jobs }),
    "GET /api/runs": (call) => {
      const status = params(call).get("status") ?? "";
      if (status.includes("running")) return { status: 200, body: [RUNNING, WAITING] };
      const q = params(call).get("q");
      const ended = [STOPPED, DONE];
      return { status: 200, body: q ? ended.filter((r) => (r.output ?? r.reason ?? "").includes(q)) : ended };
    },
    "POST /api/runs/run-live/cancel": () => ({ status: 202 }),
    "POST /api/jobs/job-1/run": () => ({ status: 201, body: run("run-new", "queued") }),
    "POST /api/jobs/job-1/pause": () => {
      const paused = { ...KETTLE, job: { ...KETTLE.job, paused: true }, next_run: null, upcoming: [] };
      jobs = jobs.map((j) => (j.job.id === "job-1" ? paused : j));
      return { status: 200, body: paused };
    },
    "POST /api/schedule-preview": () => ({ status: 200, body: { description: "every day at 09:00 UTC", upcoming: [NOW + 100] } }),
    "POST /api/jobs": (call) => {
      const body = call.body as NewJobRequest;
      if (!body.prompt.trim()) return { status: 400, body: { error: "the job's prompt is empty" } };
      const made = job("job-2", body.name);
      jobs = [...jobs, made];
      return { status: 201, body: made };
    },
  });
  return api;
}

function socket() {
  return FakeWebSocket.last();
}

function sent(): Submission[] {
  return socket().sent.map((s) => JSON.parse(s) as Submission);
}

async function connect(turns: { session: string; submission: string; events: Event[] }[] = []) {
  await waitFor(() => expect(FakeWebSocket.instances.length).toBeGreaterThan(0));
  act(() => {
    socket().open();
    socket().receive({ type: "snapshot", turns, paused: false } satisfies ServerMessage);
  });
}

function receive(session: string, ...events: Event[]) {
  act(() => {
    for (const event of events) socket().receive({ type: "event", session, submission: `sched-${session}`, event } satisfies ServerMessage);
  });
}

function renderPage() {
  return render(
    <ToastProvider>
      <LiveProvider onAuthRequired={() => {}}>
        <TasksPage />
      </LiveProvider>
    </ToastProvider>,
  );
}

const usage = (input: number, output: number): Event => ({
  type: "usage",
  provider: "openai",
  model: "test-model",
  usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output, estimated: false },
});

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Tasks page", () => {
  it("lists jobs in words with their next runs, and runs a job now, pauses it", async () => {
    const { calls } = daemon();
    const user = userEvent.setup();
    renderPage();
    const item = await screen.findByTestId("job-item");
    expect(within(item).getByText("Kettle price")).toBeInTheDocument();
    expect(within(item).getByTestId("job-description")).toHaveTextContent("every 2 hours, next run soon");
    expect(within(item).getByTestId("job-next-run")).toHaveTextContent(/Next run .*\(in 2 hours\)/);
    expect(within(item).getByTestId("job-upcoming").querySelectorAll("li")).toHaveLength(5);

    await user.click(within(item).getByTestId("job-run"));
    expect(await screen.findByTestId("tasks-toast")).toHaveTextContent("“Kettle price” will run now");
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/jobs/job-1/run")).toBe(true);

    await user.click(within(item).getByTestId("job-pause"));
    await waitFor(() => expect(within(screen.getByTestId("job-item")).getByTestId("job-paused")).toHaveTextContent("Paused"));
    expect(within(screen.getByTestId("job-item")).getByTestId("job-resume")).toBeInTheDocument();
  });

  it("offers the heartbeat (kept by config.toml) to pause and run, not to edit or delete", async () => {
    const heartbeat = job("job-hb", "Heartbeat");
    heartbeat.job.options = { kind: "heartbeat" };
    daemon([heartbeat]);
    renderPage();
    const item = await screen.findByTestId("job-item");
    expect(within(item).getByTestId("job-heartbeat-note")).toHaveTextContent("[heartbeat] of config.toml");
    expect(within(item).getByTestId("job-pause")).toBeInTheDocument();
    expect(within(item).getByTestId("job-run")).toBeInTheDocument();
    expect(within(item).queryByTestId("job-edit")).toBeNull();
    expect(within(item).queryByTestId("job-delete")).toBeNull();
  });

  it("shows a running run's live progress and cancels it; a waiting run's approval is answered here", async () => {
    const { calls } = daemon();
    const user = userEvent.setup();
    renderPage();
    // The page came in while run-live was on its second step: the snapshot replays it.
    await connect([
      {
        session: "run-live",
        submission: "sched-run-live",
        events: [
          { type: "turn_started", turn_id: "t1", text: "Check the kettle" },
          { type: "model_request", step: 1, provider: "openai", model: "test-model" },
          { type: "tool_call_requested", call_id: "tc-1", name: "web_fetch", arguments: "{}" },
          usage(900, 100),
          { type: "tool_call_finished", call_id: "tc-1", name: "web_fetch", outcome: "ok", output: "27", duration_ms: 5 },
          { type: "model_request", step: 2, provider: "openai", model: "test-model" },
          { type: "run_updated", run: RUNNING, job_name: "Kettle price", delivery: "notify" },
        ],
      },
    ]);
    const live = await screen.findByText("Running now");
    const running = within(live.closest("section")!).getByTestId("active-run");
    const progress = within(running).getByTestId("run-progress");
    await waitFor(() => expect(progress).toHaveAttribute("data-step", "2"));
    expect(progress).toHaveTextContent("step 2");
    expect(progress).toHaveTextContent(/\b1 tool call(?!s)/);
    expect(progress).toHaveTextContent("900 in / 100 out tokens");
    expect(progress).toHaveTextContent("$0.0011 so far");

    // Live: a tool starts, another request reports its usage (the cost is refetched).
    const before = calls.filter((c) => c.path.startsWith("/api/runs")).length;
    receive("run-live", { type: "tool_call_requested", call_id: "tc-2", name: "exec", arguments: "{}" }, usage(500, 50));
    expect(await within(running).findByTestId("run-tool")).toHaveTextContent("running exec");
    expect(progress).toHaveTextContent("2 tool calls");
    expect(progress).toHaveTextContent("1,400 in / 150 out tokens");
    await waitFor(() => expect(calls.filter((c) => c.path.startsWith("/api/runs")).length).toBeGreaterThan(before));

    await user.click(within(running).getByTestId("run-cancel"));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/runs/run-live/cancel")).toBe(true));
    expect(within(running).getByTestId("run-cancel")).toBeDisabled();

    // The waiting run says what it wants to do; the answer goes over the socket.
    const waiting = within(screen.getByTestId("runs-waiting")).getByTestId("active-run");
    expect(within(waiting).getByTestId("run-status")).toHaveTextContent("Waiting for approval");
    expect(within(waiting).getByTestId("run-approval-summary")).toHaveTextContent("write kettle/notes.txt (9 bytes)");
    expect(within(waiting).getByTestId("run-progress")).toHaveTextContent("$0.0014 so far");
    await user.click(within(waiting).getByTestId("run-approve-once"));
    expect(sent().at(-1)?.op).toEqual({ type: "approve", session: "run-wait", call_id: "tc-9", decision: "once" });
    // Answered once; the run can still be cancelled meanwhile.
    expect(within(waiting).getByTestId("run-approve-deny")).toBeDisabled();
    expect(within(waiting).getByTestId("run-cancel")).toBeEnabled();
    expect(within(waiting).getByRole("link", { name: "Open conversation" })).toHaveAttribute("href", "#/chat/run-wait");
  });

  it("refetches when a run changes state, and searches and filters the history", async () => {
    const { calls } = daemon();
    const user = userEvent.setup();
    renderPage();
    await connect();
    const table = await screen.findByTestId("history-table");
    const rows = within(table).getAllByTestId("history-row");
    expect(rows.map((r) => r.dataset.status)).toEqual(["cancelled", "succeeded"]);
    expect(within(rows[1]!).getByTestId("history-result")).toHaveTextContent("The kettle costs 27 euros today.");
    expect(within(rows[1]!).getByTestId("history-tokens")).toHaveTextContent("1,500 / 300");
    expect(within(rows[1]!).getByTestId("history-cost")).toHaveTextContent("$0.0021");
    expect(within(rows[0]!).getByTestId("history-result")).toHaveTextContent("stopped by the user");
    expect(within(rows[1]!).getByRole("link", { name: "Kettle price" })).toHaveAttribute("href", "#/chat/run-done");
    // The history asks for ended runs only.
    const history = calls.filter((c) => c.path.startsWith("/api/runs") && !params(c).get("status")?.includes("running"));
    expect(params(history[0]!).get("status")).toBe("succeeded,failed,timed_out,cancelled,skipped,missed,lost");

    const count = calls.length;
    receive("run-done", { type: "run_updated", run: DONE, job_name: "Kettle price", delivery: "notify" });
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/jobs").length).toBeGreaterThan(1));
    expect(calls.length).toBeGreaterThan(count);

    await user.type(screen.getByTestId("history-search"), "27 euros");
    await waitFor(() => expect(within(screen.getByTestId("history-table")).getAllByTestId("history-row")).toHaveLength(1));
    expect(params(calls.at(-1)!).get("q")).toBe("27 euros");

    await user.selectOptions(screen.getByTestId("history-status"), "cancelled");
    await waitFor(() => expect(params(calls.at(-1)!).get("status")).toBe("cancelled"));
  });

  it("creates a job with the schedule builder's spec and options; a refusal shows the daemon's words", async () => {
    const { calls } = daemon([]);
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByTestId("jobs-empty")).toHaveTextContent("No tasks yet");
    await user.click(screen.getByTestId("job-new"));
    const editor = screen.getByTestId("job-editor");
    expect(within(editor).getByTestId("job-name")).toHaveFocus();
    await user.type(within(editor).getByTestId("job-name"), "Morning brief");
    await user.selectOptions(within(editor).getByTestId("schedule-mode"), "weekdays");
    const zone = within(editor).getByTestId("schedule-zone");
    await user.clear(zone);
    await user.type(zone, "Europe/Lisbon");
    await user.selectOptions(within(editor).getByTestId("job-missed"), "skip");
    await user.type(within(editor).getByTestId("job-spend-cap"), "0.5");
    await user.click(within(editor).getByTestId("job-approvals-deny"));
    await user.type(within(editor).getByTestId("job-allow"), "web_fetch");
    // The prompt is required in the form; the daemon refuses a blank one with its reason.
    await user.type(within(editor).getByTestId("job-prompt"), "   ");
    await user.click(within(editor).getByTestId("job-save"));
    expect(await within(editor).findByTestId("job-editor-error")).toHaveTextContent("the job's prompt is empty");

    await user.type(within(editor).getByTestId("job-prompt"), "Brief me on my calendar");
    await user.click(within(editor).getByTestId("job-save"));
    await waitFor(() => expect(screen.queryByTestId("job-editor")).toBeNull());
    const posted = calls.filter((c) => c.method === "POST" && c.path === "/api/jobs").at(-1)!.body as NewJobRequest;
    expect(posted).toEqual({
      name: "Morning brief",
      prompt: "   Brief me on my calendar",
      schedule: 'cron "0 9 * * 1-5" Europe/Lisbon',
      options: {
        kind: "agent",
        missed: { policy: "skip" },
        delivery: "notify",
        approvals: { mode: "deny", allow: ["web_fetch"] },
        spend_cap_usd: 0.5,
      },
    });
    expect(await screen.findByTestId("tasks-toast")).toHaveTextContent("Created “Morning brief”");
    expect(screen.getByTestId("job-item")).toHaveTextContent("Morning brief");
  });
});

describe("the chat sidebar", () => {
  it("leaves background runs to the Tasks page, except the one open", () => {
    const session = (id: string, title: string): SessionInfo => ({
      id,
      title,
      created_at: "2026-12-07T10:00:00Z",
      updated_at: "2026-12-07T10:00:00Z",
      messages: 2,
      running: false,
    });
    const props = {
      sessions: [session("s1", "Trip planning"), session("run-a1", "Check the kettle"), session("run-b2", "Brief me")],
      error: null,
      query: "",
      onQuery: () => {},
      isRunning: () => false,
      needsApproval: new Set<string>(),
      onNew: () => {},
      onRename: async () => {},
      onDelete: async () => {},
      onNavigate: () => {},
    };
    const { rerender } = render(<Sidebar {...props} currentId={null} />);
    expect(screen.getAllByTestId("session-item").map((e) => e.dataset.sessionId)).toEqual(["s1"]);
    expect(screen.getByTestId("sidebar-runs")).toHaveAttribute("href", "#/tasks");
    rerender(<Sidebar {...props} currentId="run-b2" />);
    expect(screen.getAllByTestId("session-item").map((e) => e.dataset.sessionId)).toEqual(["s1", "run-b2"]);
  });
});
