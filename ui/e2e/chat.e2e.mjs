// End-to-end: a real `pincer daemon`, the scripted LLM server and headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  daemonSuite, keyHeaders, startDaemon, newLoginUrl, screenshot, waitFor,
} from './harness.mjs';

let llm, daemon, browser, suite;
const newPage = daemonSuite((started) => {
  suite = started;
  ({ llm, daemon, browser } = started);
});

const tid = (id) => `[data-testid="${id}"]`;

/** A logged-in page (each context has its own cookie jar, so each logs in). */
async function loggedInPage({ colorScheme = 'light', width = 1280, height = 800 } = {}) {
  const page = await newPage({ colorScheme, width, height });
  await page.goto(await newLoginUrl(daemon.home));
  await page.locator(tid('composer')).waitFor();
  assert.ok(!page.url().includes('login='), 'the login code must leave the address bar');
  return page;
}

async function send(page, text) {
  await page.locator(tid('composer')).fill(text);
  await page.locator(tid('composer')).press('Enter');
}

async function newChat(page) {
  await page.locator(tid('new-chat')).click();
  await page.locator(tid('composer')).waitFor();
}

test('login with the one-time code; a used code is refused', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const link = await newLoginUrl(daemon.home);
  await page.goto(link);
  await page.locator(tid('composer')).waitFor();
  // The same code in a fresh browser does not work a second time.
  const other = await browser.newContext();
  const page2 = await other.newPage();
  await page2.goto(link);
  await page2.locator(tid('login-error')).waitFor();
  await screenshot(page2, 'login-used-code');
  // The logged-in browser gets a code for another device from Settings; typed there, it works.
  await page.locator(tid('nav-settings')).click();
  await page.locator(tid('login-code-new')).click();
  const shown = (await page.locator(tid('login-code-shown')).textContent()) ?? '';
  const code = shown.match(/[A-Z0-9]{5}-[A-Z0-9]{4}-[A-Z0-9]{4}/)?.[0];
  assert.ok(code, `a code is shown: ${shown}`);
  await page.locator(tid('login-code-shown')).scrollIntoViewIfNeeded();
  await screenshot(page, 'settings-another-device');
  await page2.locator(tid('login-code')).fill(code.toLowerCase().replace('-', ' '));
  await page2.locator(tid('login-submit')).click();
  await page2.locator(tid('composer')).waitFor();
  await context.close();
  await other.close();
});

test('the login cookie alone is refused; log out everywhere ends every browser', async () => {
  const page = await loggedInPage();
  const other = await loggedInPage();
  // What another web server on 127.0.0.1 receives from this browser: the cookie (cookies
  // ignore ports). Replayed without the key the page keeps in its own storage, it is refused.
  const port = new URL(daemon.url).port;
  const cookie = (await page.context().cookies(daemon.url)).find((c) => c.name.startsWith('pincer_session'));
  assert.equal(cookie?.name, `pincer_session_${port}`, 'the cookie is named for the port');
  assert.ok(cookie.httpOnly, 'scripts cannot read the cookie');
  const stolen = { cookie: `${cookie.name}=${cookie.value}` };
  assert.equal((await fetch(`${daemon.url}/api/sessions`, { headers: stolen })).status, 401);
  const key = await page.evaluate(() => localStorage.getItem('pincer.loginKey'));
  assert.ok(key, 'the page keeps its key');
  const both = { ...stolen, 'x-pincer-key': key };
  assert.equal((await fetch(`${daemon.url}/api/sessions`, { headers: both })).status, 200);

  await page.locator(tid('nav-settings')).click();
  await page.locator(tid('logout-everywhere')).click();
  await screenshot(page, 'settings-logout-everywhere');
  await page.locator(tid('logout-everywhere-confirm')).click();
  await page.locator(tid('login-code')).waitFor();
  // The other browser's open page loses its live connection and asks for a login too.
  await other.locator(tid('login-code')).waitFor();
  assert.equal((await fetch(`${daemon.url}/api/sessions`, { headers: both })).status, 401);
  await page.context().close();
  await other.context().close();
});

test('a message streams in as rendered markdown', async () => {
  const answer = 'Here is **bold** text and a list:\n\n- one\n- two\n\n```rust\nfn main() { println!("hi"); }\n```\n';
  await llm.push({ text: answer, chunk_delay_ms: 40, usage: { input: 1200, cached: 400, output: 300 } });
  const page = await loggedInPage();
  await newChat(page);
  await send(page, 'Say something with markdown');
  await page.locator(tid('message-user')).filter({ hasText: 'Say something with markdown' }).waitFor();
  const assistant = page.locator(tid('message-assistant')).last();
  // Streaming: some text is visible before the whole answer is.
  const seen = new Set();
  await waitFor(async () => {
    const text = (await assistant.textContent().catch(() => '')) ?? '';
    if (text) seen.add(text.length);
    return text.includes('fn main');
  }, 'the whole answer');
  assert.ok(seen.size >= 3, `expected the answer to grow in several steps, saw lengths ${[...seen]}`);
  await assistant.locator('strong', { hasText: 'bold' }).waitFor();
  await assistant.locator('li', { hasText: 'two' }).waitFor();
  // Code is highlighted (highlight.js marks tokens with hljs classes).
  await assistant.locator('pre code [class^="hljs"]').first().waitFor();
  // The turn ends: the stop button gives way to send again.
  await page.locator(tid('send')).waitFor();
  await screenshot(page, 'chat-light');
  await page.context().close();
});

test('a tool call needing approval is approved in the page and its result shown', async () => {
  await llm.push(
    { tool_calls: [{ id: 'call_w1', name: 'write_file', arguments: { path: 'notes/e2e.txt', content: 'written by the e2e test\n' } }] },
    { text: 'I wrote the file. It now says:\n\n```text\nwritten by the e2e test\n```\n\nAnything else?' },
  );
  for (const scheme of ['light', 'dark']) {
    if (scheme === 'dark') {
      // Second round in dark mode: same script again.
      await llm.push(
        { tool_calls: [{ id: 'call_w2', name: 'write_file', arguments: { path: 'notes/e2e-dark.txt', content: 'dark\n' } }] },
        { text: 'I wrote the file.' },
      );
    }
    const page = await loggedInPage({ colorScheme: scheme });
    await newChat(page);
    await send(page, 'Write a note');
    const card = page.locator(tid('tool-card')).first();
    await card.and(page.locator('[data-status="approval"]')).waitFor();
    await screenshot(page, `approval-${scheme}`);
    await page.locator(tid('approve-once')).click();
    await card.and(page.locator('[data-status="ok"]')).waitFor();
    await page.locator(tid('message-assistant')).filter({ hasText: 'I wrote the file.' }).waitFor();
    // The sidebar lists the conversation under its first message.
    await page.locator(tid('session-item')).filter({ hasText: 'Write a note' }).first().waitFor();
    await page.locator(tid('send')).waitFor();
    await screenshot(page, `chat-tool-card-${scheme}`);
    await page.context().close();
  }
  assert.equal(await readFile(join(daemon.workspace, 'notes/e2e.txt'), 'utf8'), 'written by the e2e test\n');
});

test('a denied tool call does not run and the card says so', async () => {
  await llm.push(
    { tool_calls: [{ id: 'call_d1', name: 'exec', arguments: { command: 'touch denied-marker' } }] },
    { text: 'Understood, I did not run it.' },
  );
  const page = await loggedInPage();
  await newChat(page);
  await send(page, 'Run a command');
  await page.locator(tid('approve-deny')).click();
  await page.locator(`${tid('tool-card')}[data-status="denied"]`).waitFor();
  await page.locator(tid('message-assistant')).filter({ hasText: 'did not run it' }).waitFor();
  assert.ok(!existsSync(join(daemon.workspace, 'denied-marker')), 'the denied command must not have run');
  await page.context().close();
});

test('the stop button cancels mid-stream and keeps the partial answer', async () => {
  const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
  await llm.push({ text: long, chunk_delay_ms: 50 });
  const page = await loggedInPage();
  await newChat(page);
  await send(page, 'Tell me a long story');
  const assistant = page.locator(tid('message-assistant')).last();
  await waitFor(async () => ((await assistant.textContent()) ?? '').includes('word5'), 'some streamed text');
  await page.locator(tid('stop')).click();
  await page.locator(tid('turn-stopped')).waitFor();
  const text = (await assistant.textContent()) ?? '';
  assert.ok(text.includes('word5') && !text.includes('word199'), `partial text expected, got ${text.length} chars`);
  // Esc stops too.
  const before = await page.locator(tid('message-assistant')).count();
  await llm.push({ text: long, chunk_delay_ms: 50 });
  await send(page, 'Again');
  await waitFor(async () => (await page.locator(tid('message-assistant')).count()) > before
    && ((await page.locator(tid('message-assistant')).last().textContent()) ?? '').includes('word3'), 'the second answer to stream');
  await page.locator(tid('stop')).waitFor();
  await page.locator(tid('composer')).press('Escape');
  await waitFor(async () => (await page.locator(tid('turn-stopped')).count()) >= 2, 'the second turn to stop');
  // The daemon remembers how turns ended: after a reload both are still marked stopped.
  await page.reload();
  await page.locator(tid('message-user')).filter({ hasText: 'Again' }).waitFor();
  await waitFor(async () => (await page.locator(tid('turn-stopped')).count()) === 2, 'both stopped turns after a reload');
  await page.context().close();
});

test('reloading mid-turn shows the turn so far and it continues', async () => {
  await llm.push(
    { text: 'Let me check. ', tool_calls: [{ id: 'call_r1', name: 'exec', arguments: { command: 'echo reloaded' } }] },
    { text: 'The command printed reloaded.' },
  );
  const page = await loggedInPage();
  await newChat(page);
  await send(page, 'Run echo');
  await page.locator(`${tid('tool-card')}[data-status="approval"]`).waitFor();
  await page.reload();
  // After the reload the page catches up from the daemon's snapshot.
  await page.locator(tid('message-user')).filter({ hasText: 'Run echo' }).waitFor();
  await page.locator(tid('message-assistant')).filter({ hasText: 'Let me check.' }).waitFor();
  await page.locator(`${tid('tool-card')}[data-status="approval"]`).waitFor();
  assert.equal(await page.locator(tid('message-user')).filter({ hasText: 'Run echo' }).count(), 1, 'no duplicate after reload');
  await page.locator(tid('approve-once')).click();
  await page.locator(`${tid('tool-card')}[data-status="ok"]`).waitFor();
  // The result is in the card (collapsed until opened).
  await page.locator(tid('tool-output')).filter({ hasText: 'reloaded' }).first().waitFor({ state: 'attached' });
  await page.locator(tid('message-assistant')).filter({ hasText: 'The command printed reloaded.' }).waitFor();
  await page.context().close();
});

test('two tabs see the same stream; an approval answered in one disappears from the other', async () => {
  await llm.push(
    { tool_calls: [{ id: 'call_t1', name: 'exec', arguments: { command: 'echo two tabs' } }] },
    { text: 'Both tabs saw this.' },
  );
  const a = await loggedInPage();
  await newChat(a);
  const b = await a.context().newPage();
  // Same browser profile (shared cookie); open the same session in a second tab.
  await send(a, 'Two tabs please');
  await a.locator(`${tid('tool-card')}[data-status="approval"]`).waitFor();
  const hash = new URL(a.url()).hash;
  await b.goto(`${daemon.url}/${hash}`);
  await b.locator(`${tid('tool-card')}[data-status="approval"]`).waitFor();
  await b.locator(tid('approve-once')).click();
  await a.locator(`${tid('tool-card')}[data-status="ok"]`).waitFor();
  assert.equal(await a.locator(tid('approve-once')).count(), 0, 'the prompt must vanish in the other tab');
  await a.locator(tid('message-assistant')).filter({ hasText: 'Both tabs saw this.' }).waitFor();
  await b.locator(tid('message-assistant')).filter({ hasText: 'Both tabs saw this.' }).waitFor();
  await a.context().close();
});

test('keyboard: Shift+Enter makes a new line, Enter sends; the sidebar renames, searches and deletes', async () => {
  await llm.push({ text: 'Pack light for Lisbon.' });
  const page = await loggedInPage();
  // Another chat, so that searching has something to leave out even when this test runs alone.
  const other = await page.request.post(`${daemon.url}/api/sessions`, {
    data: { title: 'Groceries' },
    headers: { Origin: daemon.url, ...(await keyHeaders(page)) },
  });
  assert.equal(other.status(), 201, await other.text());
  await newChat(page);
  const composer = page.locator(tid('composer'));
  await composer.focus();
  await page.keyboard.type('Plan a trip');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('to Lisbon');
  await page.keyboard.press('Enter');
  const user = page.locator(tid('message-user')).filter({ hasText: 'Plan a trip' });
  await user.waitFor();
  assert.match(await user.innerText(), /Plan a trip\s*\n\s*to Lisbon/);
  await page.locator(tid('message-assistant')).filter({ hasText: 'Pack light for Lisbon.' }).waitFor();
  await page.locator(tid('send')).waitFor();

  const item = page.locator(tid('session-item')).filter({ hasText: 'Plan a trip' });
  const id = await item.getAttribute('data-session-id');
  await item.hover();
  await item.locator(tid('session-rename')).click();
  await page.locator(tid('session-rename-input')).fill('Lisbon weekend');
  await page.locator(tid('session-rename-input')).press('Enter');
  await page.locator(`${tid('session-item')}[data-session-id="${id}"]`).filter({ hasText: 'Lisbon weekend' }).waitFor();

  // Search by title and by what was said; other chats drop out of the list.
  await page.locator(tid('session-search')).fill('weekend');
  await waitFor(async () => (await page.locator(tid('session-item')).count()) === 1, 'one match for the title');
  await page.locator(tid('session-search')).fill('pack light');
  await waitFor(async () => (await page.locator(tid('session-item')).count()) === 1
    && (await page.locator(tid('session-item')).getAttribute('data-session-id')) === id, 'one match for the answer');
  await page.locator(tid('session-search')).fill('');
  await waitFor(async () => (await page.locator(tid('session-item')).count()) > 1, 'the full list back');

  const renamed = page.locator(`${tid('session-item')}[data-session-id="${id}"]`);
  await renamed.hover();
  await renamed.locator(tid('session-delete')).click();
  await renamed.locator(tid('session-delete-confirm')).click();
  await waitFor(async () => (await page.locator(`${tid('session-item')}[data-session-id="${id}"]`).count()) === 0, 'the deleted chat to leave the list');
  const gone = await page.request.get(`${daemon.url}/api/sessions/${id}/messages`, { headers: await keyHeaders(page) });
  assert.equal(gone.status(), 404);
  await page.context().close();
});

test('usage page shows the figures of the requests made', async () => {
  const page = await loggedInPage();
  await page.locator(tid('nav-usage')).click();
  await page.locator(tid('usage-table')).waitFor();
  // The markdown test's request reported 1,200 input tokens, 400 cached, 300 output;
  // every other scripted reply reports the testkit default (10 in, 0 cached, 5 out).
  const response = await page.request.get(`${daemon.url}/api/usage?days=7`, { headers: await keyHeaders(page) });
  const report = await response.json();
  const sum = (f) => report.buckets.reduce((n, b) => n + f(b.totals), 0);
  const requests = sum((t) => t.requests);
  const input = sum((t) => t.input_tokens);
  assert.ok(input >= 1200, `input ${input}`);
  const digits = async (id) => ((await page.locator(tid(id)).textContent()) ?? '').replace(/[^0-9]/g, '');
  await waitFor(async () => (await digits('usage-requests')).startsWith(String(requests)), `usage-requests to show ${requests}`);
  await waitFor(async () => (await page.locator(tid('usage-table')).textContent()).includes('test-model'), 'the model row');
  // The tiles show the exact totals of the daemon's records.
  const cached = sum((t) => t.cached_input_tokens);
  const output = sum((t) => t.output_tokens);
  const text = async (id) => (await page.locator(tid(id)).textContent()) ?? '';
  assert.ok((await text('usage-input-tokens')).includes(input.toLocaleString('en-US')), await text('usage-input-tokens'));
  assert.ok((await text('usage-output-tokens')).includes(output.toLocaleString('en-US')), await text('usage-output-tokens'));
  const share = (cached / input) * 100;
  const shown = share >= 10 ? share.toFixed(0) : share.toFixed(1);
  assert.ok((await text('usage-cached-share')).includes(`${shown}%`), `${await text('usage-cached-share')} vs ${shown}%`);
  await screenshot(page, 'usage-light');
  await page.context().close();
  const dark = await loggedInPage({ colorScheme: 'dark' });
  await dark.locator(tid('nav-usage')).click();
  await dark.locator(tid('usage-table')).waitFor();
  await screenshot(dark, 'usage-dark');
  await dark.context().close();
});

test('a 360 px wide window still works', async () => {
  await llm.push({ text: 'Small screens are fine.' });
  const page = await loggedInPage({ width: 360, height: 740 });
  await send(page, 'Hello from a phone');
  await page.locator(tid('message-assistant')).filter({ hasText: 'Small screens are fine.' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
  await screenshot(page, 'chat-360px');
  await page.context().close();
});

test('settings change survives a daemon restart', async () => {
  const page = await loggedInPage();
  await page.locator(tid('nav-settings')).click();
  const row = page.locator(tid('settings-provider')).first();
  await row.waitFor();
  await row.locator(tid('provider-test')).click();
  await row.locator(tid('provider-test-result')).filter({ hasText: /answered/i }).waitFor();
  await row.locator(tid('provider-model')).fill('renamed-model');
  await row.locator(tid('provider-key')).fill('sk-e2e-secret-1234');
  await page.locator(tid('providers-save')).click();
  await page.locator(tid('settings-saved')).first().waitFor();
  await page.locator(tid('policy-exec')).selectOption('deny');
  await page.locator(tid('policy-save')).click();
  await waitFor(async () => (await readFile(join(daemon.home, 'config.toml'), 'utf8')).includes('exec = "deny"'), 'the policy in config.toml');
  await screenshot(page, 'settings-light');
  await page.context().close();

  // Restart the daemon on the same data home.
  assert.equal(await daemon.stop(), 0, 'the daemon exits cleanly on SIGTERM');
  // The suite stops whichever daemon it holds at the end.
  daemon = suite.daemon = await startDaemon(daemon.home);
  const again = await loggedInPage({ colorScheme: 'dark' });
  await again.locator(tid('nav-settings')).click();
  const row2 = again.locator(tid('settings-provider')).first();
  await row2.waitFor();
  assert.equal(await row2.locator(tid('provider-model')).inputValue(), 'renamed-model');
  assert.equal(await again.locator(tid('policy-exec')).inputValue(), 'deny');
  const text = await row2.textContent();
  assert.ok(text.includes('1234'), 'the saved key hint is shown');
  assert.ok(!(await again.content()).includes('sk-e2e-secret-1234'), 'the key never reaches the page');
  await screenshot(again, 'settings-dark');
  // The next turn uses the new model name and the saved key.
  await llm.push({ text: 'Using the renamed model.' });
  await again.locator(tid('nav-chat')).click();
  await newChat(again);
  await send(again, 'Which model?');
  await again.locator(tid('message-assistant')).filter({ hasText: 'Using the renamed model.' }).waitFor();
  const requests = await llm.requests();
  const last = requests[requests.length - 1];
  assert.equal(last.body.model, 'renamed-model');
  assert.equal(last.headers.authorization, 'Bearer sk-e2e-secret-1234');
  await again.context().close();
});
