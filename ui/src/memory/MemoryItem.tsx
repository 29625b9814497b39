// One memory in the list: its text (search matches marked), kind, scope, who saved it and
// when, where it came from, and what can be done with it: edit in place, pin, forget (or
// restore), undo the latest change, and open its history (#/memory/ID).

import { useEffect, useId, useRef, useState } from "react";
import { ClockIcon, PencilIcon, PinIcon, TrashIcon, UndoIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { Memory, MemoryDetail, MemoryOp } from "../generated/protocol";
import { absoluteTime, relativeTime } from "../lib/format";
import { Highlight } from "../lib/highlight";
import { navigate, routeHref } from "../lib/router";
import { MemoryDetails } from "./MemoryHistory";
import { savedBy, scopeLabel } from "./model";

export interface MemoryActions {
  /** The memory a request is running for. */
  busy: string | null;
  /** Sends a change; the memory as it is now, or null when it was refused (a toast says why). */
  change: (op: MemoryOp) => Promise<Memory | null>;
  /** Session titles by id, for "from “title”" (missing ones say "from a chat"). */
  titles: Record<string, string>;
}

function SourceLink({ memory, titles }: { memory: Memory; titles: Record<string, string> }) {
  if (!memory.source_session) return null;
  const title = titles[memory.source_session];
  return (
    <span className="memory-from">
      <span className="memory-dot" aria-hidden="true">
        ·
      </span>
      <a
        className="memory-source"
        href={routeHref({ page: "chat", session: memory.source_session })}
        data-testid="memory-source"
        title={title ? `Open the chat it came from: ${title}` : "Open the chat it came from"}
      >
        {title ? <>from “{title}”</> : "from a chat"}
      </a>
    </span>
  );
}

function EditBox({
  memory,
  busy,
  onSave,
  onCancel,
}: {
  memory: Memory;
  busy: boolean;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(memory.content);
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  // Grows with its text, so the whole memory stays in view while it is edited.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight + 2}px`;
  }, [draft]);
  const save = () => {
    if (draft.trim()) onSave(draft);
  };
  return (
    <form
      className="memory-edit"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <label htmlFor={id} className="visually-hidden">
        Edit the memory
      </label>
      <textarea
        ref={box}
        id={id}
        rows={1}
        value={draft}
        data-testid="memory-edit-input"
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          // Enter saves (a memory is a line or two); Shift+Enter starts a new line.
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          }
        }}
        disabled={busy}
      />
      <div className="memory-edit-actions">
        <button type="submit" className="btn btn-sm btn-primary" data-testid="memory-edit-save" disabled={busy || !draft.trim()}>
          {busy && <Spinner size={12} />} Save
        </button>
        <button type="button" className="btn btn-sm" data-testid="memory-edit-cancel" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <span className="muted small memory-edit-hint">Enter saves · Esc cancels</span>
      </div>
    </form>
  );
}

export function MemoryItem({
  memory,
  terms,
  actions,
  open,
  detail,
  detailError,
}: {
  memory: Memory;
  terms: string[];
  actions: MemoryActions;
  /** Its history is shown (the route names it). */
  open: boolean;
  detail: MemoryDetail | null;
  detailError: string | null;
}) {
  const [editing, setEditing] = useState(false);
  const editBtn = useRef<HTMLButtonElement>(null);
  const detailsId = useId();
  const busy = actions.busy === memory.id;
  const forgotten = memory.forgotten;
  const replaced = memory.superseded_by !== null;
  const current = !forgotten && !replaced;

  const stopEditing = () => {
    setEditing(false);
    // Back to where the edit started.
    setTimeout(() => editBtn.current?.focus(), 0);
  };

  return (
    <li
      className={`memory-item${open ? " open" : ""}${current ? "" : " inactive"}`}
      data-testid="memory-item"
      data-memory-id={memory.id}
      data-pinned={memory.pinned}
      data-forgotten={forgotten}
      data-provenance={memory.provenance}
    >
      <div className="memory-main">
        {editing ? (
          <EditBox
            memory={memory}
            busy={busy}
            onCancel={stopEditing}
            onSave={async (text) => {
              if (await actions.change({ action: "edit", id: memory.id, content: text })) stopEditing();
            }}
          />
        ) : (
          <p className="memory-content" data-testid="memory-content">
            <Highlight text={memory.content} terms={terms} />
          </p>
        )}
        <div className="memory-foot">
          <div className="memory-meta">
            {memory.pinned && (
              <span className="badge badge-accent memory-pinned" data-testid="memory-pinned" title="Recalled in every chat">
                <PinIcon size={11} /> Pinned
              </span>
            )}
            {forgotten && (
              <span className="badge badge-off" data-testid="memory-forgotten">
                Forgotten
              </span>
            )}
            {replaced && memory.superseded_by && (
              <a
                className="badge badge-off"
                href={routeHref({ page: "memory", memory: memory.superseded_by })}
                title="Open the memory that replaced it"
              >
                Replaced
              </a>
            )}
            <span className="badge" data-testid="memory-kind">
              {memory.kind}
            </span>
            <span className="badge" data-testid="memory-scope" title={`Scope: ${memory.scope}`}>
              {scopeLabel(memory.scope)}
            </span>
            <span className="memory-when">
              <span className={`memory-by${memory.provenance === "untrusted" ? " untrusted" : ""}`} data-testid="memory-by">
                {savedBy(memory.provenance)}
              </span>
              <span className="memory-dot" aria-hidden="true">
                {" · "}
              </span>
              <time dateTime={memory.created_at} title={absoluteTime(memory.created_at)}>
                {relativeTime(memory.created_at)}
              </time>
            </span>
            <SourceLink memory={memory} titles={actions.titles} />
          </div>
          {!editing && (
            <div className="memory-actions" role="group" aria-label="Memory actions">
              {current && (
                <>
                  <button
                    ref={editBtn}
                    type="button"
                    className="btn btn-sm btn-ghost"
                    data-testid="memory-edit"
                    onClick={() => setEditing(true)}
                    disabled={busy}
                    title="Edit the text"
                  >
                    <PencilIcon size={14} /> Edit
                  </button>
                  <button
                    type="button"
                    className="btn btn-sm btn-ghost"
                    data-testid={memory.pinned ? "memory-unpin" : "memory-pin"}
                    aria-pressed={memory.pinned}
                    onClick={() => void actions.change({ action: "pin", id: memory.id, pinned: !memory.pinned })}
                    disabled={busy}
                    title={memory.pinned ? "Recall it only when a message is about it" : "Recall it in every chat"}
                  >
                    <PinIcon size={14} /> {memory.pinned ? "Unpin" : "Pin"}
                  </button>
                  <button
                    type="button"
                    className="btn btn-sm btn-ghost memory-forget"
                    data-testid="memory-forget"
                    onClick={() => void actions.change({ action: "forget", id: memory.id })}
                    disabled={busy}
                    title="Pincer stops recalling it; the history stays, and Undo brings it back"
                  >
                    <TrashIcon size={14} /> Forget
                  </button>
                </>
              )}
              <button
                type="button"
                className="btn btn-sm btn-ghost"
                data-testid="memory-undo"
                onClick={() => void actions.change({ action: "undo", id: memory.id })}
                disabled={busy}
                title={forgotten ? "Undo the latest change: bring it back" : "Undo its latest change"}
              >
                <UndoIcon size={14} /> {forgotten ? "Restore" : "Undo"}
              </button>
              <button
                type="button"
                className="btn btn-sm btn-ghost"
                data-testid="memory-history-toggle"
                aria-expanded={open}
                aria-controls={detailsId}
                onClick={() => navigate({ page: "memory", memory: open ? null : memory.id })}
              >
                <ClockIcon size={14} /> History
              </button>
              {busy && <Spinner size={14} label="Saving" />}
            </div>
          )}
        </div>
      </div>
      {open && (
        <div id={detailsId} className="memory-details-wrap">
          <MemoryDetails memory={memory} detail={detail} error={detailError} titles={actions.titles} />
        </div>
      )}
    </li>
  );
}
