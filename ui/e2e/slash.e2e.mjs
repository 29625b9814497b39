// End-to-end: starting a skill with `/name` from the chat composer against a real
// `pincer daemon` (its bundled skills; web-research is ready in a headless daemon), the
// scripted LLM server and headless Chromium: the suggestions, completion, the skill card
// the engine's `/name` start shows, and the quick-ask window's list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  daemonSuite, keyHeaders, newLoginUrl, screenshot, waitFor,
} from './harness.mjs';

let llm, daemon;
const newPage = daemonSuite((started) => ({ llm, daemon } = started));

const tid = (id) => `[data-testid="${id}"]`;
const option = (name) => `${tid('slash-option')}[data-skill-name="${name}"]`;
const skillCard = (name) => `${tid('tool-card')}[data-skill-name="${name}"]`;

/** A logged-in page on a new chat (each context has its own cookie jar, so each logs in). */
async function chatPage({ colorScheme = 'light', width = 1280, height = 800 } = {}) {
  const page = await newPage({ colorScheme, width, height });
  await page.goto(await newLoginUrl(daemon.home));
  await page.locator(tid('composer')).waitFor();
  return page;
}

/** Types like a person (key by key), so the page sees every input event. */
async function type(page, text) {
  await page.locator(tid('composer')).pressSequentially(text);
}

/**
 * Waits until the composer holds `text` and says its suggestion list is closed: it has a
 * list of skills (`aria-autocomplete`) and `aria-expanded="false"` for this text.
 */
async function listClosedFor(page, text) {
  const box = page.locator(tid('composer'));
  await waitFor(async () => (await box.inputValue()) === text, `the composer to hold ${text}`);
  await page.locator(`${tid('composer')}[aria-autocomplete="list"][aria-expanded="false"]`).waitFor();
}

const noOverflow = (page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

test('typing /web offers web-research; Tab completes it, and sending starts the skill before the answer', async () => {
  await llm.push({ text: 'Rust 2024 brought **async closures**, according to two sources.' });
  const page = await chatPage();
  const box = page.locator(tid('composer'));
  // The hint mentions skills once the page knows there are some.
  await box.click();
  await page.locator(tid('composer-hint')).filter({ hasText: '/ for skills' }).waitFor();

  await type(page, '/web');
  const list = page.locator(tid('slash-suggestions'));
  await list.waitFor();
  const offered = page.locator(option('web-research'));
  await offered.waitFor();
  assert.match(await offered.innerText(), /\/web-research/);
  assert.match(await offered.innerText(), /Answer a question from several web sources, with citations\./);
  assert.equal(await offered.getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-expanded'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await offered.getAttribute('id'));
  await screenshot(page, 'slash-suggestions-light');

  await box.press('Tab');
  assert.equal(await box.inputValue(), '/web-research ');
  await list.waitFor({ state: 'detached' });
  assert.equal(await box.getAttribute('aria-expanded'), 'false');
  assert.ok(await box.evaluate((el) => el === document.activeElement && el.selectionStart === el.value.length),
    'the caret is at the end of the box');
  await type(page, 'what is new in Rust 2024?');
  await box.press('Enter');

  const card = page.locator(skillCard('web-research'));
  await card.waitFor();
  const answer = page.locator(tid('message-assistant')).filter({ hasText: 'async closures' });
  await answer.waitFor();
  await page.locator(tid('send')).waitFor();
  const title = await card.locator(tid('skill-card-title')).innerText();
  assert.match(title, /^Skill · (🔎\s*)?web-research$/u);
  assert.equal(await card.getAttribute('data-started-by'), 'user');
  assert.match(await card.innerText(), /started by you/);
  assert.equal(await card.locator(tid('skill-card-link')).getAttribute('href'), '#/skills/web-research');
  // The card comes before the answer.
  assert.ok(
    await card.evaluate((el, other) => !!(el.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING), await answer.elementHandle()),
    'the skill card is above the answer',
  );
  // The model got the instructions and what the user asked.
  const [request] = await llm.requests();
  const sent = JSON.stringify(request.body.messages);
  assert.match(sent, /<skill name=\\"web-research\\"/);
  assert.match(sent, /The user started this skill with: what is new in Rust 2024\?/);

  // Folded until opened; opened, the instructions are Markdown without the wrapper.
  const instructions = card.locator(tid('skill-instructions'));
  assert.equal(await instructions.count(), 0);
  await screenshot(page, 'skill-card-light');
  await card.getByRole('button', { name: 'Instructions of web-research' }).click();
  await instructions.waitFor();
  assert.match(await instructions.locator('h1').first().innerText(), /Web research/);
  assert.doesNotMatch(await instructions.innerText(), /<\/?skill/);
  await screenshot(page, 'skill-card-open-light');

  // After a reload the stored history tells the same story.
  await page.reload();
  await page.locator(skillCard('web-research')).waitFor();
  assert.equal(await page.locator(skillCard('web-research')).getAttribute('data-started-by'), 'user');

  // The name leads to the skill.
  await page.locator(skillCard('web-research')).locator(tid('skill-card-link')).click();
  await page.locator(tid('skill-detail')).waitFor();
  assert.equal(new URL(page.url()).hash, '#/skills/web-research');
  await page.context().close();
});

test('Esc closes the list without stopping the answer; a path is ordinary text', async () => {
  const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
  await llm.push({ text: long, chunk_delay_ms: 40 }, { text: 'Your hosts file maps names to addresses.' });
  const page = await chatPage();
  await type(page, 'Tell me a long story');
  await page.locator(tid('composer')).press('Enter');
  const assistant = page.locator(tid('message-assistant')).last();
  await waitFor(async () => ((await assistant.textContent()) ?? '').includes('word3'), 'some streamed text');
  await type(page, '/web');
  await page.locator(option('web-research')).waitFor();
  await page.locator(tid('composer')).press('Escape');
  await page.locator(tid('slash-suggestions')).waitFor({ state: 'detached' });
  assert.equal(await page.locator(tid('composer')).inputValue(), '/web');
  await waitFor(async () => ((await assistant.textContent()) ?? '').includes('word119'), 'the whole answer', 15_000);
  assert.equal(await page.locator(tid('turn-stopped')).count(), 0, 'the answer was not stopped');

  await page.locator(tid('composer')).fill('');
  await type(page, '/etc/hosts');
  await listClosedFor(page, '/etc/hosts');
  assert.equal(await page.locator(tid('slash-suggestions')).count(), 0);
  await page.locator(tid('composer')).press('Enter');
  await page.locator(tid('message-assistant')).filter({ hasText: 'maps names to addresses' }).waitFor();
  await page.context().close();
});

test('a skill that cannot run is not offered, and starting it anyway shows a failed skill card', async () => {
  const dir = join(daemon.home, 'skills', 'e2e-needs-bin');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'SKILL.md'), [
    '---',
    'name: e2e-needs-bin',
    'description: Only works with a program nobody has.',
    'metadata: {"openclaw": {"requires": {"bins": ["surely-missing-bin"]}}}',
    '---',
    '',
    'Run `surely-missing-bin`.',
    '',
  ].join('\n'));
  await llm.push({ text: 'That skill cannot run here.' });
  const page = await newPage();
  // The page's own list of skills, once it has the new one (fetched when the composer is
  // first used, and again when the daemon says the skills changed).
  const pageListsIt = page.waitForResponse(async (res) =>
    new URL(res.url()).pathname === '/api/skills' && (await res.text()).includes('"e2e-needs-bin"'));
  await page.goto(await newLoginUrl(daemon.home));
  await page.locator(tid('composer')).waitFor();
  // Once the daemon has read it (hot reload), the list has it as unavailable.
  await waitFor(async () => {
    const res = await page.request.get(`${daemon.url}/api/skills/e2e-needs-bin`, { headers: await keyHeaders(page) });
    return res.ok() && (await res.json()).skill.status === 'unavailable';
  }, 'the daemon to read the new skill');
  await pageListsIt;
  await type(page, '/e2e-needs');
  await listClosedFor(page, '/e2e-needs');
  assert.equal(await page.locator(option('e2e-needs-bin')).count(), 0, 'an unavailable skill is not offered');
  await type(page, '-bin now');
  await page.locator(tid('composer')).press('Enter');
  const card = page.locator(skillCard('e2e-needs-bin'));
  await card.waitFor();
  await page.locator(tid('message-assistant')).filter({ hasText: 'cannot run here' }).waitFor();
  assert.equal(await card.getAttribute('data-status'), 'error');
  assert.match(await card.locator(tid('tool-output')).innerText(), /^error: the skill `e2e-needs-bin` cannot run here/);
  assert.ok(await card.locator(tid('tool-output')).isVisible(), 'a failure shows why at once');
  assert.match(await card.innerText(), /started by you/);
  await screenshot(page, 'skill-card-error-light');
  await page.context().close();
});

test('the suggestions and the skill card in dark and 360 px wide, and in the quick-ask window', async () => {
  for (const [colorScheme, width, height] of [['dark', 1280, 800], ['light', 360, 740], ['dark', 360, 740]]) {
    await llm.push({ text: 'Here is what I found, with sources.' });
    const page = await chatPage({ colorScheme, width, height });
    const suffix = width === 360 ? `360px-${colorScheme}` : colorScheme;
    await type(page, '/');
    await page.locator(option('web-research')).waitFor();
    await screenshot(page, `slash-suggestions-${suffix}`);
    assert.ok(await noOverflow(page), 'no horizontal overflow with the list open');
    await type(page, 'web');
    await page.locator(option('web-research')).click();
    assert.equal(await page.locator(tid('composer')).inputValue(), '/web-research ');
    await type(page, 'sources on Rust 2024');
    await page.locator(tid('composer')).press('Enter');
    await page.locator(tid('message-assistant')).filter({ hasText: 'with sources' }).waitFor();
    await page.locator(tid('send')).waitFor();
    await screenshot(page, `skill-card-${suffix}`);
    await page.locator(skillCard('web-research')).getByRole('button', { name: 'Instructions of web-research' }).click();
    await page.locator(tid('skill-instructions')).waitFor();
    await screenshot(page, `skill-card-open-${suffix}`);
    assert.ok(await noOverflow(page), 'no horizontal overflow with the card open');
    await page.context().close();
  }

  const link = (await newLoginUrl(daemon.home)).replace('/#login=', '/#/quick&login=');
  const quick = await newPage({ width: 640, height: 360 });
  await quick.goto(link);
  const input = quick.locator(tid('quick-input'));
  await input.waitFor();
  await input.pressSequentially('/');
  await quick.locator(option('web-research')).waitFor();
  assert.equal(await quick.locator(tid('slash-suggestions')).getAttribute('class'), 'slash-list slash-below');
  await screenshot(quick, 'quick-slash');
  // Esc closes the list, and the question stays.
  await input.press('Escape');
  await quick.locator(tid('slash-suggestions')).waitFor({ state: 'detached' });
  assert.equal(await input.inputValue(), '/');
  await quick.context().close();
});
