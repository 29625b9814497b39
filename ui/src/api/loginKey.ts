// The second secret of a browser login. The cookie alone is not enough: browsers send
// cookies to every port of a host, so any other web server on 127.0.0.1 would receive it.
// The key comes back from POST /api/login and is kept in localStorage, which belongs to
// this page's origin alone (scheme, host *and port*); every request sends it as
// `X-Pincer-Key`, and the WebSocket as a `pincer.key.<key>` protocol.

export const KEY_HEADER = "X-Pincer-Key";
const STORAGE = "pincer.loginKey";

/** The current login's key, or null. Read on every request: another tab may log in anew. */
export function loginKey(): string | null {
  try {
    return window.localStorage.getItem(STORAGE);
  } catch {
    return null;
  }
}

export function setLoginKey(key: string): void {
  try {
    window.localStorage.setItem(STORAGE, key);
  } catch {
    // Storage refused (private mode with storage off): requests go without a key and the
    // login page explains nothing more can be done here.
  }
}

export function clearLoginKey(): void {
  try {
    window.localStorage.removeItem(STORAGE);
  } catch {
    // nothing stored
  }
}

/** The headers that prove this page's login (none when logged out). */
export function authHeaders(): Record<string, string> {
  const key = loginKey();
  return key ? { [KEY_HEADER]: key } : {};
}

/** The WebSocket protocols the page offers: the server answers `pincer.v1`. */
export function socketProtocols(): string[] {
  const key = loginKey();
  return key ? ["pincer.v1", `pincer.key.${key}`] : ["pincer.v1"];
}
