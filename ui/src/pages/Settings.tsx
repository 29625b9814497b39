// Settings: model providers, approval rules, the desktop app's own settings (inside the
// app only), signing in another device, logging out (here or everywhere).

import { useEffect, useState } from "react";
import { api } from "../api/endpoints";
import { Spinner } from "../components/Spinner";
import type { DesktopStatus, SettingsView } from "../generated/protocol";
import { DesktopSettings } from "../settings/DesktopSettings";
import { LogoutEverywhere } from "../settings/LogoutEverywhere";
import { OtherDevice } from "../settings/OtherDevice";
import { PolicyEditor } from "../settings/PolicyEditor";
import { ProvidersEditor } from "../settings/ProvidersEditor";

export function SettingsPage({ onLogout }: { onLogout: () => Promise<void> }) {
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loggingOut, setLoggingOut] = useState(false);
  const [desktop, setDesktop] = useState<DesktopStatus | null>(null);

  useEffect(() => {
    let alive = true;
    api
      .settings()
      .then((s) => alive && setSettings(s))
      .catch((err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)));
    // Inside the desktop app only; a headless daemon (or an older one) has no such section.
    api
      .desktop()
      .then((info) => {
        if (alive && info.app) {
          const { app: _app, ...status } = info;
          setDesktop(status);
        }
      })
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, []);

  return (
    <div className="page">
      <div className="page-inner">
        <header className="page-head">
          <h1>Settings</h1>
        </header>
        {error && (
          <div className="notice notice-error" role="alert">
            Could not load the settings: {error}
          </div>
        )}
        {!settings && !error && (
          <div className="page-loading">
            <Spinner size={20} label="Loading settings" />
          </div>
        )}
        {settings && (
          <>
            <ProvidersEditor settings={settings} onSaved={setSettings} />
            <PolicyEditor settings={settings} onSaved={setSettings} />
          </>
        )}
        {desktop && <DesktopSettings initial={desktop} />}
        <section className="settings-section" aria-labelledby="devices-title">
          <div className="section-head">
            <h2 id="devices-title">Another browser or device</h2>
          </div>
          <OtherDevice />
          <LogoutEverywhere />
        </section>
        {/* The app's window is signed in by the app itself; logging it out would only strand it. */}
        {!desktop && (
          <section className="settings-section" aria-labelledby="account-title">
            <div className="section-head">
              <h2 id="account-title">This browser</h2>
              <p className="muted">Logging out ends this browser's session. Run <code>pincer login</code> to sign in again.</p>
            </div>
            <div className="section-actions">
              <button
                type="button"
                className="btn btn-danger-outline"
                data-testid="logout"
                disabled={loggingOut}
                onClick={async () => {
                  setLoggingOut(true);
                  try {
                    await onLogout();
                  } finally {
                    setLoggingOut(false);
                  }
                }}
              >
                {loggingOut && <Spinner size={14} />} Log out
              </button>
            </div>
          </section>
        )}
      </div>
    </div>
  );
}
