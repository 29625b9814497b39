import { describe, expect, it } from "vitest";
import type { PresetView, ProviderView } from "../generated/protocol";
import { CUSTOM, inputFromRow, isLocal, localRow, newRow, rowFromView, validateRows } from "./providerForm";

const presets: PresetView[] = [
  { name: "local", dialect: "local", base_url: "", default_model: "", key_env: null },
  { name: "openai", dialect: "openai", base_url: "https://api.openai.com/v1", default_model: "gpt-4.1-mini", key_env: "OPENAI_API_KEY" },
  { name: "deepseek", dialect: "openai", base_url: "https://api.deepseek.com/v1", default_model: "deepseek-chat", key_env: "DEEPSEEK_API_KEY" },
];

function view(p: Partial<ProviderView>): ProviderView {
  return { name: "deepseek", preset: "deepseek", dialect: "openai", base_url: "https://api.deepseek.com/v1", model: "deepseek-chat", has_key: true, key_hint: "…a1b2", key_env: null, ...p };
}

describe("provider rows", () => {
  it("leaves preset defaults blank so the placeholders show them", () => {
    const row = rowFromView(view({}), presets);
    expect(row).toMatchObject({ preset: "deepseek", baseUrl: "", model: "", hasKey: true, keyHint: "…a1b2", apiKey: "" });
  });

  it("recognizes a custom OpenAI-compatible server", () => {
    const row = rowFromView(view({ name: "local", preset: "openai", base_url: "http://127.0.0.1:8080/v1", model: "qwen" }), presets);
    expect(row.preset).toBe(CUSTOM);
    expect(row.baseUrl).toBe("http://127.0.0.1:8080/v1");
    expect(inputFromRow(row)).toEqual({ preset: "openai", name: "local", base_url: "http://127.0.0.1:8080/v1", model: "qwen" });
  });

  it("keeps the saved key unless a new one is typed or removal is asked", () => {
    const row = rowFromView(view({}), presets);
    expect("api_key" in inputFromRow(row)).toBe(false);
    expect(inputFromRow({ ...row, apiKey: "sk-new" }).api_key).toBe("sk-new");
    expect(inputFromRow({ ...row, apiKey: "sk-new", removeKey: true }).api_key).toBe("");
  });

  it("rejects a custom provider without a base URL and duplicate names", () => {
    const row = rowFromView(view({}), presets);
    expect(validateRows([row])).toBeNull();
    expect(validateRows([{ ...row, preset: CUSTOM, baseUrl: "" }])).toMatch(/needs a base URL/);
    expect(validateRows([row, { ...row, key: "x" }])).toMatch(/named “deepseek”/);
    expect(validateRows([{ ...row, baseUrl: "ftp://x" }])).toMatch(/http/);
  });

  it("keeps a local row to its model: the model file's path is shown, never sent back", () => {
    const row = rowFromView(
      { name: "local", preset: "local", dialect: "local", base_url: "/h/models/small.gguf", model: "small", has_key: false, key_hint: null, key_env: null },
      presets,
    );
    expect(isLocal(row)).toBe(true);
    expect(row).toMatchObject({ preset: "local", baseUrl: "", model: "small", savedUrl: "/h/models/small.gguf" });
    expect(inputFromRow(row)).toEqual({ preset: "local", name: "local", model: "small" });
    // Without a model: the default local model; a stray URL or key is never sent.
    expect(inputFromRow({ ...row, model: " ", baseUrl: "http://x/v1", apiKey: "sk" })).toEqual({ preset: "local", name: "local" });
    expect(validateRows([{ ...row, baseUrl: "not a url" }])).toBeNull();
  });

  it("never starts a new row as local, and names a second local row after its model", () => {
    expect(newRow(presets).preset).toBe("openai");
    expect(newRow(presets, ["openai"]).preset).toBe("deepseek");
    const first = localRow("small", []);
    expect(inputFromRow(first)).toEqual({ preset: "local", model: "small" });
    const second = localRow("qwen3-4b", [first]);
    expect(inputFromRow(second)).toEqual({ preset: "local", name: "qwen3-4b", model: "qwen3-4b" });
    // Two unnamed rows the server would call the same are caught before sending.
    expect(validateRows([first, localRow("other", [])])).toMatch(/Two providers are named “local”: give one of them a name/);
    expect(validateRows([first, second])).toBeNull();
  });
});
