import { describe, expect, it } from "vitest";
import type { Event, Run, ServerMessage } from "../generated/protocol";
import { initialLiveState, isRunning, liveReducer } from "../state/live";
import { NO_PROGRESS } from "./progress";

const RUN: Run = {
  id: "run-1",
  job_id: "job-1",
  scheduled_for: null,
  trigger: "manual",
  status: "running",
  reason: null,
  session_id: "run-1",
  queued_at: 1,
  started_at: 2,
  ended_at: null,
  input_tokens: 0,
  output_tokens: 0,
  cost_usd: null,
  output: null,
};

const event = (session: string, e: Event): ServerMessage => ({ type: "event", session, submission: "sched-run-1", event: e });
const updated = (status: Run["status"]): Event => ({ type: "run_updated", run: { ...RUN, status }, job_name: "Kettle", delivery: "notify" });

describe("background runs in the live state", () => {
  it("count run updates without making them turns, and fold a run's progress from its events", () => {
    const messages: ServerMessage[] = [
      event("run-1", updated("running")),
      event("run-1", { type: "turn_started", turn_id: "t1", text: "Check the kettle" }),
      event("run-1", { type: "model_request", step: 1, provider: "openai", model: "m" }),
      event("run-1", { type: "tool_call_requested", call_id: "tc-1", name: "web_fetch", arguments: "{}" }),
      event("run-1", { type: "usage", provider: "openai", model: "m", usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10, estimated: false } }),
      event("run-1", { type: "tool_call_finished", call_id: "tc-1", name: "web_fetch", outcome: "ok", output: "", duration_ms: 3 }),
      event("run-1", { type: "model_request", step: 2, provider: "openai", model: "m" }),
      event("run-1", { type: "usage", provider: "openai", model: "m", usage: { input_tokens: 150, cached_input_tokens: 0, output_tokens: 20, estimated: false } }),
      event("run-1", { type: "turn_completed", turn_id: "t1", text: "27 euros", steps: 2, usage: { input_tokens: 250, cached_input_tokens: 0, output_tokens: 30, estimated: false } }),
      event("run-1", updated("succeeded")),
      // A chat's events are not a run's.
      event("s1", { type: "model_request", step: 1, provider: "openai", model: "m" }),
    ];
    const state = liveReducer(initialLiveState, { type: "batch", messages });
    expect(state.runsSeq).toBe(2);
    expect(state.sessions["run-1"]?.turns).toHaveLength(1);
    expect(isRunning(state, "run-1")).toBe(false);
    expect(state.runProgress["run-1"]).toEqual({
      step: 2,
      toolCalls: 1,
      tool: null,
      requests: 2,
      inputTokens: 250,
      outputTokens: 30,
      model: "openai/m",
    });
    expect(state.runProgress.s1).toBeUndefined();
  });

  it("rebuild a running run's progress from a snapshot, leaving its updates out of the turn", () => {
    const state = liveReducer(initialLiveState, {
      type: "server",
      message: {
        type: "snapshot",
        paused: false,
        turns: [
          {
            session: "run-1",
            submission: "sched-run-1",
            events: [
              { type: "turn_started", turn_id: "t1", text: "Check the kettle" },
              { type: "model_request", step: 1, provider: "openai", model: "m" },
              { type: "tool_call_requested", call_id: "tc-1", name: "write_file", arguments: "{}" },
              { type: "approval_requested", call_id: "tc-1", tool: "write_file", summary: "write notes.txt", pattern: "write:notes.txt" },
              updated("waiting_approval"),
            ],
          },
        ],
      },
    });
    expect(state.runsSeq).toBe(1);
    expect(isRunning(state, "run-1")).toBe(true);
    expect(state.sessions["run-1"]?.turns).toHaveLength(1);
    expect(state.runProgress["run-1"]).toEqual({ ...NO_PROGRESS, step: 1, toolCalls: 1, tool: "write_file", model: "openai/m" });
  });
});
