// What a new chat shows: a greeting and a few prompts to start from; and, when nothing is
// configured and the default local model answers, which model that is.

import { useEffect, useState } from "react";
import { api } from "../api/endpoints";
import type { EffectiveProvider } from "../generated/protocol";
import { routeHref } from "../lib/router";
import { LogoIcon } from "./Icons";

export const EXAMPLE_PROMPTS = [
  "List the files in my workspace and tell me what they are",
  "Summarize the main points of https://example.com",
  "Write a Python script that renames photos by their date",
];

/** For a model that can only chat: nothing that needs files, commands or the web. */
export const CHAT_ONLY_PROMPTS = [
  "Explain what a GGUF file is in two sentences",
  "Suggest a name for a pet lobster",
  "Rewrite this more politely: send me the report now",
];

export function ChatEmpty({ onPick }: { onPick: (prompt: string) => void }) {
  const local = useLocalDefault();
  return (
    <div className="chat-empty">
      <div className="chat-empty-logo">
        <LogoIcon size={40} />
      </div>
      <h1>What can I do for you?</h1>
      {local && !local.tools ? null : (
        <p className="muted">
          Pincer can read and edit files in its workspace, run commands and fetch web pages. It asks before anything
          risky.
        </p>
      )}
      {local && <LocalModelNotice provider={local} />}
      <div className="examples">
        {(local && !local.tools ? CHAT_ONLY_PROMPTS : EXAMPLE_PROMPTS).map((p) => (
          <button key={p} type="button" className="example" onClick={() => onPick(p)}>
            {p}
          </button>
        ))}
      </div>
    </div>
  );
}

/** Says which model answers when it is the default local one: offline, and how to do better. */
export function LocalModelNotice({ provider }: { provider: EffectiveProvider }) {
  return (
    <p className="local-notice notice notice-info" data-testid="local-model-notice">
      <span>
        <strong>{provider.model_title}</strong> answers here. It runs offline on this computer, so nothing you write
        leaves it.{" "}
        {provider.tools
          ? "For stronger answers, "
          : "It can chat, but not use files, commands or the web. For stronger answers and tools, "}
        <a href={routeHref({ page: "settings" })}>add a provider in Settings</a>.
      </span>
    </p>
  );
}

/** The effective provider when it is the default local model (nothing configured), else null. */
function useLocalDefault(): EffectiveProvider | null {
  const [local, setLocal] = useState<EffectiveProvider | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    api
      .effectiveProvider(abort.signal)
      .then((view) => setLocal(view.effective?.local_default ? view.effective : null))
      // An older daemon has no such endpoint; the greeting is enough then.
      .catch(() => {});
    return () => abort.abort();
  }, []);
  return local;
}
