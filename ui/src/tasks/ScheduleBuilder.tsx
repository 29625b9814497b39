// The schedule builder: quick choices (every N minutes or hours, daily, weekdays or weekly
// at a time, once, at start-up, a cron expression in an IANA zone, or a spec as written)
// that write the engine's schedule spec, and a preview from the engine — its words and the
// next five runs — asked for after typing pauses. A spec the engine refuses shows the
// engine's message verbatim under the field.

import { useEffect, useId, useMemo, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { Spinner } from "../components/Spinner";
import type { SchedulePreview } from "../generated/protocol";
import type { I18n, StringKey } from "../i18n";
import { formatWhen } from "./format";
import { DAYS, draftOf, defaultDraft, knownZones, MODES, type ScheduleDraft, type ScheduleMode, specOf, usesZone } from "./schedule";

/** How long typing pauses before the preview is asked for. */
export const PREVIEW_DEBOUNCE_MS = 300;

const MODE_LABEL: Record<ScheduleMode, StringKey> = {
  minutes: "schedule.mode.minutes",
  hours: "schedule.mode.hours",
  daily: "schedule.mode.daily",
  weekdays: "schedule.mode.weekdays",
  weekly: "schedule.mode.weekly",
  once: "schedule.mode.once",
  startup: "schedule.mode.startup",
  cron: "schedule.mode.cron",
  spec: "schedule.mode.spec",
};

type Preview =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "ok"; preview: SchedulePreview }
  | { state: "error"; message: string };

export interface ScheduleBuilderProps {
  /** The spec to start from: a job's schedule, or "" for the builder's default. */
  initial: string;
  /** Called with the spec whenever a choice changes it (and once at the start). */
  onChange: (spec: string) => void;
  i18n: I18n;
  debounceMs?: number;
}

function weekdayName(day: number, locale: string): string {
  // 1 January 2023 was a Sunday.
  return new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2023, 0, 1 + day)));
}

export function ScheduleBuilder({ initial, onChange, i18n, debounceMs = PREVIEW_DEBOUNCE_MS }: ScheduleBuilderProps) {
  const { t, locale } = i18n;
  const id = useId();
  const [draft, setDraft] = useState<ScheduleDraft>(() => draftOf(initial, defaultDraft()));
  const [preview, setPreview] = useState<Preview>({ state: "idle" });
  const spec = specOf(draft);
  const zones = useMemo(knownZones, []);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => onChangeRef.current(spec), [spec]);

  useEffect(() => {
    if (!spec) {
      setPreview({ state: "idle" });
      return;
    }
    const ctrl = new AbortController();
    setPreview((p) => (p.state === "idle" ? { state: "loading" } : p));
    const timer = setTimeout(() => {
      setPreview({ state: "loading" });
      api
        .schedulePreview(spec, ctrl.signal)
        .then((preview) => setPreview({ state: "ok", preview }))
        .catch((err: unknown) => {
          if (ctrl.signal.aborted) return;
          setPreview({ state: "error", message: err instanceof Error ? err.message : String(err) });
        });
    }, debounceMs);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [spec, debounceMs]);

  const set = (change: Partial<ScheduleDraft>) => setDraft((d) => ({ ...d, ...change }));
  const invalid = preview.state === "error";
  const errorId = `${id}-error`;
  const described = invalid ? errorId : `${id}-preview`;
  const field = (name: string) => ({
    id: `${id}-${name}`,
    "aria-invalid": invalid || undefined,
    "aria-describedby": described,
  });
  const zone = usesZone(draft.mode) ? draft.zone.trim() : undefined;

  return (
    <fieldset className="schedule-builder" data-testid="schedule-builder">
      <legend>{t("schedule.legend")}</legend>
      <div className="schedule-row">
        <label className="tasks-field" htmlFor={`${id}-mode`}>
          <span>{t("schedule.mode")}</span>
          <select
            id={`${id}-mode`}
            data-testid="schedule-mode"
            value={draft.mode}
            onChange={(e) => set({ mode: e.target.value as ScheduleMode })}
          >
            {MODES.map((m) => (
              <option key={m} value={m}>
                {t(MODE_LABEL[m])}
              </option>
            ))}
          </select>
        </label>

        {(draft.mode === "minutes" || draft.mode === "hours") && (
          <label className="tasks-field narrow" htmlFor={`${id}-every`}>
            <span>{t(draft.mode === "minutes" ? "schedule.everyMinutes" : "schedule.everyHours")}</span>
            <input
              {...field("every")}
              type="number"
              min={1}
              inputMode="numeric"
              data-testid="schedule-every"
              value={draft.every}
              onChange={(e) => set({ every: e.target.value })}
            />
          </label>
        )}

        {draft.mode === "weekly" && (
          <label className="tasks-field" htmlFor={`${id}-day`}>
            <span>{t("schedule.day")}</span>
            <select
              {...field("day")}
              data-testid="schedule-day"
              value={draft.day}
              onChange={(e) => set({ day: Number(e.target.value) })}
            >
              {DAYS.map((name, day) => (
                <option key={name} value={day}>
                  {weekdayName(day, locale)}
                </option>
              ))}
            </select>
          </label>
        )}

        {draft.mode === "once" && (
          <label className="tasks-field" htmlFor={`${id}-date`}>
            <span>{t("schedule.date")}</span>
            <input
              {...field("date")}
              type="date"
              data-testid="schedule-date"
              value={draft.date}
              onChange={(e) => set({ date: e.target.value })}
            />
          </label>
        )}

        {(draft.mode === "daily" || draft.mode === "weekdays" || draft.mode === "weekly" || draft.mode === "once") && (
          <label className="tasks-field narrow" htmlFor={`${id}-time`}>
            <span>{t("schedule.time")}</span>
            <input
              {...field("time")}
              type="time"
              data-testid="schedule-time"
              value={draft.time}
              onChange={(e) => set({ time: e.target.value })}
            />
          </label>
        )}

        {draft.mode === "cron" && (
          <label className="tasks-field wide" htmlFor={`${id}-cron`}>
            <span>{t("schedule.cron")}</span>
            <input
              {...field("cron")}
              type="text"
              spellCheck={false}
              autoComplete="off"
              className="mono"
              data-testid="schedule-cron"
              value={draft.cron}
              placeholder="0 9 * * 1-5"
              onChange={(e) => set({ cron: e.target.value })}
            />
          </label>
        )}

        {usesZone(draft.mode) && (
          <label className="tasks-field" htmlFor={`${id}-zone`}>
            <span>{t("schedule.zone")}</span>
            <input
              {...field("zone")}
              type="text"
              spellCheck={false}
              autoComplete="off"
              list={zones.length ? `${id}-zones` : undefined}
              data-testid="schedule-zone"
              value={draft.zone}
              placeholder="Europe/Lisbon"
              onChange={(e) => set({ zone: e.target.value })}
            />
            {zones.length > 0 && (
              <datalist id={`${id}-zones`}>
                {zones.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            )}
          </label>
        )}

        {draft.mode === "spec" && (
          <label className="tasks-field wide" htmlFor={`${id}-spec`}>
            <span>{t("schedule.spec")}</span>
            <input
              {...field("spec")}
              type="text"
              spellCheck={false}
              autoComplete="off"
              className="mono"
              data-testid="schedule-spec-input"
              value={draft.spec}
              placeholder="every 90m"
              onChange={(e) => set({ spec: e.target.value })}
            />
          </label>
        )}
      </div>

      <p className="schedule-written small muted">
        {t("schedule.written")} <code data-testid="schedule-spec">{spec || "—"}</code>
      </p>

      <div className="schedule-preview" id={`${id}-preview`} aria-live="polite" data-testid="schedule-preview" data-state={preview.state}>
        {preview.state === "loading" && <Spinner size={14} label={t("schedule.checking")} />}
        {preview.state === "error" && (
          <p className="schedule-error" id={errorId} data-testid="schedule-error">
            {preview.message}
          </p>
        )}
        {preview.state === "ok" && (
          <>
            <p className="schedule-description" data-testid="schedule-description">
              {preview.preview.description}
            </p>
            {preview.preview.upcoming.length > 0 ? (
              <>
                <p className="schedule-next-title">{t("schedule.next", { n: preview.preview.upcoming.length })}</p>
                <ol className="schedule-upcoming" data-testid="schedule-upcoming">
                  {preview.preview.upcoming.map((at) => (
                    <li key={at} data-at={at}>
                      <time dateTime={new Date(at * 1000).toISOString()}>{formatWhen(at, locale, zone)}</time>
                    </li>
                  ))}
                </ol>
              </>
            ) : (
              <p className="small muted" data-testid="schedule-no-runs">
                {t(draft.mode === "startup" ? "schedule.atStartupOnly" : "schedule.noRuns")}
              </p>
            )}
          </>
        )}
      </div>
    </fieldset>
  );
}
