// A background run's progress as its session's events tell it: the step (model request)
// it is on, the tool calls it made and the one running now, and the tokens its requests
// used so far. Folded by the live reducer for every `run-…` session; pure.

import type { Event } from "../generated/protocol";

export interface RunProgress {
  /** The model request the turn is on (1 = the first). */
  step: number;
  /** Tool calls the model asked for so far. */
  toolCalls: number;
  /** The tool running now, if one is. */
  tool: string | null;
  /** Successful model requests so far (each reports its usage). */
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** The model answering, as `provider/model`. */
  model: string | null;
}

export const NO_PROGRESS: RunProgress = {
  step: 0,
  toolCalls: 0,
  tool: null,
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  model: null,
};

/** Whether a session is a background run's (the scheduler names it by the run's id). */
export function isRunSession(session: string): boolean {
  return session.startsWith("run-");
}

/** `progress` after `event`; the same object when the event changes nothing. */
export function foldProgress(progress: RunProgress, event: Event): RunProgress {
  switch (event.type) {
    case "turn_started":
      return NO_PROGRESS;
    case "model_request":
      return { ...progress, step: event.step, model: `${event.provider}/${event.model}` };
    case "tool_call_requested":
      return { ...progress, toolCalls: progress.toolCalls + 1, tool: event.name };
    case "tool_call_finished":
      return progress.tool === null ? progress : { ...progress, tool: null };
    case "usage":
      return {
        ...progress,
        requests: progress.requests + 1,
        inputTokens: progress.inputTokens + event.usage.input_tokens,
        outputTokens: progress.outputTokens + event.usage.output_tokens,
      };
    default:
      return progress;
  }
}
