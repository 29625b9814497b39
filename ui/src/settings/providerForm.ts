// The provider editor's row state and its mapping to and from the wire types.

import type { Dialect, PresetView, ProviderInput, ProviderView } from "../generated/protocol";

/** Select value for "custom (OpenAI-compatible)": sent as preset "openai" with a base URL. */
export const CUSTOM = "custom";
/** Select value for a provider config.toml declares without a preset. */
export const NO_PRESET = "";

export interface ProviderRow {
  key: string;
  name: string;
  preset: string;
  baseUrl: string;
  model: string;
  /** A newly typed key; "" = none typed (keep the saved one). */
  apiKey: string;
  removeKey: boolean;
  hasKey: boolean;
  keyHint: string | null;
  keyEnv: string | null;
  dialect: Dialect;
  /** The URL the server resolved when the row was loaded: a saved key only goes there. */
  savedUrl: string;
}

let keys = 0;
const nextKey = () => `row-${++keys}`;

export function presetFor(row: Pick<ProviderRow, "preset">, presets: PresetView[]): PresetView | undefined {
  const name = row.preset === CUSTOM ? "openai" : row.preset;
  return presets.find((p) => p.name === name);
}

export function rowFromView(v: ProviderView, presets: PresetView[]): ProviderRow {
  const vendor = v.preset ? presets.find((p) => p.name === v.preset) : undefined;
  let preset: string;
  if (v.preset == null) preset = v.dialect === "openai" ? CUSTOM : NO_PRESET;
  else if (v.preset === "openai" && vendor && v.base_url && v.base_url !== vendor.base_url) preset = CUSTOM;
  else preset = v.preset;
  const defaults = preset === CUSTOM ? undefined : vendor;
  return {
    key: nextKey(),
    name: v.name,
    preset,
    baseUrl: defaults && v.base_url === defaults.base_url ? "" : v.base_url,
    model: defaults && v.model === defaults.default_model ? "" : v.model,
    apiKey: "",
    removeKey: false,
    hasKey: v.has_key,
    keyHint: v.key_hint,
    keyEnv: v.key_env,
    dialect: v.dialect,
    savedUrl: v.base_url,
  };
}

export function newRow(presets: PresetView[], taken: string[] = []): ProviderRow {
  const first = presets.find((p) => !taken.includes(p.name)) ?? presets[0];
  return {
    key: nextKey(),
    name: "",
    preset: first?.name ?? CUSTOM,
    baseUrl: "",
    model: "",
    apiKey: "",
    removeKey: false,
    hasKey: false,
    keyHint: null,
    keyEnv: null,
    dialect: first?.dialect ?? "openai",
    savedUrl: "",
  };
}

/** The URL requests would go to: the typed one, else the preset's. */
export function effectiveUrl(row: ProviderRow, presets: PresetView[]): string {
  return (row.baseUrl.trim() || presetFor(row, presets)?.base_url || "").replace(/\/+$/, "");
}

/**
 * Whether the row's key stays behind because its URL changed: the server sends a saved key
 * (or a key variable) only to the URL it was saved for, unless the key is typed again.
 */
export function keyStaysBehind(row: ProviderRow, presets: PresetView[]): boolean {
  return row.hasKey && !row.apiKey && !row.removeKey && effectiveUrl(row, presets) !== row.savedUrl.replace(/\/+$/, "");
}

export function inputFromRow(row: ProviderRow): ProviderInput {
  const input: ProviderInput = {
    preset: row.preset === CUSTOM ? "openai" : row.preset === NO_PRESET ? null : row.preset,
  };
  if (row.name.trim()) input.name = row.name.trim();
  if (row.baseUrl.trim()) input.base_url = row.baseUrl.trim();
  if (row.model.trim()) input.model = row.model.trim();
  if (row.removeKey) input.api_key = "";
  else if (row.apiKey) input.api_key = row.apiKey;
  return input;
}

/** Problems the server would reject anyway, caught before sending. */
export function validateRows(rows: ProviderRow[]): string | null {
  const names = new Set<string>();
  for (const [i, r] of rows.entries()) {
    const label = r.name.trim() || `Provider ${i + 1}`;
    if (r.preset === CUSTOM && !r.baseUrl.trim()) return `${label}: a custom provider needs a base URL.`;
    if (r.baseUrl.trim() && !/^https?:\/\/\S+$/i.test(r.baseUrl.trim()))
      return `${label}: the base URL must start with http:// or https://.`;
    const n = r.name.trim();
    if (n) {
      if (names.has(n)) return `Two providers are named “${n}”: names must differ.`;
      names.add(n);
    }
  }
  return null;
}
