// What to do about a failed model request, chosen from the failure's kind (never from its
// wording): a sentence, and a link where Pincer has a place to fix it (Settings, a new chat).

import type { FailureKind } from "../generated/protocol";
import { routeHref } from "../lib/router";

type Action = { label: string; href: string; testId: string };

const SETTINGS = routeHref({ page: "settings" });
const NEW_CHAT = routeHref({ page: "chat", session: null });

export interface Hint {
  text: string;
  action: Action | null;
}

/**
 * The hint for a kind, or null when there is nothing useful to add (cancelled, internal).
 * `retrying`: the request is being retried (or another provider takes over), so the hint
 * says what Pincer does about it rather than asking the user to send again.
 */
export function hintFor(kind: FailureKind | null | undefined, retrying = false): Hint | null {
  if (retrying) {
    switch (kind) {
      case "rate_limit":
        return { text: "The provider is limiting requests; Pincer waits and tries again.", action: null };
      case "server":
        return { text: "The provider had a problem on its side; Pincer tries again.", action: null };
      case "network":
        return {
          text: "Pincer could not reach the provider. If this keeps happening, check your connection and the server address.",
          action: { label: "Open Settings", href: SETTINGS, testId: "hint-settings" },
        };
      default:
        break;
    }
  }
  switch (kind) {
    case "auth":
      return {
        text: "The API key was refused. Replace it in Settings.",
        action: { label: "Replace the key in Settings", href: SETTINGS, testId: "hint-settings" },
      };
    case "rate_limit":
      return { text: "The provider is limiting requests. Wait a minute, then send your message again.", action: null };
    case "quota":
      return {
        text: "The account is out of credit or over its quota. Add credit with the provider, or pick another provider in Settings.",
        action: { label: "Open Settings", href: SETTINGS, testId: "hint-settings" },
      };
    case "not_found":
      return {
        text: "The provider does not know this model. Check the model name in Settings.",
        action: { label: "Check the model in Settings", href: SETTINGS, testId: "hint-settings" },
      };
    case "context_too_long":
      return {
        text: "This conversation is now too long for the model. Start a new chat to go on.",
        action: { label: "Start a new chat", href: NEW_CHAT, testId: "hint-new-chat" },
      };
    case "network":
      return {
        text: "Pincer could not reach the provider. Check your connection and the provider's server address in Settings.",
        action: { label: "Check the address in Settings", href: SETTINGS, testId: "hint-settings" },
      };
    case "no_provider":
      return {
        text: "No model provider is set up. Pick one in Settings.",
        action: { label: "Pick a provider in Settings", href: SETTINGS, testId: "hint-settings" },
      };
    case "server":
      return { text: "The provider had a problem on its side. Try again later.", action: null };
    case "bad_request":
      return { text: "The provider refused the request. Check the model and its settings.", action: null };
    default:
      return null;
  }
}

export function FailureHint({ kind, retrying = false }: { kind: FailureKind | null | undefined; retrying?: boolean }) {
  const hint = hintFor(kind, retrying);
  if (!hint) return null;
  return (
    <span className="failure-hint" data-testid="failure-hint" data-kind={kind ?? undefined}>
      {hint.text}
      {hint.action && (
        <>
          {" "}
          <a className="failure-action" href={hint.action.href} data-testid={hint.action.testId}>
            {hint.action.label}
          </a>
        </>
      )}
    </span>
  );
}
