// Real parts for the browser tests: the scripted LLM server (pincer-scripted-llm), a real
// `pincer daemon` on a temporary data home, and Debian's Chromium driven by playwright-core.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { chromium } from 'playwright-core';
import { before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const target = process.env.CARGO_TARGET_DIR ?? resolve(here, '../../target');
export const PINCER_BIN = process.env.PINCER_BIN ?? join(target, 'debug/pincer');
export const LLM_BIN = process.env.PINCER_LLM_BIN ?? join(target, 'debug/pincer-scripted-llm');
export const ARTIFACTS = resolve(here, '../test-artifacts');

/** Waits until `check` returns a truthy value; fails with `what` after `ms`. */
export async function waitFor(check, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** An environment without the machine's provider settings or keys. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PINCER_') || /_API_KEY$/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, PINCER_LOG: 'warn', ...extra };
}

export async function startLlm() {
  const dir = await mkdtemp(join(tmpdir(), 'pincer-llm-'));
  const portFile = join(dir, 'port');
  const child = spawn(LLM_BIN, ['--port-file', portFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const port = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`scripted LLM exited with ${child.exitCode}`);
    return existsSync(portFile) && (await readFile(portFile, 'utf8')).trim();
  }, 'the scripted LLM port file');
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  return {
    baseUrl: `${base}/v1`,
    push: (...replies) => call('POST', '/__testkit/replies', replies),
    requests: () => call('GET', '/__testkit/requests'),
    pending: async () => (await call('GET', '/__testkit/pending')).pending,
    /** Requests whose tool call/result history was broken (each answered with HTTP 400). */
    violations: () => call('GET', '/__testkit/violations'),
    reset: () => call('POST', '/__testkit/reset'),
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A data home whose config.toml points at `llmBaseUrl`, followed by `extra` (TOML). */
export async function makeHome(llmBaseUrl, model = 'test-model', extra = '') {
  const home = await mkdtemp(join(tmpdir(), 'pincer-e2e-'));
  await writeFile(
    join(home, 'config.toml'),
    `# written by the e2e harness\n[[providers]]\npreset = "openai"\nbase_url = "${llmBaseUrl}"\nmodel = "${model}"\n\n[retry]\nmax_attempts = 1\n${extra}`,
  );
  return home;
}

/** Starts `pincer daemon` on `home`; resolves once it printed its URL and login code. */
export async function startDaemon(home) {
  const child = spawn(PINCER_BIN, ['--home', home, 'daemon', '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: cleanEnv(),
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => (out += d));
  const match = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`pincer daemon exited with ${child.exitCode}: ${out}`);
    return out.match(/Log in: (http:\/\/[^/\s]+)\/#login=([A-Z0-9-]+)/);
  }, 'the daemon to print its login link');
  return {
    home,
    url: match[1],
    loginUrl: `${match[1]}/#login=${match[2]}`,
    workspace: join(home, 'workspace'),
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      return child.exitCode;
    },
  };
}

/** A fresh login link from the running daemon, through `pincer login`. */
export function newLoginUrl(home) {
  return new Promise((ok, fail) => {
    execFile(PINCER_BIN, ['--home', home, 'login'], { env: cleanEnv() }, (err, stdout) => {
      if (err) return fail(err);
      const m = stdout.match(/Log in: (\S+)/);
      m ? ok(m[1]) : fail(new Error(`no link in: ${stdout}`));
    });
  });
}

/**
 * The headers that prove a page's login for requests made outside it (`page.request`):
 * its cookie is in the context's jar, but the login's key lives in the page's storage.
 */
export async function keyHeaders(page) {
  return { 'X-Pincer-Key': await page.evaluate(() => localStorage.getItem('pincer.loginKey') ?? '') };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.PINCER_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

export async function removeHome(home) {
  await rm(home, { recursive: true, force: true });
}

/**
 * The fixture every browser test file shares: a scripted LLM, a real daemon and Chromium,
 * started before the file's tests and stopped after them, the LLM's script reset before
 * each test and checked after it (no request may have broken the tool call/result pairing,
 * and every scripted reply must have been used). `onStart` receives `{ llm, daemon, browser }`. The returned `newPage(options)`
 * opens a page in a fresh context (its own cookie jar) that reports Content-Security-Policy
 * violations; any violation fails the file. `options.config` is added to the data home's
 * config.toml (TOML, e.g. a `[pricing]` table).
 */
export function daemonSuite(onStart, options = {}) {
  const violations = [];
  let started;
  before(async () => {
    const llm = await startLlm();
    const daemon = await startDaemon(await makeHome(llm.baseUrl, 'test-model', options.config ?? ''));
    const browser = await launchBrowser();
    started = { llm, daemon, browser };
    onStart(started);
  });
  after(async () => {
    assert.deepEqual(violations, [], 'the pages must run under the daemon\'s CSP');
    await started?.browser.close();
    await started?.daemon.stop();
    if (started) await removeHome(started.daemon.home);
    await started?.llm.stop();
  });
  beforeEach(async () => {
    await started.llm.reset();
  });
  afterEach(async () => {
    if (!started) return;
    const broken = await started.llm.violations();
    assert.deepEqual(broken.map((v) => v.message), [], 'the daemon sent a broken tool call/result history');
    assert.equal(await started.llm.pending(), 0, 'every scripted reply must be used');
  });
  return async function newPage({ colorScheme = 'light', width = 1280, height = 800, locale, timezoneId } = {}) {
    const context = await started.browser.newContext({
      colorScheme,
      viewport: { width, height },
      ...(locale ? { locale } : {}),
      ...(timezoneId ? { timezoneId } : {}),
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to (load|execute|apply)/i.test(message.text())) {
        violations.push(message.text());
      }
    });
    return page;
  };
}
