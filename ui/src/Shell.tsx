// The logged-in layout: top bar with navigation and connection state, the chats sidebar
// (a drawer below 720 px), and the current page.

import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "./api/endpoints";
import { HttpError } from "./api/rest";
import { ConnectionStatus } from "./components/ConnectionStatus";
import { ChartIcon, ChatIcon, ClockIcon, CloseIcon, GearIcon, HandIcon, LogoIcon, MemoryIcon, MenuIcon, SparkIcon } from "./components/Icons";
import { Sidebar } from "./components/Sidebar";
import { useToast } from "./components/Toasts";
import type { SessionInfo } from "./generated/protocol";
import { navigate, routeHref, useRoute } from "./lib/router";
import { ChatPage, clearHistoryCache } from "./pages/Chat";
import { MemoryPage } from "./pages/Memory";
import { SettingsPage } from "./pages/Settings";
import { SkillsPage } from "./pages/Skills";
import { TasksPage } from "./pages/Tasks";
import { useI18n } from "./i18n";
import { isRunning, waitingApprovals } from "./state/live";
import { useLive } from "./state/LiveProvider";
import { useSessions } from "./state/useSessions";
import { Spinner } from "./components/Spinner";

// chart.js is only needed on the Usage page: load it with that page.
const UsagePage = lazy(() => import("./pages/Usage").then((m) => ({ default: m.UsagePage })));

export function Shell({ onLogout }: { onLogout: () => Promise<void> }) {
  const route = useRoute();
  const { state, status, dispatch } = useLive();
  const toast = useToast();
  const { t } = useI18n();
  const { sessions, setSessions, error, query, setQuery, reload } = useSessions(state.listSeq);
  const [drawer, setDrawer] = useState(false);
  const [lastChat, setLastChat] = useState<string | null>(null);
  const toasted = useRef(new Set<number>());
  const menuBtn = useRef<HTMLButtonElement>(null);
  const sidebar = useRef<HTMLElement>(null);

  const currentChat = route.page === "chat" ? route.session : null;

  useEffect(() => {
    if (route.page === "chat") setLastChat(route.session);
    setDrawer(false);
  }, [route]);

  useEffect(() => () => clearHistoryCache(), []);

  // Drawer: Esc closes it and gives focus back to the menu button.
  useEffect(() => {
    if (!drawer) return;
    sidebar.current?.querySelector<HTMLElement>("button, input, a")?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setDrawer(false);
        menuBtn.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [drawer]);

  // Errors for other chats (or none) become toasts; the open chat shows its own inline.
  useEffect(() => {
    for (const e of state.errors) {
      if (toasted.current.has(e.id) || (e.session !== null && e.session === currentChat)) continue;
      toasted.current.add(e.id);
      const title = e.session ? sessions?.find((s) => s.id === e.session)?.title : null;
      const what = e.text === null ? e.message : `Not sent: “${e.text}” — ${e.message}`;
      toast(title ? `${title}: ${what}` : what, { kind: "error" });
      dispatch({ type: "dismiss_error", id: e.id });
    }
  }, [state.errors, currentChat, sessions, toast, dispatch]);

  const approvals = useMemo(() => waitingApprovals(state), [state]);
  const needsApproval = useMemo(() => new Set(approvals.map((a) => a.session)), [approvals]);
  const elsewhere = approvals.filter((a) => a.session !== currentChat);

  const running = useCallback(
    (s: SessionInfo) => (state.synced ? isRunning(state, s.id) : s.running || isRunning(state, s.id)),
    [state],
  );

  const onRename = useCallback(
    async (id: string, title: string) => {
      try {
        const updated = await api.renameSession(id, { title });
        setSessions((list) => list?.map((s) => (s.id === id ? { ...s, ...updated } : s)) ?? list);
      } catch (err) {
        toast(`Could not rename: ${err instanceof Error ? err.message : String(err)}`, { kind: "error" });
      }
    },
    [setSessions, toast],
  );

  const onDelete = useCallback(
    async (id: string) => {
      try {
        await api.deleteSession(id);
        setSessions((list) => list?.filter((s) => s.id !== id) ?? list);
        if (currentChat === id) navigate({ page: "chat", session: null }, true);
        toast("Chat deleted", { kind: "success" });
      } catch (err) {
        const msg = err instanceof HttpError && err.status === 409 ? err.message || "A turn is running in this chat: stop it first." : err instanceof Error ? err.message : String(err);
        toast(`Could not delete: ${msg}`, { kind: "error" });
      }
    },
    [currentChat, setSessions, toast],
  );

  const current = currentChat ? (sessions?.find((s) => s.id === currentChat) ?? null) : null;

  // The tab title says where you are, and that something waits for you.
  const pageTitle =
    route.page === "settings"
      ? "Settings"
      : route.page === "usage"
        ? "Usage"
        : route.page === "memory"
          ? "Memory"
          : route.page === "skills"
          ? route.skill
            ? `${route.skill} · Skills`
            : "Skills"
          : route.page === "tasks"
            ? t("tasks.title")
            : current?.title || (currentChat ? "Chat" : "New chat");
  useEffect(() => {
    const waiting = approvals.length ? `(${approvals.length}) ` : "";
    document.title = `${waiting}${pageTitle} · Pincer`;
  }, [approvals.length, pageTitle]);
  const chatHref = routeHref({ page: "chat", session: lastChat });

  return (
    <div className={`app${drawer ? " drawer-open" : ""}`}>
      <header className="topbar">
        <button
          ref={menuBtn}
          type="button"
          className="icon-btn menu-btn"
          aria-label={drawer ? "Close chats" : "Open chats"}
          aria-expanded={drawer}
          aria-controls="sidebar"
          onClick={() => setDrawer((d) => !d)}
        >
          {drawer ? <CloseIcon /> : <MenuIcon />}
        </button>
        <a className="brand" href="#/chat" aria-label="Pincer: new chat">
          <span className="brand-mark">
            <LogoIcon size={18} />
          </span>
          <span className="brand-name">Pincer</span>
        </a>
        <nav className="mainnav" aria-label="Main">
          <a href={chatHref} data-testid="nav-chat" aria-current={route.page === "chat" ? "page" : undefined}>
            <ChatIcon size={16} />
            <span>{t("nav.chat")}</span>
          </a>
          <a href="#/memory" data-testid="nav-memory" aria-current={route.page === "memory" ? "page" : undefined}>
            <MemoryIcon size={16} />
            <span>{t("nav.memory")}</span>
          </a>
          <a href="#/skills" data-testid="nav-skills" aria-current={route.page === "skills" ? "page" : undefined}>
            <SparkIcon size={16} />
            <span>{t("nav.skills")}</span>
          </a>
          <a href="#/tasks" data-testid="nav-tasks" aria-current={route.page === "tasks" ? "page" : undefined}>
            <ClockIcon size={16} />
            <span>{t("nav.tasks")}</span>
          </a>
          <a href="#/settings" data-testid="nav-settings" aria-current={route.page === "settings" ? "page" : undefined}>
            <GearIcon size={16} />
            <span>{t("nav.settings")}</span>
          </a>
          <a href="#/usage" data-testid="nav-usage" aria-current={route.page === "usage" ? "page" : undefined}>
            <ChartIcon size={16} />
            <span>{t("nav.usage")}</span>
          </a>
        </nav>
        <span className="spacer" />
        {elsewhere.length > 0 && elsewhere[0] && (
          <a
            className="approval-pill"
            href={
              // A background run's question is answered on the Tasks page, beside its run.
              elsewhere[0].session.startsWith("run-")
                ? routeHref({ page: "tasks" })
                : routeHref({ page: "chat", session: elsewhere[0].session })
            }
            title="A tool call is waiting for your approval"
          >
            <HandIcon size={14} />
            <span>
              {elsewhere.length} <span className="pill-long">waiting for approval</span>
            </span>
          </a>
        )}
        <ConnectionStatus status={status} />
      </header>

      <div className="body">
        <aside id="sidebar" ref={sidebar} className="sidebar">
          <Sidebar
            sessions={sessions}
            error={error}
            query={query}
            onQuery={setQuery}
            currentId={currentChat}
            isRunning={running}
            needsApproval={needsApproval}
            onNew={() => {
              navigate({ page: "chat", session: null });
              setDrawer(false);
              setTimeout(() => document.getElementById("composer-input")?.focus(), 0);
            }}
            onRename={onRename}
            onDelete={onDelete}
            onNavigate={() => setDrawer(false)}
          />
        </aside>
        {drawer && <div className="backdrop" onClick={() => setDrawer(false)} aria-hidden="true" />}
        <main className="main" id="main">
          {route.page === "chat" && (
            <ChatPage key={route.session ?? "new"} sessionId={route.session} session={current} onSessionCreated={reload} />
          )}
          {route.page === "memory" && <MemoryPage memory={route.memory} sessions={sessions} />}
          {route.page === "skills" && <SkillsPage skill={route.skill} />}
          {route.page === "tasks" && <TasksPage />}
          {route.page === "settings" && <SettingsPage onLogout={onLogout} />}
          {route.page === "usage" && (
            <Suspense
              fallback={
                <div className="page-loading">
                  <Spinner size={20} label="Loading usage" />
                </div>
              }
            >
              <UsagePage />
            </Suspense>
          )}
        </main>
      </div>
    </div>
  );
}
