// The page's language: English, or Chinese when the browser prefers it (or when
// `localStorage["pincer.lang"]` says `zh` or `en`). Strings live in `en.ts` and `zh.ts`;
// `zh.ts` must have every key `en.ts` has (the type checker says which is missing).
// Pages that have no strings here yet are English.

import { useMemo } from "react";
import { en, type StringKey } from "./en";
import { zh } from "./zh";

export type Lang = "en" | "zh";
export type { StringKey };

const TABLES: Record<Lang, Record<StringKey, string>> = { en, zh };

/** The BCP 47 tag dates and numbers are formatted with. */
export const LOCALES: Record<Lang, string> = { en: "en", zh: "zh-CN" };

/** The language for these preferences (`navigator.languages`), or the saved choice. */
export function detectLang(languages?: readonly string[]): Lang {
  try {
    const saved = window.localStorage.getItem("pincer.lang");
    if (saved === "en" || saved === "zh") return saved;
  } catch {
    // Storage blocked: go by the browser.
  }
  const prefs = languages ?? (typeof navigator !== "undefined" ? (navigator.languages ?? [navigator.language]) : []);
  for (const tag of prefs) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return "zh";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

export type Vars = Record<string, string | number>;

/** `key` in `lang`, with `{name}` replaced by `vars.name`. */
export function translate(lang: Lang, key: StringKey, vars?: Vars): string {
  const text = TABLES[lang][key] ?? en[key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export interface I18n {
  lang: Lang;
  locale: string;
  t: (key: StringKey, vars?: Vars) => string;
}

export function i18nFor(lang: Lang): I18n {
  return { lang, locale: LOCALES[lang], t: (key, vars) => translate(lang, key, vars) };
}

/** The page's language, read once per mount. */
export function useI18n(): I18n {
  return useMemo(() => i18nFor(detectLang()), []);
}
