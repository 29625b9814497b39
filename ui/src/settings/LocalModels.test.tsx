import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ToastProvider } from "../components/Toasts";
import type { KnownModelView, LocalModelView, LocalModelsView, ProviderView, SettingsView } from "../generated/protocol";
import { SettingsPage } from "../pages/Settings";
import { type Handler, mockApi, ok } from "../test/mockApi";

const presets: SettingsView["presets"] = [
  { name: "local", dialect: "local", base_url: "", default_model: "", key_env: null },
  { name: "openai", dialect: "openai", base_url: "https://api.openai.com/v1", default_model: "gpt-4.1-mini", key_env: "OPENAI_API_KEY" },
  { name: "deepseek", dialect: "openai", base_url: "https://api.deepseek.com/v1", default_model: "deepseek-chat", key_env: "DEEPSEEK_API_KEY" },
];

const deepseek: ProviderView = {
  name: "deepseek",
  preset: "deepseek",
  dialect: "openai",
  base_url: "https://api.deepseek.com/v1",
  model: "deepseek-chat",
  has_key: true,
  key_hint: "…a1b2",
  key_env: null,
};

/** Nothing saved: the default local model answers. */
const bare: SettingsView = {
  providers: [],
  active: ["local"],
  env_override: null,
  secret_store: { kind: "keyring", location: "the OS keyring (Secret Service)", warning: null },
  effective: { name: "local", model: "smollm2-135m-instruct", model_title: "SmolLM2-135M-Instruct", local: true, tools: false, local_default: true },
  policy: { outside_read: "deny", outside_write: "deny", write: "ask", exec: "ask", web_fetch: "ask", screenshot: "ask", input: "ask", notify: "allow", skill_tools: "ask", exec_rules: [] },
  presets,
};

const withDeepseek: SettingsView = {
  ...bare,
  providers: [deepseek],
  active: ["deepseek"],
  effective: { name: "deepseek", model: "deepseek-chat", model_title: "deepseek-chat", local: false, tools: true, local_default: false },
};

const known: KnownModelView[] = [
  { name: "smollm2-135m-instruct", title: "SmolLM2-135M-Instruct", size: 98_362_432, context: 8192, tools: false, note: "Tiny and fast (98 MB): smoke tests", installed: true },
  { name: "qwen3-4b", title: "Qwen3-4B", size: 2_497_280_256, context: 32_768, tools: true, note: "Best agent model here", installed: true },
  { name: "qwen3-1.7b", title: "Qwen3-1.7B", size: 1_834_426_016, context: 32_768, tools: true, note: "Small Qwen3", installed: false },
];

const smol: LocalModelView = {
  name: "smollm2-135m-instruct",
  title: "SmolLM2-135M-Instruct",
  path: "/home/me/.local/share/pincer/models/SmolLM2-135M-Instruct.Q4_1.gguf",
  size: 98_362_432,
  added: false,
  default: true,
  context_length: 8192,
  architecture: "llama",
  tools: false,
  problem: null,
};
const qwen: LocalModelView = {
  ...smol,
  name: "qwen3-4b",
  title: "Qwen3-4B",
  path: "/home/me/.local/share/pincer/models/Qwen3-4B-Q4_K_M.gguf",
  size: 2_497_280_256,
  default: false,
  context_length: 32_768,
  architecture: "qwen3",
  tools: true,
};
const broken: LocalModelView = {
  ...smol,
  name: "broken",
  title: "broken",
  path: "/data/broken.gguf",
  size: 22,
  added: true,
  default: false,
  context_length: null,
  architecture: null,
  problem: "/data/broken.gguf is not a GGUF model file",
};

const models: LocalModelsView = { models: [broken, qwen, smol], models_dir: "/home/me/.local/share/pincer/models", known };
const none: LocalModelsView = { models: [], models_dir: "/home/me/.local/share/pincer/models", known: known.map((k) => ({ ...k, installed: false })) };

function renderPage(routes: Record<string, Handler>) {
  const api = mockApi(routes);
  render(
    <ToastProvider>
      <SettingsPage onLogout={vi.fn(async () => {})} />
    </ToastProvider>,
  );
  return api;
}

/** A PUT /api/settings/providers that answers with what was sent, as the server would. */
function savesProviders(base: SettingsView): Handler {
  return (call) => {
    const inputs = call.body as { preset: string; name?: string; model?: string }[];
    const providers: ProviderView[] = inputs.map((p) =>
      p.preset === "local"
        ? { name: p.name ?? "local", preset: "local", dialect: "local", base_url: "/m.gguf", model: p.model ?? "", has_key: false, key_hint: null, key_env: null }
        : deepseek,
    );
    return { status: 200, body: { ...base, providers, active: providers.map((p) => p.name), effective: null } };
  };
}

const item = async (name: string) => {
  const items = await screen.findAllByTestId("local-model");
  const found = items.find((li) => within(li).queryByText(name, { selector: "strong" }));
  if (!found) throw new Error(`no local model ${name}`);
  return found;
};

const badges = (el: HTMLElement) => [...el.querySelectorAll(".badge")].map((b) => b.textContent);

afterEach(() => vi.unstubAllGlobals());

describe("Settings: local models", () => {
  it("lists each model with its size, context, tools, problem and the default badge", async () => {
    renderPage({ "GET /api/settings": ok(bare), "GET /api/local-models": ok(models) });
    const section = await screen.findByTestId("local-models");
    expect(within(section).getByRole("heading", { name: "Local models" })).toBeInTheDocument();
    expect(section).toHaveTextContent("/home/me/.local/share/pincer/models");

    const smolItem = await item("smollm2-135m-instruct");
    expect(smolItem).toHaveTextContent("SmolLM2-135M-Instruct");
    expect(within(smolItem).getByTestId("local-model-facts")).toHaveTextContent("98 MB");
    expect(smolItem).toHaveTextContent("8K tokens of context");
    expect(smolItem).toHaveTextContent("chat only: cannot use tools");
    expect(badges(smolItem)).toEqual(["default", "answering now"]);
    expect(within(smolItem).getByRole("button", { name: "Make default: smollm2-135m-instruct" })).toBeDisabled();

    const qwenItem = await item("qwen3-4b");
    expect(qwenItem).toHaveTextContent("2.5 GB");
    expect(qwenItem).toHaveTextContent("32K tokens of context");
    expect(qwenItem).toHaveTextContent("can use tools");
    expect(badges(qwenItem)).toEqual([]);
    expect(within(qwenItem).getByRole("button", { name: "Make default: qwen3-4b" })).toBeEnabled();

    const brokenItem = await item("broken");
    expect(brokenItem).toHaveTextContent("Cannot be used: /data/broken.gguf is not a GGUF model file");
    for (const label of ["Make default: broken", "Add as provider: broken", "Add as fallback: broken"])
      expect(within(brokenItem).getByRole("button", { name: label })).toBeDisabled();
    // Models of the catalog not installed yet, behind a disclosure.
    expect(within(section).getByText("More models Pincer can download")).toBeInTheDocument();
    expect(within(screen.getByTestId("known-models")).getByText("qwen3-1.7b")).toBeInTheDocument();
    expect(within(screen.getByTestId("known-models")).queryByText("qwen3-4b")).toBeNull();
  });

  it("says the local default answers instead of asking to add a provider before chatting", async () => {
    renderPage({ "GET /api/settings": ok(bare), "GET /api/local-models": ok(models) });
    const empty = await screen.findByTestId("providers-empty");
    expect(empty).toHaveTextContent(
      "No providers saved, so the local model SmolLM2-135M-Instruct answers, offline on this computer. Add a provider for stronger answers and for tools.",
    );
    expect(empty).not.toHaveTextContent("to start chatting");
    expect(screen.getByTestId("active-local-default")).toHaveTextContent("the default local model, smollm2-135m-instruct");
    expect(screen.queryByText("no provider configured")).toBeNull();
    expect(screen.queryByTestId("env-override")).toBeNull();
  });

  it("does not claim the environment overrides saved providers when none are saved", async () => {
    renderPage({
      "GET /api/settings": ok({
        ...bare,
        active: ["ollama"],
        effective: { name: "ollama", model: "llama3.2", model_title: "llama3.2", local: false, tools: true, local_default: false },
        env_override: "PINCER_PROVIDER is set in the environment of the running Pincer and chooses the provider",
      }),
      "GET /api/local-models": ok(models),
    });
    const banner = await screen.findByTestId("env-override");
    expect(banner).toHaveTextContent("The environment chooses the provider.");
    expect(banner).toHaveTextContent("PINCER_PROVIDER is set in the environment of the running Pincer and chooses the provider. Turns use ollama");
    expect(banner).not.toHaveTextContent("overrides these settings");
    expect(screen.getByTestId("providers-empty")).toHaveTextContent("the environment chooses the provider");
    expect(screen.queryByTestId("active-local-default")).toBeNull();
  });

  it("makes a model the default and shows who answers now", async () => {
    let chosen = false;
    const { calls } = renderPage({
      "GET /api/settings": () => ({
        status: 200,
        body: chosen ? { ...bare, effective: { ...bare.effective!, model: "qwen3-4b", model_title: "Qwen3-4B", tools: true } } : bare,
      }),
      "GET /api/local-models": ok(models),
      "POST /api/local-models/default": () => {
        chosen = true;
        return { status: 200, body: { ...models, models: [broken, { ...qwen, default: true }, { ...smol, default: false }] } };
      },
    });
    await userEvent.click(within(await item("qwen3-4b")).getByRole("button", { name: "Make default: qwen3-4b" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "qwen3-4b" }));
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("qwen3-4b is the default local model");
    await waitFor(() => expect(screen.getByTestId("providers-empty")).toHaveTextContent("the local model Qwen3-4B answers"));
    await waitFor(async () => expect(badges(await item("qwen3-4b"))).toEqual(["default", "answering now"]));
    expect(badges(await item("smollm2-135m-instruct"))).toEqual([]);
    // Tools: a stronger provider is still offered, without the "for tools" part.
    expect(screen.getByTestId("providers-empty")).not.toHaveTextContent("for tools");
  });

  it("shows the registry's refusal next to the models", async () => {
    renderPage({
      "GET /api/settings": ok(bare),
      "GET /api/local-models": ok(models),
      "POST /api/local-models/default": () => ({ status: 400, body: { error: "no local model is called \"qwen3-4b\"; known: smollm2-135m-instruct" } }),
    });
    await userEvent.click(within(await item("qwen3-4b")).getByRole("button", { name: "Make default: qwen3-4b" }));
    expect(await screen.findByTestId("local-models-error")).toHaveTextContent('no local model is called "qwen3-4b"');
    expect(screen.queryByTestId("settings-saved")).toBeNull();
  });

  it("adds a model as the primary provider, saved at once", async () => {
    const { calls } = renderPage({
      "GET /api/settings": ok(withDeepseek),
      "GET /api/local-models": ok(models),
      "PUT /api/settings/providers": savesProviders(withDeepseek),
    });
    await userEvent.click(within(await item("qwen3-4b")).getByRole("button", { name: "Add as provider: qwen3-4b" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual([
      { preset: "local", model: "qwen3-4b" },
      { preset: "deepseek", name: "deepseek" },
    ]);
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("qwen3-4b is now the primary provider");
    const rows = screen.getAllByTestId("settings-provider");
    expect(rows[0]).toHaveTextContent("primary");
    expect(within(rows[0]!).getByTestId("provider-local-model")).toHaveValue("qwen3-4b");
  });

  it("adds a model as a fallback, named after the model when a local provider exists", async () => {
    const local: ProviderView = { name: "local", preset: "local", dialect: "local", base_url: smol.path, model: "", has_key: false, key_hint: null, key_env: null };
    const view = { ...withDeepseek, providers: [deepseek, local], active: ["deepseek", "local"] };
    const { calls } = renderPage({
      "GET /api/settings": ok(view),
      "GET /api/local-models": ok(models),
      "PUT /api/settings/providers": savesProviders(view),
    });
    await userEvent.click(within(await item("qwen3-4b")).getByRole("button", { name: "Add as fallback: qwen3-4b" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual([
      { preset: "deepseek", name: "deepseek" },
      { preset: "local", name: "local" },
      { preset: "local", name: "qwen3-4b", model: "qwen3-4b" },
    ]);
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("qwen3-4b added as a fallback");
  });

  it("keeps the list as it was and says why when adding is refused", async () => {
    renderPage({
      "GET /api/settings": ok(withDeepseek),
      "GET /api/local-models": ok(models),
      "PUT /api/settings/providers": () => ({ status: 400, body: { error: "provider 1 (local): the model file is gone" } }),
    });
    await userEvent.click(within(await item("qwen3-4b")).getByRole("button", { name: "Add as provider: qwen3-4b" }));
    expect(await screen.findByTestId("local-models-error")).toHaveTextContent(
      "Could not add qwen3-4b: provider 1 (local): the model file is gone",
    );
    expect(screen.getAllByTestId("settings-provider")).toHaveLength(1);
    expect(screen.queryByText("Unsaved changes")).toBeNull();
  });

  it("without a local model, says how to get one", async () => {
    renderPage({
      "GET /api/settings": ok({ ...bare, active: [], effective: null }),
      "GET /api/local-models": ok(none),
    });
    const empty = await screen.findByTestId("local-models-empty");
    expect(empty).toHaveTextContent("No local model yet.");
    expect(empty).toHaveTextContent(
      "The README’s first command, ./scripts/start.sh, installs the small default one, smollm2-135m-instruct (98 MB).",
    );
    expect(empty).toHaveTextContent("pincer model pull NAME");
    const table = within(screen.getByTestId("known-models"));
    expect(table.getAllByRole("row")).toHaveLength(1 + known.length);
    const qwenRow = table.getByText("qwen3-4b").closest("tr")!;
    expect(qwenRow).toHaveTextContent("2.5 GB");
    expect(qwenRow).toHaveTextContent("32K");
    expect(qwenRow).toHaveTextContent("yes");
    expect(table.getByText("qwen3-1.7b").closest("tr")).toHaveTextContent("1.8 GB");
    expect(empty).toHaveTextContent("pincer model add PATH");
    expect(screen.getByTestId("providers-empty")).toHaveTextContent("No providers saved. Add one to start chatting");
    expect(screen.getByText("no provider configured")).toBeInTheDocument();
  });

  it("says when the list cannot be loaded, and the rest of the page still works", async () => {
    renderPage({
      "GET /api/settings": ok(withDeepseek),
      "GET /api/local-models": () => ({ status: 500, body: { error: "models.toml is not valid" } }),
    });
    expect(await screen.findByTestId("local-models-load-error")).toHaveTextContent(
      "Could not list the local models: models.toml is not valid",
    );
    expect(screen.getAllByTestId("settings-provider")).toHaveLength(1);
  });
});

describe("Settings: a local provider row", () => {
  it("offers the local preset, and a local row has a model picker instead of URL and key", async () => {
    const local: ProviderView = { name: "local", preset: "local", dialect: "local", base_url: qwen.path, model: "qwen3-4b", has_key: false, key_hint: null, key_env: null };
    const view = { ...withDeepseek, providers: [local, deepseek], active: ["local", "deepseek"] };
    const { calls } = renderPage({
      "GET /api/settings": ok(view),
      "GET /api/local-models": ok(models),
      "PUT /api/settings/providers": savesProviders(view),
    });
    const rows = await screen.findAllByTestId("settings-provider");
    const first = within(rows[0]!);
    expect(first.getByTestId("provider-preset")).toHaveValue("local");
    expect(within(first.getByTestId("provider-preset")).getByRole("option", { name: "local (a model on this computer)" })).toBeInTheDocument();
    expect(first.queryByTestId("provider-base-url")).toBeNull();
    expect(first.queryByTestId("provider-key")).toBeNull();
    const picker = await first.findByLabelText("Model");
    await waitFor(() => expect(picker.tagName).toBe("SELECT"));
    expect(first.getByTestId("provider-local-model")).toHaveValue("qwen3-4b");
    const options = within(first.getByTestId("provider-local-model"))
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(options).toEqual([
      "the default local model (now smollm2-135m-instruct)",
      "broken · 22 B · cannot be used",
      "qwen3-4b · 2.5 GB",
      "smollm2-135m-instruct · 98 MB",
    ]);
    expect(rows[0]).toHaveTextContent("Runs on this computer: nothing is sent anywhere, and no key is needed.");

    await userEvent.selectOptions(first.getByTestId("provider-local-model"), "");
    await userEvent.click(screen.getByTestId("providers-save"));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual([
      { preset: "local", name: "local" },
      { preset: "deepseek", name: "deepseek" },
    ]);
  });

  it("switching a row to local drops its URL and model; Add provider never starts with local", async () => {
    renderPage({ "GET /api/settings": ok(withDeepseek), "GET /api/local-models": ok(models) });
    await userEvent.click(await screen.findByRole("button", { name: /Add provider/ }));
    const rows = screen.getAllByTestId("settings-provider");
    expect(within(rows[1]!).getByTestId("provider-preset")).toHaveValue("openai");
    await userEvent.type(within(rows[1]!).getByTestId("provider-model"), "gpt-4o");
    await userEvent.selectOptions(within(rows[1]!).getByTestId("provider-preset"), "local");
    expect(within(rows[1]!).getByTestId("provider-local-model")).toHaveValue("");
    expect(within(rows[1]!).queryByTestId("provider-base-url")).toBeNull();
  });

  it("names a model that is not installed rather than hiding it", async () => {
    const local: ProviderView = { name: "local", preset: "local", dialect: "local", base_url: "", model: "gone-model", has_key: false, key_hint: null, key_env: null };
    renderPage({ "GET /api/settings": ok({ ...withDeepseek, providers: [local] }), "GET /api/local-models": ok(models) });
    const row = (await screen.findAllByTestId("settings-provider"))[0]!;
    await waitFor(() => expect(within(row).getByTestId("provider-local-model")).toHaveValue("gone-model"));
    expect(within(row).getByRole("option", { name: "gone-model (not found)" })).toBeInTheDocument();
    expect(row).toHaveTextContent("No local model is called “gone-model” here.");
  });
});
