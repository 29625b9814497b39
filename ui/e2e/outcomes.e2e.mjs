// End-to-end: how tool calls and turns ended, as the user sees it, against a real
// `pincer daemon`, the scripted LLM server and headless Chromium.
//
// - A model that reuses its call id (`call_0`) in every turn: each card keeps its own
//   outcome and duration, live and after a reload, because cards follow the engine's ids.
// - Each kind of provider failure shows its message with the hint (and action) for it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  daemonSuite, keyHeaders, makeHome, newLoginUrl, removeHome, screenshot, startDaemon, waitFor,
} from './harness.mjs';

let llm, daemon;
const newPage = daemonSuite((started) => ({ llm, daemon } = started));

const tid = (id) => `[data-testid="${id}"]`;

/** Daemons (and servers) a test started besides the suite's, stopped at the end. */
const extra = [];
after(async () => {
  for (const stop of extra.reverse()) await stop();
});

async function loggedInPage(link, options) {
  const page = await newPage(options);
  await page.goto(link);
  await page.locator(tid('composer')).waitFor();
  return page;
}

async function newChat(page) {
  await page.locator(tid('new-chat')).click();
  await page.locator(tid('composer')).waitFor();
}

async function send(page, text) {
  await page.locator(tid('composer')).fill(text);
  await page.locator(tid('composer')).press('Enter');
}

/** The page's own duration format (src/lib/format.ts). */
function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** What every tool card shows: its call id, status, the duration text and whether it is open. */
async function cards(page) {
  return page.locator(tid('tool-card')).evaluateAll((els) =>
    els.map((el) => ({
      callId: el.getAttribute('data-call-id'),
      status: el.getAttribute('data-status'),
      meta: el.querySelector('.tool-meta')?.textContent ?? '',
      open: el.querySelector('.tool-head')?.getAttribute('aria-expanded') === 'true',
    })),
  );
}

test('a model that reuses call_0 every turn: each card keeps its own outcome and duration, live and after a reload', async () => {
  const page = await loggedInPage(await newLoginUrl(daemon.home));
  await newChat(page);
  const files = ['one', 'two', 'three', 'four'];
  for (const [i, name] of files.entries()) {
    // Every turn: the same provider call id, then a short answer.
    await llm.push(
      { tool_calls: [{ id: 'call_0', name: 'write_file', arguments: { path: `reuse/${name}.txt`, content: `${name}\n` } }] },
      { text: `Done with ${name}.` },
    );
    await send(page, `Write ${name}`);
    const card = page.locator(tid('tool-card')).nth(i);
    await card.and(page.locator('[data-status="approval"]')).waitFor();
    const last = i === files.length - 1;
    await card.locator(tid(last ? 'approve-deny' : 'approve-once')).click();
    await card.and(page.locator(`[data-status="${last ? 'denied' : 'ok'}"]`)).waitFor();
    await page.locator(tid('message-assistant')).filter({ hasText: `Done with ${name}.` }).waitFor();
    await page.locator(tid('send')).waitFor();
  }
  assert.equal(await llm.pending(), 0, 'every scripted reply was used');

  // The daemon's record: one tool message per call, each with its own id and outcome.
  const session = decodeURIComponent(new URL(page.url()).hash.replace('#/chat/', ''));
  const res = await page.request.get(`${daemon.url}/api/sessions/${session}/messages`, { headers: await keyHeaders(page) });
  assert.equal(res.status(), 200);
  const tools = (await res.json()).filter((m) => m.role === 'tool');
  assert.deepEqual(tools.map((m) => m.tool_outcome), ['ok', 'ok', 'ok', 'denied']);
  const ids = tools.map((m) => m.tool_call_id);
  assert.equal(new Set(ids).size, 4, `distinct call ids: ${ids}`);
  for (const id of ids) assert.notEqual(id, 'call_0', 'cards follow the engine\'s ids, not the provider\'s');

  const expected = tools.map((m) => ({
    callId: m.tool_call_id,
    status: m.tool_outcome,
    duration: formatDuration(m.duration_ms ?? 0),
  }));
  const check = async (when) => {
    const shown = await cards(page);
    assert.deepEqual(
      shown.map((c) => c.callId),
      expected.map((e) => e.callId),
      `${when}: one card per call, in order`,
    );
    for (const [i, card] of shown.entries()) {
      assert.equal(card.status, expected[i].status, `${when}: card ${i + 1}'s own outcome`);
      assert.ok(card.meta.includes(expected[i].duration), `${when}: card ${i + 1} shows ${expected[i].duration}, got "${card.meta}"`);
    }
    // Failures open by themselves; the others stay one line.
    assert.deepEqual(shown.map((c) => c.open), [false, false, false, true], `${when}: only the denied card starts open`);
    // Opening the second card opens that one only.
    await page.locator(tid('tool-card')).nth(1).locator('.tool-head').click();
    await waitFor(async () => (await cards(page))[1].open, `${when}: the second card to open`);
    assert.deepEqual((await cards(page)).map((c) => c.open), [false, true, false, true], `${when}: only the clicked card opened`);
    await page.locator(tid('tool-card')).nth(1).locator('.tool-head').click();
  };
  await check('live');
  await screenshot(page, 'tool-cards-reused-call-id');
  await page.reload();
  await page.locator(tid('message-assistant')).filter({ hasText: 'Done with four.' }).waitFor();
  await waitFor(async () => (await cards(page)).length === 4, 'four cards after the reload');
  await check('after a reload');
  await page.context().close();
});

/** A failing turn: sends, waits for its error, checks the kind and hint, takes a screenshot. */
async function expectFailure(page, { kind, message, hint, action, shot }) {
  const error = page.locator(`${tid('turn-error')}[data-kind="${kind}"]`).last();
  await error.waitFor();
  const text = (await error.textContent()) ?? '';
  assert.match(text, message, `the ${kind} error says what happened`);
  assert.ok(text.includes(hint), `the ${kind} hint: expected "${hint}" in "${text}"`);
  if (action) {
    assert.equal(await error.locator(tid(action)).count(), 1, `the ${kind} hint offers ${action}`);
  } else {
    assert.equal(await error.locator('a').count(), 0, `the ${kind} hint offers no link`);
  }
  await page.locator(tid('send')).waitFor();
  // The sidebar lists the chat (its list reloads shortly after the turn ends).
  await page.locator('.chat-title').waitFor();
  await error.scrollIntoViewIfNeeded();
  await screenshot(page, shot);
}

test('the provider refusing the key, rate limiting and not knowing the model: each with its hint', async () => {
  const page = await loggedInPage(await newLoginUrl(daemon.home));
  const cases = [
    { status: 401, kind: 'auth', message: /API key was rejected/, hint: 'The API key was refused.', action: 'hint-settings', shot: 'failure-auth' },
    { status: 429, kind: 'rate_limit', message: /rate limiting/, hint: 'Wait a minute', action: null, shot: 'failure-rate-limit' },
    { status: 404, kind: 'not_found', message: /does not know this model/, hint: 'Check the model name in Settings.', action: 'hint-settings', shot: 'failure-not-found' },
  ];
  for (const c of cases) {
    await newChat(page);
    await llm.push({ status: c.status });
    await send(page, `Fail with ${c.status}`);
    await expectFailure(page, c);
  }
  assert.equal(await llm.pending(), 0, 'one request per failure: the retry budget is one attempt');
  // After a reload the stored turn still says why, from its record's failure kind.
  await page.reload();
  await expectFailure(page, { ...cases[2], shot: 'failure-not-found-reloaded' });
  // The action goes where the fix is.
  await page.locator(tid('turn-error')).last().locator(tid('hint-settings')).click();
  await page.locator(tid('settings-provider')).first().waitFor();
  await page.context().close();
});

test('a conversation too long for the model: the hint starts a new chat', async () => {
  // The scripted LLM answers errors with its own body; this vendor's wording needs a fake.
  const body = '{"error":{"code":"context_length_exceeded","message":"This model\'s maximum context length is 8192 tokens"}}';
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(400, { 'content-type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  extra.push(() => new Promise((ok) => server.close(ok)));
  const home = await makeHome(`http://127.0.0.1:${server.address().port}/v1`);
  const other = await startDaemon(home);
  extra.push(async () => {
    await other.stop();
    await removeHome(home);
  });

  const page = await loggedInPage(other.loginUrl);
  await send(page, 'A very long conversation');
  await expectFailure(page, {
    kind: 'context_too_long',
    message: /maximum context length is 8192 tokens/,
    hint: 'Start a new chat to go on.',
    action: 'hint-new-chat',
    shot: 'failure-context-too-long',
  });
  assert.equal(requests, 1, 'a too-long conversation is not retried');
  await page.locator(tid('hint-new-chat')).click();
  await page.locator('.chat-empty, [data-testid="chat-empty"]').first().waitFor();
  assert.equal(new URL(page.url()).hash, '#/chat');
  await page.context().close();
});

test('a provider address where nothing listens: the hint points at the connection and the address', async () => {
  // A port that was free a moment ago and is closed now: connection refused.
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = probe.address().port;
  await new Promise((ok) => probe.close(ok));
  const home = await makeHome(`http://127.0.0.1:${port}/v1`);
  const other = await startDaemon(home);
  extra.push(async () => {
    await other.stop();
    await removeHome(home);
  });

  const page = await loggedInPage(other.loginUrl);
  await send(page, 'Anyone there?');
  await expectFailure(page, {
    kind: 'network',
    message: /could not reach/,
    hint: 'Check your connection and the provider\'s server address in Settings.',
    action: 'hint-settings',
    shot: 'failure-network',
  });
  await page.context().close();
});

test('a request retried after a server error notes why and what Pincer does, then answers', async () => {
  // A daemon allowed one retry (the suite's gives up at once), quickly.
  const home = await makeHome(llm.baseUrl);
  const config = join(home, 'config.toml');
  await writeFile(config, (await readFile(config, 'utf8')).replace('max_attempts = 1', 'max_attempts = 2\nbase_delay_ms = 10\nmax_delay_ms = 20'));
  const other = await startDaemon(home);
  extra.push(async () => {
    await other.stop();
    await removeHome(home);
  });
  // The answer streams slowly, so the note (shown while the turn runs) can be read.
  const answer = 'Recovered after a retry, and here is the rest of a slowly streamed answer.';
  await llm.push({ status: 503 }, { text: answer, chunk_delay_ms: 150 });
  const page = await loggedInPage(other.loginUrl);
  await send(page, 'Try through a hiccup');
  const note = page.locator(`${tid('turn-note')}[data-kind="server"]`);
  await note.waitFor();
  const text = await waitFor(async () => {
    const t = (await note.textContent({ timeout: 1000 })) ?? '';
    return t.includes('Pincer tries again') && t;
  }, 'the retry note with its hint');
  assert.match(text, /retrying \(attempt 1\)/);
  assert.ok(text.includes('The provider had a problem on its side; Pincer tries again.'), text);
  await page.locator(tid('message-assistant')).filter({ hasText: 'Recovered after a retry' }).waitFor();
  await screenshot(page, 'retry-note-server');
  await page.locator(tid('message-assistant')).filter({ hasText: 'slowly streamed answer.' }).waitFor();
  await page.locator(tid('send')).waitFor();
  assert.equal(await page.locator(tid('turn-error')).count(), 0, 'the retried turn did not fail');
  assert.equal(await llm.pending(), 0, 'both scripted replies were used');
  await page.context().close();
});

test('no provider set up: the hint sends the user to Settings to pick one', async () => {
  const home = await makeHome(llm.baseUrl);
  // The same data home without any provider.
  await writeFile(join(home, 'config.toml'), '# written by the e2e harness: no provider\n[retry]\nmax_attempts = 1\n');
  const other = await startDaemon(home);
  extra.push(async () => {
    await other.stop();
    await removeHome(home);
  });
  const page = await loggedInPage(other.loginUrl);
  await send(page, 'Hello?');
  await expectFailure(page, {
    kind: 'no_provider',
    message: /./,
    hint: 'No model provider is set up. Pick one in Settings.',
    action: 'hint-settings',
    shot: 'failure-no-provider',
  });
  await page.locator(tid('hint-settings')).click();
  await page.locator(tid('nav-settings')).and(page.locator('[aria-current="page"]')).waitFor();
  await page.context().close();
});
