// The desktop app's own settings (only inside the app): start at login, the quick-ask
// shortcut, the emergency stop, and whether screen control can work on this system.

import { useId, useState, type FormEvent } from "react";
import { api } from "../api/endpoints";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { DesktopStatus } from "../generated/protocol";

type FieldError = { field: "autostart" | "shortcut"; message: string } | null;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function DesktopSettings({ initial }: { initial: DesktopStatus }) {
  const toast = useToast();
  const id = useId();
  const [status, setStatus] = useState(initial);
  const [shortcut, setShortcut] = useState(initial.quick_ask_shortcut);
  const [togglingAutostart, setTogglingAutostart] = useState(false);
  const [savingShortcut, setSavingShortcut] = useState(false);
  const [error, setError] = useState<FieldError>(null);

  const setAutostart = async (next: boolean) => {
    // Shown at once; put back if the app could not do it.
    setStatus((s) => ({ ...s, autostart: next }));
    setTogglingAutostart(true);
    setError(null);
    try {
      const fresh = await api.updateDesktop({ autostart: next });
      setStatus(fresh);
      toast(next ? "Pincer will start when you log in" : "Pincer will no longer start when you log in", {
        kind: "success",
        testId: "settings-saved",
      });
    } catch (err) {
      setStatus((s) => ({ ...s, autostart: !next }));
      setError({ field: "autostart", message: messageOf(err) });
    } finally {
      setTogglingAutostart(false);
    }
  };

  const trimmed = shortcut.trim();
  const shortcutChanged = trimmed !== status.quick_ask_shortcut;

  const saveShortcut = async (e: FormEvent) => {
    e.preventDefault();
    if (!trimmed) {
      setError({ field: "shortcut", message: "Type a shortcut, e.g. CommandOrControl+Shift+Space." });
      return;
    }
    setSavingShortcut(true);
    setError(null);
    try {
      const fresh = await api.updateDesktop({ quick_ask_shortcut: trimmed });
      setStatus(fresh);
      setShortcut(fresh.quick_ask_shortcut);
      toast("Quick-ask shortcut saved", { kind: "success", testId: "settings-saved" });
    } catch (err) {
      setError({ field: "shortcut", message: messageOf(err) });
    } finally {
      setSavingShortcut(false);
    }
  };

  return (
    <section className="settings-section" aria-labelledby={`${id}-title`} data-testid="desktop-settings">
      <div className="section-head">
        <h2 id={`${id}-title`}>Desktop</h2>
        <p className="muted">How the Pincer app starts and the keyboard shortcuts it listens for anywhere on this computer.</p>
      </div>

      {status.automation_unavailable && (
        <p className="notice notice-warn" data-testid="desktop-automation-note">
          <span>Screen control is unavailable: {status.automation_unavailable}</span>
        </p>
      )}

      <div className="card desktop-list">
        <div className="desktop-row">
          <label className="check-label" htmlFor={`${id}-autostart`}>
            <input
              id={`${id}-autostart`}
              type="checkbox"
              data-testid="desktop-autostart"
              checked={status.autostart}
              disabled={togglingAutostart}
              onChange={(e) => void setAutostart(e.target.checked)}
            />
            <span>Start Pincer when I log in</span>
            {togglingAutostart && <Spinner size={14} />}
          </label>
          {error?.field === "autostart" && (
            <p className="form-error" role="alert" data-testid="desktop-error">
              Could not change it: {error.message}
            </p>
          )}
        </div>

        <form className="desktop-row" onSubmit={saveShortcut}>
          <label htmlFor={`${id}-shortcut`}>Quick-ask shortcut</label>
          <div className="desktop-shortcut">
            <input
              id={`${id}-shortcut`}
              data-testid="desktop-shortcut"
              value={shortcut}
              spellCheck={false}
              autoComplete="off"
              aria-describedby={`${id}-shortcut-hint`}
              onChange={(e) => setShortcut(e.target.value)}
            />
            <button
              type="submit"
              className="btn btn-primary"
              data-testid="desktop-shortcut-save"
              disabled={savingShortcut || !shortcutChanged}
            >
              {savingShortcut && <Spinner size={14} />} Save
            </button>
          </div>
          <p className="field-hint" id={`${id}-shortcut-hint`}>
            Opens a small window to ask Pincer something from anywhere. Modifiers and one key joined by “+”, e.g.{" "}
            <code>CommandOrControl+Shift+Space</code> or <code>Alt+P</code> (modifiers: CommandOrControl, Ctrl, Alt,
            Shift, Super).
          </p>
          {error?.field === "shortcut" && (
            <p className="form-error" role="alert" data-testid="desktop-error">
              {error.message}
            </p>
          )}
        </form>

        <div className="desktop-row">
          <span className="desktop-label">Emergency stop</span>
          <p className="muted desktop-stop">
            <kbd data-testid="desktop-stop-shortcut">{status.stop_shortcut}</kbd> stops everything Pincer is doing, in
            every chat, wherever you are.
          </p>
        </div>
      </div>
    </section>
  );
}
