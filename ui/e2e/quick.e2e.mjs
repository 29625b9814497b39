// End-to-end: the quick-ask window, agent images and the desktop-only settings against a
// real (headless) `pincer daemon`, the scripted LLM server and headless Chromium. The
// daemon has no desktop hooks, so "Open in Pincer" falls back to this tab and Settings has
// no Desktop section; the Desktop section itself is covered by the unit tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { encodePng } from '../scripts/png.mjs';
import {
  daemonSuite, newLoginUrl, screenshot,
} from './harness.mjs';

let llm, daemon;
const newPage = daemonSuite((started) => ({ llm, daemon } = started));

const tid = (id) => `[data-testid="${id}"]`;

/** A page logged in through `link` (each context has its own cookie jar). */
async function open(link, { width = 1280, height = 800 } = {}) {
  const page = await newPage({ width, height });
  await page.goto(link);
  return page;
}

/** The login link the desktop app would open its quick-ask window with. */
async function quickLink() {
  const link = await newLoginUrl(daemon.home);
  return link.replace('/#login=', '/#/quick&login=');
}

/** A small valid PNG (one color), made without an image library. */
function png(w = 8, h = 6) {
  const raw = Buffer.alloc((w * 3 + 1) * h, 0x80);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
  return encodePng(w, h, raw);
}

test('the quick-ask window asks in a new chat, answers approvals, and hands the chat to the full page', async () => {
  await llm.push(
    { tool_calls: [{ id: 'call_q1', name: 'write_file', arguments: { path: 'quick/answer.txt', content: 'from the quick window\n' } }] },
    { text: 'Done: **quick/answer.txt** now holds the note.' },
  );
  const page = await open(await quickLink(), { width: 640, height: 360 });
  const input = page.locator(tid('quick-input'));
  await input.waitFor();
  assert.ok(page.url().endsWith('#/quick'), `the code left the address bar, the route stayed: ${page.url()}`);
  assert.equal(await page.locator(tid('nav-chat')).count(), 0, 'no app chrome in the quick window');
  assert.ok(await input.evaluate((el) => el === document.activeElement), 'the box has the focus');
  await screenshot(page, 'quick-empty');

  await input.fill('Write a note from the quick window');
  await input.press('Enter');
  await page.locator(`${tid('tool-card')}[data-status="approval"]`).waitFor();
  await screenshot(page, 'quick-approval');
  await page.locator(tid('approve-once')).click();
  await page.locator(tid('message-assistant')).filter({ hasText: 'now holds the note' }).waitFor();
  await page.locator(tid('quick-stop')).waitFor({ state: 'detached' });
  await screenshot(page, 'quick-answer');

  // Without the desktop app "Open in Pincer" opens the chat in this tab.
  await page.locator(tid('quick-open')).click();
  await page.waitForURL(/#\/chat\/[A-Za-z0-9_-]+$/);
  await page.locator(tid('composer')).waitFor();
  await page.locator(tid('message-user')).filter({ hasText: 'Write a note from the quick window' }).waitFor();
  await page.locator(tid('message-assistant')).filter({ hasText: 'now holds the note' }).waitFor();
  await page.context().close();
});

test('the quick-ask window works 360 px wide and Esc starts over', async () => {
  await llm.push({ text: 'First answer.' }, { text: 'Second answer.' });
  const page = await open(await quickLink(), { width: 360, height: 360 });
  const input = page.locator(tid('quick-input'));
  await input.fill('first question');
  await input.press('Enter');
  await page.locator(tid('message-assistant')).filter({ hasText: 'First answer.' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
  await screenshot(page, 'quick-360px');

  await page.keyboard.press('Escape');
  await page.locator(tid('message-assistant')).waitFor({ state: 'detached' });
  await input.fill('second question');
  await input.press('Enter');
  await page.locator(tid('message-assistant')).filter({ hasText: 'Second answer.' }).waitFor();
  assert.equal(await page.locator(tid('message-user')).count(), 1, 'a new chat: only the new question');
  // A new chat: the second request holds no turn of the first. (Recall may quote the first
  // question inside the new message as a past conversation; that is not the same chat.)
  const [first, second] = (await llm.requests()).map((r) => r.body.messages);
  const said = (messages, role) => messages.filter((m) => m.role === role).map((m) => String(m.content));
  assert.equal(said(first, 'user').length, 1);
  assert.ok(said(first, 'user')[0].endsWith('first question'));
  assert.equal(said(second, 'user').length, 1, 'the second question went to a new chat');
  assert.ok(said(second, 'user')[0].endsWith('second question'));
  assert.deepEqual(said(second, 'assistant'), [], 'no answer of the first chat in the second');
  await page.context().close();
});

test('images in the workspace load in the page; others do not', async () => {
  const shots = join(daemon.workspace, 'screenshots');
  await mkdir(shots, { recursive: true });
  const inside = join(shots, 'e2e.png');
  await writeFile(inside, png());
  const outside = join(tmpdir(), `pincer-e2e-outside-${process.pid}.png`);
  await writeFile(outside, png());

  const page = await open(await newLoginUrl(daemon.home));
  await page.locator(tid('composer')).waitFor();
  // As the page shows them: fetched with the login key, drawn from a blob: URL.
  const load = (path) =>
    page.evaluate(async (src) => {
      const res = await fetch(src, { headers: { 'X-Pincer-Key': localStorage.getItem('pincer.loginKey') ?? '' } });
      if (!res.ok) return 0;
      const url = URL.createObjectURL(await res.blob());
      return new Promise((done) => {
        const img = new Image();
        img.onload = () => done(img.naturalWidth);
        img.onerror = () => done(0);
        img.src = url;
      });
    }, `/api/images?path=${encodeURIComponent(path)}`);
  // A plain <img src> carries only the cookie, which is not a login by itself.
  const plain = await page.evaluate(
    (src) =>
      new Promise((done) => {
        const img = new Image();
        img.onload = () => done(img.naturalWidth);
        img.onerror = () => done(0);
        img.src = src;
      }),
    `/api/images?path=${encodeURIComponent(inside)}`,
  );
  assert.equal(plain, 0, 'the cookie alone does not load an image');
  assert.equal(await load(inside), 8, 'a workspace image loads under the page\'s CSP and login');
  assert.equal(await load(outside), 0, 'an image outside the workspace does not');
  assert.equal(await load(join(daemon.workspace, 'screenshots', 'missing.png')), 0);
  await page.context().close();
  await rm(outside, { force: true });
});

test('a headless daemon has no Desktop settings', async () => {
  const page = await open(await newLoginUrl(daemon.home));
  await page.locator(tid('nav-settings')).click();
  await page.locator(tid('logout')).waitFor();
  await page.locator(tid('settings-provider')).first().waitFor();
  const info = await page.evaluate(async () =>
    (await fetch('/api/desktop', { headers: { 'X-Pincer-Key': localStorage.getItem('pincer.loginKey') ?? '' } })).json(),
  );
  assert.deepEqual(info, { app: false });
  assert.equal(await page.locator(tid('desktop-settings')).count(), 0);
  await page.context().close();
});
