// "Sign in another device": a fresh one-time login code from the daemon, shown as a code
// to type and as a link, so a phone or a second computer can log in without a terminal.

import { useEffect, useState } from "react";
import { api } from "../api/endpoints";
import { Spinner } from "../components/Spinner";
import type { LoginCode } from "../generated/protocol";

/** The link another device opens; the code travels in the fragment, never to a server. */
export function loginLink(origin: string, code: string): string {
  return `${origin}/#login=${encodeURIComponent(code)}`;
}

export function OtherDevice() {
  const [code, setCode] = useState<(LoginCode & { until: number }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  // Count down while a code is shown; drop it when it expires.
  useEffect(() => {
    if (!code) return;
    const timer = window.setInterval(() => {
      const t = Date.now();
      setNow(t);
      if (t >= code.until) setCode(null);
    }, 1000);
    return () => window.clearInterval(timer);
  }, [code]);

  const issue = async () => {
    setBusy(true);
    setError(null);
    try {
      const fresh = await api.loginCode();
      // One reading of the clock for both: a millisecond between two readings made a
      // 10-minute code show as "valid about 11 min" (the minutes round up).
      const t = Date.now();
      setNow(t);
      setCode({ ...fresh, until: t + fresh.expires_in_secs * 1000 });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const minutesLeft = code ? Math.max(1, Math.ceil((code.until - now) / 60_000)) : 0;
  return (
    <div className="other-device">
      <p className="muted">
        To sign in another browser, get a one-time code and type it there, or open the link. It works once
        and expires after a few minutes. (Other devices can reach Pincer only if it listens beyond this
        machine: <code>pincer daemon --listen … --allow-remote</code>.)
      </p>
      <div className="section-actions">
        <button type="button" className="btn" data-testid="login-code-new" disabled={busy} onClick={issue}>
          {busy && <Spinner size={14} />} {code ? "Get another code" : "Get a login code"}
        </button>
      </div>
      {code && (
        <div className="other-device-code" data-testid="login-code-shown" aria-live="polite">
          <code className="login-code-value">{code.code}</code>
          <span className="muted">
            valid about {minutesLeft} min · <span className="login-link">{loginLink(window.location.origin, code.code)}</span>
          </span>
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
