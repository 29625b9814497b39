// End-to-end: the Memory page and the chat's "Remembered" chip against a real `pincer
// daemon`: memories added, searched (one Chinese character), edited, pinned, forgotten and
// brought back from the page; then one the model saves with `memory_save` in one chat is
// recalled by the engine into the next chat's request, and the chat shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonSuite, keyHeaders, newLoginUrl, screenshot, waitFor } from './harness.mjs';

let llm, daemon;
const newPage = daemonSuite((started) => ({ llm, daemon } = started));

const tid = (id) => `[data-testid="${id}"]`;
const ZH = '我每周六去杭州西湖散步';
const ZH_EDITED = '我每周六早上去杭州西湖散步';
const EN = 'I prefer window seats on long train rides';
const PASSPORT = 'My passport is in the blue folder';

/** A logged-in page (each context has its own cookie jar, so each logs in). */
async function loggedInPage({ colorScheme = 'light', width = 1280, height = 800 } = {}) {
  const page = await newPage({ colorScheme, width, height });
  await page.goto(await newLoginUrl(daemon.home));
  await page.locator(tid('composer')).waitFor();
  return page;
}

async function memoryPage(options) {
  const page = await loggedInPage(options);
  await page.locator(tid('nav-memory')).click();
  await page.locator(tid('memory-add-input')).waitFor();
  return page;
}

const item = (page, text) => page.locator(tid('memory-item')).filter({ hasText: text });

async function api(page, path) {
  const res = await page.request.get(`${daemon.url}${path}`, { headers: await keyHeaders(page) });
  assert.equal(res.status(), 200, await res.text());
  return res.json();
}

/** Saves a memory through the API (as the page does), so a test also passes alone. */
async function save(page, content) {
  const res = await page.request.post(`${daemon.url}/api/memories`, {
    data: { action: 'save', content },
    headers: { Origin: daemon.url, ...(await keyHeaders(page)) },
  });
  assert.equal(res.status(), 200, await res.text());
  return (await res.json()).memory;
}

async function add(page, text) {
  await page.locator(tid('memory-add-input')).fill(text);
  await page.locator(tid('memory-add-input')).press('Enter');
  await item(page, text).waitFor();
  // The field empties once it is saved, ready for the next one.
  await waitFor(async () => (await page.locator(tid('memory-add-input')).inputValue()) === '', 'the add field to clear');
}

async function send(page, text) {
  await page.locator(tid('composer')).fill(text);
  await page.locator(tid('composer')).press('Enter');
}

async function newChat(page) {
  await page.locator(tid('nav-chat')).click();
  await page.locator(tid('new-chat')).click();
  await page.locator(tid('composer')).waitFor();
}

const sessionOf = (page) => decodeURIComponent(new URL(page.url()).hash.replace('#/chat/', ''));

test('the Memory page adds, finds (one Chinese character), edits, pins, forgets and brings back', async () => {
  const page = await memoryPage();
  assert.equal(await page.title(), 'Memory · Pincer');
  assert.equal(await page.locator(tid('nav-memory')).getAttribute('aria-current'), 'page');
  await page.locator(tid('memory-empty')).filter({ hasText: 'Nothing remembered yet' }).waitFor();

  // Added with Enter; the second as a preference.
  await add(page, ZH);
  const toast = page.locator(tid('memory-toast')).filter({ hasText: 'Remembered' });
  await toast.first().waitFor();
  assert.equal(await toast.first().locator(tid('memory-toast-undo')).count(), 1, 'the toast offers Undo');
  await page.locator(tid('memory-add-kind')).selectOption('preference');
  await add(page, EN);
  const en = item(page, EN);
  assert.equal(await en.locator(tid('memory-kind')).innerText(), 'preference');
  assert.match(await en.locator(tid('memory-by')).innerText(), /Saved by you/);
  assert.equal(await en.getAttribute('data-provenance'), 'user');
  await page.locator(tid('memory-count')).filter({ hasText: '2 remembered' }).waitFor();

  // One character finds the Chinese memory, and it is marked.
  await page.locator(tid('memory-search')).fill('湖');
  await waitFor(async () => (await page.locator(tid('memory-item')).count()) === 1, 'only the lake to be listed');
  const zh = item(page, ZH);
  assert.deepEqual(await zh.locator('mark').allInnerTexts(), ['湖']);
  await screenshot(page, 'memory-search-light');
  // Every word of an English search is marked, whatever its case.
  await page.locator(tid('memory-search')).fill('WINDOW train');
  await waitFor(async () => (await page.locator(tid('memory-item')).count()) === 1
    && (await page.locator(tid('memory-item')).innerText()).includes('window'), 'the English memory to be found');
  assert.deepEqual(await item(page, EN).locator('mark').allInnerTexts(), ['window', 'train']);
  await page.locator(tid('memory-search')).fill('');
  await waitFor(async () => (await page.locator(tid('memory-item')).count()) === 2, 'both memories again');

  // Edit in place: Esc cancels, Enter saves.
  const id = await zh.getAttribute('data-memory-id');
  assert.match(id, /^mem-/);
  const edited = page.locator(`${tid('memory-item')}[data-memory-id="${id}"]`);
  await edited.locator(tid('memory-edit')).click();
  const box = edited.locator(tid('memory-edit-input'));
  assert.equal(await box.evaluate((el) => el === document.activeElement), true, 'the edit box has the focus');
  await box.fill('not this');
  await box.press('Escape');
  await edited.locator(tid('memory-content')).filter({ hasText: ZH }).waitFor();
  assert.equal(await page.locator(tid('memory-edit-input')).count(), 0);
  // The page gives the focus back on the next tick (setTimeout 0), after the edit box goes.
  await waitFor(
    () => edited.locator(tid('memory-edit')).evaluate((el) => el === document.activeElement),
    'the focus back on Edit',
  );
  await edited.locator(tid('memory-edit')).click();
  await box.fill(ZH_EDITED);
  await box.press('Enter');
  await edited.locator(tid('memory-content')).filter({ hasText: ZH_EDITED }).waitFor();
  await page.locator(tid('memory-toast')).filter({ hasText: 'Memory edited' }).waitFor();

  // Pinned: it says so, and it comes first. Undo on the row takes the pin back.
  await edited.locator(tid('memory-pin')).click();
  await page.locator(`${tid('memory-item')}[data-pinned="true"]`).waitFor();
  await waitFor(async () => (await page.locator(tid('memory-item')).first().getAttribute('data-memory-id')) === id, 'the pinned memory first');
  await edited.locator(tid('memory-undo')).click();
  await page.locator(`${tid('memory-item')}[data-memory-id="${id}"][data-pinned="false"]`).waitFor();
  await edited.locator(tid('memory-pin')).click();
  await page.locator(`${tid('memory-item')}[data-memory-id="${id}"][data-pinned="true"]`).waitFor();
  await screenshot(page, 'memory-light');

  // Forgotten: it leaves the list; the toast's Undo brings it back.
  await edited.locator(tid('memory-forget')).click();
  await waitFor(async () => (await item(page, ZH_EDITED).count()) === 0, 'the forgotten memory to leave the list');
  const forgotten = page.locator(tid('memory-toast')).filter({ hasText: 'Forgotten' });
  await forgotten.locator(tid('memory-toast-undo')).click();
  await item(page, ZH_EDITED).waitFor();
  // Shown forgotten ones include it while it is forgotten (checked through the API here).
  assert.equal((await api(page, `/api/memories/${id}`)).memory.forgotten, false);

  // Its history, newest first, opened from the row (#/memory/ID).
  await item(page, ZH_EDITED).locator(tid('memory-history-toggle')).click();
  assert.equal(new URL(page.url()).hash, `#/memory/${id}`);
  const history = page.locator(tid('memory-history'));
  await history.waitFor();
  const actions = await history.locator(tid('memory-change')).evaluateAll((els) => els.map((e) => e.dataset.action));
  assert.deepEqual(actions, ['restore', 'forget', 'pin', 'unpin', 'pin', 'edit', 'create']);
  const edit = history.locator(`${tid('memory-change')}[data-action="edit"]`);
  assert.equal(await edit.locator('del').textContent(), `Before: ${ZH}`);
  assert.equal(await edit.locator('ins').textContent(), `After: ${ZH_EDITED}`);
  await screenshot(page, 'memory-history-light');

  // A reload lands on the same memory, open.
  await page.reload();
  await page.locator(tid('memory-history')).waitFor();
  assert.equal(await page.locator(`${tid('memory-item')}.open`).getAttribute('data-memory-id'), id);

  // Show forgotten: forget the English one; it is listed again, marked, with Restore.
  await item(page, EN).locator(tid('memory-forget')).click();
  await waitFor(async () => (await item(page, EN).count()) === 0, 'the English memory to leave the list');
  await page.locator(tid('memory-show-forgotten')).check();
  const gone = page.locator(`${tid('memory-item')}[data-forgotten="true"]`).filter({ hasText: EN });
  await gone.waitFor();
  await gone.locator(tid('memory-undo')).filter({ hasText: 'Restore' }).click();
  await page.locator(`${tid('memory-item')}[data-forgotten="false"]`).filter({ hasText: EN }).waitFor();
  await page.locator(tid('memory-show-forgotten')).uncheck();

  // Unpinned again, so the chats of the next test recall it only when they are about it.
  await item(page, ZH_EDITED).locator(tid('memory-unpin')).click();
  await page.locator(`${tid('memory-item')}[data-memory-id="${id}"][data-pinned="false"]`).waitFor();

  // A refusal is shown, not swallowed: an empty edit is not sent, a scope the daemon does
  // not know comes back as its message.
  await page.locator(tid('memory-add-scope')).fill('planet:mars');
  await page.locator(tid('memory-add-input')).fill('Mars is red');
  await page.locator(tid('memory-add-input')).press('Enter');
  await page.locator(tid('memory-error-toast')).filter({ hasText: /Could not save: scope "planet:mars"/ }).waitFor();
  assert.equal(await page.locator(tid('memory-add-input')).inputValue(), 'Mars is red', 'the text stays to fix');
  await page.context().close();
});

test('a memory the model saves in one chat is remembered in the next, and the chat shows it', async () => {
  await llm.push(
    { tool_calls: [{ id: 'call_m1', name: 'memory_save', arguments: { content: PASSPORT } }] },
    { text: 'Noted: your passport is in the blue folder.' },
  );
  const page = await loggedInPage();
  await newChat(page);
  await send(page, 'Remember this: my passport is in the blue folder');
  await page.locator(`${tid('tool-card')}[data-status="ok"]`).waitFor();
  await page.locator(tid('message-assistant')).filter({ hasText: 'Noted' }).waitFor();
  await page.locator(tid('send')).waitFor();
  const first = sessionOf(page);
  // Nothing was remembered for that message: no chip.
  assert.equal(await page.locator(tid('recalled')).count(), 0);

  // A new chat about the same thing: the engine recalls the memory before the model call.
  await llm.push({ text: 'In the blue folder.' });
  await newChat(page);
  await send(page, 'Where is my passport?');
  const chip = page.locator(tid('recalled'));
  await chip.waitFor();
  await page.locator(tid('message-assistant')).filter({ hasText: 'In the blue folder.' }).waitFor();
  await page.locator(tid('send')).waitFor();
  assert.match(await chip.locator(tid('recalled-toggle')).innerText(), /^Remembered \d+$/);
  assert.equal(await chip.locator(tid('recalled-toggle')).getAttribute('aria-expanded'), 'false');
  // Before the answer.
  const order = await page.evaluate(() => {
    const c = document.querySelector('[data-testid="recalled"]');
    const a = document.querySelector('[data-testid="message-assistant"]');
    return !!(c && a && c.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  assert.ok(order, 'the chip comes before the answer');
  await chip.locator(tid('recalled-toggle')).click();
  const memory = chip.locator(`${tid('recalled-item')}[data-kind="memory"]`).filter({ hasText: PASSPORT });
  await memory.waitFor();
  const link = await memory.locator(tid('recalled-link')).getAttribute('href');
  assert.match(link, /^#\/memory\/mem-/);
  // The past message it came from is listed with a link to its chat.
  const past = chip.locator(`${tid('recalled-item')}[data-kind="message"]`);
  if (await past.count()) assert.equal(await past.first().locator(tid('recalled-link')).getAttribute('href'), `#/chat/${first}`);
  await screenshot(page, 'chat-remembered-light');
  // The model got it with the message.
  const requests = await llm.requests();
  assert.match(JSON.stringify(requests[requests.length - 1].body), /My passport is in the blue folder/);

  // Stored: after a reload the chip is still there, from the daemon's record.
  await page.reload();
  await page.locator(tid('message-assistant')).filter({ hasText: 'In the blue folder.' }).waitFor();
  await page.locator(tid('recalled')).waitFor();
  await page.locator(tid('recalled-toggle')).click();
  await page.locator(`${tid('recalled-item')}[data-kind="memory"]`).filter({ hasText: PASSPORT }).waitFor();

  // The link opens the memory: saved by Pincer, from the first chat.
  await page.locator(`${tid('recalled-item')}[data-kind="memory"]`).locator(tid('recalled-link')).click();
  const opened = page.locator(`${tid('memory-item')}.open`);
  await opened.waitFor();
  assert.equal(`#/memory/${await opened.getAttribute('data-memory-id')}`, link);
  assert.match(await opened.locator(tid('memory-by')).innerText(), /Saved by Pincer/);
  assert.equal(await opened.locator(tid('memory-source')).getAttribute('href'), `#/chat/${first}`);
  await opened.locator(tid('memory-last-recalled')).filter({ hasNotText: 'never' }).waitFor();

  // A search finds the memory and the message it came from ("In past conversations").
  await page.locator(tid('memory-search')).fill('passport');
  await page.locator(tid('memory-messages')).waitFor();
  const hit = page.locator(tid('memory-message')).filter({ has: page.locator('.message-hit-text', { hasText: 'Remember this' }) });
  await hit.waitFor();
  assert.deepEqual(await hit.locator('mark').allInnerTexts(), ['passport']);
  assert.equal(await hit.locator(tid('memory-message-link')).getAttribute('href'), `#/chat/${first}`);

  // In Chinese too: the lake memory (the first test's, or this one) is recalled by a question
  // about Saturday.
  if (!(await api(page, `/api/memories?q=${encodeURIComponent('西湖')}`)).memories.length) await save(page, ZH);
  await llm.push({ text: '西湖。' });
  await newChat(page);
  await send(page, '这个周六我去哪里散步？');
  await page.locator(tid('message-assistant')).filter({ hasText: '西湖。' }).waitFor();
  await page.locator(tid('recalled-toggle')).click();
  await page.locator(`${tid('recalled-item')}[data-kind="memory"]`).filter({ hasText: '杭州西湖' }).waitFor();
  await page.context().close();
});

test('Memory and the chip work 360 px wide, light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const page = await memoryPage({ colorScheme, width: 360, height: 760 });
    await save(page, ZH);
    await page.reload();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.locator(tid('memory-item')).first().waitFor();
    assert.ok((await overflow()) <= 0, `horizontal overflow of ${await overflow()}px`);
    const row = page.locator(tid('memory-item')).first();
    for (const button of await row.locator('button').all()) {
      const box = await button.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `a button is cut off: ${JSON.stringify(box)}`);
    }
    // The Memory tab is reachable in the top bar.
    const nav = await page.locator(tid('nav-memory')).boundingBox();
    assert.ok(nav && nav.x + nav.width <= 360, `the Memory tab is cut off: ${JSON.stringify(nav)}`);
    await screenshot(page, `memory-360px-${colorScheme}`);
    await page.locator(tid('memory-search')).fill('湖');
    await waitFor(async () => (await page.locator(`${tid('memory-item')} mark`).count()) > 0, 'a marked match');
    await screenshot(page, `memory-search-360px-${colorScheme}`);
    assert.ok((await overflow()) <= 0, `horizontal overflow of ${await overflow()}px while searching`);
    await page.context().close();
  }
});
