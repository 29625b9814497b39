// "Remembered N": what recall added to a turn's request, before the answer, folded until
// opened. Each item is a memory (linked to it on the Memory page) or a past message's
// snippet (linked to its chat). Turns without recall show nothing.

import { useId, useState } from "react";
import type { Recalled } from "../generated/protocol";
import { plainText } from "../lib/highlight";
import { routeHref } from "../lib/router";
import { ChatIcon, ChevronIcon, MemoryIcon } from "./Icons";

/** A past message's source is `<session>/<message id>`. */
export function recalledSession(item: Recalled): string {
  const at = item.source.lastIndexOf("/");
  return at > 0 ? item.source.slice(0, at) : item.source;
}

export function RecalledChip({ items }: { items: Recalled[] }) {
  const [open, setOpen] = useState(false);
  const listId = useId();
  if (!items.length) return null;
  const memories = items.filter((i) => i.kind === "memory").length;
  const messages = items.length - memories;
  const what = [
    memories ? `${memories} ${memories === 1 ? "memory" : "memories"}` : null,
    messages ? `${messages} past ${messages === 1 ? "message" : "messages"}` : null,
  ]
    .filter(Boolean)
    .join(" and ");
  return (
    <section className={`recalled${open ? " open" : ""}`} data-testid="recalled" data-count={items.length}>
      <button
        type="button"
        className="recalled-toggle"
        data-testid="recalled-toggle"
        aria-expanded={open}
        aria-controls={listId}
        title={`Pincer brought back ${what} for this message`}
        onClick={() => setOpen((o) => !o)}
      >
        <MemoryIcon size={14} className="recalled-icon" />
        <span>
          Remembered <span className="recalled-count">{items.length}</span>
        </span>
        <ChevronIcon size={13} className="chev" />
      </button>
      <ul id={listId} className="recalled-list" hidden={!open} aria-label={`Remembered: ${what}`}>
        {items.map((item, i) =>
          item.kind === "memory" ? (
            <li key={`${item.source}-${i}`} className="recalled-item" data-testid="recalled-item" data-kind="memory" data-source={item.source}>
              <MemoryIcon size={14} className="recalled-item-icon" />
              <span className="recalled-text">{item.text}</span>
              <a className="recalled-link" href={routeHref({ page: "memory", memory: item.source })} data-testid="recalled-link">
                Open memory
              </a>
            </li>
          ) : (
            <li key={`${item.source}-${i}`} className="recalled-item" data-testid="recalled-item" data-kind="message" data-source={item.source}>
              <ChatIcon size={14} className="recalled-item-icon" />
              <span className="recalled-text">
                <span className="recalled-from">From a past chat: </span>
                <q>{plainText(item.text)}</q>
              </span>
              <a className="recalled-link" href={routeHref({ page: "chat", session: recalledSession(item) })} data-testid="recalled-link">
                Open chat
              </a>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}
