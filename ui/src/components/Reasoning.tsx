// The model's reasoning, collapsed by default. Not stored: only live turns have it.

import { ChevronIcon } from "./Icons";

export function Reasoning({ text, active }: { text: string; active: boolean }) {
  return (
    <details className="reasoning">
      <summary>
        <ChevronIcon size={14} className="chev" />
        {active ? "Thinking…" : "Thought process"}
      </summary>
      <div className="reasoning-text">{text}</div>
    </details>
  );
}
