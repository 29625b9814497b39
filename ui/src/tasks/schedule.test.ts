import { describe, expect, it } from "vitest";
import { defaultDraft, draftOf, MODES, type ScheduleDraft, specOf } from "./schedule";

const base: ScheduleDraft = { ...defaultDraft("Europe/Lisbon", new Date(2026, 11, 7, 10, 0)), time: "08:30" };

describe("the schedule builder's specs", () => {
  it("writes each quick choice as the engine's spec", () => {
    expect(base.date).toBe("2026-12-08");
    expect(specOf({ ...base, mode: "minutes", every: "20" })).toBe("every 20m");
    expect(specOf({ ...base, mode: "hours", every: " 2 " })).toBe("every 2h");
    expect(specOf({ ...base, mode: "daily" })).toBe('cron "30 8 * * *" Europe/Lisbon');
    expect(specOf({ ...base, mode: "daily", time: "00:05" })).toBe('cron "5 0 * * *" Europe/Lisbon');
    expect(specOf({ ...base, mode: "weekdays" })).toBe('cron "30 8 * * 1-5" Europe/Lisbon');
    expect(specOf({ ...base, mode: "weekly", day: 3 })).toBe('cron "30 8 * * WED" Europe/Lisbon');
    expect(specOf({ ...base, mode: "weekly", day: 0, zone: "America/New_York" })).toBe(
      'cron "30 8 * * SUN" America/New_York',
    );
    expect(specOf({ ...base, mode: "once" })).toBe("at 2026-12-08T08:30 Europe/Lisbon");
    expect(specOf({ ...base, mode: "startup" })).toBe("at startup");
    expect(specOf({ ...base, mode: "cron", cron: " */15 9-17 * * MON-FRI " })).toBe(
      'cron "*/15 9-17 * * MON-FRI" Europe/Lisbon',
    );
    expect(specOf({ ...base, mode: "spec", spec: "  every 90 minutes " })).toBe("every 90 minutes");
  });

  it("leaves what the engine must refuse for the engine to refuse, in its words", () => {
    // No zone: the engine says a cron needs one and how to write it.
    expect(specOf({ ...base, mode: "daily", zone: "" })).toBe('cron "30 8 * * *"');
    expect(specOf({ ...base, mode: "minutes", every: "0" })).toBe("every 0m");
    expect(specOf({ ...base, mode: "daily", time: "" })).toBe('cron "? ? * * *" Europe/Lisbon');
  });

  it("reads a stored spec back into the choice that writes it", () => {
    for (const mode of MODES) {
      const draft = { ...base, mode, every: "45", day: 5, cron: "0 */2 * * *", spec: "every 1d" };
      const spec = specOf(draft);
      const back = draftOf(spec, defaultDraft("UTC"));
      expect(back.mode, spec).toBe(mode);
      expect(specOf(back), spec).toBe(spec);
    }
    expect(draftOf("every 20 minutes", base)).toMatchObject({ mode: "minutes", every: "20" });
    expect(draftOf("every 3 hours", base)).toMatchObject({ mode: "hours", every: "3" });
    expect(draftOf("cron 0 9 * * mon-fri UTC", base)).toMatchObject({ mode: "weekdays", time: "09:00", zone: "UTC" });
    expect(draftOf('cron "0 7 * * 7" Asia/Shanghai', base)).toMatchObject({ mode: "weekly", day: 0, zone: "Asia/Shanghai" });
    expect(draftOf("at 2026-12-08 09:00 Europe/Lisbon", base)).toMatchObject({ mode: "once", date: "2026-12-08", time: "09:00" });
    expect(draftOf("on start-up", base).mode).toBe("startup");
    // Nothing the builder offers: kept as written.
    expect(draftOf("at 2026-12-08T09:00:00Z", base)).toMatchObject({ mode: "spec", spec: "at 2026-12-08T09:00:00Z" });
    expect(draftOf("every 1d", base)).toMatchObject({ mode: "spec", spec: "every 1d" });
    expect(draftOf("", base)).toEqual(base);
  });
});
