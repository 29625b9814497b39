// The live connection: one WebSocket to /api/ws that reconnects with backoff, batches
// incoming messages per frame (so a fast stream of text deltas renders once per frame),
// and keeps submissions sent while disconnected until the socket is open again.

import type { ServerMessage, Submission } from "../generated/protocol";
import { socketProtocols } from "./loginKey";

export type SocketStatus = "connecting" | "connected" | "reconnecting" | "stopped";

export interface LiveSocketOptions {
  url?: string;
  onMessages: (messages: ServerMessage[]) => void;
  onStatus: (status: SocketStatus) => void;
  /** Asked when the socket could not open: resolves false when the user is logged out. */
  checkAuth: () => Promise<boolean>;
  onAuthRequired: () => void;
  /** For tests. */
  WebSocketImpl?: typeof WebSocket;
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Close codes a server may use to say "not logged in" (4401/4403 by analogy with HTTP). */
const AUTH_CLOSE_CODES = new Set([1008, 4401, 4403]);

export function socketUrl(loc: Location = window.location): string {
  const scheme = loc.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${loc.host}/api/ws`;
}

export function backoffDelay(attempt: number, min = 500, max = 10_000, random = Math.random): number {
  const base = Math.min(max, min * 2 ** attempt);
  // ±20 % jitter so many tabs do not reconnect in lockstep.
  return Math.round(base * (0.8 + random() * 0.4));
}

let submissionCount = 0;
const tabId = Math.random().toString(36).slice(2, 10);

/**
 * A fresh submission id: unique within this tab (a counter) and across tabs (a random
 * tab part), made of the characters the server accepts ([A-Za-z0-9-_.:], 1–64).
 */
export function newSubmissionId(prefix = "ui"): string {
  submissionCount += 1;
  return `${prefix}-${tabId}-${submissionCount}`;
}

export class LiveSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private pending: ServerMessage[] = [];
  private outbox: string[] = [];
  private stopped = true;
  private opened = false;
  private readonly opts: LiveSocketOptions;

  constructor(opts: LiveSocketOptions) {
    this.opts = opts;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.connect("connecting");
    window.addEventListener("online", this.wake);
    document.addEventListener("visibilitychange", this.wake);
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.wake);
    document.removeEventListener("visibilitychange", this.wake);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.onmessage = null;
      this.ws.onopen = null;
      this.ws.close();
      this.ws = null;
    }
    this.outbox = [];
    this.opts.onStatus("stopped");
  }

  /** Sends one submission; the server answers with a `reply` or an `error` naming its id. */
  send(message: Submission): void {
    const data = JSON.stringify(message);
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    if (this.ws && this.ws.readyState === Impl.OPEN) this.ws.send(data);
    else this.outbox.push(data);
  }

  /** Reconnect now instead of waiting out the backoff (network back, tab visible again). */
  private wake = (): void => {
    if (this.stopped || this.ws || document.visibilityState === "hidden") return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.connect("reconnecting");
  };

  private connect(status: SocketStatus): void {
    this.opts.onStatus(status);
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      // A WebSocket cannot carry headers: the login's key goes as a second protocol.
      ws = new Impl(this.opts.url ?? socketUrl(), socketProtocols());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.opened = false;
    ws.onopen = () => {
      this.opened = true;
      this.attempt = 0;
      this.opts.onStatus("connected");
      const queued = this.outbox;
      this.outbox = [];
      for (const data of queued) ws.send(data);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== "string") return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      this.pending.push(msg);
      this.flushTimer ??= setTimeout(() => this.flush(), 16);
    };
    ws.onclose = (ev: CloseEvent) => {
      this.ws = null;
      this.flush();
      if (this.stopped) return;
      const authClose = AUTH_CLOSE_CODES.has(ev.code);
      if (authClose || !this.opened) {
        // A refused upgrade looks like any other failed connection from the browser,
        // so ask the REST API whether the session is still valid.
        void this.opts.checkAuth().then((ok) => {
          if (this.stopped) return;
          if (!ok) {
            this.stop();
            this.opts.onAuthRequired();
          } else {
            this.scheduleReconnect();
          }
        });
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.opts.onStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.opts.minDelayMs, this.opts.maxDelayMs);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect("reconnecting");
    }, delay);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.opts.onMessages(batch);
  }
}
