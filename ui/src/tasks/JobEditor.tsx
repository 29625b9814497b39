// Creating or editing a job: its name, what it asks (or the reminder's text), its
// schedule (the builder), and its options — missed runs, time limit, spend cap, delivery,
// approvals and the tools it may use unattended, a skill and a model. Saved through the
// engine; a refusal shows the engine's words.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/endpoints";
import { AlertIcon } from "../components/Icons";
import type { JobView } from "../generated/protocol";
import type { I18n } from "../i18n";
import { DEFAULT_OPTIONS, optionsDraftOf, optionsOf, type MissedPolicy, type OptionsDraft } from "./options";
import { ScheduleBuilder } from "./ScheduleBuilder";

export interface JobEditorProps {
  /** The job to edit; absent: a new one. */
  job?: JobView | null;
  i18n: I18n;
  onSaved: (job: JobView, created: boolean) => void;
  onCancel: () => void;
  previewDebounceMs?: number;
}

export function JobEditor({ job, i18n, onSaved, onCancel, previewDebounceMs }: JobEditorProps) {
  const { t } = i18n;
  const id = useId();
  const [name, setName] = useState(job?.job.name ?? "");
  const [prompt, setPrompt] = useState(job?.job.prompt ?? "");
  const [schedule, setSchedule] = useState(job?.job.schedule ?? "");
  const [options, setOptions] = useState<OptionsDraft>(() => (job ? optionsDraftOf(job.job.options) : DEFAULT_OPTIONS));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => nameRef.current?.focus(), []);

  const set = (change: Partial<OptionsDraft>) => setOptions((o) => ({ ...o, ...change }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    const body = { name, prompt, schedule, options: optionsOf(options, job?.job.options) };
    try {
      const saved = job ? await api.updateJob(job.job.id, body) : await api.createJob(body);
      onSaved(saved, !job);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setSaving(false);
    }
  };

  const reminder = options.kind === "reminder";
  const title = job ? t("editor.editTitle", { name: job.job.name }) : t("editor.newTitle");

  return (
    <form
      className="card job-editor"
      data-testid="job-editor"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>

      <div className="job-editor-grid">
        <label className="tasks-field" htmlFor={`${id}-name`}>
          <span>{t("editor.name")}</span>
          <input
            ref={nameRef}
            id={`${id}-name`}
            data-testid="job-name"
            value={name}
            maxLength={100}
            required
            placeholder={t("editor.namePlaceholder")}
            onChange={(e) => setName(e.target.value)}
          />
        </label>

        <fieldset className="tasks-radios">
          <legend>{t("editor.kind")}</legend>
          {(["agent", "reminder"] as const).map((kind) => (
            <label key={kind} className="check-label">
              <input
                type="radio"
                name={`${id}-kind`}
                value={kind}
                data-testid={`job-kind-${kind}`}
                checked={options.kind === kind}
                onChange={() => set({ kind })}
              />
              {t(kind === "agent" ? "editor.kindAgent" : "editor.kindReminder")}
            </label>
          ))}
        </fieldset>
      </div>

      <label className="tasks-field" htmlFor={`${id}-prompt`}>
        <span>{t(reminder ? "editor.reminderText" : "editor.prompt")}</span>
        <textarea
          id={`${id}-prompt`}
          data-testid="job-prompt"
          rows={3}
          value={prompt}
          maxLength={8000}
          required
          placeholder={t(reminder ? "editor.reminderPlaceholder" : "editor.promptPlaceholder")}
          onChange={(e) => setPrompt(e.target.value)}
        />
      </label>

      <ScheduleBuilder initial={job?.job.schedule ?? ""} onChange={setSchedule} i18n={i18n} debounceMs={previewDebounceMs} />

      <fieldset className="job-options">
        <legend>{t("editor.options")}</legend>
        <div className="job-editor-grid">
          <label className="tasks-field" htmlFor={`${id}-missed`}>
            <span>{t("editor.missed")}</span>
            <select
              id={`${id}-missed`}
              data-testid="job-missed"
              value={options.missed}
              onChange={(e) => set({ missed: e.target.value as MissedPolicy })}
            >
              <option value="once">{t("editor.missedOnce")}</option>
              <option value="each">{t("editor.missedEach")}</option>
              <option value="skip">{t("editor.missedSkip")}</option>
            </select>
          </label>
          {options.missed === "each" && (
            <label className="tasks-field narrow" htmlFor={`${id}-upto`}>
              <span>{t("editor.upTo")}</span>
              <input
                id={`${id}-upto`}
                type="number"
                min={1}
                data-testid="job-up-to"
                value={options.upTo}
                onChange={(e) => set({ upTo: e.target.value })}
              />
            </label>
          )}
          <label className="tasks-field narrow" htmlFor={`${id}-timeout`}>
            <span>{t("editor.timeout")}</span>
            <input
              id={`${id}-timeout`}
              type="number"
              min={1}
              step="any"
              data-testid="job-timeout"
              placeholder="10"
              value={options.timeoutMin}
              onChange={(e) => set({ timeoutMin: e.target.value })}
            />
          </label>
          {!reminder && (
            <label className="tasks-field narrow" htmlFor={`${id}-cap`}>
              <span>{t("editor.spendCap")}</span>
              <input
                id={`${id}-cap`}
                type="number"
                min={0}
                step="any"
                data-testid="job-spend-cap"
                placeholder={t("editor.noCap")}
                value={options.spendCap}
                onChange={(e) => set({ spendCap: e.target.value })}
              />
            </label>
          )}
          <label className="tasks-field" htmlFor={`${id}-delivery`}>
            <span>{t("editor.delivery")}</span>
            <select
              id={`${id}-delivery`}
              data-testid="job-delivery"
              value={options.delivery}
              onChange={(e) => set({ delivery: e.target.value as OptionsDraft["delivery"] })}
            >
              <option value="notify">{t("editor.deliveryNotify")}</option>
              <option value="none">{t("editor.deliveryNone")}</option>
            </select>
          </label>
        </div>

        {!reminder && (
          <div className="job-editor-grid">
            <fieldset className="tasks-radios">
              <legend>{t("editor.approvals")}</legend>
              {(["ask", "deny"] as const).map((mode) => (
                <label key={mode} className="check-label">
                  <input
                    type="radio"
                    name={`${id}-approvals`}
                    value={mode}
                    data-testid={`job-approvals-${mode}`}
                    checked={options.approvals === mode}
                    onChange={() => set({ approvals: mode })}
                  />
                  {t(mode === "ask" ? "editor.approvalsAsk" : "editor.approvalsDeny")}
                </label>
              ))}
            </fieldset>
            <label className="tasks-field wide" htmlFor={`${id}-allow`}>
              <span>{t("editor.allow")}</span>
              <textarea
                id={`${id}-allow`}
                data-testid="job-allow"
                className="mono"
                rows={2}
                spellCheck={false}
                placeholder={"web_fetch\nexec:git *"}
                aria-describedby={`${id}-allow-help`}
                value={options.allow}
                onChange={(e) => set({ allow: e.target.value })}
              />
              <small id={`${id}-allow-help`} className="muted">
                {t("editor.allowHelp")}
              </small>
            </label>
          </div>
        )}

        {!reminder && (
          <details className="job-more" open={!!(options.skill || options.model)}>
            <summary>{t("editor.more")}</summary>
            <div className="job-editor-grid">
              <label className="tasks-field" htmlFor={`${id}-skill`}>
                <span>{t("editor.skill")}</span>
                <input
                  id={`${id}-skill`}
                  data-testid="job-skill"
                  spellCheck={false}
                  value={options.skill}
                  onChange={(e) => set({ skill: e.target.value })}
                />
              </label>
              <label className="tasks-field" htmlFor={`${id}-model`}>
                <span>{t("editor.model")}</span>
                <input
                  id={`${id}-model`}
                  data-testid="job-model"
                  spellCheck={false}
                  value={options.model}
                  onChange={(e) => set({ model: e.target.value })}
                />
              </label>
            </div>
          </details>
        )}
      </fieldset>

      {error && (
        <div className="notice notice-error" role="alert" data-testid="job-editor-error">
          <AlertIcon size={16} />
          <span>{error}</span>
        </div>
      )}

      <div className="job-editor-actions">
        <button type="submit" className="btn btn-primary" data-testid="job-save" disabled={saving} aria-busy={saving || undefined}>
          {t(job ? "editor.save" : "editor.create")}
        </button>
        <button type="button" className="btn" data-testid="job-cancel" onClick={onCancel}>
          {t("editor.cancel")}
        </button>
      </div>
    </form>
  );
}
