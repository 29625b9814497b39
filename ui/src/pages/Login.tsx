// Login with a one-time code from `pincer login`. A wrong code answers 401; repeated
// failures answer 429 with Retry-After, shown as a countdown.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api } from "../api/endpoints";
import { HttpError } from "../api/rest";
import { LogoIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { normalizeCode } from "../lib/loginHash";

export function loginErrorMessage(err: unknown): { message: string; retryAfter: number | null } {
  if (err instanceof HttpError) {
    if (err.status === 401) return { message: "That code is wrong, already used or expired. Get a new one.", retryAfter: null };
    if (err.status === 429) return { message: "Too many attempts", retryAfter: err.retryAfter ?? 30 };
    return { message: err.message, retryAfter: null };
  }
  return { message: err instanceof Error ? err.message : String(err), retryAfter: null };
}

export interface LoginPageProps {
  onLoggedIn: () => void;
  /** An error from the automatic login with the code in the URL. */
  initialError?: { message: string; retryAfter: number | null } | null;
  /** Automatic login with a code from the URL is in progress. */
  autoLoggingIn?: boolean;
}

export function LoginPage({ onLoggedIn, initialError = null, autoLoggingIn = false }: LoginPageProps) {
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(initialError?.message ?? null);
  const [waitUntil, setWaitUntil] = useState<number | null>(
    initialError?.retryAfter != null ? Date.now() + initialError.retryAfter * 1000 : null,
  );
  const [now, setNow] = useState(() => Date.now());
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (initialError) {
      setError(initialError.message);
      setWaitUntil(initialError.retryAfter != null ? Date.now() + initialError.retryAfter * 1000 : null);
    }
  }, [initialError]);

  useEffect(() => {
    if (waitUntil === null) return;
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= waitUntil) {
        setWaitUntil(null);
        setError(null);
        input.current?.focus();
      }
    }, 250);
    return () => clearInterval(t);
  }, [waitUntil]);

  const waitSecs = waitUntil !== null ? Math.max(0, Math.ceil((waitUntil - now) / 1000)) : 0;
  const blocked = waitUntil !== null && waitSecs > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = normalizeCode(code);
    if (!value || busy || blocked) return;
    setBusy(true);
    setError(null);
    try {
      await api.login({ code: value });
      onLoggedIn();
    } catch (err) {
      const { message, retryAfter } = loginErrorMessage(err);
      setError(message);
      if (retryAfter != null) {
        setNow(Date.now());
        setWaitUntil(Date.now() + retryAfter * 1000);
      }
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };

  const errorText = blocked ? `Too many attempts, wait ${waitSecs} s` : error;

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} noValidate>
        <div className="login-logo">
          <LogoIcon size={36} />
        </div>
        <h1>Sign in to Pincer</h1>
        {autoLoggingIn ? (
          <p className="login-auto">
            <Spinner size={16} /> Signing in with the code from the link…
          </p>
        ) : (
          <>
            <p className="muted">
              Run <code>pincer login</code> on the machine running Pincer to get a code, or open the link it prints.
            </p>
            <label htmlFor="login-code">Login code</label>
            <input
              id="login-code"
              ref={input}
              data-testid="login-code"
              className="login-input"
              value={code}
              onChange={(e) => setCode(e.target.value.toUpperCase())}
              placeholder="ABCDE-FGHJ-KMNP"
              autoComplete="one-time-code"
              autoCapitalize="characters"
              spellCheck={false}
              autoFocus
              aria-invalid={errorText ? true : undefined}
              aria-describedby={errorText ? "login-error" : undefined}
            />
            <button
              type="submit"
              className="btn btn-primary btn-block"
              data-testid="login-submit"
              disabled={busy || blocked || !normalizeCode(code)}
            >
              {busy ? <Spinner size={14} /> : null} Sign in
            </button>
          </>
        )}
        <p id="login-error" className="login-error" data-testid="login-error" role="alert" hidden={!errorText}>
          {errorText}
        </p>
      </form>
    </main>
  );
}
