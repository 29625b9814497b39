// `pincer login` prints http://HOST/#login=ABCD-EFGH. The code is single-use and must not
// linger in the address bar or the history, so it is taken out before anything else.

export function normalizeCode(input: string): string {
  return input.trim().toUpperCase();
}

/** The login code in a hash like `#login=ABCD-EFGH` (also `#/chat&login=…`), or null. */
export function loginCodeFromHash(hash: string): string | null {
  const m = /(?:^#?|[&?])login=([^&]*)/.exec(hash);
  if (!m) return null;
  let code: string;
  try {
    code = decodeURIComponent(m[1] ?? "");
  } catch {
    code = m[1] ?? "";
  }
  code = normalizeCode(code);
  return code || null;
}

/** The hash with the login parameter removed ("" when nothing else remains). */
export function hashWithoutLogin(hash: string): string {
  const body = hash
    .replace(/^#/, "")
    .replace(/(^|[&?])login=[^&]*/, "")
    .replace(/^&/, "");
  return body ? `#${body}` : "";
}

/**
 * Reads and removes the login code from the current URL (replaceState: no history entry,
 * no reload). Returns the code or null.
 */
export function takeLoginCode(loc: Location = window.location, hist: History = window.history): string | null {
  const code = loginCodeFromHash(loc.hash);
  if (!code && !/login=/.test(loc.hash)) return null;
  const clean = `${loc.pathname}${loc.search}${hashWithoutLogin(loc.hash)}`;
  hist.replaceState(hist.state, "", clean);
  return code;
}
