// The ordered provider list (primary first, then fallbacks) with one Save button. The
// Local models section adds a local model to it through `ProvidersEditorHandle`.

import { type Ref, useEffect, useImperativeHandle, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { AlertIcon, PlusIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { LocalModelView, SecretStoreView, SettingsView } from "../generated/protocol";
import type { AddWhere } from "./LocalModels";
import { ProviderRowEditor } from "./ProviderRowEditor";
import { inputFromRow, isLocal, localRow, newRow, rowFromView, validateRows, type ProviderRow } from "./providerForm";

export interface ProvidersEditorHandle {
  /**
   * Puts the local model `model` first (the primary) or last (a fallback) and saves the
   * list. A row for that model already in the list is moved rather than repeated.
   * Rejects with the reason when the list cannot be saved.
   */
  addLocal: (model: string, where: AddWhere) => Promise<void>;
}

export interface ProvidersEditorProps {
  settings: SettingsView;
  onSaved: (s: SettingsView) => void;
  /** The data home's local models (for local rows' model picker); null when unknown. */
  localModels?: LocalModelView[] | null;
  ref?: Ref<ProvidersEditorHandle>;
}

export function ProvidersEditor({ settings, onSaved, localModels = null, ref }: ProvidersEditorProps) {
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

  /**
   * Saves `list`; the reason when it was refused, shown under the list unless `quiet` (the
   * caller shows it).
   */
  const saveRows = async (list: ProviderRow[], done = "Providers saved", quiet = false): Promise<string | null> => {
    const problem = validateRows(list);
    if (problem) {
      if (!quiet) setError(problem);
      return problem;
    }
    setSaving(true);
    setError(null);
    try {
      const view = await api.saveProviders(list.map(inputFromRow));
      onSaved(view);
      toast(done, { kind: "success", testId: "settings-saved" });
      return null;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!quiet) setError(message);
      return message;
    } finally {
      setSaving(false);
    }
  };
  const save = () => saveRows(rows);

  useImperativeHandle(
    ref,
    () => ({
      addLocal: async (model, where) => {
        const same = (r: ProviderRow) => isLocal(r) && r.model.trim().toLowerCase() === model.toLowerCase();
        const others = rows.filter((r) => !same(r));
        const row = rows.find(same) ?? localRow(model, others);
        const next = where === "first" ? [row, ...others] : [...others, row];
        setRows(next);
        const problem = await saveRows(
          next,
          where === "first" ? `${model} is now the primary provider` : `${model} added as a fallback`,
          true,
        );
        if (problem) {
          // The list stays as it was: nothing was saved.
          setRows(rows);
          throw new Error(`Could not add ${model}: ${problem}`);
        }
      },
    }),
  );

  const localDefault = settings.effective?.local_default ? settings.effective : null;

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
        <div className="notice notice-warn" data-testid="env-override">
          <AlertIcon size={16} />
          <span>
            <strong>
              {settings.providers.length
                ? "The environment overrides these settings."
                : "The environment chooses the provider."}
            </strong>{" "}
            {asSentence(settings.env_override)} Turns use{" "}
            {settings.active.length ? settings.active.join(" → ") : "no provider"} until Pincer is restarted without those
            variables; {settings.providers.length ? "changes saved here apply" : "providers saved here apply"} after that.
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
        {localDefault && (
          <span className="muted" data-testid="active-local-default">
            {" "}
            — the default local model, {localDefault.model}, on this computer
          </span>
        )}
      </p>

      {rows.length === 0 ? (
        <p className="empty-note" data-testid="providers-empty">
          {localDefault ? (
            <>
              No providers saved, so the local model <strong>{localDefault.model_title}</strong> answers, offline on
              this computer. Add a provider for stronger answers{localDefault.tools ? "" : " and for tools"}.
            </>
          ) : settings.env_override && settings.active.length ? (
            <>No providers saved here: the environment chooses the provider (see above).</>
          ) : (
            <>No providers saved. Add one to start chatting, or get a local model (see Local models below).</>
          )}
        </p>
      ) : (
        <ol className="provider-list">
          {rows.map((row, i) => (
            <ProviderRowEditor
              key={row.key}
              row={row}
              index={i}
              count={rows.length}
              presets={settings.presets}
              localModels={localModels}
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

/** A message from the server as a sentence: capital first letter, closing full stop. */
function asSentence(text: string): string {
  const s = sentence(text.trim());
  return /[.!?…]$/.test(s) ? s : `${s}.`;
}

/** A message from the server with a capital first letter. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
