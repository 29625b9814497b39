// The REST client: one fetch wrapper that turns every non-2xx answer into an `HttpError`
// carrying the server's `ApiError.error` text, and announces a 401 so the app can show
// the login page wherever the call was made.

import type { ApiError } from "../generated/protocol";
import { authHeaders, loginKey } from "./loginKey";

export class HttpError extends Error {
  readonly status: number;
  /** Seconds from a `Retry-After` header (429), when the server sent one. */
  readonly retryAfter: number | null;

  constructor(status: number, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

type AuthListener = () => void;
const authListeners = new Set<AuthListener>();

/** Called whenever an authenticated call answers 401. Returns an unsubscribe function. */
export function onAuthRequired(listener: AuthListener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function emitAuthRequired(): void {
  for (const listener of [...authListeners]) listener();
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
  /** Do not announce a 401 (login itself answers 401 for a wrong code). */
  quietAuth?: boolean;
}

function parseRetryAfter(value: string | null): number | null {
  if (value == null) return null;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return Math.ceil(secs);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const text = await res.text();
    if (text) {
      try {
        const body = JSON.parse(text) as Partial<ApiError>;
        if (typeof body.error === "string" && body.error) return body.error;
      } catch {
        // not JSON: fall through to the raw text
      }
      return text.length > 300 ? `${text.slice(0, 300)}…` : text;
    }
  } catch {
    // body unreadable
  }
  return res.statusText || `HTTP ${res.status}`;
}

/** One fetch with this page's login key (read now: another tab may have logged in anew). */
async function send(path: string, opts: RequestOptions): Promise<{ res: Response; key: string | null }> {
  const key = loginKey();
  const headers: Record<string, string> = { Accept: "application/json", ...authHeaders() };
  const init: RequestInit = { method: opts.method ?? "GET", credentials: "same-origin", headers };
  if (opts.signal) init.signal = opts.signal;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  try {
    return { res: await fetch(path, init), key };
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new HttpError(0, "Cannot reach Pincer. Is the daemon running?");
  }
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  let { res, key } = await send(path, opts);
  // Another tab or window logged in while this request was under way: its key replaced
  // ours in the shared storage. Once more with the current key before calling it a logout.
  if (res.status === 401 && loginKey() !== key) ({ res } = await send(path, opts));
  if (!res.ok) {
    const message = await errorMessage(res);
    if (res.status === 401 && !opts.quietAuth) emitAuthRequired();
    throw new HttpError(res.status, message, parseRetryAfter(res.headers.get("Retry-After")));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
