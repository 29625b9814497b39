// "Remember something": one line, Enter saves; the kind (fact or preference) and the scope
// are optional and default to a fact everywhere.

import { forwardRef, useId, useState } from "react";
import { PlusIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import type { Memory, MemoryOp } from "../generated/protocol";
import { KINDS, scopeLabel } from "./model";

export interface AddMemoryProps {
  /** Scopes to suggest (those the list holds). */
  scopes: string[];
  onSave: (op: Extract<MemoryOp, { action: "save" }>) => Promise<Memory | null>;
}

export const AddMemory = forwardRef<HTMLInputElement, AddMemoryProps>(function AddMemory({ scopes, onSave }, ref) {
  const id = useId();
  const [text, setText] = useState("");
  const [kind, setKind] = useState<(typeof KINDS)[number]>("fact");
  const [scope, setScope] = useState("");
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    const content = text.trim();
    if (!content || saving) return;
    setSaving(true);
    try {
      const op: Extract<MemoryOp, { action: "save" }> = { action: "save", content };
      if (kind !== "fact") op.kind = kind;
      if (scope.trim() && scope.trim() !== "global") op.scope = scope.trim();
      // Cleared only once it is saved: a refusal leaves the text to fix.
      if (await onSave(op)) setText("");
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="card memory-add"
      data-testid="memory-add"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label id={`${id}-title`} htmlFor={`${id}-text`} className="memory-add-label">
        Remember something
      </label>
      <div className="memory-add-row">
        <input
          ref={ref}
          id={`${id}-text`}
          type="text"
          data-testid="memory-add-input"
          placeholder="A fact or preference, e.g. I prefer window seats on trains"
          value={text}
          onChange={(e) => setText(e.target.value)}
          autoComplete="off"
          maxLength={4000}
          disabled={saving}
        />
        <button type="submit" className="btn btn-primary" data-testid="memory-add-save" disabled={saving || !text.trim()}>
          {saving ? <Spinner size={14} /> : <PlusIcon size={16} />}
          <span className="memory-add-save-text">Remember</span>
        </button>
      </div>
      <div className="memory-add-options">
        <label htmlFor={`${id}-kind`} className="memory-add-option-label">
          {"Kind "}
          <span className="visually-hidden">of the new memory</span>
        </label>
        <select
          id={`${id}-kind`}
          data-testid="memory-add-kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])}
        >
          <option value="fact">Fact</option>
          <option value="preference">Preference</option>
        </select>
        <label htmlFor={`${id}-scope`} className="memory-add-option-label">
          {"Scope "}
          <span className="visually-hidden">of the new memory</span>
        </label>
        <input
          id={`${id}-scope`}
          type="text"
          className="memory-add-scope"
          data-testid="memory-add-scope"
          list={`${id}-scopes`}
          placeholder="global"
          value={scope}
          onChange={(e) => setScope(e.target.value)}
          autoComplete="off"
          aria-describedby={`${id}-scope-help`}
        />
        <datalist id={`${id}-scopes`}>
          {scopes.map((s) => (
            <option key={s} value={s}>
              {scopeLabel(s)}
            </option>
          ))}
        </datalist>
        <span id={`${id}-scope-help`} className="muted small memory-add-help">
          global (every chat), contact:ID or chat:ID
        </span>
      </div>
    </form>
  );
});
