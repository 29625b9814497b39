// The provider editor's row state and its mapping to and from the wire types.

import type { Dialect, PresetView, ProviderInput, ProviderView } from "../generated/protocol";

/** Select value for "custom (OpenAI-compatible)": sent as preset "openai" with a base URL. */
export const CUSTOM = "custom";
/** Select value for a provider config.toml declares without a preset. */
export const NO_PRESET = "";
/** The preset of a GGUF model run inside Pincer: no URL, no key, a registered model name. */
export const LOCAL = "local";

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

/** A model run inside Pincer (`preset = "local"`, or `dialect = "local"` in config.toml). */
export function isLocal(row: Pick<ProviderRow, "preset" | "dialect">): boolean {
  return row.preset === LOCAL || (row.preset === NO_PRESET && row.dialect === "local");
}

/** The name the server gives a row: its name, else its preset's, else the dialect's. */
export function labelOf(row: Pick<ProviderRow, "name" | "preset" | "dialect">): string {
  return row.name.trim() || (row.preset === CUSTOM ? "openai" : row.preset) || row.dialect;
}

export function rowFromView(v: ProviderView, presets: PresetView[]): ProviderRow {
  if (v.preset === LOCAL || v.dialect === "local") {
    // `base_url` is the model file the name resolves to: shown, never sent back.
    return {
      // An alias in config.toml ("gguf") is shown, and saved, as the preset's own name.
      ...blankRow(v.preset == null ? NO_PRESET : LOCAL, "local"),
      name: v.name,
      model: v.model,
      savedUrl: v.base_url,
    };
  }
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

function blankRow(preset: string, dialect: Dialect): ProviderRow {
  return {
    key: nextKey(),
    name: "",
    preset,
    baseUrl: "",
    model: "",
    apiKey: "",
    removeKey: false,
    hasKey: false,
    keyHint: null,
    keyEnv: null,
    dialect,
    savedUrl: "",
  };
}

/** A new row for "Add provider": a server preset not in the list yet (local models are added from their own section). */
export function newRow(presets: PresetView[], taken: string[] = []): ProviderRow {
  const servers = presets.filter((p) => p.dialect !== "local");
  const first = servers.find((p) => !taken.includes(p.name)) ?? servers[0] ?? presets[0];
  return blankRow(first?.name ?? CUSTOM, first?.dialect ?? "openai");
}

/**
 * A row for the local model `model`. It is called "local" (the preset's name) unless another
 * row already is; then by the model's name, since two providers cannot share a name.
 */
export function localRow(model: string, rows: ProviderRow[]): ProviderRow {
  const row = blankRow(LOCAL, "local");
  row.model = model;
  if (rows.some((r) => labelOf(r) === LOCAL)) row.name = model;
  return row;
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
  if (isLocal(row)) {
    // No URL and no key: the model name is all there is ("" = the default local model).
    if (row.model.trim()) input.model = row.model.trim();
    return input;
  }
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
    if (!isLocal(r) && r.baseUrl.trim() && !/^https?:\/\/\S+$/i.test(r.baseUrl.trim()))
      return `${label}: the base URL must start with http:// or https://.`;
    const n = labelOf(r);
    if (names.has(n))
      return r.name.trim()
        ? `Two providers are named “${n}”: names must differ.`
        : `Two providers are named “${n}”: give one of them a name.`;
    names.add(n);
  }
  return null;
}
