import { describe, expect, it } from "vitest";
import type { PresetView, ProviderView } from "../generated/protocol";
import { CUSTOM, inputFromRow, rowFromView, validateRows } from "./providerForm";

const presets: PresetView[] = [
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
});
