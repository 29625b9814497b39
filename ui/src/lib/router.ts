// Hash routes: #/chat, #/chat/ID, #/memory, #/memory/ID, #/skills, #/skills/NAME, #/tasks,
// #/settings, #/usage, and #/quick (the desktop app's quick-ask window). `#login=CODE` is not a route: it
// is consumed (and removed) by loginHash.ts before routing starts; a route written before it
// (`#/quick&login=…`) is still recognized.

import { useEffect, useState } from "react";

export type Route =
  | { page: "chat"; session: string | null }
  | { page: "memory"; memory: string | null }
  | { page: "skills"; skill: string | null }
  | { page: "tasks" }
  | { page: "settings" }
  | { page: "usage" }
  | { page: "quick" };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/^\/+/, "").split(/[&?]/)[0] ?? "";
  const [head, ...rest] = path.split("/");
  if (head === "settings") return { page: "settings" };
  if (head === "usage") return { page: "usage" };
  if (head === "tasks") return { page: "tasks" };
  if (head === "memory") return { page: "memory", memory: rest[0] ? decodeURIComponent(rest[0]) : null };
  if (head === "skills") return { page: "skills", skill: rest[0] ? decodeURIComponent(rest[0]) : null };
  if (head === "quick") return { page: "quick" };
  if (head === "chat" && rest[0]) return { page: "chat", session: decodeURIComponent(rest[0]) };
  return { page: "chat", session: null };
}

export function routeHref(route: Route): string {
  switch (route.page) {
    case "chat":
      return route.session ? `#/chat/${encodeURIComponent(route.session)}` : "#/chat";
    case "memory":
      return route.memory ? `#/memory/${encodeURIComponent(route.memory)}` : "#/memory";
    case "skills":
      return route.skill ? `#/skills/${encodeURIComponent(route.skill)}` : "#/skills";
    case "tasks":
      return "#/tasks";
    case "settings":
      return "#/settings";
    case "usage":
      return "#/usage";
    case "quick":
      return "#/quick";
  }
}

export function navigate(route: Route, replace = false): void {
  const href = routeHref(route);
  if (replace) {
    history.replaceState(history.state, "", href);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else if (window.location.hash !== href) {
    window.location.hash = href;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
