// The quick-ask window (#/quick): the desktop app opens it with a global shortcut as a
// small always-on-top window. One box; Enter asks in a new chat and the answer streams
// below (approvals included); "Open in Pincer" shows the chat in the main window; Esc
// clears everything for the next question. No sidebar, no header. Typing `/` offers the
// skills to start, below the box.

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import { api } from "../api/endpoints";
import { HttpError } from "../api/rest";
import { ConnectionStatus } from "../components/ConnectionStatus";
import { CloseIcon, LogoIcon, StopIcon } from "../components/Icons";
import { SLASH_HINT, useSlashSuggestions } from "../components/SlashSuggestions";
import { Spinner } from "../components/Spinner";
import { TurnBlock } from "../components/TurnBlock";
import { OpErrorText } from "../components/OpErrorText";
import { UserMessage } from "../components/UserMessage";
import type { ApprovalDecision } from "../generated/protocol";
import { navigate } from "../lib/router";
import { useStickToBottom } from "../lib/useStickToBottom";
import { isRunning } from "../state/live";
import { useLive } from "../state/LiveProvider";
import { useConversation } from "../state/useConversation";

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function QuickAsk() {
  const { state, status, send, sendTurn } = useLive();
  const input = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState("");
  const [session, setSession] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [opening, setOpening] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** Snapshots seen when the session was made: only later ones can hide a turn's end. */
  const snapshotAtStart = useRef(0);
  const slash = useSlashSuggestions({ text, setText, area: input, disabled: creating, placement: "below" });

  useEffect(() => {
    document.title = "Ask Pincer";
  }, []);

  const focusInput = useCallback(() => input.current?.focus(), []);

  // Grow with the text up to the CSS max-height (then it scrolls).
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  // The window is hidden and shown again rather than reloaded: take the focus back each time.
  useEffect(() => {
    window.addEventListener("focus", focusInput);
    return () => window.removeEventListener("focus", focusInput);
  }, [focusInput]);

  const live = session ? state.sessions[session] : undefined;
  const endSeq = session ? (state.endSeq[session] ?? 0) : 0;
  const running = session ? isRunning(state, session) : false;

  // After the turn ends (or a reconnect may have hidden its end), the stored messages are
  // the record: fetch them so the answer stays on screen whatever the socket missed. A new
  // chat has nothing stored before that.
  const { turns, queued } = useConversation(session, {
    load: endSeq > 0 || state.snapshotSeq > snapshotAtStart.current,
    mayRun: running,
    onError: (err) => setError(`Could not load the answer: ${messageOf(err)}`),
    onRecallsError: (err) => setError(`Could not load what Pincer remembered for this answer: ${messageOf(err)}`),
  });
  const errors = state.errors.filter((e) => e.session !== null && e.session === session);

  const { ref: scrollRef, onScroll, pin } = useStickToBottom<HTMLDivElement>(turns, live, errors.length);

  const ask = async () => {
    const value = text.trim();
    if (!value || creating) return;
    setError(null);
    pin();
    if (session) {
      // A follow-up in the same chat (queued by the daemon if a turn still runs).
      sendTurn(session, value);
      setText("");
      return;
    }
    setCreating(true);
    try {
      // The daemon titles the chat after its first message, as on the Chat page.
      const created = await api.createSession({});
      snapshotAtStart.current = state.snapshotSeq;
      setSession(created.id);
      sendTurn(created.id, value);
      setText("");
    } catch (err) {
      setError(`Could not ask: ${messageOf(err)}`);
    } finally {
      setCreating(false);
      focusInput();
    }
  };

  const clear = useCallback(() => {
    setSession(null);
    setText("");
    setError(null);
    focusInput();
  }, [focusInput]);

  // Esc anywhere in the window: start over (a running answer goes on in its chat).
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== "Escape" || e.isComposing || e.defaultPrevented) return;
      e.preventDefault();
      clear();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [clear]);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing || e.keyCode === 229) return;
    if (slash.onKeyDown(e)) return;
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      void ask();
    }
  };

  const openInApp = async () => {
    if (!session) return;
    setOpening(true);
    setError(null);
    try {
      await api.openInApp({ session });
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) {
        // Not inside the desktop app (a browser tab): open the chat right here.
        navigate({ page: "chat", session });
        return;
      }
      setError(`Could not open Pincer: ${messageOf(err)}`);
    } finally {
      setOpening(false);
    }
  };

  const onDecide = useCallback(
    (callId: string, decision: ApprovalDecision) => {
      if (session) send({ type: "approve", session, call_id: callId, decision });
    },
    [session, send],
  );

  return (
    <div className="quick" data-testid="quick">
      <form
        className="quick-ask"
        onSubmit={(e) => {
          e.preventDefault();
          void ask();
        }}
      >
        <span className="quick-mark" aria-hidden="true">
          <LogoIcon size={18} />
        </span>
        <textarea
          ref={input}
          className="quick-input"
          data-testid="quick-input"
          aria-label={session ? "Ask a follow-up" : "Ask Pincer"}
          placeholder={session ? "Ask a follow-up… (Esc: new question)" : "Ask Pincer…"}
          rows={1}
          value={text}
          autoFocus
          disabled={creating}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          {...slash.inputProps}
        />
        {creating && <Spinner size={16} label="Starting a chat" />}
        {slash.list}
      </form>

      {(session || error || status !== "connected") && (
        <div className="quick-bar">
          {status !== "connected" && <ConnectionStatus status={status} />}
          <span className="spacer" />
          {session && running && (
            <button type="button" className="btn btn-sm" data-testid="quick-stop" onClick={() => send({ type: "interrupt", session })}>
              <StopIcon size={14} /> Stop
            </button>
          )}
          {session && (
            <>
              <button type="button" className="btn btn-sm" data-testid="quick-open" disabled={opening} onClick={openInApp}>
                {opening && <Spinner size={14} />} Open in Pincer
              </button>
              <button type="button" className="icon-btn" aria-label="Clear (Esc)" title="Clear (Esc)" onClick={clear}>
                <CloseIcon size={16} />
              </button>
            </>
          )}
        </div>
      )}

      {!session && !error && (
        <p className="quick-hint muted">
          {slash.open
            ? SLASH_HINT
            : `Enter asks in a new chat · Shift+Enter adds a line · Esc clears${slash.hasSkills ? " · / for skills" : ""}`}
        </p>
      )}

      {(session || error) && (
        <div className="quick-scroll" ref={scrollRef} onScroll={onScroll}>
          <div className="quick-content">
            {turns.map((turn, i) => (
              <TurnBlock key={turn.turnId ?? `live-${i}`} turn={turn} onDecide={onDecide} />
            ))}
            {queued.map((q, i) => (
              <UserMessage key={q.id} text={q.text} queued={q.accepted || running || i > 0 ? "queued" : "sending"} />
            ))}
            {errors.map((e) => (
              <p key={e.id} className="notice notice-error" role="alert" data-testid="op-error">
                <OpErrorText error={e} />
              </p>
            ))}
            {error && (
              <p className="notice notice-error" role="alert" data-testid="quick-error">
                <span>{error}</span>
              </p>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
