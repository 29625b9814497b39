// End-to-end: one engine per data home. With the web UI open on a real `pincer daemon`,
// `pincer run` in another process attaches to that daemon: its turn runs in the daemon's
// engine, so the page shows the new session in the sidebar and the answer streaming in
// while the terminal command is still running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  daemonSuite, newLoginUrl, screenshot, waitFor, PINCER_BIN,
} from './harness.mjs';

let llm, daemon;
const newPage = daemonSuite((started) => ({ llm, daemon } = started));

const tid = (id) => `[data-testid="${id}"]`;

/** The terminal's environment: no provider of its own, so only the daemon can answer. */
function terminalEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PINCER_') || /_API_KEY$/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, PINCER_LOG: 'warn' };
}

test('a turn from `pincer run` in a terminal shows live in the open page', async () => {
  const answer = 'Hello from the terminal, streamed word by word into every open window of this daemon.';
  await llm.push({ text: answer, chunk_delay_ms: 60 });
  const page = await newPage();
  await page.goto(await newLoginUrl(daemon.home));
  await page.locator(tid('composer')).waitFor();

  const run = spawn(PINCER_BIN, ['--home', daemon.home, 'run', 'Greet me from the terminal'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: terminalEnv(),
  });
  let stdout = '';
  let stderr = '';
  run.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  run.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = once(run, 'exit');

  // The session the terminal started appears in the sidebar without a reload.
  const item = page.locator(tid('session-item')).filter({ hasText: 'Greet me from the terminal' });
  await item.waitFor({ timeout: 10_000 });
  await item.click();

  // The answer streams in while the terminal command is still running.
  const assistant = page.locator(tid('message-assistant')).last();
  const partial = await waitFor(async () => {
    const text = (await assistant.textContent().catch(() => '')) ?? '';
    return text.startsWith('Hello') && text;
  }, 'the first words of the answer in the page');
  assert.equal(run.exitCode, null, `the terminal is still streaming when the page shows "${partial}"`);
  await screenshot(page, 'attach-live');

  const [code] = await exited;
  assert.equal(code, 0, `pincer run failed: ${stderr}`);
  assert.equal(stdout.trim(), answer);
  await page.locator(tid('message-assistant')).filter({ hasText: 'every open window of this daemon' }).waitFor();
  await page.locator(tid('message-user')).filter({ hasText: 'Greet me from the terminal' }).waitFor();
  await screenshot(page, 'attach-done');
});
