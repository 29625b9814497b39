// The ordered provider list (primary first, then fallbacks) with one Save button.

import { useEffect, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { AlertIcon, PlusIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { SecretStoreView, SettingsView } from "../generated/protocol";
import { ProviderRowEditor } from "./ProviderRowEditor";
import { inputFromRow, newRow, rowFromView, validateRows, type ProviderRow } from "./providerForm";

export function ProvidersEditor({ settings, onSaved }: { settings: SettingsView; onSaved: (s: SettingsView) => void }) {
  const toast = useToast();
  const [rows, setRows] = useState<ProviderRow[]>(() => settings.providers.map((p) => rowFromView(p, settings.presets)));
  const [baseline, setBaseline] = useState(settings.providers);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (settings.providers !== baseline) {
      setBaseline(settings.providers);
      setRows(settings.providers.map((p) => rowFromView(p, settings.presets)));
    }
  }, [settings, baseline]);

  const dirty = useMemo(() => {
    const initial = baseline.map((p) => JSON.stringify(inputFromRow(rowFromView(p, settings.presets))));
    const now = rows.map((r) => JSON.stringify(inputFromRow(r)));
    return initial.length !== now.length || initial.some((v, i) => v !== now[i]);
  }, [rows, baseline, settings.presets]);

  const update = (i: number, row: ProviderRow) => setRows((rs) => rs.map((r, j) => (j === i ? row : r)));
  const move = (i: number, d: -1 | 1) =>
    setRows((rs) => {
      const j = i + d;
      if (j < 0 || j >= rs.length) return rs;
      const next = [...rs];
      [next[i], next[j]] = [next[j]!, next[i]!];
      return next;
    });

  const save = async () => {
    const problem = validateRows(rows);
    if (problem) {
      setError(problem);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const view = await api.saveProviders(rows.map(inputFromRow));
      onSaved(view);
      toast("Providers saved", { kind: "success", testId: "settings-saved" });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="settings-section" aria-labelledby="providers-title">
      <div className="section-head">
        <h2 id="providers-title">Model providers</h2>
        <p className="muted">
          The first provider answers; when it keeps failing, the next one takes over. Keys are stored on the Pincer
          machine, sent only to the URL they were saved for, and never shown again.
        </p>
      </div>

      <SecretStoreNotice store={settings.secret_store} />

      {settings.env_override && (
        <div className="notice notice-warn">
          <AlertIcon size={16} />
          <span>
            <strong>The environment overrides these settings.</strong> {settings.env_override} Turns use{" "}
            {settings.active.length ? settings.active.join(" → ") : "no provider"} until Pincer is restarted without those
            variables; changes saved here apply after that.
          </span>
        </div>
      )}

      <p className="active-line">
        <span className="muted">Turns use:</span>{" "}
        {settings.active.length ? (
          settings.active.map((name, i) => (
            <span key={name}>
              {i > 0 && <span className="muted"> → </span>}
              <span className="chip">{name}</span>
            </span>
          ))
        ) : (
          <span className="chip chip-warn">no provider configured</span>
        )}
      </p>

      {rows.length === 0 ? (
        <p className="empty-note">No providers saved. Add one to start chatting.</p>
      ) : (
        <ol className="provider-list">
          {rows.map((row, i) => (
            <ProviderRowEditor
              key={row.key}
              row={row}
              index={i}
              count={rows.length}
              presets={settings.presets}
              active={!!row.name && settings.active.includes(row.name)}
              onChange={(r) => update(i, r)}
              onMove={(d) => move(i, d)}
              onRemove={() => setRows((rs) => rs.filter((_, j) => j !== i))}
            />
          ))}
        </ol>
      )}

      <div className="section-actions">
        <button
          type="button"
          className="btn"
          onClick={() =>
            setRows((rs) => [...rs, newRow(settings.presets, rs.map((r) => r.preset))])
          }
        >
          <PlusIcon size={16} /> Add provider
        </button>
        <span className="spacer" />
        {dirty && !saving && <span className="muted unsaved">Unsaved changes</span>}
        <button type="button" className="btn btn-primary" data-testid="providers-save" onClick={save} disabled={saving}>
          {saving && <Spinner size={14} />} Save providers
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert" data-testid="providers-error">
          {error}
        </p>
      )}
    </section>
  );
}

/** Where saved keys are kept; a warning when that is not the OS keyring. */
function SecretStoreNotice({ store }: { store: SecretStoreView }) {
  if (store.kind === "keyring") {
    return (
      <p className="muted" data-testid="secret-store">
        Keys are kept in {store.location}.
      </p>
    );
  }
  return (
    <div className="notice notice-warn" data-testid="secret-store">
      <AlertIcon size={16} />
      <span>
        {store.kind === "unavailable" && <strong>Keys cannot be saved or read right now. </strong>}
        {sentence(store.warning ?? "")}
      </span>
    </div>
  );
}

/** A message from the server as a sentence: capital first letter. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
