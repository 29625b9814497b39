// "In past conversations": stored chat messages a search matched, each a snippet around the
// match (marked) with who said it, when, and a link to its chat.

import { ChatIcon } from "../components/Icons";
import type { MessageHit } from "../generated/protocol";
import { absoluteTime, relativeTime } from "../lib/format";
import { Highlight, plainText, snippetAround } from "../lib/highlight";
import { routeHref } from "../lib/router";

export function PastMessages({ hits, terms, titles }: { hits: MessageHit[]; terms: string[]; titles: Record<string, string> }) {
  if (!hits.length) return null;
  return (
    <section className="memory-section" aria-labelledby="memory-messages-title" data-testid="memory-messages">
      <div className="section-head">
        <h2 id="memory-messages-title">In past conversations</h2>
        <p className="muted">Messages from your chats that match. Pincer brings these back too when a new message is about them.</p>
      </div>
      <ul className="card message-hits">
        {hits.map((hit) => {
          const title = titles[hit.session_id];
          return (
            <li key={hit.message_id} className="message-hit" data-testid="memory-message" data-session-id={hit.session_id}>
              <ChatIcon size={15} className="message-hit-icon" />
              <div className="message-hit-main">
                <p className="message-hit-text">
                  <Highlight text={snippetAround(hit.role === "user" ? hit.content : plainText(hit.content), terms)} terms={terms} />
                </p>
                <div className="message-hit-meta">
                  <span>{hit.role === "user" ? "You" : "Pincer"}</span>
                  <span aria-hidden="true">·</span>
                  <time dateTime={hit.created_at} title={absoluteTime(hit.created_at)}>
                    {relativeTime(hit.created_at)}
                  </time>
                  <span className="memory-from">
                    <span className="memory-dot" aria-hidden="true">
                      ·
                    </span>
                    <a
                      className="message-hit-link"
                      href={routeHref({ page: "chat", session: hit.session_id })}
                      data-testid="memory-message-link"
                      title={title ? `Open the chat “${title}”` : undefined}
                    >
                      {title ? `Open “${title}”` : "Open the chat"}
                    </a>
                  </span>
                </div>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
