import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ToastProvider } from "../components/Toasts";
import type { DesktopInfo, DesktopStatus, SettingsView } from "../generated/protocol";
import { onAuthRequired } from "../api/rest";
import { mockApi, ok } from "../test/mockApi";
import { SettingsPage } from "./Settings";

const view: SettingsView = {
  providers: [
    { name: "deepseek", preset: "deepseek", dialect: "openai", base_url: "https://api.deepseek.com/v1", model: "deepseek-chat", has_key: true, key_hint: "…a1b2", key_env: null },
    { name: "local", preset: "openai", dialect: "openai", base_url: "http://127.0.0.1:8080/v1", model: "qwen", has_key: false, key_hint: null, key_env: null },
  ],
  active: ["deepseek", "local"],
  env_override: null,
  secret_store: { kind: "keyring", location: "the OS keyring (Secret Service)", warning: null },
  effective: { name: "deepseek", model: "deepseek-chat", model_title: "deepseek-chat", local: false, tools: true, local_default: false },
  policy: { outside_read: "ask", outside_write: "deny", write: "allow", exec: "ask", web_fetch: "allow", screenshot: "ask", input: "ask", notify: "allow", skill_tools: "ask", exec_rules: [{ prefix: "git status", action: "allow" }] },
  presets: [
    { name: "openai", dialect: "openai", base_url: "https://api.openai.com/v1", default_model: "gpt-4.1-mini", key_env: "OPENAI_API_KEY" },
    { name: "deepseek", dialect: "openai", base_url: "https://api.deepseek.com/v1", default_model: "deepseek-chat", key_env: "DEEPSEEK_API_KEY" },
  ],
};

function renderPage(onLogout = vi.fn(async () => {})) {
  render(
    <ToastProvider>
      <SettingsPage onLogout={onLogout} />
    </ToastProvider>,
  );
  return onLogout;
}

afterEach(() => vi.unstubAllGlobals());

describe("Settings: providers", () => {
  it("lists providers in order with primary/fallback, saved-key hints and preset placeholders", async () => {
    mockApi({ "GET /api/settings": ok(view) });
    renderPage();
    const rows = await screen.findAllByTestId("settings-provider");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("primary");
    expect(rows[1]).toHaveTextContent("fallback");
    expect(rows[0]).toHaveTextContent("Saved key …a1b2");
    const first = within(rows[0]!);
    expect(first.getByTestId("provider-preset")).toHaveValue("deepseek");
    expect(first.getByTestId("provider-base-url")).toHaveValue("");
    expect(first.getByTestId("provider-base-url")).toHaveAttribute("placeholder", "https://api.deepseek.com/v1");
    expect(first.getByTestId("provider-model")).toHaveAttribute("placeholder", "deepseek-chat");
    // Keys are never prefilled.
    expect(first.getByTestId("provider-key")).toHaveValue("");
    expect(first.getByTestId("provider-key")).toHaveAttribute("type", "password");
    expect(within(rows[1]!).getByTestId("provider-preset")).toHaveValue("custom");
  });

  it("says where keys are kept, and warns when that is not the OS keyring", async () => {
    mockApi({ "GET /api/settings": ok(view) });
    renderPage();
    expect(await screen.findByTestId("secret-store")).toHaveTextContent("Keys are kept in the OS keyring (Secret Service).");
    cleanup();
    const warning = "secrets are kept in an encrypted file, not the OS keyring: no OS keyring service runs here (no D-Bus session bus)";
    mockApi({
      "GET /api/settings": ok({ ...view, secret_store: { kind: "encrypted_file", location: "/h/secrets.enc", warning } }),
    });
    renderPage();
    const notice = await screen.findByTestId("secret-store");
    expect(notice).toHaveTextContent("Secrets are kept in an encrypted file, not the OS keyring");
    expect(notice).toHaveTextContent("no D-Bus session bus");
  });

  it("tells that a saved key does not follow a changed URL", async () => {
    mockApi({ "GET /api/settings": ok(view) });
    renderPage();
    const rows = await screen.findAllByTestId("settings-provider");
    const first = within(rows[0]!);
    expect(first.queryByTestId("provider-key-left-behind")).toBeNull();
    await userEvent.type(first.getByTestId("provider-base-url"), "http://127.0.0.1:9999/v1");
    expect(first.getByTestId("provider-key-left-behind")).toHaveTextContent(
      "The saved key stays with https://api.deepseek.com/v1",
    );
    expect(first.getByTestId("provider-key")).toHaveAttribute("placeholder", "type the key again for this URL");
    await userEvent.clear(first.getByTestId("provider-base-url"));
    expect(first.queryByTestId("provider-key-left-behind")).toBeNull();
    expect(rows[0]).toHaveTextContent("Saved key …a1b2");
  });

  it("saves the list in the shown order with key changes, and confirms", async () => {
    const { calls } = mockApi({ "GET /api/settings": ok(view), "PUT /api/settings/providers": ok(view) });
    renderPage();
    const rows = await screen.findAllByTestId("settings-provider");
    await userEvent.click(within(rows[0]!).getByRole("button", { name: "remove key" }));
    await userEvent.type(within(rows[1]!).getByTestId("provider-key"), "sk-local");
    await userEvent.click(within(rows[1]!).getByRole("button", { name: /Move local up/ }));
    await userEvent.click(screen.getByTestId("providers-save"));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual([
      { preset: "openai", name: "local", base_url: "http://127.0.0.1:8080/v1", model: "qwen", api_key: "sk-local" },
      { preset: "deepseek", name: "deepseek", api_key: "" },
    ]);
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("Providers saved");
  });

  it("shows the server's refusal next to the form", async () => {
    mockApi({
      "GET /api/settings": ok(view),
      "PUT /api/settings/providers": () => ({ status: 400, body: { error: "provider 2: model must not be empty" } }),
    });
    renderPage();
    await screen.findAllByTestId("settings-provider");
    await userEvent.click(screen.getByTestId("providers-save"));
    expect(await screen.findByRole("alert")).toHaveTextContent("provider 2: model must not be empty");
    expect(screen.queryByTestId("settings-saved")).toBeNull();
  });

  it("tests one provider's connection and shows the outcome with latency", async () => {
    const { calls } = mockApi({
      "GET /api/settings": ok(view),
      "POST /api/settings/test": () => ({ status: 200, body: { ok: false, message: "connection refused", latency_ms: null } }),
    });
    renderPage();
    const rows = await screen.findAllByTestId("settings-provider");
    await userEvent.click(within(rows[1]!).getByTestId("provider-test"));
    const result = await within(rows[1]!).findByTestId("provider-test-result");
    expect(result).toHaveTextContent("Failed: connection refused");
    expect(result).toHaveAttribute("data-ok", "false");
    expect(calls.find((c) => c.path === "/api/settings/test")?.body).toMatchObject({ preset: "openai", name: "local" });
  });

  it("explains an environment override", async () => {
    mockApi({ "GET /api/settings": ok({ ...view, env_override: "PINCER_PROVIDER=ollama is set.", active: ["ollama"] }) });
    renderPage();
    expect(await screen.findByText(/The environment overrides these settings/)).toBeInTheDocument();
    expect(screen.getByText(/PINCER_PROVIDER=ollama is set/)).toBeInTheDocument();
  });

  it("adds and removes providers", async () => {
    mockApi({ "GET /api/settings": ok(view) });
    renderPage();
    await screen.findAllByTestId("settings-provider");
    await userEvent.click(screen.getByRole("button", { name: /Add provider/ }));
    expect(screen.getAllByTestId("settings-provider")).toHaveLength(3);
    expect(within(screen.getAllByTestId("settings-provider")[2]!).getByTestId("provider-preset")).toHaveValue("openai");
    await userEvent.click(screen.getByRole("button", { name: "Remove deepseek" }));
    expect(screen.getAllByTestId("settings-provider")).toHaveLength(2);
  });
});

describe("Settings: approval rules", () => {
  it("saves verdicts and exec rules", async () => {
    const { calls } = mockApi({ "GET /api/settings": ok(view), "PUT /api/settings/policy": ok(view) });
    renderPage();
    await userEvent.selectOptions(await screen.findByTestId("policy-exec"), "deny");
    await userEvent.selectOptions(screen.getByTestId("policy-web-fetch"), "ask");
    expect(screen.getByTestId("policy-skill-tools")).toHaveValue("ask");
    expect(screen.getByLabelText("Tools added by skills you did not write")).toBe(screen.getByTestId("policy-skill-tools"));
    await userEvent.selectOptions(screen.getByTestId("policy-skill-tools"), "deny");
    await userEvent.click(screen.getByTestId("exec-rule-add"));
    const rules = screen.getAllByTestId("exec-rule");
    await userEvent.type(within(rules[1]!).getByRole("textbox"), "cargo test");
    await userEvent.click(screen.getByTestId("policy-save"));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/settings/policy")).toBe(true));
    expect(calls.find((c) => c.path === "/api/settings/policy")?.body).toEqual({
      ...view.policy,
      exec: "deny",
      web_fetch: "ask",
      skill_tools: "deny",
      exec_rules: [
        { prefix: "git status", action: "allow" },
        { prefix: "cargo test", action: "allow" },
      ],
    });
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("Approval rules saved");
  });

  it("refuses an exec rule without a prefix", async () => {
    const { calls } = mockApi({ "GET /api/settings": ok(view) });
    renderPage();
    await userEvent.click(await screen.findByTestId("exec-rule-add"));
    await userEvent.click(screen.getByTestId("policy-save"));
    expect(await screen.findByTestId("policy-error")).toHaveTextContent("needs a command prefix");
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
  });
});

describe("Settings: log out", () => {
  it("logs out", async () => {
    mockApi({ "GET /api/settings": ok(view) });
    const onLogout = renderPage();
    await userEvent.click(screen.getByTestId("logout"));
    expect(onLogout).toHaveBeenCalled();
  });

  it("logs out everywhere after a confirmation, forgets the key and shows the login page", async () => {
    window.localStorage.setItem("pincer.loginKey", "k");
    const { calls } = mockApi({ "GET /api/settings": ok(view), "POST /api/logout-all": ok({ ended: 3 }) });
    const loginPage = vi.fn();
    const off = onAuthRequired(loginPage);
    renderPage();
    await userEvent.click(screen.getByTestId("logout-everywhere"));
    expect(calls.some((c) => c.path === "/api/logout-all")).toBe(false);
    // Cancel backs out; nothing is sent.
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await userEvent.click(screen.getByTestId("logout-everywhere"));
    await userEvent.click(screen.getByTestId("logout-everywhere-confirm"));
    await waitFor(() => expect(loginPage).toHaveBeenCalled());
    expect(calls.filter((c) => c.path === "/api/logout-all")).toHaveLength(1);
    expect(calls.find((c) => c.path === "/api/logout-all")?.headers["x-pincer-key"]).toBe("k");
    expect(window.localStorage.getItem("pincer.loginKey")).toBeNull();
    off();
  });

  it("offers log out everywhere inside the app too, next to signing in another device", async () => {
    mockApi({ "GET /api/settings": ok(view), "GET /api/desktop": ok({ app: true, autostart: false, quick_ask_shortcut: "", stop_shortcut: "", automation_unavailable: null }) });
    renderPage();
    expect(await screen.findByTestId("desktop-settings")).toBeInTheDocument();
    expect(screen.getByTestId("logout-everywhere")).toBeInTheDocument();
  });
});

describe("Settings: desktop app", () => {
  const desktop: DesktopStatus = {
    autostart: false,
    quick_ask_shortcut: "CommandOrControl+Shift+Space",
    stop_shortcut: "CommandOrControl+Shift+Escape",
    automation_unavailable: null,
  };
  const app = (status: Partial<DesktopStatus> = {}): DesktopInfo => ({ app: true, ...desktop, ...status });

  it("offers no log out inside the app's own window, which the app signs in", async () => {
    mockApi({ "GET /api/settings": ok(view), "GET /api/desktop": ok(app()) });
    renderPage();
    expect(await screen.findByTestId("desktop-settings")).toBeInTheDocument();
    expect(screen.queryByTestId("logout")).toBeNull();
  });

  it("has no Desktop section in a browser talking to a headless daemon", async () => {
    const { calls } = mockApi({ "GET /api/settings": ok(view), "GET /api/desktop": ok({ app: false }) });
    renderPage();
    await screen.findAllByTestId("settings-provider");
    await waitFor(() => expect(calls.some((c) => c.path === "/api/desktop")).toBe(true));
    expect(screen.queryByTestId("desktop-settings")).toBeNull();
  });

  it("shows the app's settings: start at login, both shortcuts, and nothing about screen control when it works", async () => {
    mockApi({ "GET /api/settings": ok(view), "GET /api/desktop": ok(app()) });
    renderPage();
    const section = await screen.findByTestId("desktop-settings");
    expect(within(section).getByRole("heading", { name: "Desktop" })).toBeInTheDocument();
    expect(screen.getByTestId("desktop-autostart")).not.toBeChecked();
    expect(screen.getByLabelText("Start Pincer when I log in")).toBe(screen.getByTestId("desktop-autostart"));
    expect(screen.getByTestId("desktop-shortcut")).toHaveValue("CommandOrControl+Shift+Space");
    expect(screen.getByLabelText("Quick-ask shortcut")).toBe(screen.getByTestId("desktop-shortcut"));
    expect(section).toHaveTextContent(/Modifiers and one key joined by “\+”/);
    expect(screen.getByTestId("desktop-stop-shortcut")).toHaveTextContent("CommandOrControl+Shift+Escape");
    // Read-only: not a form field.
    expect(screen.getByTestId("desktop-stop-shortcut").tagName).toBe("KBD");
    expect(screen.getByTestId("desktop-shortcut-save")).toBeDisabled();
    expect(screen.queryByTestId("desktop-automation-note")).toBeNull();
  });

  it("says why screen control is unavailable", async () => {
    mockApi({
      "GET /api/settings": ok(view),
      "GET /api/desktop": ok(app({ automation_unavailable: "Wayland sessions do not allow other programs to control the screen" })),
    });
    renderPage();
    expect(await screen.findByTestId("desktop-automation-note")).toHaveTextContent(
      "Screen control is unavailable: Wayland sessions do not allow other programs to control the screen",
    );
  });

  it("saves start-at-login as soon as it is ticked", async () => {
    const { calls } = mockApi({
      "GET /api/settings": ok(view),
      "GET /api/desktop": ok(app()),
      "PUT /api/desktop": (c) => ({ status: 200, body: { ...desktop, ...(c.body as object) } }),
    });
    renderPage();
    await userEvent.click(await screen.findByTestId("desktop-autostart"));
    await waitFor(() => expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ autostart: true }));
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("Pincer will start when you log in");
    expect(screen.getByTestId("desktop-autostart")).toBeChecked();
    expect(screen.getByTestId("desktop-autostart")).toBeEnabled();
  });

  it("puts start-at-login back and says why when the app could not change it", async () => {
    mockApi({
      "GET /api/settings": ok(view),
      "GET /api/desktop": ok(app({ autostart: true })),
      "PUT /api/desktop": () => ({ status: 400, body: { error: "the autostart entry is read-only" } }),
    });
    renderPage();
    const box = await screen.findByTestId("desktop-autostart");
    expect(box).toBeChecked();
    await userEvent.click(box);
    expect(await screen.findByTestId("desktop-error")).toHaveTextContent("Could not change it: the autostart entry is read-only");
    await waitFor(() => expect(screen.getByTestId("desktop-autostart")).toBeChecked());
    expect(screen.queryByTestId("settings-saved")).toBeNull();
  });

  it("saves a new quick-ask shortcut, trimmed", async () => {
    const { calls } = mockApi({
      "GET /api/settings": ok(view),
      "GET /api/desktop": ok(app()),
      "PUT /api/desktop": (c) => ({ status: 200, body: { ...desktop, ...(c.body as object) } }),
    });
    renderPage();
    const input = await screen.findByTestId("desktop-shortcut");
    await userEvent.clear(input);
    await userEvent.type(input, "  Alt+Space ");
    await userEvent.click(screen.getByTestId("desktop-shortcut-save"));
    await waitFor(() => expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ quick_ask_shortcut: "Alt+Space" }));
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("Quick-ask shortcut saved");
    expect(screen.getByTestId("desktop-shortcut")).toHaveValue("Alt+Space");
    expect(screen.getByTestId("desktop-shortcut-save")).toBeDisabled();
  });

  it("shows the app's refusal of a shortcut and keeps what was typed; Enter saves too", async () => {
    mockApi({
      "GET /api/settings": ok(view),
      "GET /api/desktop": ok(app()),
      "PUT /api/desktop": () => ({ status: 400, body: { error: "\"Alt+Nope\" is not a valid shortcut" } }),
    });
    renderPage();
    const input = await screen.findByTestId("desktop-shortcut");
    await userEvent.clear(input);
    await userEvent.type(input, "Alt+Nope{Enter}");
    expect(await screen.findByTestId("desktop-error")).toHaveTextContent('"Alt+Nope" is not a valid shortcut');
    expect(screen.getByTestId("desktop-shortcut")).toHaveValue("Alt+Nope");
  });

  it("refuses an empty shortcut without asking the app", async () => {
    const { calls } = mockApi({ "GET /api/settings": ok(view), "GET /api/desktop": ok(app()) });
    renderPage();
    const input = await screen.findByTestId("desktop-shortcut");
    await userEvent.clear(input);
    await userEvent.type(input, "   ");
    await userEvent.click(screen.getByTestId("desktop-shortcut-save"));
    expect(await screen.findByTestId("desktop-error")).toHaveTextContent("Type a shortcut");
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
  });
});
