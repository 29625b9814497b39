// The message box: grows with its text, Enter sends, Shift+Enter adds a line, Esc stops
// the running turn. The Send button becomes Stop while a turn runs (Enter still queues).
// Typing `/` offers the skills to start (SlashSuggestions), above the box.

import { forwardRef, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import { SendIcon, StopIcon } from "./Icons";
import { SLASH_HINT, useSlashSuggestions } from "./SlashSuggestions";

export interface ComposerProps {
  running: boolean;
  onSend: (text: string) => void;
  onStop: () => void;
  disabled?: boolean;
  placeholder?: string;
  autoFocus?: boolean;
  /** Text to start with (a draft kept while switching chats). */
  initialText?: string;
  onTextChange?: (text: string) => void;
}

export interface ComposerHandle {
  focus: () => void;
  setText: (text: string) => void;
}

export const Composer = forwardRef<ComposerHandle, ComposerProps>(function Composer(
  { running, onSend, onStop, disabled = false, placeholder = "Message Pincer…", autoFocus = false, initialText = "", onTextChange },
  handle,
) {
  const [text, setText] = useState(initialText);
  const changed = useRef(onTextChange);
  changed.current = onTextChange;
  useEffect(() => {
    changed.current?.(text);
  }, [text]);
  const area = useRef<HTMLTextAreaElement>(null);
  const slash = useSlashSuggestions({ text, setText, area, disabled });

  useImperativeHandle(handle, () => ({
    focus: () => area.current?.focus(),
    setText: (t: string) => {
      setText(t);
      area.current?.focus();
    },
  }));

  // Autosize: shrink to content, then grow up to the CSS max-height (then it scrolls).
  const fit = useCallback(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight + 2}px`;
  }, []);
  useLayoutEffect(fit, [text, placeholder, fit]);
  useEffect(() => {
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  }, [fit]);

  const send = () => {
    const value = text.trim();
    if (!value || disabled) return;
    onSend(value);
    setText("");
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing || e.keyCode === 229) return;
    if (slash.onKeyDown(e)) return;
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      send();
    } else if (e.key === "Escape" && running) {
      e.preventDefault();
      onStop();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label htmlFor="composer-input" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={area}
        data-testid="composer"
        rows={1}
        value={text}
        placeholder={placeholder}
        disabled={disabled}
        autoFocus={autoFocus}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby="composer-hint"
        {...slash.inputProps}
      />
      {slash.list}
      {running ? (
        <button type="button" className="composer-btn stop" data-testid="stop" onClick={onStop} aria-label="Stop">
          <StopIcon size={16} />
        </button>
      ) : (
        <button
          type="submit"
          className="composer-btn send"
          data-testid="send"
          disabled={disabled || !text.trim()}
          aria-label="Send"
        >
          <SendIcon size={18} />
        </button>
      )}
      <p id="composer-hint" className="composer-hint" data-testid="composer-hint">
        {slash.open
          ? SLASH_HINT
          : running
            ? "Enter queues your message · Esc stops the answer"
            : `Enter to send · Shift+Enter for a new line${slash.hasSkills ? " · / for skills" : ""}`}
      </p>
    </form>
  );
});
