// The Settings page's "Local models" section: the GGUF models of this data home, which
// one is the default (it answers when no provider is saved), and how to get one.

import { useId, useState } from "react";
import { AlertIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { EffectiveProvider, KnownModelView, LocalModelView, LocalModelsView } from "../generated/protocol";
import { formatBytes, formatTokens } from "../lib/format";

/** Where "Add as provider" puts the model: first (the primary) or last (a fallback). */
export type AddWhere = "first" | "last";

export interface LocalModelsProps {
  /** null while loading. */
  view: LocalModelsView | null;
  /** Why the list could not be loaded. */
  error: string | null;
  effective: EffectiveProvider | null;
  onMakeDefault: (name: string) => Promise<void>;
  onAdd: (name: string, where: AddWhere) => Promise<void>;
}

export function LocalModels({ view, error, effective, onMakeDefault, onAdd }: LocalModelsProps) {
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const act = async (key: string, work: () => Promise<void>) => {
    setBusy(key);
    setActionError(null);
    try {
      await work();
    } catch (err) {
      setActionError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="settings-section" aria-labelledby="local-models-title" data-testid="local-models">
      <div className="section-head">
        <h2 id="local-models-title">Local models</h2>
        <p className="muted">
          Models that run inside Pincer on this computer: offline, free, and nothing you write leaves the machine. The
          default one answers when no provider is saved.
          {view && (
            <>
              {" "}
              They are kept in <code className="path">{view.models_dir}</code>.
            </>
          )}
        </p>
      </div>

      {error && (
        <div className="notice notice-error" data-testid="local-models-load-error">
          <AlertIcon size={16} />
          <span>Could not list the local models: {error}</span>
        </div>
      )}
      {!view && !error && <Spinner size={18} label="Loading local models" />}

      {view &&
        (view.models.length === 0 ? (
          <NoLocalModel known={view.known} />
        ) : (
          <>
            <ul className="local-model-list">
              {view.models.map((m) => (
                <LocalModelItem
                  key={m.name}
                  model={m}
                  answering={!!effective?.local && effective.model === m.name}
                  busy={busy}
                  onMakeDefault={() => act(`default:${m.name}`, () => onMakeDefault(m.name))}
                  onAdd={(where) => act(`${where}:${m.name}`, () => onAdd(m.name, where))}
                />
              ))}
            </ul>
            <details className="local-known">
              <summary>More models Pincer can download</summary>
              <KnownModels known={view.known.filter((k) => !k.installed)} />
            </details>
          </>
        ))}

      {actionError && (
        <p className="form-error" role="alert" data-testid="local-models-error">
          {actionError}
        </p>
      )}
    </section>
  );
}

function LocalModelItem({
  model,
  answering,
  busy,
  onMakeDefault,
  onAdd,
}: {
  model: LocalModelView;
  answering: boolean;
  busy: string | null;
  onMakeDefault: () => void;
  onAdd: (where: AddWhere) => void;
}) {
  const id = useId();
  const usable = !model.problem;
  const spinning = (key: string) => busy === key && <Spinner size={14} />;
  return (
    <li className="local-model card" data-testid="local-model" aria-labelledby={`${id}-name`}>
      <div className="local-model-head">
        <strong id={`${id}-name`} className="local-model-name">
          {model.name}
        </strong>
        {model.title !== model.name && <span className="muted">{model.title}</span>}
        <span className="provider-badges">
          {model.default && <span className="badge badge-accent">default</span>}
          {answering && <span className="badge badge-ok">answering now</span>}
        </span>
      </div>
      <p className="local-model-facts" data-testid="local-model-facts">
        <span>{formatBytes(model.size)}</span>
        {model.context_length != null && <span>{formatTokens(model.context_length)} tokens of context</span>}
        <span>{model.tools ? "can use tools" : "chat only: cannot use tools"}</span>
        {model.added && <span className="path" title={model.path}>{model.path}</span>}
      </p>
      {model.problem && (
        <div className="notice notice-error">
          <AlertIcon size={16} />
          <span>Cannot be used: {model.problem}</span>
        </div>
      )}
      <div className="local-model-actions">
        <button
          type="button"
          className="btn btn-sm"
          aria-label={`Make default: ${model.name}`}
          disabled={model.default || !usable || busy !== null}
          onClick={onMakeDefault}
        >
          {spinning(`default:${model.name}`)} Make default
        </button>
        <button
          type="button"
          className="btn btn-sm"
          aria-label={`Add as provider: ${model.name}`}
          disabled={!usable || busy !== null}
          onClick={() => onAdd("first")}
        >
          {spinning(`first:${model.name}`)} Add as provider
        </button>
        <button
          type="button"
          className="btn btn-sm"
          aria-label={`Add as fallback: ${model.name}`}
          disabled={!usable || busy !== null}
          onClick={() => onAdd("last")}
        >
          {spinning(`last:${model.name}`)} Add as fallback
        </button>
      </div>
    </li>
  );
}

/** What to do when there is no local model yet. */
function NoLocalModel({ known }: { known: KnownModelView[] }) {
  const smallest = known[0];
  return (
    <div className="local-empty" data-testid="local-models-empty">
      <p>
        <strong>No local model yet.</strong>{" "}
        {smallest ? (
          <>
            The README’s first command, <code>./scripts/start.sh</code>, installs the small default one,{" "}
            <code>{smallest.name}</code> ({formatBytes(smallest.size)}).
          </>
        ) : (
          <>
            The README’s first command, <code>./scripts/start.sh</code>, installs the small default one.
          </>
        )}{" "}
        Or download one with <code>pincer model pull NAME</code>:
      </p>
      <KnownModels known={known} />
      <p className="muted">
        A GGUF file you already have: <code>pincer model add PATH</code>.
      </p>
    </div>
  );
}

function KnownModels({ known }: { known: KnownModelView[] }) {
  if (known.length === 0) return <p className="muted">Every model of the catalog is installed.</p>;
  return (
    <div className="table-scroll">
      <table className="known-models" data-testid="known-models">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Size</th>
            <th scope="col">Context</th>
            <th scope="col">Tools</th>
            <th scope="col">Good for</th>
          </tr>
        </thead>
        <tbody>
          {known.map((k) => (
            <tr key={k.name}>
              <td>
                <code>{k.name}</code>
              </td>
              <td className="num">{formatBytes(k.size)}</td>
              <td className="num">{formatTokens(k.context)}</td>
              <td>{k.tools ? "yes" : "no"}</td>
              <td>{k.note}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
