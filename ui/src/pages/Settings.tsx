// Settings: model providers, local models, approval rules, the desktop app's own settings
// (inside the app only), signing in another device, logging out (here or everywhere).

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { DesktopStatus, LocalModelsView, SettingsView } from "../generated/protocol";
import { DesktopSettings } from "../settings/DesktopSettings";
import { LocalModels } from "../settings/LocalModels";
import { LogoutEverywhere } from "../settings/LogoutEverywhere";
import { OtherDevice } from "../settings/OtherDevice";
import { PolicyEditor } from "../settings/PolicyEditor";
import { ProvidersEditor, type ProvidersEditorHandle } from "../settings/ProvidersEditor";

export function SettingsPage({ onLogout }: { onLogout: () => Promise<void> }) {
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loggingOut, setLoggingOut] = useState(false);
  const [desktop, setDesktop] = useState<DesktopStatus | null>(null);
  const [local, setLocal] = useState<LocalModelsView | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const providers = useRef<ProvidersEditorHandle>(null);
  const toast = useToast();

  useEffect(() => {
    let alive = true;
    api
      .settings()
      .then((s) => alive && setSettings(s))
      .catch((err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)));
    api
      .localModels()
      .then((v) => alive && setLocal(v))
      .catch((err: unknown) => alive && setLocalError(err instanceof Error ? err.message : String(err)));
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

  const makeDefault = useCallback(
    async (name: string) => {
      setLocal(await api.setDefaultLocalModel({ name }));
      toast(`${name} is the default local model`, { kind: "success", testId: "settings-saved" });
      // Who answers may have changed; the provider rows (and their unsaved edits) stay.
      try {
        const fresh = await api.settings();
        setSettings((s) =>
          s && { ...s, active: fresh.active, effective: fresh.effective, env_override: fresh.env_override },
        );
      } catch {
        // The next load shows it.
      }
    },
    [toast],
  );

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
            <ProvidersEditor
              ref={providers}
              settings={settings}
              onSaved={setSettings}
              localModels={local?.models ?? null}
            />
            <LocalModels
              view={local}
              error={localError}
              effective={settings.effective}
              onMakeDefault={makeDefault}
              onAdd={async (name, where) => {
                await providers.current?.addLocal(name, where);
              }}
            />
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
