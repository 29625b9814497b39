#!/usr/bin/env node
// Screenshots of every page in light and dark, at desktop and 360 px wide, against the
// fake backend, served by `vite preview` with the production CSP. Also fails on console
// errors, CSP violations and horizontal overflow. Needs a built dist/ and a Chromium.
//
//   npm run build && node scripts/screenshots.mjs [--browser /usr/bin/chromium]
//
// Output: test-artifacts/screenshots/*.png

import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "test-artifacts", "screenshots");
mkdirSync(out, { recursive: true });
const argv = process.argv.slice(2);
const browserPath = argv.includes("--browser") ? argv[argv.indexOf("--browser") + 1] : "/usr/bin/chromium";
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : null;

const BACKEND_PORT = 7431;
const PREVIEW_PORT = 4178;
const BASE = `http://127.0.0.1:${PREVIEW_PORT}`;

function start(cmd, args, env = {}) {
  // Own process group, so stopping it also stops the children (npx → vite).
  const p = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  p.stdout.on("data", (d) => process.env.VERBOSE && process.stdout.write(d));
  p.stderr.on("data", (d) => process.stderr.write(d));
  return p;
}

async function waitFor(url, tries = 100) {
  for (let i = 0; i < tries; i++) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

const procs = [];
const problems = [];

async function main() {
  procs.push(start("node", ["scripts/fake-backend.mjs", "--port", String(BACKEND_PORT)]));
  procs.push(
    start(join(root, "node_modules", ".bin", "vite"), ["preview", "--port", String(PREVIEW_PORT), "--strictPort", "--host", "127.0.0.1"], {
      PINCER_UI_BACKEND: `http://127.0.0.1:${BACKEND_PORT}`,
    }),
  );
  await waitFor(`http://127.0.0.1:${BACKEND_PORT}/api/health`);
  await waitFor(`${BASE}/`);

  const browser = await chromium.launch({
    executablePath: browserPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });

  const variants = [
    { name: "desktop-light", viewport: { width: 1280, height: 820 }, colorScheme: "light" },
    { name: "desktop-dark", viewport: { width: 1280, height: 820 }, colorScheme: "dark" },
    { name: "mobile-light", viewport: { width: 360, height: 740 }, colorScheme: "light", isMobile: true, hasTouch: true },
    { name: "mobile-dark", viewport: { width: 360, height: 740 }, colorScheme: "dark", isMobile: true, hasTouch: true },
  ].filter((v) => !only || v.name.includes(only));

  for (const v of variants) {
    const context = await browser.newContext({
      viewport: v.viewport,
      colorScheme: v.colorScheme,
      deviceScaleFactor: 1,
      isMobile: !!v.isMobile,
      hasTouch: !!v.hasTouch,
    });
    const page = await context.newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error" || /Content Security Policy/i.test(msg.text())) {
        // A 401 from the "am I logged in?" probe is expected before login.
        if (/401/.test(msg.text())) return;
        problems.push(`[${v.name}] console ${msg.type()}: ${msg.text()}`);
      }
    });
    page.on("pageerror", (e) => problems.push(`[${v.name}] page error: ${e.message}`));

    const shot = async (name) => {
      await page.waitForTimeout(250);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) problems.push(`[${v.name}] ${name}: horizontal overflow of ${overflow}px`);
      await page.screenshot({ path: join(out, `${v.name}-${name}.png`) });
    };

    // Login page.
    await page.goto(`${BASE}/`);
    await page.getByTestId("login-code").waitFor();
    await page.getByTestId("login-code").fill("wrong-code");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("login-error").filter({ hasText: /wrong/ }).waitFor();
    await shot("01-login-error");

    // Login through the link the daemon prints.
    await page.goto(`${BASE}/#login=abcd-efgh`);
    await page.getByTestId("new-chat").waitFor({ state: "attached" });
    if (page.url().includes("login=")) problems.push(`[${v.name}] login code still in URL: ${page.url()}`);
    await page.getByTestId("connection-status").filter({ hasText: "connected" }).waitFor();
    await shot("02-new-chat");

    // A stored conversation.
    if (v.isMobile) {
      await page.getByRole("button", { name: "Open chats" }).click();
      await page.waitForTimeout(300);
      await shot("03-drawer");
    }
    await page.getByTestId("session-item").first().locator("a").click();
    await page.getByTestId("message-assistant").first().waitFor();
    await page.waitForTimeout(200);
    await page.evaluate(() => document.querySelector(".chat-scroll")?.scrollTo(0, 0));
    await shot("04-history-top");
    await page.evaluate(() => {
      const el = document.querySelector(".chat-scroll");
      if (el) el.scrollTop = el.scrollHeight;
    });
    await shot("05-history-bottom");

    // A live turn with an approval.
    await page.getByTestId("new-chat").click({ force: true }).catch(() => {});
    await page.goto(`${BASE}/#/chat`);
    await page.getByTestId("composer").fill("What is in my workspace? long");
    await page.getByTestId("composer").press("Enter");
    await page.locator('[data-testid="tool-card"][data-status="approval"]').waitFor();
    await page.getByTestId("approve-once").waitFor();
    await shot("06-approval");
    await page.getByTestId("approve-once").click();
    await page.locator('[data-testid="tool-card"][data-status="ok"]').waitFor();
    await page.getByTestId("send").waitFor({ timeout: 15_000 });
    await page.waitForTimeout(400);
    await page.locator('[data-testid="tool-card"] .tool-head').first().click();
    await page.waitForTimeout(100);
    await page.evaluate(() => {
      const card = document.querySelector('[data-testid="tool-card"]');
      card?.scrollIntoView({ block: "start" });
    });
    await shot("07-turn-done");

    // Failing turn.
    await page.getByTestId("composer").fill("please fail");
    await page.getByTestId("composer").press("Enter");
    await page.getByTestId("turn-error").waitFor();
    await page.waitForTimeout(300);
    await shot("08-turn-failed");

    // Step limit, then a message queued behind a running turn.
    await page.getByTestId("composer").fill("read notes until the limit");
    await page.getByTestId("composer").press("Enter");
    await page.getByTestId("turn-step-limit").waitFor();
    await page.getByTestId("send").waitFor();
    await page.getByTestId("composer").fill("slow listing please");
    await page.getByTestId("composer").press("Enter");
    await page.getByTestId("approve-once").waitFor();
    await page.getByTestId("composer").fill("and then summarize it");
    await page.getByTestId("composer").press("Enter");
    await page.locator('[data-testid="message-user"][data-queued="true"]').waitFor();
    await page.waitForTimeout(300);
    await shot("08b-step-limit-queued");
    await page.getByTestId("approve-session").click();
    await page.getByTestId("stop").click();
    await page.getByTestId("turn-stopped").first().waitFor();
    // The queued message runs next; refuse its tool so the chat ends idle.
    await page.getByTestId("approve-deny").click();
    await page.getByTestId("send").waitFor({ timeout: 15_000 });

    // Settings.
    await page.goto(`${BASE}/#/settings`);
    await page.getByTestId("settings-provider").first().waitFor();
    await page.getByTestId("provider-test").first().click();
    await page.getByTestId("provider-test-result").first().waitFor();
    await page.getByTestId("provider-test").nth(1).click();
    await page.getByTestId("provider-test-result").nth(1).waitFor();
    await shot("09-settings");
    await page.evaluate(() => document.querySelector(".page")?.scrollTo(0, 99999));
    await shot("10-settings-policy");
    await page.getByTestId("policy-save").click();
    await page.getByTestId("settings-saved").waitFor();
    await shot("11-settings-saved");

    // Usage.
    await page.goto(`${BASE}/#/usage`);
    await page.getByTestId("usage-table").waitFor();
    await page.waitForTimeout(500);
    await shot("12-usage");
    await page.evaluate(() => document.querySelector(".page")?.scrollTo(0, 99999));
    await shot("13-usage-bottom");

    // Skills: a skill waiting for review (and its confirmation), the list, one skill.
    await page.goto(`${BASE}/#/skills`);
    await page.getByTestId("skill-review").first().waitFor();
    await shot("13b-skills");
    await page.getByTestId("skill-review").first().getByTestId("skill-enable").click();
    await page.getByTestId("skill-enable-confirm").waitFor();
    await shot("13c-skills-confirm");
    await page.evaluate(() => document.querySelector(".page")?.scrollTo(0, 99999));
    await shot("13d-skills-bottom");
    await page.goto(`${BASE}/#/skills/github`);
    await page.getByTestId("skill-body").waitFor();
    await shot("13e-skill-detail");

    // Memory: the list, a search (one Chinese character) with its marks and past messages,
    // a memory's history, an edit in place; then a chat whose turn recalled memories, with
    // the "Remembered" chip open.
    await page.goto(`${BASE}/#/memory`);
    await page.getByTestId("memory-item").first().waitFor();
    await shot("13f-memory");
    await page.getByTestId("memory-search").fill("湖");
    await page.locator('[data-testid="memory-item"] mark').first().waitFor();
    await page.getByTestId("memory-messages").waitFor();
    await page.evaluate(() => document.querySelector(".page")?.scrollTo(0, 99999));
    await shot("13g-memory-search");
    await page.getByTestId("memory-search").fill("");
    const seats = page.getByTestId("memory-item").filter({ hasText: "window seats" });
    await seats.getByTestId("memory-history-toggle").click();
    await page.getByTestId("memory-history").waitFor();
    await seats.evaluate((el) => el.scrollIntoView({ block: "start" }));
    await shot("13h-memory-history");
    await seats.getByTestId("memory-edit").click();
    await page.getByTestId("memory-edit-input").waitFor();
    await shot("13i-memory-edit");
    await page.getByTestId("memory-edit-input").press("Escape");
    const walk = await page.evaluate(async () => {
      const list = await (await fetch("/api/sessions")).json();
      return list.find((s) => s.title.includes("周六"))?.id;
    });
    await page.goto(`${BASE}/#/chat/${walk}`);
    await page.getByTestId("recalled-toggle").click();
    await page.getByTestId("recalled-item").first().waitFor();
    await shot("13j-chat-remembered");

    // Other states: no usage, providers overridden by the environment, no skills, no memories.
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode?usage=empty&env=1`);
    await page.getByTestId("nav-settings").click();
    await page.getByText("The environment overrides these settings.").waitFor();
    await shot("14-settings-env-override");
    await page.getByTestId("nav-usage").click();
    await page.getByText(/No usage in the last/).waitFor();
    await shot("15-usage-empty");
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode?skills=empty`);
    await page.getByTestId("nav-skills").click();
    await page.getByTestId("skills-empty").waitFor();
    await shot("15b-skills-empty");
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode?memory=empty`);
    await page.getByTestId("nav-memory").click();
    await page.getByTestId("memory-empty").waitFor();
    await shot("15bb-memory-empty");
    // Nothing configured: the default local model answers (the chat says so); then no
    // local model at all (Settings says how to get one).
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode?local=default`);
    await page.goto(`${BASE}/#/chat`);
    await page.getByTestId("local-model-notice").waitFor();
    await shot("15c-chat-local-default");
    await page.goto(`${BASE}/#/settings`);
    await page.getByTestId("providers-empty").waitFor();
    await page.getByTestId("local-model").first().waitFor();
    await shot("15d-settings-local-default");
    await page.getByTestId("local-models").evaluate((el) => el.scrollIntoView({ block: "start" }));
    await shot("15e-settings-local-models");
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode?local=none`);
    await page.goto(`${BASE}/#/chat`);
    await page.goto(`${BASE}/#/settings`);
    await page.getByTestId("local-models-empty").waitFor();
    await page.getByTestId("local-models").evaluate((el) => el.scrollIntoView({ block: "start" }));
    await shot("15f-settings-no-local-model");
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode`);

    // Inside the desktop app: the Desktop section of Settings and the quick-ask window
    // (about 640×360; 360 px wide in the narrow variants).
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode?desktop=1`);
    // Away and back: Settings asks whether it runs in the app when it opens.
    await page.goto(`${BASE}/#/chat`);
    await page.goto(`${BASE}/#/settings`);
    await page.getByTestId("desktop-automation-note").waitFor();
    await page.getByTestId("desktop-settings").evaluate((el) => el.scrollIntoView({ block: "start" }));
    await shot("16-settings-desktop");
    const size = page.viewportSize();
    await page.setViewportSize({ width: v.isMobile ? 360 : 640, height: 360 });
    await page.goto(`${BASE}/#/quick`);
    await page.getByTestId("quick-input").waitFor();
    await shot("17-quick-empty");
    await page.getByTestId("quick-input").fill("What is on my screen right now? Take a look, please.");
    await page.getByTestId("quick-input").press("Enter");
    await page.getByTestId("approve-once").waitFor();
    await shot("18-quick-approval");
    await page.getByTestId("approve-once").click();
    await page.getByTestId("tool-image").waitFor();
    await page.getByTestId("quick-stop").waitFor({ state: "detached", timeout: 15_000 });
    const loaded = await page
      .getByTestId("tool-image")
      .evaluate((img) => (img.complete ? img.naturalWidth : new Promise((r) => (img.onload = () => r(img.naturalWidth)))));
    if (!loaded) problems.push(`[${v.name}] the screenshot thumbnail did not load`);
    await shot("19-quick-answer");
    await page.keyboard.press("Escape");
    await page.getByTestId("quick-open").waitFor({ state: "detached" });
    await page.setViewportSize(size);
    await fetch(`http://127.0.0.1:${BACKEND_PORT}/__fake/mode`);

    await context.close();
  }
  await browser.close();
}

try {
  await main();
} catch (e) {
  problems.push(`failed: ${e.stack ?? e}`);
} finally {
  for (const p of procs) {
    try {
      process.kill(-p.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`screenshots in ${out}`);
