// Authentication gate: consumes `#login=CODE`, checks the session cookie, and shows the
// login page or the app shell. Any 401 from the API brings the login page back.

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api/endpoints";
import { HttpError, onAuthRequired } from "./api/rest";
import { Spinner } from "./components/Spinner";
import { ToastProvider } from "./components/Toasts";
import { takeLoginCode } from "./lib/loginHash";
import { useRoute } from "./lib/router";
import { LoginPage, loginErrorMessage } from "./pages/Login";
import { QuickAsk } from "./pages/Quick";
import { Shell } from "./Shell";
import { LiveProvider } from "./state/LiveProvider";

type Auth = "checking" | "in" | "out";

export function App() {
  const [auth, setAuth] = useState<Auth>("checking");
  const [autoLogin, setAutoLogin] = useState(false);
  const [loginError, setLoginError] = useState<{ message: string; retryAfter: number | null } | null>(null);
  const [generation, setGeneration] = useState(0);
  const started = useRef(false);

  useEffect(() => onAuthRequired(() => setAuth("out")), []);

  const loginWithCode = useCallback((code: string) => {
    setAutoLogin(true);
    setAuth("checking");
    api
      .login({ code })
      .then(() => {
        setLoginError(null);
        setGeneration((g) => g + 1);
        setAuth("in");
      })
      .catch((err: unknown) => {
        setLoginError(loginErrorMessage(err));
        setAuth("out");
      })
      .finally(() => setAutoLogin(false));
  }, []);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    // Take the code out of the address bar before anything else can record it.
    const code = takeLoginCode();
    if (code) {
      loginWithCode(code);
      return;
    }
    api
      .approvals()
      .then(() => setAuth("in"))
      .catch((err: unknown) => {
        // Not logged in → login page; daemon unreachable → try the app (it shows why).
        setAuth(err instanceof HttpError && err.status === 401 ? "out" : "in");
      });
  }, [loginWithCode]);

  // A login link opened in a tab that is already showing Pincer.
  useEffect(() => {
    const onHash = () => {
      if (!/login=/.test(window.location.hash)) return;
      const code = takeLoginCode();
      if (code) loginWithCode(code);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [loginWithCode]);

  const onLoggedIn = useCallback(() => {
    setLoginError(null);
    setGeneration((g) => g + 1);
    setAuth("in");
  }, []);

  const onLogout = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // Logged out or unreachable: either way show the login page.
    }
    setAuth("out");
  }, []);

  return (
    <ToastProvider>
      {auth === "checking" ? (
        autoLogin ? (
          <LoginPage onLoggedIn={onLoggedIn} autoLoggingIn />
        ) : (
          <div className="boot" aria-busy="true">
            <Spinner size={24} label="Loading Pincer" />
          </div>
        )
      ) : auth === "out" ? (
        <LoginPage onLoggedIn={onLoggedIn} initialError={loginError} />
      ) : (
        <LiveProvider key={generation} onAuthRequired={() => setAuth("out")}>
          <Surface onLogout={onLogout} />
        </LiveProvider>
      )}
    </ToastProvider>
  );
}

/** The quick-ask window's compact page, or the full app. */
function Surface({ onLogout }: { onLogout: () => Promise<void> }) {
  const route = useRoute();
  return route.page === "quick" ? <QuickAsk /> : <Shell onLogout={onLogout} />;
}
