// Skills to start with `/name`, offered while a message box holds `/` and part of a name:
// ↑/↓ choose, Tab or Enter completes to `/name ` (not sent), Esc closes the list (and only
// that), a click completes too. A `/path` no skill name contains is ordinary text.
//
// A hook rather than a component: the chat composer and the quick-ask box each own their
// textarea and key handling, and put the list where it fits (above or below the box).

import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from "react";
import type { SkillView } from "../generated/protocol";
import { firstSentence, matchSkills, slashQuery, useSkillCommands } from "../skills/commands";
import { SkillEmoji } from "../skills/parts";

export interface SlashOptions {
  text: string;
  setText: (text: string) => void;
  area: RefObject<HTMLTextAreaElement | null>;
  disabled?: boolean;
  /** Where the list goes: above a box at the bottom, below one at the top. */
  placement?: "above" | "below";
}

export interface SlashSuggestions {
  open: boolean;
  /** At least one skill can be started with `/name` (known once a box was used). */
  hasSkills: boolean;
  /** For the textarea. */
  inputProps: {
    "aria-autocomplete"?: "list";
    "aria-expanded"?: boolean;
    "aria-controls"?: string;
    "aria-activedescendant"?: string;
    onFocus: () => void;
    onBlur: () => void;
  };
  /** Call first in the textarea's key handler: true when the list took the key. */
  onKeyDown: (e: KeyboardEvent<HTMLTextAreaElement>) => boolean;
  list: ReactNode;
}

export const SLASH_HINT = "↑ ↓ to choose · Tab or Enter to complete · Esc to close";

export function useSlashSuggestions({ text, setText, area, disabled = false, placement = "above" }: SlashOptions): SlashSuggestions {
  const listId = useId();
  const query = slashQuery(text);
  const [focused, setFocused] = useState(false);
  // The list is asked for the first time the box is used (focused, or a `/` typed into it),
  // not when the `/` comes: the hint says "/ for skills" only when there are some.
  const [used, setUsed] = useState(false);
  /** The text Esc closed the list for: it stays closed until the text changes. */
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [pick, setPick] = useState({ query: "", index: 0 });
  const known = useSkillCommands(used || query !== null, query !== null);
  const startable = known?.startable;
  const matches = useMemo(() => (query === null || !startable ? [] : matchSkills(startable, query)), [startable, query]);
  const open = focused && !disabled && matches.length > 0 && dismissed !== text;
  const index = pick.query === query ? Math.min(pick.index, matches.length - 1) : 0;
  const optionId = (i: number) => `${listId}-${i}`;

  // autoFocus happens before the handlers see anything.
  useEffect(() => {
    if (area.current && document.activeElement === area.current) {
      setFocused(true);
      setUsed(true);
    }
  }, [area]);

  const caretToEnd = useRef(false);
  useLayoutEffect(() => {
    const el = area.current;
    if (!caretToEnd.current || !el) return;
    caretToEnd.current = false;
    el.setSelectionRange(el.value.length, el.value.length);
  }, [text, area]);

  useEffect(() => {
    if (open) document.getElementById(`${listId}-${index}`)?.scrollIntoView?.({ block: "nearest" });
  }, [open, index, listId]);

  // Any edit after Esc asks again.
  useEffect(() => {
    setDismissed((d) => (d !== null && d !== text ? null : d));
  }, [text]);

  const complete = useCallback(
    (skill: SkillView) => {
      caretToEnd.current = true;
      setText(`/${skill.name} `);
      area.current?.focus();
    },
    [setText, area],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open || e.altKey || e.ctrlKey || e.metaKey) return false;
    const n = matches.length;
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp":
        e.preventDefault();
        setPick({ query: query ?? "", index: (index + (e.key === "ArrowDown" ? 1 : n - 1)) % n });
        return true;
      case "Tab":
      case "Enter":
        if (e.shiftKey) return false;
        e.preventDefault();
        complete(matches[index]!);
        return true;
      case "Escape":
        // Only closes the list: not "stop the answer", not "clear the quick-ask window".
        e.preventDefault();
        e.stopPropagation();
        setDismissed(text);
        return true;
      default:
        return false;
    }
  };

  const hasSkills = (startable?.length ?? 0) > 0;
  const inputProps: SlashSuggestions["inputProps"] = {
    onFocus: () => {
      setFocused(true);
      setUsed(true);
    },
    onBlur: () => setFocused(false),
  };
  if (hasSkills) {
    inputProps["aria-autocomplete"] = "list";
    inputProps["aria-expanded"] = open;
  }
  if (open) {
    inputProps["aria-controls"] = listId;
    inputProps["aria-activedescendant"] = optionId(index);
  }

  const list = open ? (
    <ul id={listId} role="listbox" aria-label="Skills" className={`slash-list slash-${placement}`} data-testid="slash-suggestions">
      {matches.map((s, i) => (
        <li
          key={s.name}
          id={optionId(i)}
          role="option"
          aria-selected={i === index}
          className={`slash-option${i === index ? " active" : ""}`}
          data-testid="slash-option"
          data-skill-name={s.name}
          title={s.description}
          // Keep the focus (and the caret) in the box.
          onMouseDown={(e) => e.preventDefault()}
          onMouseMove={() => {
            if (i !== index) setPick({ query: query ?? "", index: i });
          }}
          onClick={() => complete(s)}
        >
          <SkillEmoji emoji={s.emoji} />
          <span className="slash-name">/{s.name}</span>
          <span className="slash-desc">{firstSentence(s.description)}</span>
        </li>
      ))}
    </ul>
  ) : null;

  return { open, hasSkills, inputProps, onKeyDown, list };
}
