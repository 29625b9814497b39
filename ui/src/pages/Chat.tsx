// A conversation: stored history plus the live turn, the composer, and approvals.

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { HttpError } from "../api/rest";
import { ChatEmpty } from "../components/ChatEmpty";
import { Composer, type ComposerHandle } from "../components/Composer";
import { DownIcon, CloseIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import { TurnBlock } from "../components/TurnBlock";
import { hintFor } from "../components/FailureHint";
import { OpErrorText } from "../components/OpErrorText";
import { UserMessage } from "../components/UserMessage";
import type { ApprovalDecision, SessionInfo } from "../generated/protocol";
import { navigate } from "../lib/router";
import { useStickToBottom } from "../lib/useStickToBottom";
import { isRunning } from "../state/live";
import { useLive } from "../state/LiveProvider";
import type { TurnEnd } from "../state/types";
import { type StoredHistory, useConversation } from "../state/useConversation";

/** Stored messages by session, so switching back to a chat shows it at once. */
const historyCache = new Map<string, StoredHistory>();
/** Unsent text by session ("" key: a new chat), kept while switching chats. */
const drafts = new Map<string, string>();

export function clearHistoryCache(): void {
  historyCache.clear();
  drafts.clear();
}

function announce(end: TurnEnd): string {
  switch (end.kind) {
    case "completed":
      return "Answer complete.";
    case "cancelled":
      return "Answer stopped.";
    case "step_limit":
      return `Stopped after ${end.limit} steps.`;
    case "failed":
      return `Error: ${end.error} ${hintFor(end.failureKind)?.text ?? ""}`.trim();
    case "incomplete":
      return "";
  }
}

export interface ChatPageProps {
  sessionId: string | null;
  session: SessionInfo | null;
  onSessionCreated: () => void;
}

export function ChatPage({ sessionId, session, onSessionCreated }: ChatPageProps) {
  const { state, dispatch, send, sendTurn, status } = useLive();
  const toast = useToast();
  const composer = useRef<ComposerHandle>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [announcement, setAnnouncement] = useState("");

  const endSeq = sessionId ? (state.endSeq[sessionId] ?? 0) : 0;
  const live = sessionId ? state.sessions[sessionId] : undefined;
  const running = sessionId
    ? state.synced
      ? isRunning(state, sessionId)
      : isRunning(state, sessionId) || !!session?.running
    : false;

  useEffect(() => {
    if (!sessionId) setLoadError(null);
  }, [sessionId]);

  const conversation = useConversation(sessionId, {
    cache: historyCache,
    mayRun: running || !state.synced,
    onLoaded: () => setLoadError(null),
    onError: (err) => {
      if (err instanceof HttpError && err.status === 404) {
        if (sessionId) historyCache.delete(sessionId);
        toast("That chat no longer exists.", { kind: "error" });
        navigate({ page: "chat", session: null }, true);
        return;
      }
      setLoadError(err instanceof Error ? err.message : String(err));
    },
    onRecallsError: (err) =>
      toast(`Could not load what Pincer remembered in this chat: ${err instanceof Error ? err.message : String(err)}`, {
        kind: "error",
      }),
  });

  // Announce the end of a turn to screen readers.
  const lastEnd = live?.turns[live.turns.length - 1]?.end ?? null;
  useEffect(() => {
    if (endSeq > 0 && lastEnd) setAnnouncement(announce(lastEnd));
  }, [endSeq, lastEnd]);

  const errors = state.errors.filter((e) => e.session === sessionId);

  const { ref: scrollRef, onScroll, atBottom, scrollToBottom, pin } = useStickToBottom<HTMLDivElement>(conversation, errors.length);

  useEffect(() => {
    pin();
  }, [sessionId, pin]);

  const onSend = useCallback(
    async (text: string) => {
      pin();
      if (sessionId) {
        sendTurn(sessionId, text);
        return;
      }
      setCreating(true);
      try {
        // The daemon titles the session from its first message.
        const created = await api.createSession({});
        historyCache.set(created.id, { messages: [], outcomes: {} });
        sendTurn(created.id, text);
        onSessionCreated();
        navigate({ page: "chat", session: created.id });
      } catch (err) {
        composer.current?.setText(text);
        toast(`Could not start a chat: ${err instanceof Error ? err.message : String(err)}`, { kind: "error" });
      } finally {
        setCreating(false);
      }
    },
    [sessionId, dispatch, send, onSessionCreated, toast, pin],
  );

  const onStop = useCallback(() => {
    if (sessionId) send({ type: "interrupt", session: sessionId });
  }, [sessionId, send]);

  const onDecide = useCallback(
    (callId: string, decision: ApprovalDecision) => {
      if (sessionId) send({ type: "approve", session: sessionId, call_id: callId, decision });
    },
    [sessionId, send],
  );

  const waitingHere = (live?.turns ?? []).some((t) =>
    t.blocks.some((b) => b.kind === "tool" && b.tool.status === "approval"),
  );
  const loading = !!sessionId && !conversation.loaded && !loadError;
  const empty = !loading && conversation.turns.length === 0 && conversation.queued.length === 0;

  return (
    <div className="chat">
      <div className="chat-scroll" ref={scrollRef} onScroll={onScroll}>
        <div className="chat-content">
          {session && !empty && (
            <h1 className="chat-title" title={session.title}>
              {session.title || "Untitled chat"}
            </h1>
          )}
          {loading && (
            <div className="chat-loading">
              <Spinner size={20} label="Loading messages" />
            </div>
          )}
          {loadError && (
            <div className="notice notice-error" role="alert">
              Could not load this chat: {loadError}
            </div>
          )}
          {empty && !loadError && <ChatEmpty onPick={(p) => composer.current?.setText(p)} />}
          {conversation.turns.map((turn, i) => (
            <TurnBlock key={turn.turnId ?? `live-${i}`} turn={turn} onDecide={onDecide} />
          ))}
          {conversation.queued.map((q, i) => (
            <UserMessage key={q.id} text={q.text} queued={q.accepted || running || i > 0 ? "queued" : "sending"} />
          ))}
          {errors.map((e) => (
            <div key={e.id} className="notice notice-error" role="alert" data-testid="op-error">
              <OpErrorText error={e} />
              <button
                type="button"
                className="icon-btn"
                aria-label="Dismiss"
                onClick={() => dispatch({ type: "dismiss_error", id: e.id })}
              >
                <CloseIcon size={14} />
              </button>
            </div>
          ))}
        </div>
      </div>
      {!atBottom &&
        (waitingHere ? (
          <button type="button" className="jump-bottom jump-approval" onClick={scrollToBottom}>
            <DownIcon size={16} /> Approval needed
          </button>
        ) : (
          <button type="button" className="jump-bottom" onClick={scrollToBottom} aria-label="Scroll to the latest message">
            <DownIcon size={16} />
          </button>
        ))}
      <div className="chat-footer">
        <Composer
          ref={composer}
          running={running}
          onSend={onSend}
          onStop={onStop}
          disabled={creating}
          autoFocus={!matchesCoarse()}
          initialText={drafts.get(sessionId ?? "") ?? ""}
          onTextChange={(t) => {
            if (t) drafts.set(sessionId ?? "", t);
            else drafts.delete(sessionId ?? "");
          }}
          placeholder={status === "reconnecting" ? "Message Pincer… (sent once reconnected)" : "Message Pincer…"}
        />
      </div>
      <div className="visually-hidden" aria-live="polite">
        {announcement}
      </div>
    </div>
  );
}

function matchesCoarse(): boolean {
  return typeof window !== "undefined" && !!window.matchMedia?.("(pointer: coarse)").matches;
}
