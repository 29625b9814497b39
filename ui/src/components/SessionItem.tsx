// One conversation in the sidebar: link, relative time, running/approval markers, and
// inline rename (double-click or the pencil; Enter saves, Esc cancels) and delete.

import { useEffect, useRef, useState } from "react";
import type { SessionInfo } from "../generated/protocol";
import { relativeTime } from "../lib/format";
import { routeHref } from "../lib/router";
import { PencilIcon, TrashIcon } from "./Icons";
import { Spinner } from "./Spinner";

export interface SessionItemProps {
  session: SessionInfo;
  current: boolean;
  running: boolean;
  needsApproval: boolean;
  now: number;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
  onOpen: () => void;
}

export function SessionItem({ session, current, running, needsApproval, now, onRename, onDelete, onOpen }: SessionItemProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(session.title);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const renameBtn = useRef<HTMLButtonElement>(null);
  /** Set once an edit is saved or cancelled, so the blur that follows does nothing. */
  const closed = useRef(false);

  useEffect(() => {
    if (editing) {
      input.current?.focus();
      input.current?.select();
    }
  }, [editing]);

  const startEdit = () => {
    closed.current = false;
    setDraft(session.title);
    setEditing(true);
  };

  const finishEdit = async (save: boolean) => {
    if (closed.current) return;
    closed.current = true;
    setEditing(false);
    const title = draft.trim();
    if (save && title && title !== session.title) {
      setBusy(true);
      try {
        await onRename(session.id, title);
      } finally {
        setBusy(false);
      }
    }
    renameBtn.current?.focus();
  };

  const remove = async () => {
    setBusy(true);
    try {
      await onDelete(session.id);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  const title = session.title.trim() || "Untitled chat";

  return (
    <li
      className={`session-item${current ? " current" : ""}${busy ? " busy" : ""}`}
      data-testid="session-item"
      data-session-id={session.id}
    >
      {editing ? (
        <input
          ref={input}
          className="session-rename-input"
          data-testid="session-rename-input"
          aria-label="Chat title"
          value={draft}
          maxLength={200}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              void finishEdit(true);
            } else if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              void finishEdit(false);
            }
          }}
          onBlur={() => void finishEdit(true)}
        />
      ) : (
        <a
          className="session-link"
          href={routeHref({ page: "chat", session: session.id })}
          aria-current={current ? "page" : undefined}
          onClick={onOpen}
          onDoubleClick={(e) => {
            e.preventDefault();
            startEdit();
          }}
        >
          <span className="session-title">{title}</span>
          <span className="session-meta">
            {needsApproval ? (
              <span className="badge badge-warn">needs approval</span>
            ) : running ? (
              <span className="session-running">
                <Spinner size={10} /> running
              </span>
            ) : (
              <time dateTime={session.updated_at}>{relativeTime(session.updated_at, now)}</time>
            )}
          </span>
        </a>
      )}
      {(running || needsApproval) && !editing && <span className="session-dot" aria-hidden="true" />}
      {confirming ? (
        <div className="session-confirm" role="group" aria-label={`Delete “${title}”?`}>
          <span>Delete?</span>
          <button
            type="button"
            className="btn btn-danger btn-sm"
            data-testid="session-delete-confirm"
            onClick={remove}
            disabled={busy}
            autoFocus
          >
            Delete
          </button>
          <button type="button" className="btn btn-sm" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        !editing && (
          <div className="session-actions">
            <button
              ref={renameBtn}
              type="button"
              className="icon-btn"
              data-testid="session-rename"
              aria-label={`Rename “${title}”`}
              title="Rename"
              onClick={startEdit}
            >
              <PencilIcon size={15} />
            </button>
            <button
              type="button"
              className="icon-btn"
              data-testid="session-delete"
              aria-label={`Delete “${title}”`}
              title="Delete"
              onClick={() => setConfirming(true)}
            >
              <TrashIcon size={15} />
            </button>
          </div>
        )
      )}
    </li>
  );
}
