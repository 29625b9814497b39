// One provider in the Settings list: preset, base URL, model, key, connection test,
// reorder and remove. A local model (preset "local") has no URL and no key: its model is
// picked from the local models of the data home.

import { useId, useState } from "react";
import { api } from "../api/endpoints";
import { DownIcon, TrashIcon, UpIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { ConnectionTest, LocalModelView, PresetView } from "../generated/protocol";
import { formatBytes, formatDuration } from "../lib/format";
import { CUSTOM, LOCAL, NO_PRESET, inputFromRow, isLocal, keyStaysBehind, presetFor, type ProviderRow } from "./providerForm";

export interface ProviderRowEditorProps {
  row: ProviderRow;
  index: number;
  count: number;
  presets: PresetView[];
  /** The data home's local models, for a local row's model picker; null when unknown. */
  localModels: LocalModelView[] | null;
  active: boolean;
  onChange: (row: ProviderRow) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}

export function ProviderRowEditor({ row, index, count, presets, localModels, active, onChange, onMove, onRemove }: ProviderRowEditorProps) {
  const id = useId();
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<ConnectionTest | { ok: false; message: string; latency_ms: null } | null>(null);
  const preset = presetFor(row, presets);
  const custom = row.preset === CUSTOM;
  const label = row.name || (custom ? "custom" : row.preset) || `provider ${index + 1}`;
  const keyLeftBehind = keyStaysBehind(row, presets);
  const local = isLocal(row);

  const set = (patch: Partial<ProviderRow>) => {
    setTest(null);
    onChange({ ...row, ...patch });
  };

  const runTest = async () => {
    setTesting(true);
    setTest(null);
    try {
      setTest(await api.testProvider(inputFromRow(row)));
    } catch (err) {
      setTest({ ok: false, message: err instanceof Error ? err.message : String(err), latency_ms: null });
    } finally {
      setTesting(false);
    }
  };

  const keyNeeded = custom || !!preset?.key_env;

  return (
    <li className="provider-row card" data-testid="settings-provider">
      <div className="provider-row-head">
        <span className="provider-order">{index + 1}</span>
        <span className="provider-title">
          <strong className="provider-label">{label}</strong>
          <span className="provider-badges">
            {index === 0 ? <span className="badge badge-accent">primary</span> : <span className="badge">fallback</span>}
            {active && <span className="badge badge-ok">active</span>}
          </span>
        </span>
        <button type="button" className="icon-btn" aria-label={`Move ${label} up`} disabled={index === 0} onClick={() => onMove(-1)}>
          <UpIcon size={16} />
        </button>
        <button
          type="button"
          className="icon-btn"
          aria-label={`Move ${label} down`}
          disabled={index === count - 1}
          onClick={() => onMove(1)}
        >
          <DownIcon size={16} />
        </button>
        <button type="button" className="icon-btn danger" aria-label={`Remove ${label}`} onClick={onRemove}>
          <TrashIcon size={16} />
        </button>
      </div>

      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-preset`}>Provider</label>
          <select
            id={`${id}-preset`}
            data-testid="provider-preset"
            value={row.preset}
            onChange={(e) => {
              const next = e.target.value;
              const np = presets.find((p) => p.name === (next === CUSTOM ? "openai" : next));
              // A name that only echoed the old preset follows the new one.
              const name = row.name === row.preset || row.name === "" ? "" : row.name;
              const dialect = np?.dialect ?? row.dialect;
              // A model name or URL means nothing across the line between a server and a
              // model file.
              const crossing = (dialect === "local") !== local;
              set({
                preset: next,
                name,
                dialect,
                ...(crossing ? { model: "", baseUrl: "", apiKey: "", removeKey: false } : {}),
              });
            }}
          >
            {row.preset === NO_PRESET && <option value={NO_PRESET}>from config ({row.dialect})</option>}
            {presets.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name === LOCAL ? "local (a model on this computer)" : p.name}
              </option>
            ))}
            <option value={CUSTOM}>custom (OpenAI-compatible)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={row.name}
            placeholder={custom ? "custom" : row.preset || "name"}
            onChange={(e) => set({ name: e.target.value })}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        {local ? (
          <LocalModelField id={`${id}-model`} row={row} models={localModels} onChange={(model) => set({ model })} />
        ) : (
          <>
            <div className="field field-wide">
              <label htmlFor={`${id}-url`}>
                Base URL{custom ? "" : <span className="muted"> (optional)</span>}
              </label>
              <input
                id={`${id}-url`}
                data-testid="provider-base-url"
                type="url"
                inputMode="url"
                value={row.baseUrl}
                placeholder={custom ? "http://127.0.0.1:8080/v1" : (preset?.base_url ?? "")}
                onChange={(e) => set({ baseUrl: e.target.value })}
                autoComplete="off"
                spellCheck={false}
                required={custom}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-model`}>
                Model<span className="muted"> (optional)</span>
              </label>
              <input
                id={`${id}-model`}
                data-testid="provider-model"
                value={row.model}
                placeholder={custom ? "model name" : (preset?.default_model ?? "")}
                onChange={(e) => set({ model: e.target.value })}
                autoComplete="off"
                spellCheck={false}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-key`}>API key</label>
              <input
                id={`${id}-key`}
                data-testid="provider-key"
                type="password"
                value={row.apiKey}
                placeholder={
                  keyLeftBehind
                    ? "type the key again for this URL"
                    : row.hasKey && !row.removeKey
                      ? "leave empty to keep the saved key"
                      : keyNeeded
                        ? "paste a key"
                        : "not needed"
                }
                onChange={(e) => set({ apiKey: e.target.value, removeKey: false })}
                autoComplete="new-password"
                spellCheck={false}
              />
              <p className="field-hint">
                {row.removeKey ? (
                  <>
                    The saved key will be removed when you save.{" "}
                    <button type="button" className="btn-link" onClick={() => set({ removeKey: false })}>
                      Undo
                    </button>
                  </>
                ) : row.apiKey ? (
                  "The new key replaces the saved one when you save."
                ) : keyLeftBehind ? (
                  <span data-testid="provider-key-left-behind">
                    The saved key stays with {row.savedUrl}: it is not sent to another URL. Type the key again to use it
                    here; saving without one removes it.
                  </span>
                ) : row.hasKey ? (
                  <>
                    {row.keyEnv ? `Key from $${row.keyEnv}` : `Saved key ${row.keyHint ?? ""}`}
                    {!row.keyEnv && (
                      <>
                        {" · "}
                        <button type="button" className="btn-link" onClick={() => set({ removeKey: true, apiKey: "" })}>
                          remove key
                        </button>
                      </>
                    )}
                  </>
                ) : preset?.key_env ? (
                  `No key saved; $${preset.key_env} is used if set.`
                ) : (
                  "No key saved."
                )}
              </p>
            </div>
          </>
        )}
      </div>

      <div className="provider-row-foot">
        <button type="button" className="btn" data-testid="provider-test" onClick={runTest} disabled={testing}>
          {testing && <Spinner size={14} />} Test connection
        </button>
        {test && (
          <span
            className={`test-result ${test.ok ? "ok" : "fail"}`}
            data-testid="provider-test-result"
            data-ok={test.ok ? "true" : "false"}
            role="status"
          >
            <span className="dot" aria-hidden="true" />
            {test.ok ? "OK" : "Failed"}: {test.message}
            {test.latency_ms != null && <span className="muted"> · {formatDuration(test.latency_ms)}</span>}
          </span>
        )}
      </div>
    </li>
  );
}

/** A local row's model: one of the data home's local models, or the default one. */
function LocalModelField({
  id,
  row,
  models,
  onChange,
}: {
  id: string;
  row: ProviderRow;
  models: LocalModelView[] | null;
  onChange: (model: string) => void;
}) {
  const chosen = row.model.trim();
  const fallback = models?.find((m) => m.default);
  const current = models?.find((m) => m.name.toLowerCase() === chosen.toLowerCase());
  const hintId = `${id}-hint`;
  let hint: string;
  if (models && models.length === 0) hint = "No local model is installed yet: see Local models below.";
  else if (chosen && models && !current) hint = `No local model is called “${chosen}” here.`;
  else if (current?.problem) hint = `This model cannot be used: ${current.problem}`;
  else hint = "Runs on this computer: nothing is sent anywhere, and no key is needed.";
  return (
    <div className="field field-wide">
      <label htmlFor={id}>Model</label>
      {models ? (
        <select
          id={id}
          data-testid="provider-local-model"
          value={current?.name ?? chosen}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={hintId}
        >
          <option value="">
            {fallback ? `the default local model (now ${fallback.name})` : "the default local model (none yet)"}
          </option>
          {models.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} · {formatBytes(m.size)}
              {m.problem ? " · cannot be used" : ""}
            </option>
          ))}
          {chosen && !current && <option value={chosen}>{chosen} (not found)</option>}
        </select>
      ) : (
        <input
          id={id}
          data-testid="provider-local-model"
          value={row.model}
          placeholder="the default local model"
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={hintId}
          autoComplete="off"
          spellCheck={false}
        />
      )}
      <p className="field-hint" id={hintId}>
        {hint}
      </p>
    </div>
  );
}
