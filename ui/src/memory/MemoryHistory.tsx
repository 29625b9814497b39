// An open memory: when it was saved, changed and last recalled, where it came from, and every
// change it went through, newest first, with the texts before and after.

import { AlertIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { Memory, MemoryChange, MemoryDetail } from "../generated/protocol";
import { absoluteTime, relativeTime } from "../lib/format";
import { routeHref } from "../lib/router";
import { changeLabel } from "./model";

function MemoryLink({ id }: { id: string }) {
  return (
    <a href={routeHref({ page: "memory", memory: id })}>
      <code>{id}</code>
    </a>
  );
}

function ChangeTexts({ change }: { change: MemoryChange }) {
  switch (change.action) {
    case "edit":
      return (
        <div className="change-texts">
          {change.before !== null && (
            <del className="change-before">
              <span className="visually-hidden">Before: </span>
              {change.before}
            </del>
          )}
          {change.after !== null && (
            <ins className="change-after">
              <span className="visually-hidden">After: </span>
              {change.after}
            </ins>
          )}
        </div>
      );
    case "replace":
      return (
        <div className="change-texts">
          {change.before && (
            <span className="change-ref">
              Replaced <MemoryLink id={change.before} />
            </span>
          )}
          {change.after && <q className="change-text">{change.after}</q>}
        </div>
      );
    case "supersede":
      return change.after ? (
        <div className="change-texts">
          <span className="change-ref">
            By <MemoryLink id={change.after} />
          </span>
        </div>
      ) : null;
    default: {
      const text = change.after ?? change.before;
      return text ? (
        <div className="change-texts">
          <q className="change-text">{text}</q>
        </div>
      ) : null;
    }
  }
}

export function MemoryHistory({ history }: { history: MemoryChange[] }) {
  if (!history.length) return <p className="muted small">No changes recorded.</p>;
  // Newest first: what happened last is what one looks for.
  const changes = [...history].reverse();
  return (
    <ol className="memory-history" data-testid="memory-history">
      {changes.map((c, i) => (
        <li key={`${c.at}-${i}`} className={`change change-${c.action}`} data-testid="memory-change" data-action={c.action}>
          <span className="change-dot" aria-hidden="true" />
          <div className="change-body">
            <div className="change-head">
              <span className="change-label">{changeLabel(c)}</span>
              <time dateTime={c.at} title={absoluteTime(c.at)}>
                {relativeTime(c.at)}
              </time>
            </div>
            <ChangeTexts change={c} />
          </div>
        </li>
      ))}
    </ol>
  );
}

export function MemoryDetails({
  memory,
  detail,
  error,
  titles,
}: {
  memory: Memory;
  detail: MemoryDetail | null;
  error: string | null;
  titles: Record<string, string>;
}) {
  const m = detail?.memory ?? memory;
  return (
    <div className="memory-details" data-testid="memory-details">
      <dl className="memory-facts">
        <div>
          <dt>Saved</dt>
          <dd>{absoluteTime(m.created_at)}</dd>
        </div>
        <div>
          <dt>Changed</dt>
          <dd>{absoluteTime(m.updated_at)}</dd>
        </div>
        <div>
          <dt>Last recalled</dt>
          <dd data-testid="memory-last-recalled">{m.last_recalled ? absoluteTime(m.last_recalled) : "never yet"}</dd>
        </div>
        {m.source_session && (
          <div>
            <dt>Came from</dt>
            <dd>
              <a href={routeHref({ page: "chat", session: m.source_session })}>
                {titles[m.source_session] ? `“${titles[m.source_session]}”` : "a chat"}
              </a>
            </dd>
          </div>
        )}
        {m.superseded_by && (
          <div>
            <dt>Replaced by</dt>
            <dd>
              <MemoryLink id={m.superseded_by} />
            </dd>
          </div>
        )}
        <div className="memory-fact-wide">
          <dt>ID</dt>
          <dd>
            <code className="memory-id">{m.id}</code>
          </dd>
        </div>
      </dl>
      <h3 className="memory-history-title">History</h3>
      {error ? (
        <div className="notice notice-error" role="alert" data-testid="memory-history-error">
          <AlertIcon size={16} />
          <span>Could not load the history: {error}</span>
        </div>
      ) : detail ? (
        <MemoryHistory history={detail.history} />
      ) : (
        <div className="memory-history-loading">
          <Spinner size={16} label="Loading the history" />
        </div>
      )}
    </div>
  );
}
