// The conversation list: New chat, search (the server searches titles and messages),
// and one SessionItem per conversation, most recent first. Background runs' sessions
// (`run-…`) are left out: the Tasks page lists them (the one open stays listed).

import { useEffect, useMemo, useState } from "react";
import type { SessionInfo } from "../generated/protocol";
import { useI18n } from "../i18n";
import { isRunSession } from "../tasks/progress";
import { PlusIcon, SearchIcon } from "./Icons";
import { SessionItem } from "./SessionItem";

export interface SidebarProps {
  sessions: SessionInfo[] | null;
  error: string | null;
  query: string;
  onQuery: (q: string) => void;
  currentId: string | null;
  isRunning: (s: SessionInfo) => boolean;
  needsApproval: Set<string>;
  onNew: () => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
  onNavigate: () => void;
}

function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

export function Sidebar(props: SidebarProps) {
  const { sessions, error, query, onQuery, currentId, isRunning, needsApproval, onNew, onRename, onDelete, onNavigate } = props;
  const now = useNow();
  const { t } = useI18n();
  const chats = useMemo(
    () => sessions && sessions.filter((s) => !isRunSession(s.id) || s.id === currentId),
    [sessions, currentId],
  );
  const runs = (sessions?.length ?? 0) - (chats?.length ?? 0);

  return (
    <nav className="sidebar-inner" aria-label="Chats">
      <button type="button" className="btn btn-primary new-chat" data-testid="new-chat" onClick={onNew}>
        <PlusIcon size={16} /> New chat
      </button>
      <div className="search">
        <SearchIcon size={15} className="search-icon" />
        <label htmlFor="session-search" className="visually-hidden">
          Search chats
        </label>
        <input
          id="session-search"
          type="search"
          className="search-input"
          data-testid="session-search"
          placeholder="Search chats"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
          autoComplete="off"
        />
      </div>
      {error && (
        <p className="sidebar-note error" role="alert">
          {error}
        </p>
      )}
      {sessions === null && !error ? (
        <ul className="session-list" aria-busy="true">
          {[0, 1, 2].map((i) => (
            <li key={i} className="session-skeleton" />
          ))}
        </ul>
      ) : chats && chats.length === 0 ? (
        <p className="sidebar-note">{query.trim() ? `No chats match “${query.trim()}”.` : "No chats yet."}</p>
      ) : (
        <ul className="session-list">
          {(chats ?? []).map((s) => (
            <SessionItem
              key={s.id}
              session={s}
              current={s.id === currentId}
              running={isRunning(s)}
              needsApproval={needsApproval.has(s.id)}
              now={now}
              onRename={onRename}
              onDelete={onDelete}
              onOpen={onNavigate}
            />
          ))}
        </ul>
      )}
      {runs > 0 && (
        <p className="sidebar-note sidebar-runs">
          <a href="#/tasks" data-testid="sidebar-runs" onClick={onNavigate}>
            {t("sidebar.runsHidden")}
          </a>
        </p>
      )}
    </nav>
  );
}
