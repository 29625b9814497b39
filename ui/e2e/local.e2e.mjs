// End-to-end: a data home with no provider but local models, against a real `pincer
// daemon` and headless Chromium. The model files are GGUF headers only: no turn runs, so
// the runtime never loads them; what is tested is what the page says and what it saves.
//
// - The empty chat names the model that answers, says it stays on this computer, and
//   links to Settings.
// - Settings says the local default answers (not "add a provider to start chatting"),
//   lists the models, makes another the default, and adds one as a provider.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { daemonSuite, makeHome, removeHome, screenshot, startDaemon, waitFor } from './harness.mjs';

let llm;
const newPage = daemonSuite((started) => ({ llm } = started));

const tid = (id) => `[data-testid="${id}"]`;

const extra = [];
after(async () => {
  for (const stop of extra.reverse()) await stop();
});

/** A minimal valid GGUF header (architecture llama, this context length), `padding` bytes longer. */
function tinyGguf(context, padding = 0) {
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const u64 = (n) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const str = (s) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  return Buffer.concat([
    Buffer.from('GGUF'),
    u32(3),
    u64(0),
    u64(2),
    str('general.architecture'),
    u32(8),
    str('llama'),
    str('llama.context_length'),
    u32(4),
    u32(context),
    Buffer.alloc(padding),
  ]);
}

test('with no provider the default local model answers: the chat says which, Settings lists and saves', async () => {
  const home = await makeHome(llm.baseUrl);
  await writeFile(join(home, 'config.toml'), '# written by the e2e harness: no provider\n[retry]\nmax_attempts = 1\n');
  await mkdir(join(home, 'models'));
  await writeFile(join(home, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf'), tinyGguf(8192));
  await writeFile(join(home, 'models', 'other.gguf'), tinyGguf(4096, 100));
  const daemon = await startDaemon(home);
  extra.push(async () => {
    await daemon.stop();
    await removeHome(home);
  });

  const page = await newPage();
  await page.goto(daemon.loginUrl);
  await page.locator(tid('composer')).waitFor();
  const notice = page.locator(tid('local-model-notice'));
  await notice.waitFor();
  const text = await notice.textContent();
  assert.match(text, /SmolLM2-135M-Instruct answers here\. It runs offline on this computer, so nothing you write leaves it\./);
  assert.match(text, /It can chat, but not use files, commands or the web\./);
  await screenshot(page, 'local-default-chat');

  // The link goes to Settings, which does not ask for a provider "to start chatting".
  await page.getByRole('link', { name: 'add a provider in Settings' }).click();
  const empty = page.locator(tid('providers-empty'));
  await empty.waitFor();
  assert.match(await empty.textContent(), /No providers saved, so the local model SmolLM2-135M-Instruct answers/);
  const models = page.locator(tid('local-model'));
  await waitFor(async () => (await models.count()) === 2, 'both local models listed');
  const smol = models.filter({ hasText: 'smollm2-135m-instruct' });
  assert.deepEqual(await smol.locator('.badge').allTextContents(), ['default', 'answering now']);
  assert.match(await smol.textContent(), /8K tokens of context/);
  await screenshot(page, 'local-default-settings');

  // Another default: recorded in models.toml, and it answers now.
  await page.getByRole('button', { name: 'Make default: other' }).click();
  await page.locator(tid('settings-saved')).filter({ hasText: 'other is the default local model' }).waitFor();
  await waitFor(async () => /the local model other answers/.test(await empty.textContent()), 'the new default to answer');
  assert.match(await readFile(join(home, 'models.toml'), 'utf8'), /default = "other"/);

  // Added as a provider: config.toml names it, without a URL or key.
  await page.getByRole('button', { name: 'Add as fallback: smollm2-135m-instruct' }).click();
  await page.locator(tid('settings-saved')).filter({ hasText: 'smollm2-135m-instruct added as a fallback' }).waitFor();
  await page.locator(tid('settings-provider')).waitFor();
  const config = await readFile(join(home, 'config.toml'), 'utf8');
  assert.match(config, /preset = "local"/);
  assert.match(config, /model = "smollm2-135m-instruct"/);
  assert.doesNotMatch(config, /base_url/);
  assert.equal(await page.locator(tid('provider-local-model')).inputValue(), 'smollm2-135m-instruct');
  assert.equal(await page.locator(tid('providers-empty')).count(), 0);
  await page.context().close();
});
