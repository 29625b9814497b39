// Memory: what Pincer remembers between chats. Add a fact, search memories and past chats
// (matches marked, any language), filter by scope and by who saved them, and edit, pin,
// forget or undo each one; every change ends in a toast with Undo. #/memory/ID opens a
// memory's history. Refetched after each change and whenever a turn starts or ends.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { AlertIcon, MemoryIcon, RefreshIcon, SearchIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { Memory, MemoryOp, Provenance, SessionInfo } from "../generated/protocol";
import { searchTerms } from "../lib/highlight";
import { navigate } from "../lib/router";
import { AddMemory } from "../memory/AddMemory";
import { IndexStatus, indexing } from "../memory/IndexStatus";
import { MemoryItem, type MemoryActions } from "../memory/MemoryItem";
import { doneMessage, failedVerb, PROVENANCE_FILTER_LABEL, PROVENANCES, undoneMessage } from "../memory/model";
import { PastMessages } from "../memory/PastMessages";
import { useLive } from "../state/LiveProvider";
import { useMemoryDetail, useMemoryList } from "../state/useMemories";

/** How long typing pauses before the search goes out. */
export const SEARCH_DEBOUNCE_MS = 250;
/** How often the embedding progress is read while the worker embeds. */
const INDEX_POLL_MS = 2000;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function idOf(op: MemoryOp): string {
  return "id" in op ? op.id : "new";
}

export function MemoryPage({ memory: selected, sessions = null }: { memory: string | null; sessions?: SessionInfo[] | null }) {
  const { state } = useLive();
  const toast = useToast();
  const [query, setQuery] = useState("");
  const [q, setQ] = useState("");
  const [scope, setScope] = useState("");
  const [provenance, setProvenance] = useState<Provenance | "">("");
  const [showForgotten, setShowForgotten] = useState(false);
  const [changes, setChanges] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);
  const [scopes, setScopes] = useState<string[]>(["global"]);
  const addInput = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);

  // A turn may have saved or recalled something: both counters only grow.
  const reloadKey = state.listSeq + changes;
  const { list, setList, error, loading, refetch } = useMemoryList({ q, scope, provenance, all: showForgotten }, reloadKey);
  const { detail, error: detailError } = useMemoryDetail(selected, reloadKey);

  // While memories are being embedded, the progress is read again every few seconds.
  const busyIndexing = indexing(list?.index);
  useEffect(() => {
    if (!busyIndexing) return;
    const t = setInterval(refetch, INDEX_POLL_MS);
    return () => clearInterval(t);
  }, [busyIndexing, refetch]);

  useEffect(() => {
    const trimmed = query.trim();
    if (!trimmed) {
      setQ("");
      return;
    }
    const t = setTimeout(() => setQ(trimmed), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [query]);

  // The scope filter offers every scope seen so far.
  useEffect(() => {
    if (!list) return;
    setScopes((known) => {
      const next = new Set(known);
      for (const m of list.memories) next.add(m.scope);
      return next.size === known.length ? known : [...next].sort((a, b) => (a === "global" ? -1 : b === "global" ? 1 : a.localeCompare(b)));
    });
  }, [list]);

  const titles = useMemo(() => {
    const map: Record<string, string> = {};
    for (const s of sessions ?? []) if (s.title) map[s.id] = s.title;
    return map;
  }, [sessions]);

  const terms = useMemo(() => searchTerms(q), [q]);

  // `known`: the memory as the caller last saw it (a forgotten one is no longer listed).
  const change = useRef<(op: MemoryOp, known?: Memory) => Promise<Memory | null>>(async () => null);
  change.current = async (op: MemoryOp, known?: Memory) => {
    const id = idOf(op);
    const before =
      list?.memories.find((m) => m.id === id) ?? (detail?.memory.id === id ? detail.memory : undefined) ?? known;
    setBusy(id);
    try {
      const reply = await api.changeMemory(op);
      if (reply.type !== "memory") {
        setChanges((c) => c + 1);
        return null;
      }
      const memory = reply.memory;
      // Shown changed at once; the refetch brings the order (pinned first) and the counts.
      setList((l) => l && { ...l, memories: l.memories.map((m) => (m.id === memory.id ? memory : m)) });
      const message = op.action === "undo" ? undoneMessage(before, memory) : doneMessage(op, reply.changed);
      if (reply.changed && op.action !== "undo") {
        toast(message, {
          kind: "success",
          testId: "memory-toast",
          action: { label: "Undo", testId: "memory-toast-undo", onClick: () => void change.current({ action: "undo", id: memory.id }, memory) },
        });
      } else {
        toast(message, { kind: reply.changed ? "success" : "info", testId: "memory-toast" });
      }
      // Forgotten out of the list: the keyboard carries on from the list, not from nowhere.
      if (op.action === "forget" && !showForgotten) setTimeout(() => listRef.current?.focus(), 0);
      setChanges((c) => c + 1);
      return memory;
    } catch (err) {
      toast(`Could not ${failedVerb(op)}: ${errorText(err)}`, { kind: "error", testId: "memory-error-toast" });
      return null;
    } finally {
      setBusy(null);
    }
  };
  const stableChange = useCallback((op: MemoryOp) => change.current(op), []);
  const actions: MemoryActions = useMemo(() => ({ busy, change: stableChange, titles }), [busy, stableChange, titles]);

  // Opened from elsewhere (a chat's "Remembered" chip): bring it into view once it is listed.
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => {
    if (!selected || scrolledTo.current === selected || !list) return;
    const items = listRef.current?.querySelectorAll<HTMLElement>('[data-testid="memory-item"]') ?? [];
    const el = [...items].find((item) => item.dataset.memoryId === selected);
    if (!el) return;
    scrolledTo.current = selected;
    el.scrollIntoView?.({ block: "nearest" });
  }, [selected, list]);

  const filtered = scope !== "" || provenance !== "" || showForgotten;
  const memories = list?.memories ?? [];
  const selectedListed = !!selected && memories.some((m) => m.id === selected);
  const clearFilters = () => {
    setScope("");
    setProvenance("");
    setShowForgotten(false);
  };

  return (
    <div className="page">
      <div className="page-inner memory-page">
        <header className="page-head memory-head">
          <h1>Memory</h1>
          {list && (
            <span className="memory-count" data-testid="memory-count">
              {list.total} remembered
            </span>
          )}
          <p className="muted memory-intro">
            What Pincer remembers between chats. When a message is about something here, Pincer brings it back before it
            answers; pinned memories come back in every chat.
          </p>
          <IndexStatus status={list?.index} />
        </header>

        <AddMemory ref={addInput} scopes={scopes} onSave={(op) => stableChange(op)} />

        <div className="memory-toolbar" role="search" aria-label="Memories">
          <div className="search memory-search">
            <SearchIcon size={15} className="search-icon" />
            <label htmlFor="memory-search" className="visually-hidden">
              Search memories and past chats
            </label>
            <input
              id="memory-search"
              type="search"
              className="search-input"
              data-testid="memory-search"
              placeholder="Search memories and past chats"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              autoComplete="off"
            />
            {loading && list && q && (
              <span className="memory-search-busy">
                <Spinner size={14} label="Searching" />
              </span>
            )}
          </div>
          <div className="memory-filters">
            <label className="memory-filter">
              <span>Scope</span>
              <select data-testid="memory-filter-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
                <option value="">All scopes</option>
                {scopes.map((s) => (
                  <option key={s} value={s}>
                    {s === "global" ? "global (everywhere)" : s}
                  </option>
                ))}
              </select>
            </label>
            <label className="memory-filter">
              <span>Saved by</span>
              <select
                data-testid="memory-filter-provenance"
                value={provenance}
                onChange={(e) => setProvenance(e.target.value as Provenance | "")}
              >
                <option value="">Anyone</option>
                {PROVENANCES.map((p) => (
                  <option key={p} value={p}>
                    {PROVENANCE_FILTER_LABEL[p]}
                  </option>
                ))}
              </select>
            </label>
            <label className="check-label memory-filter-check">
              <input
                type="checkbox"
                data-testid="memory-show-forgotten"
                checked={showForgotten}
                onChange={(e) => setShowForgotten(e.target.checked)}
              />
              Show forgotten
            </label>
          </div>
          {showForgotten && q && (
            <p className="muted small memory-toolbar-note" data-testid="memory-search-forgotten-note">
              A search finds current memories only: clear it to see forgotten ones.
            </p>
          )}
        </div>

        {error && (
          <div className="notice notice-error" role="alert" data-testid="memory-load-error">
            <AlertIcon size={16} />
            <span>
              {q ? "Could not search" : "Could not load the memories"}: {error}
            </span>
            <button type="button" className="btn btn-sm" onClick={refetch}>
              <RefreshIcon size={14} /> Try again
            </button>
          </div>
        )}
        {!list && !error && (
          <div className="page-loading">
            <Spinner size={20} label="Loading memories" />
          </div>
        )}

        {selected && list && !selectedListed && (
          <section className="memory-section" aria-label="Opened memory" data-testid="memory-selected">
            {detail ? (
              <ul className="card memory-list">
                <MemoryItem memory={detail.memory} terms={terms} actions={actions} open detail={detail} detailError={null} />
              </ul>
            ) : detailError ? (
              <div className="notice notice-error" role="alert" data-testid="memory-detail-error">
                <AlertIcon size={16} />
                <span>
                  {detailError.status === 404
                    ? `There is no memory ${selected}.`
                    : `Could not load the memory: ${detailError.message}`}
                </span>
                <button type="button" className="btn btn-sm" onClick={() => navigate({ page: "memory", memory: null })}>
                  Close
                </button>
              </div>
            ) : (
              <div className="page-loading">
                <Spinner size={18} label="Loading the memory" />
              </div>
            )}
          </section>
        )}

        {list && (
          <section className="memory-section" aria-labelledby="memory-list-title">
            <div className="memory-list-head">
              <h2 id="memory-list-title">{q ? "Memories" : filtered ? "Matching memories" : "All memories"}</h2>
              {(q || filtered) && (
                <span className="muted small" data-testid="memory-found">
                  {memories.length} found
                </span>
              )}
              {filtered && (
                <button type="button" className="btn-link small" onClick={clearFilters} data-testid="memory-clear-filters">
                  Clear filters
                </button>
              )}
            </div>
            {memories.length > 0 ? (
              <ul
                ref={listRef}
                tabIndex={-1}
                className={`card memory-list${loading ? " reloading" : ""}`}
                data-testid="memory-list"
                aria-busy={loading || undefined}
              >
                {memories.map((m) => (
                  <MemoryItem
                    key={m.id}
                    memory={m}
                    terms={terms}
                    actions={actions}
                    open={m.id === selected}
                    detail={m.id === selected ? detail : null}
                    detailError={m.id === selected ? (detailError?.message ?? null) : null}
                  />
                ))}
              </ul>
            ) : q ? (
              <div className="empty-state memory-empty" data-testid="memory-empty">
                <SearchIcon size={28} />
                <h2>No memory matches “{q}”</h2>
                <p>
                  Search looks for every word you type, in any language; one character is enough for Chinese or
                  Japanese (<span lang="zh">湖</span> finds <span lang="zh">西湖</span>).
                  {list.messages.length > 0 ? " Past conversations that match are below." : ""}
                </p>
              </div>
            ) : filtered ? (
              <div className="empty-state memory-empty" data-testid="memory-empty">
                <MemoryIcon size={28} />
                <h2>No memories match these filters</h2>
                <p>
                  <button type="button" className="btn btn-sm" onClick={clearFilters}>
                    Clear filters
                  </button>
                </p>
              </div>
            ) : (
              <div className="empty-state memory-empty" data-testid="memory-empty">
                <MemoryIcon size={32} />
                <h2>Nothing remembered yet</h2>
                <p>
                  Add a fact above, or tell Pincer in a chat: “Remember that my passport is in the blue folder.” What
                  Pincer saves on its own in a chat shows up here too.
                </p>
                <button type="button" className="btn btn-sm" onClick={() => addInput.current?.focus()}>
                  Add a memory
                </button>
              </div>
            )}
          </section>
        )}

        {list && q && <PastMessages hits={list.messages} terms={terms} titles={titles} />}
      </div>
    </div>
  );
}
